#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/model/detectionloss.h"
#include "core/model/onednnforward.h"
#include "core/runlog/runlog.h"
#include "core/train/modelstate.h"
#include "core/train/trainer.h"
#include "core/train/validator.h"
#include "recordingobserver.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

class TestTrainer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void tinyModelLearnsSyntheticShapes();
    void bluelineRunWritesEveryArtefact();
    void badDataFailsWithAMessage_data();
    void badDataFailsWithAMessage();
    void fineTuneFromWeightsSaysSo();
    void fusedValidationMeasuresTheSame();

private:
    QTemporaryDir m_dir;
    QString m_synthYaml;
    QString m_lastRun;
};

void TestTrainer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 128;
    o.val = 32;
    o.imgsz = 64;
    o.classes = 3;
    QVERIFY(writeSynthDataset(o).isOk());
    m_synthYaml = o.dir + QStringLiteral("/data.yaml");
}

void TestTrainer::tinyModelLearnsSyntheticShapes()
{
    // The end-to-end promise: data, model, loss, optimizer, EMA and validation work together well
    // enough that a tiny model learns the demo shapes within seconds.
    TrainConfig c;
    c.data = m_synthYaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    // One optimizer step per batch (Ultralytics accumulates to nbs=64 images, which would leave a
    // 96-image run two steps per epoch), no warmup, no mosaic: learning fast is what is tested.
    c.nbs = 8;
    c.warmupEpochs = 0;
    c.mosaic = 0;
    c.epochs = 12;
    c.workers = 2;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("learn");
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(int(observer.epochs.size()), 12);
    const double first = observer.epochs.front().record.map50;
    const double last = observer.epochs.back().record.map50;
    qInfo("mAP50 epoch 1: %.3f, epoch 12: %.3f", first, last);
    QVERIFY2(last > 0.5, qPrintable(QStringLiteral("final mAP50 %1").arg(last)));
    QVERIFY(observer.epochs.back().record.trainLoss[0] <
            observer.epochs.front().record.trainLoss[0]);
    m_lastRun = done.runDir;
}

void TestTrainer::bluelineRunWritesEveryArtefact()
{
    const QString yaml = QStringLiteral(YOLODECK_SHARED_DIR "/datasets/blueline/data.yaml");
    QVERIFY2(QFile::exists(yaml), qPrintable(yaml));
    TrainConfig c;
    c.data = yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 16;
    c.epochs = 2;
    c.savePeriod = 1;
    c.workers = 2;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("blueline");
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    const QDir run(done.runDir);

    // args.yaml holds the whole configuration.
    QFile args(run.filePath(QStringLiteral("args.yaml")));
    QVERIFY(args.open(QIODevice::ReadOnly));
    const QString argsText = QString::fromUtf8(args.readAll());
    QVERIFY(argsText.contains(QStringLiteral("epochs: 2\n")));
    QVERIFY(argsText.contains(QStringLiteral("data: '")) ||
            argsText.contains(QStringLiteral("data: /")));

    // results.csv: Ultralytics' exact header, one row per epoch, 1-based.
    QFile csv(run.filePath(QStringLiteral("results.csv")));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines =
        QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines[0], QStringLiteral("epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,"
                                      "metrics/precision(B),metrics/recall(B),metrics/mAP50(B),"
                                      "metrics/mAP50-95(B),val/box_loss,val/cls_loss,val/dfl_loss,"
                                      "lr/pg0,lr/pg1,lr/pg2"));
    QVERIFY(lines[1].startsWith(QStringLiteral("1,")));
    QVERIFY(lines[2].startsWith(QStringLiteral("2,")));

    // events.jsonl: one JSON object per line, with the run's milestones.
    QFile events(run.filePath(QStringLiteral("events.jsonl")));
    QVERIFY(events.open(QIODevice::ReadOnly));
    QStringList types;
    for (const QByteArray &line : events.readAll().split('\n')) {
        if (line.isEmpty())
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        QVERIFY2(doc.isObject(), line.constData());
        types << doc.object().value(QStringLiteral("type")).toString();
    }
    for (const char *t : {"run_start", "batch", "epoch", "checkpoint", "run_end"})
        QVERIFY2(types.contains(QLatin1String(t)), t);
    QCOMPARE(types.count(QStringLiteral("epoch")), 2);

    // weights: best/last stripped to weights, every epochN.pt kept full.
    const std::vector<CheckpointInfo> list = listCheckpoints(done.runDir);
    QStringList files;
    for (const CheckpointInfo &info : list) {
        QVERIFY2(info.isValid(), qPrintable(info.error));
        files << QFileInfo(info.path).fileName();
        if (info.path.endsWith(QLatin1String("last.pt")) ||
            info.path.endsWith(QLatin1String("best.pt")))
            QCOMPARE(info.kind, QStringLiteral("weights"));
        else
            QCOMPARE(info.kind, QStringLiteral("full"));
    }
    files.sort();
    QCOMPARE(files, (QStringList{QStringLiteral("best.pt"), QStringLiteral("epoch1.pt"),
                                 QStringLiteral("epoch2.pt"), QStringLiteral("last.pt")}));
    // The dataset's background images (one per split) are counted in the run summary.
    const QString infos = observer.infos.join(QLatin1Char('\n'));
    QVERIFY2(
        infos.contains(QStringLiteral("train: 80 images, 237 instances, backgrounds 1, skipped 0")),
        qPrintable(infos));
    QVERIFY2(infos.contains(QStringLiteral("val: 20 images")) &&
                 infos.contains(QStringLiteral("backgrounds 1")),
             qPrintable(infos));
    // optimizer=auto fits AdamW's learning rate to the one class used, not to the 82 names:
    // 0.002 * 5 / (4 + 1); ceil(80 / 64) * 2 epochs = 4 iterations.
    QVERIFY2(infos.contains(QStringLiteral("optimizer=auto: AdamW(lr=0.002, momentum=0.9) chosen "
                                           "for 4 iterations, 1 of 82 classes in the training "
                                           "labels")),
             qPrintable(infos));
    // Every batch was reported.
    QCOMPARE(int(observer.batches.size()), 2 * observer.started.front().batchesPerEpoch);
}

