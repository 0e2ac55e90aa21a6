#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/data/synthdataset.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "recordingobserver.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace yolodeck;

// The resume contract of DESIGN.md §4: a run resumed from any full checkpoint ends bit-identical
// (model and EMA weights, results.csv rows except time) to the run that was never interrupted.
class TestResume : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void branchFromOlderEpochIsExact();
    void midEpochStopResumesExactlyWithOtherWorkers();
    void extendingEpochsContinuesTheSchedule();
    void mathOverridesAreRefusedUnlessForced();
    void finishedRunAsksForMoreEpochs();
    void weightsOnlyFileOffersFineTuning();
    void unusableFilesAreRefusedWithOneLine_data();
    void unusableFilesAreRefusedWithOneLine();
    void resumeTrueFindsNewestLast();
    void killedProcessLeavesResumableCheckpoints();
    void threadPolicyLeavesTheWeightsAlone();
    void openBlasThreadsAreRecordedAndChecked();
    void trainingEngineIsPartOfTheState();
    void nonFiniteLossIsSkipped();
    void repeatedNonFiniteLossStopsWithGoodCheckpoint();

private:
    TrainConfig baseConfig(const QString &name) const;
    static RunFinished train(Trainer &trainer, RecordingObserver *observer = nullptr);
    static QString hashOf(const QString &checkpoint, const char *prefix);
    static QStringList resultRowsWithoutTime(const QString &runDir);
    static QJsonArray historyWithoutTime(const QString &checkpoint);
    static QByteArray readAll(const QString &path);
    QString copyOfReference(const QString &name) const;

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_reference; // the uninterrupted run
};

TrainConfig TestResume::baseConfig(const QString &name) const
{
    TrainConfig c;
    c.data = m_yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.nbs = 16;         // accumulate 2: a mid-epoch stop can fall between two optimizer steps
    c.warmupEpochs = 1; // 100-iteration minimum: the whole run is inside the warmup ramp
    c.closeMosaic = 1;  // the last epoch switches mosaic off
    c.epochs = 4;
    c.savePeriod = 1;
    c.strip = false;
    c.workers = 2;
    c.threads = 2;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = name;
    return c;
}

RunFinished TestResume::train(Trainer &trainer, RecordingObserver *observer)
{
    RecordingObserver local;
    return trainer.run(observer ? observer : &local);
}

QString TestResume::hashOf(const QString &checkpoint, const char *prefix)
{
    Result<CheckpointData> data = loadCheckpoint(checkpoint);
    if (!data)
        return QStringLiteral("unreadable: ") + data.error();
    const Result<QString> hash = tensorsHash(data.value(), prefix);
    return hash ? hash.value() : hash.error();
}

QJsonArray TestResume::historyWithoutTime(const QString &checkpoint)
{
    const Result<QJsonObject> meta = readCheckpointMeta(checkpoint);
    if (!meta)
        return {};
    QJsonArray rows;
    for (const QJsonValue &v : meta.value().value(QStringLiteral("history")).toArray()) {
        QJsonObject row = v.toObject();
        row.remove(QStringLiteral("time"));
        rows.append(row);
    }
    return rows;
}

QStringList TestResume::resultRowsWithoutTime(const QString &runDir)
{
    QStringList rows;
    QFile f(runDir + QStringLiteral("/results.csv"));
    if (!f.open(QIODevice::ReadOnly))
        return rows;
    for (const QString &line :
         QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        QStringList cells = line.split(QLatin1Char(','));
        cells.removeAt(1); // time is wall-clock, everything else must match
        rows << cells.join(QLatin1Char(','));
    }
    return rows;
}

QByteArray TestResume::readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A copy of the uninterrupted run in runs/<name>; its epoch2.pt, or empty if a copy failed.
QString TestResume::copyOfReference(const QString &name) const
{
    const QString copy = m_dir.filePath(QStringLiteral("runs/") + name);
    QDirIterator it(m_reference, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString from = it.next();
        const QString to = copy + from.mid(m_reference.size());
        QDir().mkpath(QFileInfo(to).path());
        if (!QFile::copy(from, to))
            return {};
    }
    return copy + QStringLiteral("/weights/epoch2.pt");
}

