// Training from Ultralytics files: fine-tuning from pretrained weights (the head starts fresh when
// the class count differs; the first validation equals `val` of the weights) and continuing an
// Ultralytics last.pt in a new YoloDeck run folder. The files come from
// make_ultralytics_files.py (/usr/bin/python3 with python3-torch), the data from the built-in
// generator with the same three class names as the files' custom run.

#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/model/detectionloss.h"
#include "core/runlog/runlog.h"
#include "core/train/modelstate.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "core/train/validator.h"

#include "../train/recordingobserver.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "ultralyticsfiles.h"

using namespace yolodeck;

namespace {

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

std::vector<QJsonObject> eventsOfType(const QString &runDir, const QString &type)
{
    std::vector<QJsonObject> out;
    QFile f(runDir + QStringLiteral("/events.jsonl"));
    if (!f.open(QIODevice::ReadOnly))
        return out;
    while (!f.atEnd()) {
        const QJsonObject e = QJsonDocument::fromJson(f.readLine()).object();
        if (e.value(QStringLiteral("type")).toString() == type)
            out.push_back(e);
    }
    return out;
}

} // namespace

class TestUltralyticsTraining : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void fineTuneFromPretrainedStartsTheHeadFresh();
    void fineTuneStartsWhereValSays();
    void continueUltralyticsLastPt();
    void continueAdamWRunOutsideARunFolder();
    void strippedFileOffersFineTune();

private:
    TrainConfig tinyRun(const QString &model, const QString &name) const;
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
    QString m_yaml;
};

void TestUltralyticsTraining::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString failed = makeUltralyticsFiles(m_dir.path());
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    SynthOptions synth;
    synth.dir = file(QStringLiteral("shapes"));
    synth.train = 16;
    synth.val = 8;
    synth.imgsz = 64;
    synth.classes = 3; // red circle, green square, blue triangle: the names of best.pt/last.pt
    QVERIFY(writeSynthDataset(synth));
    m_yaml = synth.dir + QStringLiteral("/data.yaml");
}

TrainConfig TestUltralyticsTraining::tinyRun(const QString &model, const QString &name) const
{
    TrainConfig c;
    c.model = model;
    c.data = m_yaml;
    c.epochs = 1;
    c.batch = 8;
    c.imgsz = 64;
    c.workers = 1;
    c.threads = 2;
    c.mosaic = 0;
    c.project = file(QStringLiteral("runs"));
    c.name = name;
    return c;
}

void TestUltralyticsTraining::fineTuneFromPretrainedStartsTheHeadFresh()
{
    // COCO's 80 classes in the file, 3 in the data: the class branch of the head (its width
    // follows the class count) is re-initialised, everything else is transferred.
    Trainer trainer(tinyRun(file(QStringLiteral("yolov8n.pt")), QStringLiteral("coco")));
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(observer.started.front().mode, QStringLiteral("fine-tune"));
    bool said = false;
    for (const QString &info : observer.infos)
        said |= info.contains(QStringLiteral("Transferred 319/355 items from yolov8n.pt")) &&
                info.contains(QStringLiteral("80 classes in the file, 3 in the data"));
    QVERIFY2(said, qPrintable(observer.infos.join(QLatin1Char('\n'))));
}

void TestUltralyticsTraining::fineTuneStartsWhereValSays()
{
    const QString weights = file(QStringLiteral("best.pt"));
    Trainer trainer(tinyRun(weights, QStringLiteral("custom")));
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    bool said = false;
    for (const QString &info : observer.infos)
        said |= info.contains(QStringLiteral("Transferred 355/355 items from best.pt"));
    QVERIFY(said);
    const std::vector<QJsonObject> baseline = eventsOfType(done.runDir, QStringLiteral("baseline"));
    QCOMPARE(baseline.size(), size_t(1));

    // `val` of the same file on the same split, imgsz and batch (twice the training batch).
    Result<LoadedModel> loaded = loadModelForInference(weights, torch::kCPU);
    QVERIFY2(loaded, qPrintable(loaded.error()));
    const Result<DatasetConfig> config = DatasetConfig::load(m_yaml);
    const Result<Dataset> dataset = Dataset::scan(config.value(), Split::Val);
    QVERIFY(dataset);
    ValidationOptions vo;
    vo.imgsz = 64;
    vo.batch = 16;
    vo.workers = 1;
    Validator validator(dataset.value(), vo);
    const DetectionLoss criterion(3, loaded.value().model->strides(), LossGains{},
                                  loaded.value().model->regMax());
    const ValidationOutput val = validator.run(*loaded.value().model, torch::kCPU, &criterion);
    const QJsonObject &b = baseline.front();
    QCOMPARE(b.value(QStringLiteral("metrics/mAP50(B)")).toDouble(), val.metrics.map50);
    QCOMPARE(b.value(QStringLiteral("metrics/mAP50-95(B)")).toDouble(), val.metrics.map50_95);
    QCOMPARE(b.value(QStringLiteral("metrics/precision(B)")).toDouble(), val.metrics.precision);
    QCOMPARE(b.value(QStringLiteral("metrics/recall(B)")).toDouble(), val.metrics.recall);
    QCOMPARE(b.value(QStringLiteral("val/box_loss")).toDouble(), val.loss[0]);
    QVERIFY(val.loss[0] > 0);
}

