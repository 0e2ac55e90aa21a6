// Rehearsing a resume (core/train/rehearsal): planned as a real resume, trained for a few batches
// in a scratch folder that is always removed, and compared with what the run recorded.
#include "core/checkpoint/checkpointfile.h"
#include "core/data/synthdataset.h"
#include "core/train/rehearsal.h"
#include "core/train/trainer.h"
#include "recordingobserver.h"
#include "tests/auto/common/testfiles.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace yolodeck;

class TestRehearsal : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void rehearsalOfAnEpochThatWentOnIsExact();
    void otherThreadCountNamesTheFirstDifferentBatch();
    void otherOpenBlasThreadCountIsAmongTheCauses();
    void cancelLeavesNothing();
    void weightsOnlyFileIsRefused();

private:
    QTemporaryDir m_dir;
    QString m_run;
};

void TestRehearsal::initTestCase()
{
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 48;
    o.val = 8;
    o.imgsz = 64;
    QVERIFY(writeSynthDataset(o).isOk());
    TrainConfig c;
    c.data = o.dir + QStringLiteral("/data.yaml");
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.epochs = 2;
    c.threads = 2;
    c.workers = 1;
    c.savePeriod = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("run");
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    m_run = done.runDir;
}

void TestRehearsal::rehearsalOfAnEpochThatWentOnIsExact()
{
    RehearsalOptions o;
    o.checkpoint = m_run + QStringLiteral("/weights/epoch1.pt");
    o.batches = 4;
    // The GPU figure is what NVML lists for this process (a fake driver here: 700 + 300 MiB on
    // its two boards), sampled while the rehearsal trains.
    qputenv("YOLODECK_NVML_LIBRARY", YOLODECK_FAKE_NVML);
    qputenv("YOLODECK_FAKE_NVML_PROCESS_PID", QByteArray::number(qint64(getpid())));
    const RehearsalReport r = rehearse(o);
    qunsetenv("YOLODECK_NVML_LIBRARY");
    QVERIFY2(r.ok, qPrintable(r.error));
    QCOMPARE(r.gpuMemory, QStringLiteral("1000 MB peak on the GPU (NVML, CUDA context included)"));
    QCOMPARE(r.batches, 4);
    QCOMPARE(r.compared, 4);
    QCOMPARE(r.firstDifferent, -1);
    QCOMPARE(r.verdict,
             QStringLiteral("exact: the first 4 batches match the original run bit for bit"));
    QVERIFY(r.secondsPerBatch > 0 && r.imagesPerSecond > 0 && r.peakRssMb > 0);
    QCOMPARE(r.steps.front().epoch, 2);
    QCOMPARE(r.steps.front().batch, 1);
    QVERIFY(!r.scratchDir.isEmpty());
    QVERIFY(!QFileInfo::exists(r.scratchDir)); // removed
    QVERIFY(!r.scratchDir.startsWith(m_run));
    // The run itself is untouched: no branch folder, same files.
    QCOMPARE(
        QDir(m_dir.filePath(QStringLiteral("runs"))).entryList(QDir::Dirs | QDir::NoDotAndDotDot),
        QStringList{QStringLiteral("run")});
    QVERIFY(r.toText().contains(r.verdict));
}

void TestRehearsal::otherThreadCountNamesTheFirstDifferentBatch()
{
    RehearsalOptions o;
    o.checkpoint = m_run + QStringLiteral("/weights/epoch1.pt");
    o.batches = 6;
    o.overrides = {{QStringLiteral("threads"), QStringLiteral("1")},
                   {QStringLiteral("force"), QStringLiteral("true")}};
    const RehearsalReport r = rehearse(o);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY2(r.firstDifferent >= 0, qPrintable(r.verdict));
    QVERIFY2(r.verdict.startsWith(QStringLiteral("NOT exact: epoch 2 batch %1:")
                                      .arg(r.steps[size_t(r.firstDifferent)].batch)),
             qPrintable(r.verdict));
    QVERIFY2(r.likelyCause.contains(QLatin1String("thread count 2 -> 1")),
             qPrintable(r.likelyCause));
    QVERIFY(!QFileInfo::exists(r.scratchDir));
}

// A checkpoint written with OpenBLAS on 2 threads, rehearsed on 1 (the tests' and the policy's):
// the thread count that can move figures in their last digits is named among the likely causes,
// beside the intra-op thread count that does move them here.
void TestRehearsal::otherOpenBlasThreadCountIsAmongTheCauses()
{
    const QString copy = m_dir.filePath(QStringLiteral("runs-blas2/run"));
    QVERIFY(testing::copyTree(m_run, copy));
    RehearsalOptions o;
    o.checkpoint = copy + QStringLiteral("/weights/epoch1.pt");
    Result<CheckpointData> d = loadCheckpoint(o.checkpoint);
    QVERIFY(d.isOk());
    d.value().meta.insert(QStringLiteral("blas_threads"), 2);
    QVERIFY(saveCheckpointAtomically(o.checkpoint, d.value()).isOk());
    o.batches = 2;
    o.overrides = {{QStringLiteral("threads"), QStringLiteral("1")},
                   {QStringLiteral("force"), QStringLiteral("true")}};
    const RehearsalReport r = rehearse(o);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY2(r.plan.warnings.contains(
                 QStringLiteral("OpenBLAS threads 2 -> 1: figures may differ in their last digits "
                                "(OPENBLAS_NUM_THREADS=2 restores them)")),
             qPrintable(r.plan.summary()));
    QCOMPARE(r.likelyCause, QStringLiteral("thread count 2 -> 1; OpenBLAS threads 2 -> 1; "
                                           "forced overrides (threads)"));
    QVERIFY2(r.verdict.endsWith(r.likelyCause), qPrintable(r.verdict));
}

void TestRehearsal::cancelLeavesNothing()
{
    std::atomic<bool> cancel{false};
    RehearsalOptions o;
    o.checkpoint = m_run + QStringLiteral("/weights/epoch1.pt");
    o.batches = 6;
    o.cancel = &cancel;
    o.progress = [&](const BatchProgress &) { cancel = true; };
    const RehearsalReport r = rehearse(o);
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.cancelled);
    QCOMPARE(r.batches, 1);
    QVERIFY(!QFileInfo::exists(r.scratchDir));
}

void TestRehearsal::weightsOnlyFileIsRefused()
{
    RehearsalOptions o;
    o.checkpoint = m_run + QStringLiteral("/weights/best.pt"); // stripped at the end
    const RehearsalReport r = rehearse(o);
    QVERIFY(!r.ok);
    QVERIFY2(r.error.contains(QLatin1String("cannot be resumed")), qPrintable(r.error));
}

QTEST_GUILESS_MAIN(TestRehearsal)
#include "tst_rehearsal.moc"
