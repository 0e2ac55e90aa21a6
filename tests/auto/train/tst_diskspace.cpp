// Checkpoints that fit on the disk and writes that fail: keep=K, a nearly full disk, a file-size
// limit from the start, and faults that begin during a run (a file-size limit, a disk that fills
// part-way through a save, read-only folders, deleted folders). Training goes on in every case,
// each failure is reported once with its reason, and earlier files stay intact.
//
// Read-only folders do not stop root, so when started as root this test drops to nobody first.
#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/retention.h"
#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "core/train/trainer.h"
#include "recordingobserver.h"

#include <QCryptographicHash>
#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grp.h>

#include <atomic>
#include <functional>
#include <map>

using namespace yolodeck;

class TestDiskSpace : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void keepTwoOverSixEpochs();
    void nearlyFullDiskSkipsThePeriodicFile();
    void fileSizeLimitKeepsTraining();
    void faultDuringTheRun_data();
    void faultDuringTheRun();

private:
    TrainConfig config(const QString &name) const;
    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestDiskSpace::initTestCase()
{
    if (geteuid() == 0) {
        // nobody:nogroup, so that folder permissions apply; the temporary folder is made after.
        QVERIFY(setgroups(0, nullptr) == 0);
        QVERIFY(setgid(65534) == 0);
        QVERIFY(setuid(65534) == 0);
    }
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    SynthOptions o;
    o.dir = m_dir->filePath(QStringLiteral("synth"));
    o.train = 16;
    o.val = 8;
    o.imgsz = 64;
    QVERIFY(writeSynthDataset(o).isOk());
}

TrainConfig TestDiskSpace::config(const QString &name) const
{
    TrainConfig c;
    c.data = m_dir->filePath(QStringLiteral("synth/data.yaml"));
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.workers = 1;
    c.savePeriod = 1;
    c.project = m_dir->filePath(QStringLiteral("runs"));
    c.name = name;
    return c;
}

// keep=2 with save_period=1 over 6 epochs: the two newest periodic files, the final epoch's,
// best.pt and last.pt, and epoch1.pt because the user marked it Keep.
void TestDiskSpace::keepTwoOverSixEpochs()
{
    TrainConfig c = config(QStringLiteral("keep"));
    c.epochs = 6;
    c.keep = 2;
    c.patience = 0;
    Trainer trainer(c);
    struct Marker final : TrainingObserver
    {
        void checkpointSaved(const CheckpointSaved &s) override
        {
            if (QFileInfo(s.path).fileName() == QLatin1String("epoch1.pt"))
                marked = setKept(s.path, true).isOk();
        }
        bool marked = false;
    } observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QVERIFY(observer.marked);
    const QDir weights(done.runDir + QStringLiteral("/weights"));
    QStringList files = weights.entryList({QStringLiteral("*.pt")}, QDir::Files, QDir::Name);
    QCOMPARE(files, (QStringList{QStringLiteral("best.pt"), QStringLiteral("epoch1.pt"),
                                 QStringLiteral("epoch4.pt"), QStringLiteral("epoch5.pt"),
                                 QStringLiteral("epoch6.pt"), QStringLiteral("last.pt")}));
    for (const QString &f : files)
        QVERIFY2(loadCheckpoint(weights.filePath(f)).isOk(), qPrintable(f));
    QVERIFY(checkpointsToPrune(weights.path(), 2).isEmpty());
    QCOMPARE(checkpointsToPrune(weights.path(), 1),
             QStringList{weights.filePath(QStringLiteral("epoch4.pt"))});
}

void TestDiskSpace::nearlyFullDiskSkipsThePeriodicFile()
{
    TrainConfig c = config(QStringLiteral("full"));
    c.epochs = 2;
    Trainer trainer(c);
    trainer.setFreeSpaceProbe([](const QString &) { return qint64(512 * 1024); });
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(done.epochsDone, 2);
    const QStringList warnings = observer.warnings.filter(QStringLiteral("MB free in"));
    QCOMPARE(warnings.size(), 2);
    QVERIFY2(warnings.front().contains(QLatin1String("epoch1.pt skipped, last.pt")),
             qPrintable(warnings.front()));
    const QDir weights(done.runDir + QStringLiteral("/weights"));
    QVERIFY(weights.entryList({QStringLiteral("epoch*.pt")}).isEmpty());
    QVERIFY(loadCheckpoint(weights.filePath(QStringLiteral("last.pt"))).isOk());
}

