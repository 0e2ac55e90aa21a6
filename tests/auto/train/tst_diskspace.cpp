// Checkpoints that fit on the disk (issue: the resume checklist): keep=K, a nearly full disk, a
// file-size limit. Training goes on in every case and earlier files stay intact.
#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/retention.h"
#include "core/data/synthdataset.h"
#include "core/train/trainer.h"
#include "recordingobserver.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

class TestDiskSpace : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void keepTwoOverSixEpochs();
    void nearlyFullDiskSkipsThePeriodicFile();
    void fileSizeLimitKeepsTraining();

private:
    TrainConfig config(const QString &name) const;
    QTemporaryDir m_dir;
};

void TestDiskSpace::initTestCase()
{
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 16;
    o.val = 8;
    o.imgsz = 64;
    QVERIFY(writeSynthDataset(o).isOk());
}

TrainConfig TestDiskSpace::config(const QString &name) const
{
    TrainConfig c;
    c.data = m_dir.filePath(QStringLiteral("synth/data.yaml"));
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.workers = 1;
    c.savePeriod = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
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
    const QString runs = m_dir.filePath(QStringLiteral("runs"));
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

QTEST_GUILESS_MAIN(TestDiskSpace)
#include "tst_diskspace.moc"
