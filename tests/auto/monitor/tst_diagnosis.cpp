#include "core/monitor/diagnosis.h"

#include <QTest>

using namespace yolodeck;

Q_DECLARE_METATYPE(std::vector<yolodeck::SystemSample>)
Q_DECLARE_METATYPE(yolodeck::ThroughputStats)

namespace {
constexpr qint64 kMiB = 1 << 20;
constexpr qint64 kGiB = 1ll << 30;

struct WindowSpec
{
    int seconds = 60;
    double gpuUtil = 95; // < 0: no GPU
    qint64 gpuMemoryUsed = 8 * kGiB;
    qint64 swapUsedStart = 100 * kMiB;
    qint64 swapUsedEnd = 100 * kMiB;
    qint64 swapInStart = 5000;
    qint64 swapInEnd = 5000;
};

// One sample a second, values moving linearly from start to end.
std::vector<SystemSample> window(const WindowSpec &spec)
{
    std::vector<SystemSample> out;
    for (int i = 0; i <= spec.seconds; ++i) {
        const double f = double(i) / spec.seconds;
        SystemSample s;
        s.timestampMs = 1'700'000'000'000 + i * 1000;
        s.cpuPercent = 40;
        s.memoryTotalBytes = 32 * kGiB;
        s.memoryAvailableBytes = 12 * kGiB;
        s.swapTotalBytes = 4 * kGiB;
        s.swapFreeBytes = s.swapTotalBytes -
                          qint64(spec.swapUsedStart + f * (spec.swapUsedEnd - spec.swapUsedStart));
        s.swapInPages = qint64(spec.swapInStart + f * (spec.swapInEnd - spec.swapInStart));
        s.processResidentBytes = 3 * kGiB;
        if (spec.gpuUtil >= 0) {
            s.gpuAvailable = true;
            GpuSample g;
            g.index = 0;
            g.name = QStringLiteral("RTX 4090");
            g.utilizationPercent = spec.gpuUtil;
            g.memoryUsedBytes = spec.gpuMemoryUsed;
            g.memoryTotalBytes = 24 * kGiB;
            s.gpus.push_back(g);
        }
        out.push_back(s);
    }
    return out;
}

ThroughputStats healthyStats()
{
    ThroughputStats t;
    t.training = true;
    t.onCuda = true;
    t.imagesPerSecond = 410;
    t.dataWaitShare = 0.04;
    t.workers = 8;
    t.epochSecondsBeforeResume = {60, 62, 61};
    t.epochSecondsSinceResume = {63};
    return t;
}
} // namespace