void TestTrainer::badDataFailsWithAMessage_data()
{
    QTest::addColumn<QString>("yaml");
    QTest::addColumn<QString>("mustMention");
    QTest::newRow("missing yaml") << m_dir.filePath(QStringLiteral("nope.yaml"))
                                  << QStringLiteral("nope.yaml");
    const QString empty = m_dir.filePath(QStringLiteral("empty"));
    QDir().mkpath(empty + QStringLiteral("/images/train"));
    QDir().mkpath(empty + QStringLiteral("/images/val"));
    QFile f(empty + QStringLiteral("/data.yaml"));
    f.open(QIODevice::WriteOnly);
    f.write("path: .\ntrain: images/train\nval: images/val\nnames: [a]\n");
    f.close();
    QTest::newRow("no images") << f.fileName() << QStringLiteral("images/train");
}

void TestTrainer::badDataFailsWithAMessage()
{
    QFETCH(QString, yaml);
    QFETCH(QString, mustMention);
    TrainConfig c;
    c.data = yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.epochs = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY(done.failed);
    QVERIFY2(done.message.contains(mustMention), qPrintable(done.message));
    QCOMPARE(int(observer.finished.size()), 1);
}

void TestTrainer::fineTuneFromWeightsSaysSo()
{
    QVERIFY(!m_lastRun.isEmpty());
    TrainConfig c;
    c.data = m_synthYaml;
    c.model = m_lastRun + QStringLiteral("/weights/best.pt"); // stripped: weights only
    c.imgsz = 64;
    c.batch = 8;
    c.nbs = 8;
    c.warmupEpochs = 0;
    c.mosaic = 0;
    c.epochs = 1;
    c.workers = 2;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("finetune");
    Trainer trainer(c);
    RecordingObserver observer;
    const RunFinished done = trainer.run(&observer);
    QVERIFY2(!done.failed, qPrintable(done.message));
    QCOMPARE(observer.started.front().mode, QStringLiteral("fine-tune"));
    bool said = false;
    for (const QString &info : observer.infos)
        said |= info.contains(QStringLiteral("Fine-tuning from")) &&
                info.contains(QStringLiteral("not a resume"));
    QVERIFY(said);
    // Transferred weights: the first epoch is already far better than a fresh model's.
    QVERIFY2(observer.epochs.front().record.map50 > 0.3,
             qPrintable(QString::number(observer.epochs.front().record.map50)));
}

