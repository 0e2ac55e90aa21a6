#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/compare/checkpointcomparer.h"
#include "core/compare/comparisonreport.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/model/detectionloss.h"
#include "core/train/modelstate.h"
#include "core/train/trainer.h"
#include "core/train/validator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

// The comparison end to end on a real tiny run: the numbers are those of two separate
// validations, the prediction cache, identical weights evaluated once, bad pairs refused, cancel.
class TestCheckpointComparer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void numbersEqualTwoSeparateValidations();
    void secondComparisonReadsTheCache();
    void sameWeightsAreEvaluatedOnce();
    void defaultPairIsBestAndLast();
    void layerChangesAreRelativeL2();
    void badPairsAreRefusedWithOneLine_data();
    void badPairsAreRefusedWithOneLine();
    void cancelLeavesNothingBehind();
    void reportFolderHoldsBothModels();

private:
    CompareRequest request(const QString &a, const QString &b) const;

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_runDir;
    QString m_cache;
};

void TestCheckpointComparer::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_cache = m_dir.filePath(QStringLiteral("cache"));
    qputenv("YOLODECK_CACHE_DIR", m_cache.toLocal8Bit());
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("synth"));
    o.train = 96;
    o.val = 24;
    o.imgsz = 64;
    o.classes = 3;
    QVERIFY(writeSynthDataset(o).isOk());
    m_yaml = o.dir + QStringLiteral("/data.yaml");

    TrainConfig c;
    c.data = m_yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.nbs = 8;
    c.warmupEpochs = 0;
    c.mosaic = 0;
    // A learning rate that gets the tiny model off zero mAP within a few epochs, so that the
    // first and the last checkpoint really differ.
    c.optimizer = QStringLiteral("AdamW");
    c.lr0 = 0.01;
    c.epochs = 6;
    c.savePeriod = 1;
    c.workers = 1;
    c.threads = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("train");
    Trainer trainer(c);
    TrainingObserver quiet;
    const RunFinished done = trainer.run(&quiet);
    QVERIFY2(!done.failed, qPrintable(done.message));
    m_runDir = done.runDir;
    for (const char *name : {"best.pt", "last.pt", "epoch1.pt", "epoch6.pt"})
        QVERIFY2(QFile::exists(m_runDir + QStringLiteral("/weights/") + QLatin1String(name)), name);
}

CompareRequest TestCheckpointComparer::request(const QString &a, const QString &b) const
{
    CompareRequest r;
    r.a = m_runDir + QStringLiteral("/weights/") + a;
    r.b = m_runDir + QStringLiteral("/weights/") + b;
    r.batch = 8;
    r.workers = 1;
    r.resamples = 100;
    return r;
}