// RLIMIT_FSIZE below a checkpoint's size (ulimit -f): every save fails with "File too large",
// reported, and the run still trains to its end with results.csv complete; no partial file under
// a final name.
void TestDiskSpace::fileSizeLimitKeepsTraining()
{
    const QString runs = m_dir->filePath(QStringLiteral("runs"));
    QProcess cli;
    cli.setProcessChannelMode(QProcess::MergedChannels);
    cli.start(QStringLiteral("/bin/bash"),
              {QStringLiteral("-c"),
               QStringLiteral("ulimit -f 600 && exec '%1' train data=%2 model=tiny imgsz=64 "
                              "batch=8 epochs=2 workers=1 save_period=1 project=%3 name=fsize")
                   .arg(QStringLiteral(YOLODECK_CLI), config(QString()).data, runs)});
    QVERIFY(cli.waitForFinished(180000));
    const QString out = QString::fromUtf8(cli.readAll());
    QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
    QVERIFY2(cli.exitCode() == 0, qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("checkpoint not saved")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("File too large")), qPrintable(out));
    QFile csv(runs + QStringLiteral("/fsize/results.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(csv.readAll().count('\n'), 3); // header and 2 epochs
    const QDir weights(runs + QStringLiteral("/fsize/weights"));
    for (const QString &f : weights.entryList(QDir::Files | QDir::Hidden))
        QVERIFY2(f.endsWith(QLatin1String(".pt")) && loadCheckpoint(weights.filePath(f)).isOk(),
                 qPrintable(f));
}

namespace {

// Acts once, on the training thread, after the first batch of epoch 2, and only once the first
// epoch's three files (last, best, epoch1) are on the disk: the moment a fault starts in these
// trials. Nothing else is being written then, so the trial is the same on a slow machine.
class FaultObserver final : public TrainingObserver
{
public:
    std::function<void()> onFault;
    void checkpointSaved(const CheckpointSaved &c) override
    {
        if (c.ok && c.epoch == 1)
            ++m_saved;
    }
    void batchFinished(const BatchProgress &p) override
    {
        if (p.epoch != 2 || p.batch != 1)
            return;
        QElapsedTimer waited;
        waited.start();
        while (m_saved.load() < 3 && waited.elapsed() < 60000)
            QThread::msleep(5);
        if (onFault)
            onFault();
    }
    void message(LogLevel level, const QString &text) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        (level == LogLevel::Error ? errors : level == LogLevel::Warning ? warnings : infos) << text;
    }
    QStringList errors, warnings, infos;
    std::mutex mutex;

private:
    std::atomic<int> m_saved{0};
};

std::map<QString, QByteArray> digests(const QString &dir)
{
    std::map<QString, QByteArray> out;
    for (const QFileInfo &f : QDir(dir).entryInfoList(QDir::Files | QDir::Hidden)) {
        QFile file(f.filePath());
        if (file.open(QIODevice::ReadOnly))
            out[f.fileName()] =
                QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256);
    }
    return out;
}

} // namespace

// Each fault starts in epoch 2, after the first epoch's checkpoints are saved; 3 epochs.
//   expectError: how the one error message starts (empty: no error expected)
//   expectWarning: the reason, in the error (or in a warning when no error is expected)
void TestDiskSpace::faultDuringTheRun_data()
{
    QTest::addColumn<QString>("fault");
    QTest::addColumn<QString>("expectError");
    QTest::addColumn<QString>("expectWarning");
    QTest::newRow("file-size limit") << "fsize-small"
                                     << "checkpoint not saved"
                                     << "File too large";
    QTest::newRow("disk full part-way through a save") << "fsize-half"
                                                       << "checkpoint not saved"
                                                       << "File too large";
    QTest::newRow("read-only weights folder") << "ro-weights"
                                              << "checkpoint not saved"
                                              << "Permission denied";
    QTest::newRow("read-only run folder") << "ro-run"
                                          << "results.csv not saved"
                                          << "Permission denied";
    QTest::newRow("weights folder deleted") << "rm-weights" << QString() << "was deleted";
    QTest::newRow("run folder deleted") << "rm-run" << QString() << "was deleted";
}