void TestResume::initTestCase()
{
    QVERIFY(m_dir.isValid());
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 28; // 4 batches of 8, the last one short
    o.val = 8;
    o.imgsz = 64;
    QVERIFY(writeSynthDataset(o).isOk());
    m_yaml = o.dir + QStringLiteral("/data.yaml");

    Trainer reference(baseConfig(QStringLiteral("reference")));
    const RunFinished done = train(reference);
    QVERIFY2(!done.failed, qPrintable(done.message));
    m_reference = done.runDir;
    QVERIFY(QFile::exists(m_reference + QStringLiteral("/weights/epoch4.pt")));
}

void TestResume::branchFromOlderEpochIsExact()
{
    const QStringList filesBefore =
        QDir(m_reference + QStringLiteral("/weights")).entryList(QDir::Files);
    const QByteArray csvBefore = readAll(m_reference + QStringLiteral("/results.csv"));

    ResumePlan plan = ResumePlanner::plan(m_reference + QStringLiteral("/weights/epoch2.pt"), {});
    QVERIFY2(plan.mode == ResumePlan::Mode::Branch, qPrintable(plan.summary()));
    QCOMPARE(plan.runDir, m_reference + QStringLiteral("-from-e2"));
    QVERIFY(plan.exact);
    Trainer branch(plan);
    const RunFinished done = train(branch);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(done.runDir, m_reference + QStringLiteral("-from-e2"));

    const QString ours = done.runDir + QStringLiteral("/weights/epoch4.pt");
    const QString theirs = m_reference + QStringLiteral("/weights/epoch4.pt");
    QCOMPARE(hashOf(ours, "model."), hashOf(theirs, "model."));
    QCOMPARE(hashOf(ours, "ema."), hashOf(theirs, "ema."));
    QCOMPARE(resultRowsWithoutTime(done.runDir), resultRowsWithoutTime(m_reference));
    // The file's history: epochs 1-2 carried over from epoch2.pt, 3-4 added by the branch, each
    // as the uninterrupted run recorded it.
    const QJsonArray ourHistory = historyWithoutTime(ours);
    QCOMPARE(ourHistory.size(), 4);
    QCOMPARE(ourHistory, historyWithoutTime(theirs));
    for (int e = 0; e < 4; ++e)
        QCOMPARE(ourHistory[e].toObject().value(QStringLiteral("epoch")).toInt(), e + 1);
    // The original run folder is not modified by a branch.
    QCOMPARE(QDir(m_reference + QStringLiteral("/weights")).entryList(QDir::Files), filesBefore);
    QCOMPARE(readAll(m_reference + QStringLiteral("/results.csv")), csvBefore);
}

void TestResume::midEpochStopResumesExactlyWithOtherWorkers()
{
    Trainer first(baseConfig(QStringLiteral("stopped")));
    RecordingObserver observer;
    // Stop after the first batch of epoch 2: with accumulate 2 its gradient is not applied yet.
    observer.onBatch = [&](const BatchProgress &p) {
        if (p.epoch == 2 && p.batch == 1)
            first.requestStop();
    };
    const RunFinished stopped = train(first, &observer);
    QVERIFY2(!stopped.failed, qPrintable(stopped.message));
    QVERIFY(stopped.stopped);
    const QString last = stopped.runDir + QStringLiteral("/weights/last.pt");
    const CheckpointInfo info = readCheckpointInfo(last);
    QCOMPARE(info.kind, QStringLiteral("full"));
    QCOMPARE(info.epoch, 1);
    QCOMPARE(info.batch, 1);

    ResumePlan plan = ResumePlanner::plan(last, {{QStringLiteral("workers"), QStringLiteral("0")}});
    QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
    QVERIFY(plan.exact); // workers do not change a bit
    QCOMPARE(plan.config.workers, 0);
    Trainer resumed(plan);
    RecordingObserver after;
    const RunFinished done = train(resumed, &after);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(done.runDir, stopped.runDir); // continued in place
    QCOMPARE(after.started.front().startEpoch, 1);
    QCOMPARE(after.started.front().startBatch, 1);
    QCOMPARE(after.batches.front().batch, 2); // the first batch is not trained twice

    const QString ours = done.runDir + QStringLiteral("/weights/epoch4.pt");
    const QString theirs = m_reference + QStringLiteral("/weights/epoch4.pt");
    QCOMPARE(hashOf(ours, "model."), hashOf(theirs, "model."));
    QCOMPARE(hashOf(ours, "ema."), hashOf(theirs, "ema."));
    QCOMPARE(resultRowsWithoutTime(done.runDir), resultRowsWithoutTime(m_reference));
}

