#include "core/monitor/runfigures.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace yolodeck;

namespace {
QJsonObject line(const QString &type, double wall, QJsonObject fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    fields.insert(QStringLiteral("wall"), wall);
    return fields;
}

QJsonObject runStart(double wall, const QString &mode = QStringLiteral("new"), int startEpoch = 0)
{
    return line(QStringLiteral("run_start"), wall,
                {{QStringLiteral("mode"), mode},
                 {QStringLiteral("start_epoch"), startEpoch},
                 {QStringLiteral("device"), QStringLiteral("cuda:0")},
                 {QStringLiteral("pid"), 4242},
                 {QStringLiteral("host"), QStringLiteral("gpu-node-3")},
                 {QStringLiteral("cores"), 2},
                 {QStringLiteral("workers"), 8},
                 {QStringLiteral("imgsz"), 64},
                 {QStringLiteral("cache"), QStringLiteral("false")},
                 {QStringLiteral("data"), QStringLiteral("/data/big/data.yaml")},
                 {QStringLiteral("train_images"), 100},
                 {QStringLiteral("image_median"), 3000},
                 {QStringLiteral("cache_ram_bytes"), 1228800},
                 {QStringLiteral("image_store"), QStringLiteral("nfs")}});
}

QJsonObject batch(double wall, double ips, double wait, QJsonObject more = {})
{
    more.insert(QStringLiteral("ips"), ips);
    more.insert(QStringLiteral("wait"), wait);
    return line(QStringLiteral("batch"), wall, more);
}

QJsonObject epoch(double wall, int number, double seconds)
{
    return line(QStringLiteral("epoch"), wall,
                {{QStringLiteral("epoch"), number}, {QStringLiteral("epoch_seconds"), seconds}});
}
} // namespace