void TestCheckpointComparer::numbersEqualTwoSeparateValidations()
{
    CompareRequest r = request(QStringLiteral("epoch1.pt"), QStringLiteral("last.pt"));
    r.useCache = false;
    Result<Comparison> result = compareCheckpoints(r);
    QVERIFY2(result.isOk(), qPrintable(result.error()));
    const Comparison &c = result.value();
    QVERIFY(!c.sameWeights);
    QCOMPARE(c.settings.imgsz, 64);
    QCOMPARE(c.settings.dataYaml, QFileInfo(m_yaml).absoluteFilePath());

    // `val` of each file, separately: the validator with the CLI's defaults.
    const Result<DatasetConfig> config = DatasetConfig::load(m_yaml);
    const Result<Dataset> dataset = Dataset::scan(config.value(), Split::Val);
    QVERIFY(dataset.isOk());
    for (const ComparedModel *side : {&c.a, &c.b}) {
        Result<LoadedModel> loaded = loadModelForInference(side->info.path, torch::kCPU);
        QVERIFY(loaded.isOk());
        ValidationOptions vo;
        vo.imgsz = 64;
        vo.batch = 8;
        vo.workers = 1;
        Validator validator(dataset.value(), vo);
        const DetectionLoss criterion(loaded.value().model->nc(), loaded.value().model->strides(),
                                      LossGains{}, loaded.value().model->regMax());
        const ValidationOutput val = validator.run(*loaded.value().model, torch::kCPU, &criterion);
        QCOMPARE(side->metrics.precision, val.metrics.precision);
        QCOMPARE(side->metrics.recall, val.metrics.recall);
        QCOMPARE(side->metrics.map50, val.metrics.map50);
        QCOMPARE(side->metrics.map50_95, val.metrics.map50_95);
        QCOMPARE(side->metrics.perClass.size(), val.metrics.perClass.size());
        for (size_t k = 0; k < val.metrics.perClass.size(); ++k)
            QCOMPARE(side->metrics.perClass[k].ap50_95, val.metrics.perClass[k].ap50_95);
        QCOMPARE(side->predictions.loss, val.loss);
        QCOMPARE(int(side->predictions.images.size()), val.images);
    }
    // The run trained: B, the later one, is better.
    QCOMPARE(c.a.info.epoch, 1);
    QCOMPARE(c.b.info.epoch, 6);
    QCOMPARE(int(c.b.history.size()), 6);
    qInfo("mAP50-95 epoch 1: %.4f, last: %.4f", c.a.metrics.map50_95, c.b.metrics.map50_95);
    QVERIFY(c.b.metrics.map50_95 > c.a.metrics.map50_95);
    QCOMPARE(c.bootstrap.resamples, 100);
    QVERIFY(c.warnings.join(QLatin1Char(' ')).contains(QStringLiteral("only 24 images")));
}

void TestCheckpointComparer::secondComparisonReadsTheCache()
{
    QDir(m_cache).removeRecursively();
    const CompareRequest r = request(QStringLiteral("epoch1.pt"), QStringLiteral("epoch6.pt"));
    QStringList stages;
    const auto progress = [&](const CompareProgress &p) {
        if (!stages.contains(p.stage))
            stages << p.stage;
    };
    Result<Comparison> first = compareCheckpoints(r, progress);
    QVERIFY2(first.isOk(), qPrintable(first.error()));
    QVERIFY(!first.value().a.predictions.fromCache);
    QVERIFY(stages.contains(QStringLiteral("Evaluating A (epoch1.pt)")));
    QVERIFY(stages.contains(QStringLiteral("Evaluating B (epoch6.pt)")));
    QCOMPARE(QDir(m_cache).entryList({QStringLiteral("*.preds")}, QDir::Files).size(), 2);

    stages.clear();
    Result<Comparison> second = compareCheckpoints(r, progress);
    QVERIFY2(second.isOk(), qPrintable(second.error()));
    QVERIFY(second.value().a.predictions.fromCache);
    QVERIFY(second.value().b.predictions.fromCache);
    QVERIFY(!stages.join(QLatin1Char(' ')).contains(QStringLiteral("Evaluating")));
    QCOMPARE(second.value().a.metrics.map50_95, first.value().a.metrics.map50_95);
    QCOMPARE(second.value().b.metrics.map50_95, first.value().b.metrics.map50_95);
    QCOMPARE(second.value().b.predictions.loss, first.value().b.predictions.loss);
    QCOMPARE(second.value().bootstrap.low, first.value().bootstrap.low);

    // Another setting is another entry: imgsz 96 evaluates again.
    CompareRequest bigger = r;
    bigger.imgsz = 96;
    stages.clear();
    QVERIFY(compareCheckpoints(bigger, progress).isOk());
    QVERIFY(stages.contains(QStringLiteral("Evaluating A (epoch1.pt)")));

    // A damaged cache entry is recomputed, not trusted.
    for (const QString &name : QDir(m_cache).entryList({QStringLiteral("*.preds")}, QDir::Files)) {
        QFile f(m_cache + QLatin1Char('/') + name);
        QVERIFY(f.resize(f.size() / 2));
    }
    stages.clear();
    Result<Comparison> third = compareCheckpoints(r, progress);
    QVERIFY2(third.isOk(), qPrintable(third.error()));
    QVERIFY(!third.value().a.predictions.fromCache);
    QCOMPARE(third.value().a.metrics.map50_95, first.value().a.metrics.map50_95);
}