void TestResume::extendingEpochsContinuesTheSchedule()
{
    // Copy the reference run so the other tests keep an untouched one.
    const QString copy = m_dir.filePath(QStringLiteral("runs/extend"));
    QDir().mkpath(copy + QStringLiteral("/weights"));
    for (const QString &f :
         {QStringLiteral("results.csv"), QStringLiteral("args.yaml"),
          QStringLiteral("weights/epoch4.pt"), QStringLiteral("weights/last.pt")})
        QVERIFY(QFile::copy(m_reference + QLatin1Char('/') + f, copy + QLatin1Char('/') + f));

    // Without a higher epochs= there is nothing to do; that is said, not silently ignored.
    const ResumePlan finished = ResumePlanner::plan(copy + QStringLiteral("/weights/last.pt"), {});
    QVERIFY(finished.mode == ResumePlan::Mode::Refused);

    ResumePlan plan = ResumePlanner::plan(copy + QStringLiteral("/weights/last.pt"),
                                          {{QStringLiteral("epochs"), QStringLiteral("6")}});
    QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
    QVERIFY(plan.extends);
    QVERIFY(plan.exact);
    QCOMPARE(plan.epochs, 6);
    Trainer extended(plan);
    RecordingObserver observer;
    const RunFinished done = train(extended, &observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(int(observer.epochs.size()), 2);
    const QStringList rows = resultRowsWithoutTime(copy);
    QCOMPARE(rows.size(), 7); // header + 6 epochs, no duplicates
    // Rows 1..4 are the original run's.
    QCOMPARE(rows.mid(0, 5), resultRowsWithoutTime(m_reference));
    // lr/pg1 (weights) after each epoch: no jump at the resume point (neither back to the start
    // of the schedule nor down to lrf), then on towards the new end.
    auto lrOf = [&](int row) { return rows[row].split(QLatin1Char(',')).at(12).toDouble(); };
    const double ratio = lrOf(5) / lrOf(4);
    QVERIFY2(ratio > 0.7 && ratio < 1.3,
             qPrintable(QStringLiteral("%1 -> %2").arg(lrOf(4)).arg(lrOf(5))));
    QVERIFY(lrOf(6) != lrOf(5));
    QVERIFY(QFile::exists(copy + QStringLiteral("/weights/epoch6.pt")));
}

void TestResume::mathOverridesAreRefusedUnlessForced()
{
    const QString epoch2 = m_reference + QStringLiteral("/weights/epoch2.pt");
    const ResumePlan refused =
        ResumePlanner::plan(epoch2, {{QStringLiteral("batch"), QStringLiteral("4")},
                                     {QStringLiteral("lr0"), QStringLiteral("0.02")}});
    QVERIFY(refused.mode == ResumePlan::Mode::Refused);
    const QString why = refused.problems.join(QLatin1Char(' '));
    QVERIFY2(why.contains(QStringLiteral("batch")) && why.contains(QStringLiteral("lr0")) &&
                 why.contains(QStringLiteral("force=true")),
             qPrintable(why));

    ResumePlan forced =
        ResumePlanner::plan(epoch2, {{QStringLiteral("batch"), QStringLiteral("4")},
                                     {QStringLiteral("epochs"), QStringLiteral("3")},
                                     {QStringLiteral("force"), QStringLiteral("true")}});
    // epochs=3 is lower than the run's 4: never allowed.
    QVERIFY(forced.mode == ResumePlan::Mode::Refused);
    forced = ResumePlanner::plan(epoch2, {{QStringLiteral("batch"), QStringLiteral("4")},
                                          {QStringLiteral("force"), QStringLiteral("true")}});
    QVERIFY2(forced.mode == ResumePlan::Mode::Branch, qPrintable(forced.summary()));
    QVERIFY(!forced.exact);
    QCOMPARE(forced.overridden, QStringList{QStringLiteral("batch")});
    QVERIFY(forced.summary().contains(QStringLiteral("NOT exact")));
    QCOMPARE(forced.config.batch, 4);

    Trainer trainer(forced);
    RecordingObserver observer;
    const RunFinished done = train(trainer, &observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QVERIFY(!observer.started.front().exact);
    const Result<QJsonObject> meta =
        readCheckpointMeta(done.runDir + QStringLiteral("/weights/last.pt"));
    QVERIFY(meta.isOk());
    QCOMPARE(meta.value().value(QStringLiteral("exact")).toBool(true), false);
}

void TestResume::finishedRunAsksForMoreEpochs()
{
    const ResumePlan plan =
        ResumePlanner::plan(m_reference + QStringLiteral("/weights/epoch4.pt"), {});
    QVERIFY(plan.mode == ResumePlan::Mode::Refused);
    QVERIFY2(plan.summary().contains(QStringLiteral("raise epochs=")), qPrintable(plan.summary()));
}

void TestResume::weightsOnlyFileOffersFineTuning()
{
    TrainConfig c = baseConfig(QStringLiteral("stripped"));
    c.epochs = 1;
    c.strip = true;
    Trainer trainer(c);
    const RunFinished done = train(trainer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    const QString best = done.runDir + QStringLiteral("/weights/best.pt");
    QCOMPARE(readCheckpointInfo(best).kind, QStringLiteral("weights"));
    const ResumePlan plan = ResumePlanner::plan(best, {});
    QVERIFY(plan.mode == ResumePlan::Mode::FineTune);
    QVERIFY2(plan.summary().contains(QStringLiteral("cannot be resumed")) &&
                 plan.summary().contains(QStringLiteral("model=")),
             qPrintable(plan.summary()));
    // A Trainer given such a plan refuses to start rather than pretending to resume.
    Trainer refused(plan);
    const RunFinished r = train(refused);
    QVERIFY(r.failed);
    // The final epochN.pt of a stripped run stays full, so it can always be extended.
    QCOMPARE(readCheckpointInfo(done.runDir + QStringLiteral("/weights/epoch1.pt")).kind,
             QStringLiteral("full"));
}

void TestResume::unusableFilesAreRefusedWithOneLine_data()
{
    QTest::addColumn<QString>("path");
    const QString dir = m_dir.filePath(QStringLiteral("bad"));
    QDir().mkpath(dir);
    auto write = [&](const QString &name, const QByteArray &bytes) {
        QFile f(dir + QLatin1Char('/') + name);
        f.open(QIODevice::WriteOnly);
        f.write(bytes);
        return f.fileName();
    };
    const QByteArray good = readAll(m_reference + QStringLiteral("/weights/epoch1.pt"));
    QTest::newRow("empty") << write(QStringLiteral("empty.pt"), QByteArray());
    QTest::newRow("text") << write(QStringLiteral("notes.pt"),
                                   "epoch: 3\nthis is not a checkpoint\n");
    QTest::newRow("png") << write(QStringLiteral("image.pt"),
                                  QByteArray("\x89PNG\r\n\x1a\n", 8) + QByteArray(64, 'x'));
    QTest::newRow("truncated") << write(QStringLiteral("truncated.pt"), good.left(good.size() / 2));
    QTest::newRow("missing") << dir + QStringLiteral("/nope.pt");
}

void TestResume::unusableFilesAreRefusedWithOneLine()
{
    QFETCH(QString, path);
    const ResumePlan plan = ResumePlanner::plan(path, {});
    QVERIFY(plan.mode == ResumePlan::Mode::Refused);
    const QString message = plan.summary();
    QVERIFY2(message.contains(QFileInfo(path).fileName()), qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(message));
}

void TestResume::resumeTrueFindsNewestLast()
{
    const Result<QString> newest =
        ResumePlanner::newestLastCheckpoint(m_dir.filePath(QStringLiteral("runs")));
    QVERIFY(newest.isOk());
    QVERIFY(newest.value().endsWith(QStringLiteral("/weights/last.pt")));
    const Result<QString> none =
        ResumePlanner::newestLastCheckpoint(m_dir.filePath(QStringLiteral("synth")));
    QVERIFY(!none.isOk());
    QVERIFY(none.error().contains(QStringLiteral("no last.pt")));
}

void TestResume::killedProcessLeavesResumableCheckpoints()
{
    // SIGKILL at random instants of a CLI run that saves a checkpoint several times per second:
    // whatever was finished stays readable, nothing half-written sits under a final name, and the
    // newest last.pt resumes.
    const QString project = m_dir.filePath(QStringLiteral("killed"));
    QRandomGenerator rng(1234);
    int killedWithFiles = 0;
    for (int attempt = 0; attempt < 6; ++attempt) {
        QProcess cli;
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(QStringLiteral(YOLODECK_CLI),
                  {QStringLiteral("train"), QStringLiteral("data=") + m_yaml,
                   QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                   QStringLiteral("batch=8"), QStringLiteral("epochs=50"),
                   QStringLiteral("save_period=1"), QStringLiteral("workers=1"),
                   QStringLiteral("threads=1"), QStringLiteral("project=") + project,
                   QStringLiteral("name=run%1").arg(attempt), QStringLiteral("exist_ok=true")});
        QVERIFY(cli.waitForStarted());
        QTest::qWait(1500 + int(rng.bounded(3000)));
        cli.kill();
        cli.waitForFinished();
        const QString weights = project + QStringLiteral("/run%1/weights").arg(attempt);
        const std::vector<CheckpointInfo> list = listCheckpoints(weights);
        for (const CheckpointInfo &info : list) {
            QVERIFY2(info.isValid(), qPrintable(info.error));
            const Result<CheckpointData> loaded = loadCheckpoint(info.path);
            QVERIFY2(loaded.isOk(), qPrintable(loaded.error()));
        }
        // Only hidden temporary files may be incomplete; they never carry a final name.
        QDirIterator it(weights, QDir::Files | QDir::Hidden);
        while (it.hasNext()) {
            const QString name = QFileInfo(it.next()).fileName();
            QVERIFY2(name.endsWith(QLatin1String(".pt")) || name.startsWith(QLatin1Char('.')),
                     qPrintable(name));
        }
        if (QFile::exists(weights + QStringLiteral("/last.pt"))) {
            ++killedWithFiles;
            const ResumePlan plan = ResumePlanner::plan(weights + QStringLiteral("/last.pt"), {});
            QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
        }
    }
    QVERIFY2(killedWithFiles >= 3, "the process was killed before writing anything too often");
}

// The thread policy of yolodeck-cli (OPENBLAS_NUM_THREADS=1) changes how many threads OpenBLAS
// uses, never a weight: the CLI under the policy and under
// the libraries' defaults reaches the in-process reference's epoch2.pt bit for bit.
void TestResume::threadPolicyLeavesTheWeightsAlone()
{
    const QString theirs = m_reference + QStringLiteral("/weights/epoch2.pt");
    for (const bool policy : {true, false}) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char *name : {"OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS",
                                 "YOLODECK_THREAD_POLICY", "YOLODECK_THREAD_POLICY_SET"})
            env.remove(QString::fromLatin1(name));
        if (!policy)
            env.insert(QStringLiteral("YOLODECK_THREAD_POLICY"), QStringLiteral("0"));
        const QString name = policy ? QStringLiteral("cli-policy") : QStringLiteral("cli-off");
        QProcess cli;
        cli.setProcessEnvironment(env);
        cli.setProcessChannelMode(QProcess::MergedChannels);
        cli.start(QStringLiteral(YOLODECK_CLI),
                  {QStringLiteral("train"), QStringLiteral("data=") + m_yaml,
                   QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                   QStringLiteral("batch=8"), QStringLiteral("nbs=16"),
                   QStringLiteral("warmup_epochs=1"), QStringLiteral("close_mosaic=1"),
                   QStringLiteral("epochs=4"), QStringLiteral("save_period=1"),
                   QStringLiteral("strip=false"), QStringLiteral("workers=2"),
                   QStringLiteral("threads=2"),
                   QStringLiteral("project=") + m_dir.filePath(QStringLiteral("runs")),
                   QStringLiteral("name=") + name});
        QVERIFY(cli.waitForStarted());
        // Two epochs are enough: stop there (SIGINT saves last.pt and ends the run).
        const QString ours = m_dir.filePath(QStringLiteral("runs/%1/weights/epoch2.pt").arg(name));
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(ours) || cli.state() == QProcess::NotRunning,
                                 120000);
        cli.terminate();
        QVERIFY(cli.waitForFinished(60000));
        QVERIFY2(QFile::exists(ours), cli.readAll().constData());
        QCOMPARE(hashOf(ours, "model."), hashOf(theirs, "model."));
        QCOMPARE(hashOf(ours, "ema."), hashOf(theirs, "ema."));
    }
}