// A run's speed and host figures as the window and `doctor run=` read them from events.jsonl.
class TestRunFigures : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runStartDescribesMachineAndData()
    {
        RunFiguresReader reader;
        QVERIFY(!reader.figures().started);
        reader.add(runStart(1000));
        const RunFigures f = reader.figures();
        QVERIFY(f.started);
        QVERIFY(!f.finished);
        QCOMPARE(f.pid, qint64(4242));
        QCOMPARE(f.host, QStringLiteral("gpu-node-3"));
        const ThroughputStats &s = f.recent;
        QVERIFY(s.training);
        QVERIFY(s.onCuda);
        QCOMPARE(s.cores, 2);
        QCOMPARE(s.workers, 8);
        QCOMPARE(s.imgsz, 64);
        QVERIFY(!s.cacheRam);
        QCOMPARE(s.data, QStringLiteral("/data/big/data.yaml"));
        QCOMPARE(s.trainImages, 100);
        QCOMPARE(s.medianImageSide, 3000);
        QCOMPARE(s.cacheRamBytes, qint64(1228800));
        QCOMPARE(s.imageStore, QStringLiteral("nfs"));
        QCOMPARE(s.imagesPerSecond, -1.0); // no batch yet
    }

    // "Recent" is the last 30 s of the run's own clock; the session is every batch since its
    // run_start. Host figures come with about one batch a second and are taken where present.
    void recentAndSessionAverages()
    {
        RunFiguresReader reader;
        reader.add(runStart(1000));
        // 60 s at 10 images/s waiting 10%, then 30 s at 2 images/s waiting 90%.
        for (int t = 0; t < 60; ++t)
            reader.add(
                batch(1001 + t, 10, 0.1,
                      {{QStringLiteral("read_ms"), 0.5}, {QStringLiteral("decode_ms"), 4.0}}));
        for (int t = 0; t < 30; ++t) {
            QJsonObject host{{QStringLiteral("read_ms"), 0.5},
                             {QStringLiteral("decode_ms"), 80.0},
                             {QStringLiteral("sys_cpu"), 98.0},
                             {QStringLiteral("cpu"), 190.0},
                             {QStringLiteral("rss"), 1.5 * (1 << 30)},
                             {QStringLiteral("mem_avail"), 5.0 * (1 << 30)},
                             {QStringLiteral("gpu_mem"), 3.0 * (1 << 30)}};
            reader.add(batch(1061 + t + 0.5, 2, 0.9, host));
        }
        const RunFigures f = reader.figures();
        QCOMPARE(f.recent.imagesPerSecond, 2.0);
        QCOMPARE(f.recent.dataWaitShare, 0.9);
        QCOMPARE(f.recent.decodeMsPerImage, 80.0);
        QCOMPARE(f.recent.machineCpuPercent, 98.0);
        QCOMPARE(f.recent.processCpuPercent, 190.0);
        QCOMPARE(f.recent.memoryAvailableBytes, qint64(5) << 30);
        QCOMPARE(f.recent.gpuMemoryUsedBytes, qint64(3) << 30);
        QCOMPARE(f.session.imagesPerSecond, (60 * 10 + 30 * 2) / 90.0);
        QCOMPARE(f.session.dataWaitShare, (60 * 0.1 + 30 * 0.9) / 90.0);
        QCOMPARE(f.session.decodeMsPerImage, (60 * 4.0 + 30 * 80.0) / 90.0);
        QCOMPARE(*f.processCpuPercent, 190.0);
        QCOMPARE(*f.residentBytes, qint64(1.5 * (1 << 30)));
        QCOMPARE(*f.gpuMemoryBytes, qint64(3) << 30);
        QCOMPARE(int(f.points.size()), 90);
        QCOMPARE(f.points.back().imagesPerSecond, 2.0);
        QCOMPARE(f.points.back().waitPercent, 90.0);

        // The figures drive the same rules as the window's own run.
        const std::vector<Finding> findings = diagnose({}, f.recent);
        QVERIFY(!findings.empty());
        QCOMPARE(findings.front().rule, Finding::Rule::DataLoadingBottleneck);
        QVERIFY2(findings.front().text.contains(QStringLiteral("yolodeck-cli resize")),
                 qPrintable(findings.front().text));
    }

    // The loader delivers in bursts: one batch after a 2 s wait, then a prefetched one at once.
    // Per time, the run waited 98% and trained 8 images in 2.05 s; a plain mean would say 50%.
    void sharesAreWeightedByStepTime()
    {
        RunFiguresReader reader;
        reader.add(runStart(0));
        reader.add(batch(2, 2, 1.0, {{QStringLiteral("step_ms"), 2000}}));
        reader.add(batch(2.05, 80, 0.0, {{QStringLiteral("step_ms"), 50}}));
        const RunFigures f = reader.figures();
        QCOMPARE(f.recent.dataWaitShare, 2000.0 / 2050.0);
        QCOMPARE(f.recent.imagesPerSecond, 8000.0 / 2050.0);
        QCOMPARE(f.session.dataWaitShare, 2000.0 / 2050.0);
        QCOMPARE(f.session.imagesPerSecond, 8000.0 / 2050.0);
    }

    void recordedGpuFigures()
    {
        RunFiguresReader reader;
        reader.add(runStart(0));
        for (int t = 1; t <= 10; ++t)
            reader.add(batch(t, 900, 0.02,
                             {{QStringLiteral("gpu_name"), QStringLiteral("NVIDIA H200")},
                              {QStringLiteral("gpu_util"), t <= 5 ? 20.0 : 30.0},
                              {QStringLiteral("gpu_used"), 20.0 * (1 << 30)},
                              {QStringLiteral("gpu_total"), 141.0 * (1 << 30)},
                              {QStringLiteral("gpu_mem"), 18.0 * (1 << 30)}}));
        const ThroughputStats s = reader.figures().recent;
        QCOMPARE(s.gpuName, QStringLiteral("NVIDIA H200"));
        QCOMPARE(s.gpuUtilizationPercent, 25.0);
        QCOMPARE(s.gpuSamples, 10);
        QCOMPARE(s.gpuDeviceMemoryUsedBytes, qint64(20) << 30);
        QCOMPARE(s.gpuDeviceMemoryTotalBytes, qint64(141) << 30);
        QCOMPARE(s.gpuMemoryUsedBytes, qint64(18) << 30);
    }

    void sparklineKeepsTheNewestPoints()
    {
        RunFiguresReader reader;
        reader.add(runStart(0));
        for (int i = 0; i < 1000; ++i)
            reader.add(batch(1 + i * 0.01, i, 0));
        const RunFigures f = reader.figures();
        QCOMPARE(f.points.size(), RunFiguresReader::kMaxPoints);
        QCOMPARE(f.points.back().imagesPerSecond, 999.0);
        QCOMPARE(f.points.front().imagesPerSecond, double(1000 - RunFiguresReader::kMaxPoints));
    }

    // A resumed session compares its epochs with those before the resume point; the epochs the
    // interrupted session finished after that point were replaced and do not count.
    void epochsBeforeAndSinceTheResume()
    {
        RunFiguresReader reader;
        reader.add(runStart(0));
        reader.add(epoch(60, 1, 60));
        reader.add(epoch(120, 2, 60));
        reader.add(epoch(180, 3, 61)); // replaced: the resume is from epoch 2
        reader.add(runStart(500, QStringLiteral("resume"), 2));
        reader.add(epoch(580, 3, 80));
        reader.add(epoch(660, 4, 80));
        const ThroughputStats s = reader.figures().recent;
        QCOMPARE(s.epochSecondsBeforeResume, (std::vector<double>{60, 60}));
        QCOMPARE(s.epochSecondsSinceResume, (std::vector<double>{80, 80}));
        // (run_start's 8 workers on 2 cores is a finding of its own.)
        const std::vector<Finding> findings = diagnose({}, s);
        QCOMPARE(int(findings.size()), 2);
        QCOMPARE(findings[0].rule, Finding::Rule::MoreWorkersThanCores);
        QCOMPARE(findings[1].rule, Finding::Rule::SlowerSinceResume);
        QVERIFY2(findings[1].text.contains(QStringLiteral("80.0 s per epoch now against 60.0 s")),
                 qPrintable(findings[1].text));

        // A new run in the same folder starts over.
        reader.add(runStart(900));
        QVERIFY(reader.figures().recent.epochSecondsBeforeResume.empty());
    }

    void runEndStopsTraining()
    {
        RunFiguresReader reader;
        reader.add(runStart(0));
        reader.add(batch(1, 5, 0.5));
        reader.add(line(QStringLiteral("run_end"), 2));
        const RunFigures f = reader.figures();
        QVERIFY(f.finished);
        QVERIFY(!f.recent.training);
        QVERIFY(diagnose({}, f.recent).empty());
    }

    // The file a live run is writing: the torn last line and foreign lines are skipped.
    void readsAFileWithATornLine()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("events.jsonl"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        for (const QJsonObject &e : {runStart(0), batch(1, 7, 0.2), batch(2, 9, 0.4)})
            file.write(QJsonDocument(e).toJson(QJsonDocument::Compact) + '\n');
        file.write("[1, 2]\nnot json\n{\"type\":\"batch\",\"wall\":3,\"ips\":1");
        file.close();
        const RunFigures f = readRunFigures(path);
        QVERIFY(f.started);
        QCOMPARE(f.recent.imagesPerSecond, 8.0);
        QCOMPARE(f.recent.dataWaitShare, 0.3);
        QVERIFY(!readRunFigures(dir.filePath(QStringLiteral("missing.jsonl"))).started);
    }

    void processStateOnlyForThisMachine()
    {
        const QString here = QSysInfo::machineHostName();
        QVERIFY(isThisMachine(here));
        QVERIFY(!isThisMachine(QStringLiteral("gpu-node-3-not-this-one")));
        QVERIFY(!isThisMachine(QString()));
        QCOMPARE(processState(qint64(::getpid()), here), ProcessState::Running);
        QCOMPARE(processState(qint64(::getpid()), QStringLiteral("elsewhere")),
                 ProcessState::Unknown);
        QCOMPARE(processState(0, here), ProcessState::Unknown);
        // A process that has ended (and was reaped).
        QProcess child;
        child.start(QStringLiteral("true"), {});
        QVERIFY(child.waitForStarted());
        const qint64 pid = child.processId();
        QVERIFY(child.waitForFinished());
        QCOMPARE(processState(pid, here), ProcessState::Gone);
    }
};

QTEST_GUILESS_MAIN(TestRunFigures)
#include "tst_runfigures.moc"