void TestDiskSpace::faultDuringTheRun()
{
    QFETCH(QString, fault);
    QFETCH(QString, expectError);
    QFETCH(QString, expectWarning);
    TrainConfig c = config(fault);
    c.epochs = 3;
    c.patience = 0;
    const QString runDir = m_dir->filePath(QStringLiteral("runs/") + fault);
    const QString weights = runDir + QStringLiteral("/weights");

    rlimit saved{};
    QVERIFY(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    std::map<QString, QByteArray> before, beforeRun;
    FaultObserver observer;
    observer.onFault = [&] {
        before = digests(weights);
        beforeRun = digests(runDir);
        if (fault.startsWith(QLatin1String("fsize"))) {
            // A limit below any checkpoint, or half of one: the write then fails part-way, as
            // on a disk that fills during the save.
            const qint64 size = QFileInfo(weights + QStringLiteral("/last.pt")).size();
            rlimit limited = saved;
            limited.rlim_cur = fault == QLatin1String("fsize-small") ? 64 * 1024 : size / 2;
            setrlimit(RLIMIT_FSIZE, &limited);
        } else if (fault == QLatin1String("ro-weights")) {
            chmod(qPrintable(weights), 0555);
        } else if (fault == QLatin1String("ro-run")) {
            chmod(qPrintable(runDir), 0555);
        } else if (fault == QLatin1String("rm-weights")) {
            QDir(weights).removeRecursively();
        } else if (fault == QLatin1String("rm-run")) {
            QDir(runDir).removeRecursively();
        }
    };
    Trainer trainer(c);
    const RunFinished done = trainer.run(&observer);
    setrlimit(RLIMIT_FSIZE, &saved);
    chmod(qPrintable(weights), 0755);
    chmod(qPrintable(runDir), 0755);

    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(done.epochsDone, 3);
    QVERIFY(!before.empty());
    const QString all = (observer.errors + observer.warnings).join(QLatin1Char('\n'));
    if (expectError.isEmpty()) {
        QVERIFY2(observer.errors.isEmpty(), qPrintable(all));
    } else {
        // Once, with the reason, however many saves fail; and a count at the end of the run.
        QCOMPARE(observer.errors.size(), 1);
        QVERIFY2(observer.errors.front().startsWith(expectError), qPrintable(all));
        QVERIFY2(observer.errors.front().contains(expectWarning), qPrintable(all));
        const QStringList counted =
            observer.warnings.filter(QStringLiteral("failed during this run"));
        QCOMPARE(counted.size(), 1);
        QVERIFY2(counted.front().contains(expectWarning), qPrintable(counted.front()));
    }
    QVERIFY2(all.contains(expectWarning), qPrintable(all));

    const std::map<QString, QByteArray> after = digests(weights);
    if (fault.startsWith(QLatin1String("rm"))) {
        // Saving goes on into the folder made again: the last epoch's files are there.
        QVERIFY(after.count(QStringLiteral("last.pt")) && after.count(QStringLiteral("epoch3.pt")));
        QVERIFY(!after.count(QStringLiteral("epoch1.pt")));
    } else if (fault == QLatin1String("ro-run")) {
        // Checkpoints still save; results.csv keeps its epoch-1 rows until the folder is writable.
        QVERIFY(after.count(QStringLiteral("epoch3.pt")));
        QCOMPARE(digests(runDir)[QStringLiteral("results.csv")],
                 beforeRun[QStringLiteral("results.csv")]);
    } else {
        // Nothing written after the fault: every earlier file byte for byte, nothing new. best.pt
        // may be stripped at the end as always (to a smaller file that fits under half a limit).
        std::map<QString, QByteArray> kept = after;
        if (fault == QLatin1String("fsize-half"))
            kept[QStringLiteral("best.pt")] = before[QStringLiteral("best.pt")];
        QCOMPARE(kept, before);
    }
    for (const auto &[name, digest] : after) {
        QVERIFY2(name.endsWith(QLatin1String(".pt")), qPrintable(name)); // no temporary left
        QVERIFY2(loadCheckpoint(weights + QLatin1Char('/') + name).isOk(), qPrintable(name));
    }
    if (fault != QLatin1String("ro-run")) {
        Result<History> history = RunLog::readResults(runDir + QStringLiteral("/results.csv"));
        QVERIFY2(history.isOk(), qPrintable(history.error()));
        QCOMPARE(int(history.value().size()), 3);
    }
}

QTEST_GUILESS_MAIN(TestDiskSpace)
#include "tst_diskspace.moc"