void TestCheckpointComparer::sameWeightsAreEvaluatedOnce()
{
    const QString copy = m_runDir + QStringLiteral("/weights/copy-of-epoch6.pt");
    QFile::remove(copy);
    QVERIFY(QFile::copy(m_runDir + QStringLiteral("/weights/epoch6.pt"), copy));
    CompareRequest r = request(QStringLiteral("epoch6.pt"), QStringLiteral("copy-of-epoch6.pt"));
    r.useCache = false;
    QStringList stages;
    Result<Comparison> result = compareCheckpoints(r, [&](const CompareProgress &p) {
        if (!stages.contains(p.stage))
            stages << p.stage;
    });
    QVERIFY2(result.isOk(), qPrintable(result.error()));
    QVERIFY(result.value().sameWeights);
    QVERIFY(stages.contains(QStringLiteral("Evaluating A (epoch6.pt)")));
    QVERIFY(!stages.join(QLatin1Char(' ')).contains(QStringLiteral("Evaluating B")));
    QCOMPARE(result.value().a.metrics.map50_95, result.value().b.metrics.map50_95);
    QCOMPARE(result.value().bootstrap.low, 0.0);
    QCOMPARE(result.value().bootstrap.high, 0.0);
    for (const LayerChange &l : result.value().layers)
        QCOMPARE(l.relativeChange, 0.0);
    QFile::remove(copy);
}

void TestCheckpointComparer::defaultPairIsBestAndLast()
{
    const auto pair = defaultComparisonPair(m_runDir);
    QVERIFY2(pair.isOk(), qPrintable(pair.error()));
    QCOMPARE(QFileInfo(pair.value().first).fileName(), QStringLiteral("best.pt"));
    QCOMPARE(QFileInfo(pair.value().second).fileName(), QStringLiteral("last.pt"));

    // Without last.pt: the newest epochN.pt.
    QTemporaryDir other;
    QDir().mkpath(other.filePath(QStringLiteral("weights")));
    for (const char *name : {"best.pt", "epoch1.pt", "epoch6.pt"})
        QVERIFY(QFile::copy(m_runDir + QStringLiteral("/weights/") + QLatin1String(name),
                            other.filePath(QStringLiteral("weights/")) + QLatin1String(name)));
    const auto fallback = defaultComparisonPair(other.path());
    QVERIFY2(fallback.isOk(), qPrintable(fallback.error()));
    QCOMPARE(QFileInfo(fallback.value().second).fileName(), QStringLiteral("epoch6.pt"));

    QTemporaryDir empty;
    const auto none = defaultComparisonPair(empty.path());
    QVERIFY(!none.isOk());
    QVERIFY(none.error().contains(empty.path()));
}