class TestDiagnosis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rules_data()
    {
        QTest::addColumn<std::vector<SystemSample>>("samples");
        QTest::addColumn<ThroughputStats>("stats");
        QTest::addColumn<QList<int>>("expectedRules");
        QTest::addColumn<QStringList>("expectedWords"); // in the concatenated texts

        using R = Finding::Rule;
        const ThroughputStats healthy = healthyStats();

        QTest::newRow("healthy GPU run") << window({}) << healthy << QList<int>{} << QStringList{};

        ThroughputStats cpu = healthy;
        cpu.onCuda = false;
        QTest::newRow("healthy CPU run, idle GPU is fine")
            << window({60, 0}) << cpu << QList<int>{} << QStringList{};

        QTest::newRow("no samples yet")
            << std::vector<SystemSample>{} << healthy << QList<int>{} << QStringList{};

        ThroughputStats waiting = healthy;
        waiting.dataWaitShare = 0.45;
        waiting.imagesPerSecond = 123.4;
        QTest::newRow("data loading bottleneck")
            << window({}) << waiting << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("45%"), QStringLiteral("123.4 images/s"),
                           QStringLiteral("8 loader workers"), QStringLiteral("workers=16"),
                           QStringLiteral("cache=ram")};

        ThroughputStats waitingCached = waiting;
        waitingCached.cacheRam = true;
        waitingCached.workers = 2;
        QTest::newRow("data loading with cache=ram already on")
            << window({}) << waitingCached << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("workers=4")};

        ThroughputStats paused = waiting;
        paused.training = false;
        QTest::newRow("paused run: no throughput findings")
            << window({60, 5}) << paused << QList<int>{} << QStringList{};

        QTest::newRow("GPU under-used")
            << window({60, 31}) << healthy << QList<int>{int(R::GpuUnderused)}
            << QStringList{QStringLiteral("RTX 4090"), QStringLiteral("31%"),
                           QStringLiteral("60 s"), QStringLiteral("larger batch")};

        QTest::newRow("GPU under-used because of data loading")
            << window({60, 20}) << waiting
            << QList<int>{int(R::DataLoadingBottleneck), int(R::GpuUnderused)}
            << QStringList{QStringLiteral("20%"), QStringLiteral("likely cause")};

        QTest::newRow("too few GPU samples to judge")
            << window({3, 10}) << healthy << QList<int>{} << QStringList{};

        WindowSpec growing;
        growing.swapUsedEnd = 612 * kMiB;
        QTest::newRow("swap use growing")
            << window(growing) << healthy << QList<int>{int(R::Swapping)}
            << QStringList{QStringLiteral("from 100 to 612 MiB"), QStringLiteral("60 s"),
                           QStringLiteral("20.0 of 32.0 GiB")};

        WindowSpec swapIn;
        swapIn.swapInEnd = 5000 + 25600; // 100 MiB of 4 KiB pages
        QTest::newRow("pages read back from swap")
            << window(swapIn) << healthy << QList<int>{int(R::Swapping)}
            << QStringList{QStringLiteral("100 MiB were read back")};

        WindowSpec swapSteady;
        swapSteady.swapUsedStart = swapSteady.swapUsedEnd = 3 * kGiB;
        QTest::newRow("large but steady swap is quiet")
            << window(swapSteady) << healthy << QList<int>{} << QStringList{};

        WindowSpec fullGpu;
        fullGpu.gpuMemoryUsed = 23 * kGiB;
        QTest::newRow("GPU memory nearly full")
            << window(fullGpu) << healthy << QList<int>{int(R::GpuMemoryNearlyFull)}
            << QStringList{QStringLiteral("23.0 of 24.0 GiB"), QStringLiteral("96%")};

        WindowSpec ninetyGpu;
        ninetyGpu.gpuMemoryUsed = qint64(24 * kGiB * 0.89);
        QTest::newRow("GPU memory at 89% is quiet")
            << window(ninetyGpu) << healthy << QList<int>{} << QStringList{};

        ThroughputStats slower = healthy;
        slower.epochSecondsBeforeResume = {60, 60};
        slower.epochSecondsSinceResume = {78, 78};
        QTest::newRow("slower since the resume")
            << window({}) << slower << QList<int>{int(R::SlowerSinceResume)}
            << QStringList{QStringLiteral("78.0 s"), QStringLiteral("60.0 s"),
                           QStringLiteral("+30%")};

        ThroughputStats slightlySlower = healthy;
        slightlySlower.epochSecondsBeforeResume = {60};
        slightlySlower.epochSecondsSinceResume = {71};
        QTest::newRow("18% slower is quiet")
            << window({}) << slightlySlower << QList<int>{} << QStringList{};

        ThroughputStats newRun = healthy;
        newRun.epochSecondsBeforeResume.clear();
        newRun.epochSecondsSinceResume = {500};
        QTest::newRow("new run has no resume to compare")
            << window({}) << newRun << QList<int>{} << QStringList{};
    }

    void rules()
    {
        QFETCH(std::vector<SystemSample>, samples);
        QFETCH(ThroughputStats, stats);
        QFETCH(QList<int>, expectedRules);
        QFETCH(QStringList, expectedWords);

        const std::vector<Finding> findings = diagnose(samples, stats);
        QList<int> rules;
        QString text;
        for (const Finding &f : findings) {
            rules << int(f.rule);
            text += f.text + QLatin1Char('\n');
            QVERIFY(!f.text.isEmpty());
        }
        QCOMPARE(rules, expectedRules);
        for (const QString &word : expectedWords)
            QVERIFY2(text.contains(word), qPrintable(word + QLatin1String(" not in: ") + text));
    }
};

QTEST_GUILESS_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