// OpenBLAS's thread count can move figures in their last digits: a checkpoint records it and a
// resume under another count says so (the tests run with OPENBLAS_NUM_THREADS=1, the programs'
// policy).
void TestResume::openBlasThreadsAreRecordedAndChecked()
{
    const QString epoch2 = m_reference + QStringLiteral("/weights/epoch2.pt");
    QCOMPARE(readCheckpointInfo(epoch2).meta.value(QStringLiteral("blas_threads")).toInt(), 1);
    const ResumePlan same = ResumePlanner::plan(epoch2, {});
    QVERIFY2(same.checks.contains(QStringLiteral("same OpenBLAS threads (1)")),
             qPrintable(same.summary()));
    QVERIFY2(same.exact, qPrintable(same.summary()));

    // A copy of the run whose epoch2.pt was written with 2 OpenBLAS threads.
    const QString file = copyOfReference(QStringLiteral("blas2"));
    QVERIFY(!file.isEmpty());
    Result<CheckpointData> d = loadCheckpoint(file);
    QVERIFY(d.isOk());
    d.value().meta.insert(QStringLiteral("blas_threads"), 2);
    QVERIFY(saveCheckpointAtomically(file, d.value()).isOk());
    const ResumePlan other = ResumePlanner::plan(file, {});
    QVERIFY2(other.warnings.contains(
                 QStringLiteral("OpenBLAS threads 2 -> 1: figures may differ in their last digits "
                                "(OPENBLAS_NUM_THREADS=2 restores them)")),
             qPrintable(other.summary()));
}