void TestCheckpointComparer::layerChangesAreRelativeL2()
{
    const QString a = m_runDir + QStringLiteral("/weights/epoch1.pt");
    const QString b = m_runDir + QStringLiteral("/weights/epoch6.pt");
    const auto layers = layerChanges(a, b);
    QVERIFY2(layers.isOk(), qPrintable(layers.error()));
    // model.0 … model.22, YOLOv8's layer list, less the six without weights (two upsamples and
    // four concats: 10, 11, 13, 14, 17, 20).
    QStringList names;
    for (const LayerChange &l : layers.value())
        names << l.layer;
    QCOMPARE(names.size(), 17);
    QCOMPARE(names.front(), QStringLiteral("model.0"));
    QCOMPARE(names.back(), QStringLiteral("model.22"));
    for (const char *none :
         {"model.10", "model.11", "model.13", "model.14", "model.17", "model.20"})
        QVERIFY(!names.contains(QLatin1String(none)));
    // Checked by hand for one layer: ||B − A|| / ||A|| over its floating-point tensors.
    Result<LoadedModel> ma = loadModelForInference(a, torch::kCPU);
    Result<LoadedModel> mb = loadModelForInference(b, torch::kCPU);
    double base = 0, diff = 0;
    const auto sa = namedState(*ma.value().model, ""), sb = namedState(*mb.value().model, "");
    for (const auto &[key, t] : sa) {
        if (key.rfind("model.0.", 0) != 0 || !t.is_floating_point())
            continue;
        base += t.to(torch::kFloat64).pow(2).sum().item<double>();
        diff +=
            (sb.at(key).to(torch::kFloat64) - t.to(torch::kFloat64)).pow(2).sum().item<double>();
    }
    QVERIFY(diff > 0);
    QVERIFY(std::abs(layers.value().front().relativeChange - std::sqrt(diff / base)) < 1e-12);
}

void TestCheckpointComparer::badPairsAreRefusedWithOneLine_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("b");
    QTest::addColumn<QString>("data");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not a checkpoint") << QStringLiteral("notes.txt") << QStringLiteral("last.pt")
                                      << QString() << QStringLiteral("notes.txt");
    QTest::newRow("missing file") << QStringLiteral("nothing.pt") << QStringLiteral("last.pt")
                                  << QString() << QStringLiteral("no such file");
    QTest::newRow("other classes") << QStringLiteral("renamed.pt") << QStringLiteral("last.pt")
                                   << QString() << QStringLiteral("different class names");
    QTest::newRow("dataset missing")
        << QStringLiteral("best.pt") << QStringLiteral("last.pt")
        << QStringLiteral("/nonexistent/data.yaml") << QStringLiteral("/nonexistent/data.yaml");
    QTest::newRow("bad split") << QStringLiteral("best.pt") << QStringLiteral("last.pt")
                               << QStringLiteral("split:nope") << QStringLiteral("split=nope");
}