void TestUltralyticsTraining::continueUltralyticsLastPt()
{
    const QString runDir = file(QStringLiteral("runs/detect/train"));
    const QString last = runDir + QStringLiteral("/weights/last.pt");
    const QByteArray before = fileHash(last);

    // The data.yaml the Ultralytics run used is not on this machine: the plan says how to fix it.
    const ResumePlan missing = ResumePlanner::plan(last, {});
    QCOMPARE(missing.mode, ResumePlan::Mode::Refused);
    QVERIFY2(missing.problems.join(QLatin1Char(' ')).contains(QStringLiteral("give data=")),
             qPrintable(missing.problems.join(QLatin1Char(' '))));

    const ResumePlan plan =
        ResumePlanner::plan(last, {{QStringLiteral("data"), m_yaml},
                                   {QStringLiteral("epochs"), QStringLiteral("6")},
                                   {QStringLiteral("workers"), QStringLiteral("1")},
                                   {QStringLiteral("threads"), QStringLiteral("2")},
                                   {QStringLiteral("mosaic"), QStringLiteral("0")}});
    QVERIFY2(plan.problems.isEmpty(), qPrintable(plan.problems.join(QLatin1Char(' '))));
    QCOMPARE(plan.mode, ResumePlan::Mode::Branch);
    QVERIFY(!plan.exact);
    QCOMPARE(plan.runDir, runDir + QStringLiteral("-yolodeck"));
    QCOMPARE(plan.config.optimizer, QStringLiteral("SGD"));
    QCOMPARE(plan.config.imgsz, 64);
    QCOMPARE(plan.config.batch, 8); // from train_args
    QVERIFY(plan.summary().contains(QStringLiteral("NOT exact")));
    // Ultralytics keys without a YoloDeck counterpart are named only when they change the math
    // (this run has mixup=0.0, rect=False, ...; plots=True or tracker never matter).
    for (const QString &w : plan.warnings)
        QVERIFY2(!w.contains(QStringLiteral("does not apply")), qPrintable(w));

    Trainer trainer(plan);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(done.runDir, plan.runDir);
    QCOMPARE(observer.started.front().startEpoch, 5);
    QVERIFY(!observer.started.front().exact);
    // The SGD momentum of every parameter that had one (the frozen DFL weight has none).
    bool restored = false;
    for (const QString &info : observer.infos)
        restored |=
            info.contains(QStringLiteral("Ultralytics SGD state restored for 183 parameters"));
    QVERIFY2(restored, qPrintable(observer.infos.join(QLatin1Char('\n'))));
    QCOMPARE(observer.epochs.size(), size_t(1));
    QCOMPARE(observer.epochs.front().record.epoch, 6);

    // results.csv: Ultralytics' five rows, then YoloDeck's sixth.
    const Result<History> ours = RunLog::readResults(plan.runDir + QStringLiteral("/results.csv"));
    QVERIFY2(ours, qPrintable(ours.error()));
    QCOMPARE(int(ours.value().size()), 6);
    const Result<History> theirs = RunLog::readResults(runDir + QStringLiteral("/results.csv"));
    QVERIFY2(theirs, qPrintable(theirs.error()));
    QCOMPARE(int(theirs.value().size()), 5);
    for (int k = 0; k < 5; ++k) {
        QCOMPARE(ours.value()[size_t(k)].epoch, k + 1);
        QCOMPARE(ours.value()[size_t(k)].map50, theirs.value()[size_t(k)].map50);
        QCOMPARE(ours.value()[size_t(k)].trainLoss, theirs.value()[size_t(k)].trainLoss);
    }
    // The Ultralytics run is never written to.
    QCOMPARE(fileHash(last), before);
    QVERIFY(!QFile::exists(runDir + QStringLiteral("/events.jsonl")));
    // The new last.pt is YoloDeck's own, resumable, and marked not exact.
    const CheckpointInfo info =
        readCheckpointInfo(plan.runDir + QStringLiteral("/weights/epoch6.pt"));
    QVERIFY2(info.isResumable(), qPrintable(info.error));
    QCOMPARE(info.source, QStringLiteral("yolodeck"));
    QVERIFY(!info.meta.value(QStringLiteral("exact")).toBool(true));
}

void TestUltralyticsTraining::continueAdamWRunOutsideARunFolder()
{
    // A last.pt copied out of its run folder: the new run goes beside it, named after the file;
    // AdamW's two moments and step move onto the same parameters.
    const QString last = file(QStringLiteral("last-adamw.pt"));
    const ResumePlan plan =
        ResumePlanner::plan(last, {{QStringLiteral("data"), m_yaml},
                                   {QStringLiteral("epochs"), QStringLiteral("6")},
                                   {QStringLiteral("workers"), QStringLiteral("1")},
                                   {QStringLiteral("threads"), QStringLiteral("2")}});
    QVERIFY2(plan.problems.isEmpty(), qPrintable(plan.problems.join(QLatin1Char(' '))));
    QCOMPARE(plan.runDir, file(QStringLiteral("last-adamw-yolodeck")));
    QCOMPARE(plan.config.optimizer, QStringLiteral("AdamW"));
    QCOMPARE(plan.config.lr0, 0.001);      // the group's initial_lr
    QCOMPARE(plan.config.momentum, 0.937); // beta1
    Trainer trainer(plan);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    bool restored = false;
    for (const QString &info : observer.infos)
        restored |=
            info.contains(QStringLiteral("Ultralytics AdamW state restored for 183 parameters"));
    QVERIFY2(restored, qPrintable(observer.infos.join(QLatin1Char('\n'))));
    QCOMPARE(observer.epochs.back().record.epoch, 6);
}

void TestUltralyticsTraining::strippedFileOffersFineTune()
{
    const ResumePlan plan = ResumePlanner::plan(file(QStringLiteral("best.pt")), {});
    QCOMPARE(plan.mode, ResumePlan::Mode::FineTune);
    QVERIFY2(plan.problems.join(QLatin1Char(' ')).contains(QStringLiteral("fine-tune from it")),
             qPrintable(plan.problems.join(QLatin1Char(' '))));
}

QTEST_GUILESS_MAIN(TestUltralyticsTraining)
#include "tst_ultralyticstraining.moc"