// The CPU training engine (oneDNN's blocked maps or LibTorch's) sums in its own order, so it is
// part of the state like the thread count: recorded in every checkpoint, kept by a resume (a
// checkpoint from before the oneDNN engine was trained by LibTorch and continues on it), and
// changed only with force=true.
void TestResume::trainingEngineIsPartOfTheState()
{
    // What engine=auto picks in this build: oneDNN where the build has it.
    YoloModel probe(*modelScale(QStringLiteral("tiny")), 1);
    const QString expected =
        probe->useOneDnnTraining(true) ? QStringLiteral("oneDNN") : QStringLiteral("LibTorch");
    const QString epoch2 = m_reference + QStringLiteral("/weights/epoch2.pt");
    QCOMPARE(readCheckpointInfo(epoch2).meta.value(QStringLiteral("engine")).toString(), expected);
    const ResumePlan same = ResumePlanner::plan(epoch2, {});
    QCOMPARE(same.config.engine, expected.toLower());
    QVERIFY2(same.checks.contains(QStringLiteral("same training engine (%1)").arg(expected)),
             qPrintable(same.summary()));
    const QString other =
        expected == QLatin1String("oneDNN") ? QStringLiteral("libtorch") : QStringLiteral("onednn");
    const ResumePlan refused = ResumePlanner::plan(epoch2, {{QStringLiteral("engine"), other}});
    QCOMPARE(refused.mode, ResumePlan::Mode::Refused);
    QVERIFY2(refused.summary().contains(
                 QStringLiteral("engine (%1 -> %2)").arg(expected.toLower(), other)),
             qPrintable(refused.summary()));

    // A checkpoint written before the engine existed names none: LibTorch trained it.
    const QString file = copyOfReference(QStringLiteral("before-engines"));
    QVERIFY(!file.isEmpty());
    Result<CheckpointData> d = loadCheckpoint(file);
    QVERIFY(d.isOk());
    d.value().meta.remove(QStringLiteral("engine"));
    QVERIFY(saveCheckpointAtomically(file, d.value()).isOk());
    const ResumePlan old = ResumePlanner::plan(file, {});
    QCOMPARE(old.config.engine, QStringLiteral("libtorch"));
    QVERIFY2(old.checks.contains(QStringLiteral("same training engine (LibTorch)")),
             qPrintable(old.summary()));
    // Branches from epoch 2 (a newer last.pt is in the folder) and trains epochs 3 and 4.
    QVERIFY2(old.mode == ResumePlan::Mode::Branch, qPrintable(old.summary()));
    Trainer trainer(old);
    RecordingObserver observer;
    const RunFinished done = train(trainer, &observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(observer.started.front().engine, QStringLiteral("LibTorch"));
    QCOMPARE(readCheckpointInfo(done.runDir + QStringLiteral("/weights/epoch3.pt"))
                 .meta.value(QStringLiteral("engine"))
                 .toString(),
             QStringLiteral("LibTorch"));
}

void TestResume::nonFiniteLossIsSkipped()
{
    TrainConfig c = baseConfig(QStringLiteral("one-nan"));
    c.epochs = 2;
    Trainer trainer(c);
    trainer.setNonFiniteLossInjector([](int epoch, int batch) { return epoch == 1 && batch == 3; });
    RecordingObserver observer;
    const RunFinished done = train(trainer, &observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    int skipped = 0;
    for (const BatchProgress &p : observer.batches)
        skipped += p.skipped ? 1 : 0;
    QCOMPARE(skipped, 1);
    QVERIFY(observer.warnings.join(QLatin1Char(' '))
                .contains(QStringLiteral("epoch 1 batch 3: non-finite loss")));
    // Nothing non-finite reached the weights, the EMA or the file.
    Result<CheckpointData> last =
        loadCheckpoint(done.runDir + QStringLiteral("/weights/epoch2.pt"));
    QVERIFY(last.isOk());
    for (const auto &[key, t] : last.value().tensors) {
        if (t.is_floating_point())
            QVERIFY2(torch::isfinite(t).all().item<bool>(), key.c_str());
    }
    // The epoch's mean loss is finite too.
    for (const EpochFinished &e : observer.epochs)
        QVERIFY(std::isfinite(e.record.trainLoss[0]));
}

void TestResume::repeatedNonFiniteLossStopsWithGoodCheckpoint()
{
    TrainConfig c = baseConfig(QStringLiteral("diverged"));
    c.epochs = 10;
    Trainer trainer(c);
    trainer.setNonFiniteLossInjector([](int epoch, int) { return epoch >= 2; });
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY(done.failed);
    QVERIFY2(done.message.contains(QStringLiteral("non-finite")) &&
                 done.message.contains(QStringLiteral("last.pt")),
             qPrintable(done.message));
    // The run stopped within the limit of consecutive bad batches (10, with 4 batches per epoch),
    // and last.pt holds finite weights that resume.
    QVERIFY(int(observer.epochs.size()) <= 4);
    const QString last = done.runDir + QStringLiteral("/weights/last.pt");
    const CheckpointInfo info = readCheckpointInfo(last);
    QVERIFY2(info.isValid(), qPrintable(info.error));
    QVERIFY(info.epoch >= 1);
    Result<CheckpointData> data = loadCheckpoint(last);
    QVERIFY(data.isOk());
    for (const auto &[key, t] : data.value().tensors) {
        if (t.is_floating_point())
            QVERIFY2(torch::isfinite(t).all().item<bool>(), key.c_str());
    }
    // An epoch with no finite batch reports NaN, not a perfect-looking 0.
    QVERIFY(std::isnan(observer.epochs.back().record.trainLoss[0]));
    const ResumePlan plan = ResumePlanner::plan(last, {});
    QVERIFY2(plan.mode == ResumePlan::Mode::Continue, qPrintable(plan.summary()));
}

QTEST_GUILESS_MAIN(TestResume)
#include "tst_resume.moc"
