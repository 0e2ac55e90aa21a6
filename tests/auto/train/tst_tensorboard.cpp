// The TensorBoard file of a run (issue: the resume checklist), read back by an independent
// reader: Ultralytics' tags at step = epoch with results.csv's values, batch losses at step =
// global batch, and a branch that purges the later points of the run it came from.
#include "../runlog/tfeventsreader.h"
#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "recordingobserver.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

using namespace yolodeck;

namespace {

// tag -> step -> value, and the steps of SessionLog START records.
struct Scalars
{
    std::map<QString, std::map<int, double>> values;
    QList<int> purges;
    QString fileVersion;
};

Scalars readRun(const QString &runDir, QString *error)
{
    Scalars out;
    const QStringList files =
        QDir(runDir).entryList({QStringLiteral("events.out.tfevents.*")}, QDir::Files, QDir::Name);
    if (files.size() != 1) {
        *error = QStringLiteral("%1 event files in %2").arg(files.size()).arg(runDir);
        return out;
    }
    for (const QJsonObject &r : readTfEvents(runDir + QLatin1Char('/') + files.front(), error)) {
        if (r.contains(QStringLiteral("file_version")))
            out.fileVersion = r.value(QStringLiteral("file_version")).toString();
        if (r.value(QStringLiteral("session_log_status")).toInt() == 1)
            out.purges << r.value(QStringLiteral("step")).toInt();
        for (const QJsonValue &v : r.value(QStringLiteral("scalars")).toArray())
            out.values[v.toArray().at(0).toString()][r.value(QStringLiteral("step")).toInt()] =
                v.toArray().at(1).toDouble();
    }
    return out;
}

} // namespace

class TestTensorBoard : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runWritesUltralyticsTags();
    void branchPurgesTheLaterPoints();
    void tensorboardFalseWritesNone();

private:
    TrainConfig config(const QString &name);
    QTemporaryDir m_dir;
    QString m_run;
};

TrainConfig TestTensorBoard::config(const QString &name)
{
    if (!QFile::exists(m_dir.filePath(QStringLiteral("synth/data.yaml")))) {
        SynthOptions o;
        o.dir = m_dir.filePath(QStringLiteral("synth"));
        o.train = 32;
        o.val = 8;
        o.imgsz = 64;
        writeSynthDataset(o);
    }
    TrainConfig c;
    c.data = m_dir.filePath(QStringLiteral("synth/data.yaml"));
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.epochs = 3;
    c.workers = 1;
    c.savePeriod = 1;
    c.strip = false;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = name;
    return c;
}

void TestTensorBoard::runWritesUltralyticsTags()
{
    Trainer trainer(config(QStringLiteral("tb")));
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    m_run = done.runDir;
    QString error;
    const Scalars s = readRun(done.runDir, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(s.fileVersion, QStringLiteral("brain.Event:2"));
    QVERIFY(s.purges.isEmpty()); // a new run purges nothing
    const History history =
        RunLog::readResults(done.runDir + QStringLiteral("/results.csv")).value();
    QCOMPARE(int(history.size()), 3);
    for (const QString &tag : {QStringLiteral("train/box_loss"), QStringLiteral("val/cls_loss"),
                               QStringLiteral("metrics/mAP50(B)"),
                               QStringLiteral("metrics/mAP50-95(B)"), QStringLiteral("lr/pg0")}) {
        QVERIFY2(s.values.count(tag), qPrintable(tag));
        QCOMPARE(int(s.values.at(tag).size()), 3);
        for (const EpochRecord &r : history) {
            const double expected = r.toJson().value(tag).toDouble();
            // simple_value is a float; results.csv keeps 6 significant digits.
            QVERIFY2(qAbs(s.values.at(tag).at(r.epoch) - expected) <=
                         1e-5 * qMax(1.0, qAbs(expected)),
                     qPrintable(QStringLiteral("%1 epoch %2").arg(tag).arg(r.epoch)));
        }
    }
    // Batch losses at step = global batch: 4 batches per epoch, 3 epochs.
    QCOMPARE(int(s.values.at(QStringLiteral("batch/box_loss")).size()), 12);
    QCOMPARE(s.values.at(QStringLiteral("batch/box_loss")).begin()->first, 1);
    QCOMPARE(s.values.at(QStringLiteral("batch/box_loss")).rbegin()->first, 12);
    QCOMPARE(float(s.values.at(QStringLiteral("batch/cls_loss")).at(5)),
             float(observer.batches[4].loss[1]));
}

void TestTensorBoard::branchPurgesTheLaterPoints()
{
    QVERIFY2(!m_run.isEmpty(), "needs runWritesUltralyticsTags");
    ResumePlan plan = ResumePlanner::plan(m_run + QStringLiteral("/weights/epoch1.pt"), {});
    QVERIFY2(plan.mode == ResumePlan::Mode::Branch, qPrintable(plan.summary()));
    Trainer trainer(plan);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QString error;
    const Scalars s = readRun(done.runDir, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(s.purges, QList<int>{5}); // the first batch of epoch 2
    // The branch's folder holds its whole curve: epoch 1 from its history, then 2 and 3.
    QCOMPARE(int(s.values.at(QStringLiteral("train/box_loss")).size()), 3);
    QCOMPARE(s.values.at(QStringLiteral("batch/box_loss")).begin()->first, 5);
}

void TestTensorBoard::tensorboardFalseWritesNone()
{
    TrainConfig c = config(QStringLiteral("no-tb"));
    c.epochs = 1;
    c.tensorboard = false;
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QVERIFY(QDir(done.runDir).entryList({QStringLiteral("events.out.tfevents.*")}).isEmpty());
}

QTEST_GUILESS_MAIN(TestTensorBoard)
#include "tst_tensorboard.moc"