void TestCheckpointComparer::badPairsAreRefusedWithOneLine()
{
    QFETCH(QString, a);
    QFETCH(QString, b);
    QFETCH(QString, data);
    QFETCH(QString, expected);
    const QString weights = m_runDir + QStringLiteral("/weights/");
    {
        QFile notes(weights + QStringLiteral("notes.txt"));
        QVERIFY(notes.open(QIODevice::WriteOnly));
        notes.write("not a checkpoint\n");
    }
    if (!QFile::exists(weights + QStringLiteral("renamed.pt"))) {
        // The same model with other class names.
        Result<CheckpointData> d = loadCheckpoint(weights + QStringLiteral("last.pt"));
        QVERIFY(d.isOk());
        d.value().meta.insert(
            QStringLiteral("names"),
            QJsonArray{QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")});
        QVERIFY(saveCheckpointAtomically(weights + QStringLiteral("renamed.pt"), d.value()).isOk());
    }
    CompareRequest r = request(a, b);
    if (data.startsWith(QLatin1String("split:")))
        r.split = data.mid(6);
    else
        r.dataYaml = data;
    const Result<Comparison> result = compareCheckpoints(r);
    QVERIFY(!result.isOk());
    QVERIFY2(result.error().contains(expected), qPrintable(result.error()));
    QVERIFY(!result.error().contains(QLatin1Char('\n')));
    // The quick check the window makes before it starts says the same for the files.
    if (data.isEmpty())
        QCOMPARE(checkComparablePair(r.a, r.b).error(), result.error());
    QFile::remove(weights + QStringLiteral("notes.txt"));
}

void TestCheckpointComparer::cancelLeavesNothingBehind()
{
    QDir(m_cache).removeRecursively();
    CompareRequest r = request(QStringLiteral("epoch1.pt"), QStringLiteral("epoch6.pt"));
    std::atomic<bool> cancel{false};
    int batchesSeen = 0;
    const Result<Comparison> result = compareCheckpoints(
        r,
        [&](const CompareProgress &p) {
            if (p.stage.startsWith(QLatin1String("Evaluating B")) && ++batchesSeen == 1)
                cancel = true;
        },
        &cancel);
    QVERIFY(!result.isOk());
    QVERIFY(result.error().contains(QStringLiteral("cancelled")));
    // A's finished evaluation is cached; B's half evaluation is not.
    QCOMPARE(QDir(m_cache).entryList({QStringLiteral("*.preds")}, QDir::Files).size(), 1);
    QVERIFY(
        QDir(m_cache).entryList({QStringLiteral(".*tmp*")}, QDir::Files | QDir::Hidden).isEmpty());
}

void TestCheckpointComparer::reportFolderHoldsBothModels()
{
    Result<Comparison> result =
        compareCheckpoints(request(QStringLiteral("epoch1.pt"), QStringLiteral("epoch6.pt")));
    QVERIFY2(result.isOk(), qPrintable(result.error()));
    const Comparison &c = result.value();
    const QString dir = m_dir.filePath(QStringLiteral("reports/one"));
    ChartImage chart{QStringLiteral("test_chart.png"), QStringLiteral("A chart"),
                     QByteArray("\x89PNG fake", 9)};
    QVERIFY(writeComparisonReport(dir, c, 0.25f, {chart}).isOk());
    const QJsonObject json = [&] {
        QFile f(dir + QStringLiteral("/compare.json"));
        f.open(QIODevice::ReadOnly);
        return QJsonDocument::fromJson(f.readAll()).object();
    }();
    QCOMPARE(json.value(QStringLiteral("a"))
                 .toObject()
                 .value(QStringLiteral("metrics/mAP50-95(B)"))
                 .toDouble(),
             c.a.metrics.map50_95);
    QCOMPARE(json.value(QStringLiteral("b"))
                 .toObject()
                 .value(QStringLiteral("metrics/mAP50-95(B)"))
                 .toDouble(),
             c.b.metrics.map50_95);
    QCOMPARE(json.value(QStringLiteral("images")).toArray().size(), 24);
    QCOMPARE(json.value(QStringLiteral("header")).toArray().size(), 13);
    QFile html(dir + QStringLiteral("/report.html"));
    QVERIFY(html.open(QIODevice::ReadOnly));
    const QString page = QString::fromUtf8(html.readAll());
    QVERIFY(page.contains(QString::number(c.a.metrics.map50_95, 'f', 4)));
    QVERIFY(page.contains(QString::number(c.b.metrics.map50_95, 'f', 4)));
    QVERIFY(page.contains(QStringLiteral("data:image/jpeg;base64,")));
    QVERIFY(page.contains(QStringLiteral("data:image/png;base64,")));
    QVERIFY(!page.contains(QStringLiteral("http://")) &&
            !page.contains(QStringLiteral("https://")));
    QVERIFY(QFile::exists(dir + QStringLiteral("/test_chart.png")));
    // Rewriting replaces it whole; a folder that is not a report is never replaced.
    QVERIFY(writeComparisonReport(dir, c, 0.5f, {}).isOk());
    QVERIFY(!QFile::exists(dir + QStringLiteral("/test_chart.png")));
    const QString foreign = m_dir.filePath(QStringLiteral("reports/mine"));
    QDir().mkpath(foreign);
    const Status refused = writeComparisonReport(foreign, c, 0.5f, {});
    QVERIFY(!refused.isOk());
    QVERIFY(refused.error().contains(foreign));
    QCOMPARE(QDir(m_dir.filePath(QStringLiteral("reports")))
                 .entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot)
                 .size(),
             2);
}

QTEST_GUILESS_MAIN(TestCheckpointComparer)
#include "tst_checkpointcomparer.moc"