void TestTrainer::fusedValidationMeasuresTheSame()
{
    // Validation runs an inference copy with BatchNorm folded into the convolutions (issue 13):
    // on a trained model it must measure what the model itself measures, mAP to 1e-6.
    QVERIFY(!m_lastRun.isEmpty());
    const Result<LoadedModel> loaded = loadModelForInference(
        m_lastRun + QStringLiteral("/weights/best.pt"), torch::Device(torch::kCPU));
    QVERIFY2(loaded.isOk(), qPrintable(loaded.error()));
    const Result<DatasetConfig> config = DatasetConfig::load(m_synthYaml);
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    const Result<Dataset> val = Dataset::scan(config.value(), Split::Val);
    QVERIFY2(val.isOk(), qPrintable(val.error()));
    YoloModel net = loaded.value().model;
    YoloModelImpl &model = *net;
    const DetectionLoss criterion(val.value().nc(), model.strides());

    auto validate = [&](bool fuse, std::vector<std::vector<Detection>> *detections) {
        ValidationOptions o;
        o.imgsz = 64;
        o.batch = 8;
        o.workers = 0;
        o.fuse = fuse;
        return Validator(val.value(), o)
            .run(model, torch::Device(torch::kCPU), &criterion, {}, nullptr,
                 [detections](const ImageRecord &, const std::vector<Detection> &found,
                              const std::vector<GroundTruth> &) { detections->push_back(found); });
    };
    std::vector<std::vector<Detection>> plainDets, fusedDets;
    const ValidationOutput plain = validate(false, &plainDets);
    const ValidationOutput fused = validate(true, &fusedDets);
    qInfo("mAP50 %.6f, mAP50-95 %.6f (plain) / %.6f, %.6f (fused)", plain.metrics.map50,
          plain.metrics.map50_95, fused.metrics.map50, fused.metrics.map50_95);
    QVERIFY2(plain.metrics.map50 > 0.5, qPrintable(QString::number(plain.metrics.map50)));
    // The fused copy ran on oneDNN where the build has it (the product's path), the plain
    // model through LibTorch.
    QCOMPARE(plain.engine, QStringLiteral("LibTorch (not folded)"));
    QCOMPARE(fused.engine == QStringLiteral("oneDNN"), OneDnnForward::available());
    QVERIFY(std::abs(fused.metrics.map50 - plain.metrics.map50) <= 1e-6);
    QVERIFY(std::abs(fused.metrics.map50_95 - plain.metrics.map50_95) <= 1e-6);
    QVERIFY(std::abs(fused.metrics.precision - plain.metrics.precision) <= 1e-6);
    QVERIFY(std::abs(fused.metrics.recall - plain.metrics.recall) <= 1e-6);
    for (int k = 0; k < 3; ++k)
        QVERIFY2(std::abs(fused.loss[k] - plain.loss[k]) <= 1e-5 * std::max(1.0, plain.loss[k]),
                 qPrintable(QStringLiteral("%1 vs %2").arg(fused.loss[k]).arg(plain.loss[k])));
    // Box by box: the same detections, to float rounding.
    QCOMPARE(fusedDets.size(), plainDets.size());
    QCOMPARE(fused.detections, plain.detections);
    float worstBox = 0, worstConf = 0;
    for (size_t i = 0; i < plainDets.size(); ++i) {
        QCOMPARE(fusedDets[i].size(), plainDets[i].size());
        for (size_t j = 0; j < plainDets[i].size(); ++j) {
            const Detection &a = plainDets[i][j];
            const Detection &b = fusedDets[i][j];
            QCOMPARE(b.cls, a.cls);
            worstBox = std::max({worstBox, std::abs(a.x1 - b.x1), std::abs(a.y1 - b.y1),
                                 std::abs(a.x2 - b.x2), std::abs(a.y2 - b.y2)});
            worstConf = std::max(worstConf, std::abs(a.conf - b.conf));
        }
    }
    qInfo("largest difference: %.2g px in a box corner, %.2g in a confidence", worstBox, worstConf);
    QVERIFY(worstBox < 1e-2f);
    QVERIFY(worstConf < 1e-4f);
}

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
