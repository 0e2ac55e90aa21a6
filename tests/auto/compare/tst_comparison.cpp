#include "core/compare/comparison.h"
#include "core/compare/predictionset.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

GroundTruth box(float x, float y, float size, int cls)
{
    return {x, y, x + size, y + size, cls};
}

Detection det(float x, float y, float size, float conf, int cls)
{
    return {x, y, x + size, y + size, conf, cls};
}

ImagePredictions image(const QString &name, std::vector<GroundTruth> labels,
                       std::vector<Detection> detections)
{
    ImagePredictions p;
    p.imagePath = QStringLiteral("/data/") + name;
    p.width = 200;
    p.height = 200;
    p.labels = std::move(labels);
    p.detections = std::move(detections);
    return p;
}

// The hand-made case. Two classes, four images; A and B see the same labels.
//   img0: two cats. A finds both (0.9, 0.8); B finds only the first (0.85).
//   img1: one dog. Both find it; B also reports a dog where there is nothing (0.7).
//   img2: a cat and a dog. Neither finds the dog; A calls the cat a dog (wrong class, 0.6), B
//         finds the cat (0.95).
//   img3: background. A reports a cat (0.3, below the 0.5 slider), B nothing.
PredictionSet setA()
{
    PredictionSet s;
    s.names = {QStringLiteral("cat"), QStringLiteral("dog")};
    s.images = {
        image(QStringLiteral("img0.jpg"), {box(10, 10, 40, 0), box(100, 100, 40, 0)},
              {det(10, 10, 40, 0.9f, 0), det(101, 101, 40, 0.8f, 0)}),
        image(QStringLiteral("img1.jpg"), {box(50, 50, 60, 1)}, {det(52, 50, 60, 0.9f, 1)}),
        image(QStringLiteral("img2.jpg"), {box(10, 10, 50, 0), box(120, 120, 50, 1)},
              {det(10, 10, 50, 0.6f, 1)}),
        image(QStringLiteral("img3.jpg"), {}, {det(20, 20, 30, 0.3f, 0)}),
    };
    s.loss = {1.0, 2.0, 3.0};
    s.msPerImage = 10;
    s.weightsHash = QStringLiteral("aaaa");
    return s;
}

PredictionSet setB()
{
    PredictionSet s = setA();
    s.images[0].detections = {det(10, 10, 40, 0.85f, 0)};
    s.images[1].detections = {det(52, 50, 60, 0.9f, 1), det(140, 5, 30, 0.7f, 1)};
    s.images[2].detections = {det(10, 10, 50, 0.95f, 0)};
    s.images[3].detections = {};
    s.loss = {0.5, 2.5, 3.0};
    s.msPerImage = 12;
    s.weightsHash = QStringLiteral("bbbb");
    return s;
}

// 60 images of one cat each; the model finds image i's cat when finds(i), and reports one false
// positive on every fifth image. Confidences vary so that the ranking is not all ties.
template <typename Finds> PredictionSet manyImages(Finds finds)
{
    PredictionSet s;
    s.names = {QStringLiteral("cat")};
    for (int i = 0; i < 60; ++i) {
        std::vector<Detection> dets;
        if (finds(i))
            dets.push_back(det(10, 10, 40, 0.5f + float(i % 10) / 40.0f, 0));
        if (i % 5 == 0)
            dets.push_back(det(120, 120, 30, 0.3f + float(i % 7) / 40.0f, 0));
        s.images.push_back(
            image(QStringLiteral("m%1.jpg").arg(i), {box(10, 10, 40, 0)}, std::move(dets)));
    }
    return s;
}

CheckpointInfo info(const QString &name, int epoch)
{
    CheckpointInfo i;
    i.path = QStringLiteral("/runs/train/weights/") + name;
    i.kind = QStringLiteral("full");
    i.epoch = epoch;
    return i;
}

} // namespace

class TestComparison : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchingTakesDetectionsInConfidenceOrder();
    void thresholdNeedsNoRematch();
    void imageThatOnlyBMissesRanksFirst();
    void eachOrderRanksItsImageFirst();
    void summaryCountsAreRight();
    void confusionMatrixEqualsHandComputed();
    void confusionMatrixOfUnmatchedImages();
    void headerMarksTheBetterValue();
    void classesListRegressionsFirst();
    void weightedMapOfAllOnesEqualsTheMetrics();
    void bootstrapIsSeeded();
    void bootstrapSeesARealDifference();
    void bootstrapOfIdenticalModelsIsZero();
    void buildComparisonWarnsOnSmallSplit();
    void predictionSetRoundTrips();
    void damagedPredictionSetIsRefused_data();
    void damagedPredictionSetIsRefused();
    void cachePathDependsOnEverySetting();
};

void TestComparison::matchingTakesDetectionsInConfidenceOrder()
{
    // Two detections of the same cat, given in ascending confidence: the more confident one takes
    // the label (TP), the other is a duplicate (FP) even though its IoU is higher.
    const ImagePredictions im = image(QStringLiteral("x.jpg"), {box(10, 10, 40, 0)},
                                      {det(10, 10, 40, 0.4f, 0), det(12, 12, 40, 0.9f, 0),
                                       det(10, 10, 40, 0.5f, 1), det(150, 150, 20, 0.6f, 0)});
    const ImageMatches m = matchImage(im);
    QCOMPARE(int(m.outcome.size()), 4);
    QCOMPARE(m.outcome[0], DetectionOutcome::FalsePositive);
    QCOMPARE(m.outcome[1], DetectionOutcome::TruePositive);
    QCOMPARE(m.label[1], 0);
    QCOMPARE(m.outcome[2], DetectionOutcome::WrongClass);
    QCOMPARE(m.outcome[3], DetectionOutcome::FalsePositive);
    QCOMPARE(m.labelFoundAt[0], 0.9f);
    QCOMPARE(m.conf[2], 0.5f);
    // The false positives' confidences, descending.
    QCOMPARE(m.falsePositiveConf, (std::vector<float>{0.6f, 0.5f, 0.4f}));
}

void TestComparison::thresholdNeedsNoRematch()
{
    // At every threshold the counts from the one matching equal a matching of only the
    // detections kept at that threshold.
    const PredictionSet a = setA();
    for (const ImagePredictions &im : a.images) {
        const ImageMatches once = matchImage(im);
        for (float c : {0.0f, 0.35f, 0.65f, 0.85f, 0.95f}) {
            ImagePredictions kept = im;
            kept.detections.clear();
            for (const Detection &d : im.detections) {
                if (d.conf >= c)
                    kept.detections.push_back(d);
            }
            const ImageMatches fresh = matchImage(kept);
            QCOMPARE(once.truePositives(c), fresh.truePositives(0.0f));
            QCOMPARE(once.falsePositives(c), fresh.falsePositives(0.0f));
            QCOMPARE(once.falseNegatives(c), fresh.falseNegatives(0.0f));
        }
    }
}

void TestComparison::imageThatOnlyBMissesRanksFirst()
{
    const std::vector<ImageMatches> a = matchImages(setA()), b = matchImages(setB());
    const std::vector<ImageComparison> images = compareImages(a, b, 0.5f);
    QCOMPARE(int(images.size()), 4);
    QCOMPARE(images[0].onlyA, 1); // the second cat
    QCOMPARE(images[0].onlyB, 0);
    QCOMPARE(images[0].tpA, 2);
    QCOMPARE(images[0].tpB, 1);
    QCOMPARE(images[0].fnB, 1);
    const std::vector<int> ranked = rankImages(images, DisagreementOrder::BMissesAFinds);
    QCOMPARE(ranked.front(), 0);
    QCOMPARE(int(ranked.size()), 4);
}

void TestComparison::eachOrderRanksItsImageFirst()
{
    const std::vector<ImageComparison> images =
        compareImages(matchImages(setA()), matchImages(setB()), 0.5f);
    // img1: B adds the phantom dog.
    QCOMPARE(rankImages(images, DisagreementOrder::BAddsFalsePositives).front(), 1);
    // img2: both miss the dog.
    QCOMPARE(images[2].bothMiss, 1);
    QCOMPARE(rankImages(images, DisagreementOrder::BothWrong).front(), 2);
    // Overall: img2 (B finds the cat A misses, A has a wrong-class FP: 1 + 1) ties with img0 and
    // img1? img0: onlyA 1 → 1; img1: |fp| 1 → 1; img2: onlyB 1 + |1 - 0| = 2.
    QCOMPARE(images[2].disagreement(), 2);
    QCOMPARE(rankImages(images, DisagreementOrder::Disagreement).front(), 2);
    // img3's A false positive (0.3) is below the slider at 0.5, above it at 0.25.
    QCOMPARE(images[3].fpA, 0);
    QCOMPARE(compareImages(matchImages(setA()), matchImages(setB()), 0.25f)[3].fpA, 1);
}

void TestComparison::summaryCountsAreRight()
{
    const ComparisonSummary s =
        summarise(compareImages(matchImages(setA()), matchImages(setB()), 0.5f));
    QCOMPARE(s.onlyA, 1);    // img0's second cat
    QCOMPARE(s.onlyB, 1);    // img2's cat
    QCOMPARE(s.bothMiss, 1); // img2's dog
    QCOMPARE(s.bothFind, 2); // img0's first cat, img1's dog
    QCOMPARE(s.tpA, 3);
    QCOMPARE(s.fpA, 1); // the wrong-class detection
    QCOMPARE(s.fnA, 2);
    QCOMPARE(s.tpB, 3);
    QCOMPARE(s.fpB, 1);
    QCOMPARE(s.fnB, 2);
    QCOMPARE(s.sentence(), QStringLiteral("B finds 1 objects that A misses and misses 1 that A "
                                          "finds; both miss 1. False positives: A 1, B 1."));
}

void TestComparison::confusionMatrixEqualsHandComputed()
{
    // Ultralytics' rules: conf > 0.25, class-agnostic IoU > 0.45, [predicted, true], 2 = bg.
    const ConfusionMatrix a = confusionMatrix(setA());
    QCOMPARE(a.nc, 2);
    const std::vector<double> expectedA = {
        // true: cat dog bg
        2, 0, 1, // predicted cat: img0 ×2; img3's 0.3 cat on background
        1, 1, 0, // predicted dog: img2's cat called dog; img1's dog
        0, 1, 0, // background: img2's dog missed
    };
    QCOMPARE(a.counts, expectedA);
    const ConfusionMatrix b = confusionMatrix(setB());
    const std::vector<double> expectedB = {
        2, 0, 0, // cat: img0's first cat, img2's cat
        0, 1, 1, // dog: img1's dog; the phantom dog
        1, 1, 0, // background: img0's second cat, img2's dog
    };
    QCOMPARE(b.counts, expectedB);
    // The images behind a cell.
    QCOMPARE(a.cellImages[1 * 3 + 0], (std::vector<int>{2}));
    QCOMPARE(a.cellImages[0 * 3 + 0], (std::vector<int>{0}));
    QCOMPARE(b.cellImages[2 * 3 + 0], (std::vector<int>{0}));
    // Normalised by column: cat column of A = 2 / 3 and 1 / 3.
    const ConfusionMatrix n = a.normalised();
    QVERIFY(std::abs(n.at(0, 0) - 2.0 / 3.0) < 1e-6);
    QVERIFY(std::abs(n.at(1, 0) - 1.0 / 3.0) < 1e-6);
}

void TestComparison::confusionMatrixOfUnmatchedImages()
{
    // No overlap at all: each label is missed and each detection is background, also in an image
    // with no match (Ultralytics since Dec 2024).
    const ImagePredictions im = image(QStringLiteral("y.jpg"), {box(0, 0, 10, 1)},
                                      {det(100, 100, 10, 0.9f, 0), det(150, 150, 10, 0.2f, 0)});
    const auto cells = confusionCells(im, 2, kConfusionConf, kConfusionIou);
    QCOMPARE(cells, (std::vector<std::pair<int, int>>{{2, 1}, {0, 2}}));
}

void TestComparison::headerMarksTheBetterValue()
{
    const Comparison c = buildComparison(info(QStringLiteral("best.pt"), 3), setA(),
                                         info(QStringLiteral("last.pt"), 5), setB(), 50, 1);
    const std::vector<HeaderRow> rows = headerRows(c, 0.5f);
    QStringList names;
    for (const HeaderRow &r : rows)
        names << r.name;
    QCOMPARE(names, (QStringList{QStringLiteral("P"), QStringLiteral("R"), QStringLiteral("F1"),
                                 QStringLiteral("mAP50"), QStringLiteral("mAP50-95"),
                                 QStringLiteral("fitness"), QStringLiteral("TP"),
                                 QStringLiteral("FP"), QStringLiteral("FN"),
                                 QStringLiteral("val/box_loss"), QStringLiteral("val/cls_loss"),
                                 QStringLiteral("val/dfl_loss"), QStringLiteral("ms/image")}));
    const auto row = [&](const char *name) {
        for (const HeaderRow &r : rows) {
            if (r.name == QLatin1String(name))
                return r;
        }
        return HeaderRow{};
    };
    QCOMPARE(row("val/box_loss").better(), 1); // 0.5 < 1.0: lower is better, B
    QCOMPARE(row("val/cls_loss").better(), -1);
    QCOMPARE(row("val/dfl_loss").better(), 0);
    QCOMPARE(row("ms/image").better(), -1);
    QCOMPARE(row("TP").a, 3.0);
    QCOMPARE(row("FP").b, 1.0);
    QCOMPARE(row("mAP50-95").a, c.a.metrics.map50_95);
    QCOMPARE(row("val/box_loss").deltaPercent(), -50.0);
}

void TestComparison::classesListRegressionsFirst()
{
    const Comparison c = buildComparison(info(QStringLiteral("a.pt"), 1), setA(),
                                         info(QStringLiteral("b.pt"), 2), setB(), 10, 0);
    const std::vector<ClassComparison> rows = classComparisons(c);
    QCOMPARE(int(rows.size()), 2);
    QVERIFY(rows[0].deltaAp50_95() <= rows[1].deltaAp50_95());
    for (const ClassComparison &r : rows) {
        const ClassMetrics &ma = c.a.metrics.perClass[r.cls];
        QCOMPARE(r.ap50_95A, ma.ap50_95);
        QCOMPARE(r.instances, ma.instances);
    }
    // The dog: A finds 1 of 2 (img1), B finds 1 of 2 and adds a phantom: B's AP is not higher.
    const auto dog = std::find_if(rows.begin(), rows.end(), [](auto &r) { return r.cls == 1; });
    QVERIFY(dog->ap50B <= dog->ap50A);
}

void TestComparison::weightedMapOfAllOnesEqualsTheMetrics()
{
    for (const PredictionSet &s : {setA(), setB()}) {
        MetricsAccumulator acc(2);
        for (const ImagePredictions &im : s.images)
            acc.addImage(im.detections, im.labels);
        const double full = acc.compute(s.names).map50_95;
        QCOMPARE(acc.map50_95(std::vector<int>(s.images.size(), 1)), full);
        QCOMPARE(metricsOf(s).map50_95, full);
        // Image 0 twice and image 3 dropped equals a set that holds image 0 twice.
        MetricsAccumulator twice(2);
        for (int i : {0, 0, 1, 2})
            twice.addImage(s.images[i].detections, s.images[i].labels);
        QVERIFY(std::abs(acc.map50_95({2, 1, 1, 0}) - twice.compute(s.names).map50_95) < 1e-12);
    }
}

void TestComparison::bootstrapIsSeeded()
{
    // A finds the even images' objects, B the odd ones': equally good, differently wrong.
    const PredictionSet a = manyImages([](int i) { return i % 2 == 0; });
    const PredictionSet b = manyImages([](int i) { return i % 2 == 1; });
    const BootstrapInterval first = bootstrapMapDelta(a, b, 300, 7);
    const BootstrapInterval again = bootstrapMapDelta(a, b, 300, 7);
    QCOMPARE(first.low, again.low);
    QCOMPARE(first.high, again.high);
    QCOMPARE(first.resamples, 300);
    QCOMPARE(first.seed, quint64(7));
    QCOMPARE(first.delta, metricsOf(b).map50_95 - metricsOf(a).map50_95);
    QVERIFY(first.low < 0 && first.high > 0);
    QVERIFY(!first.significant());
    const BootstrapInterval other = bootstrapMapDelta(a, b, 300, 8);
    QVERIFY(other.low != first.low || other.high != first.high);
}

void TestComparison::bootstrapSeesARealDifference()
{
    // B finds every object, A one in three.
    const PredictionSet a = manyImages([](int i) { return i % 3 == 0; });
    const PredictionSet b = manyImages([](int) { return true; });
    const BootstrapInterval bs = bootstrapMapDelta(a, b, 300, 0);
    QVERIFY(bs.delta > 0.3);
    QVERIFY2(bs.low > 0, qPrintable(QString::number(bs.low)));
    QVERIFY(bs.low <= bs.delta && bs.delta <= bs.high);
    QVERIFY(bs.significant());
}

void TestComparison::bootstrapOfIdenticalModelsIsZero()
{
    const BootstrapInterval b = bootstrapMapDelta(setA(), setA(), 100, 0);
    QCOMPARE(b.delta, 0.0);
    QCOMPARE(b.low, 0.0);
    QCOMPARE(b.high, 0.0);
    QVERIFY(!b.significant());
}

void TestComparison::buildComparisonWarnsOnSmallSplit()
{
    PredictionSet a = setA(), b = setA();
    b.weightsHash = a.weightsHash;
    const Comparison c = buildComparison(info(QStringLiteral("best.pt"), 5), a,
                                         info(QStringLiteral("last.pt"), 5), b, 20, 0);
    QVERIFY(c.sameWeights);
    QCOMPARE(c.warnings.size(), 1);
    QVERIFY(c.warnings.first().contains(QStringLiteral("only 4 images")));
    QCOMPARE(c.bootstrap.resamples, 20);
    QCOMPARE(int(c.a.matches.size()), 4);
    QCOMPARE(c.b.confusion.nc, 2);
}

void TestComparison::predictionSetRoundTrips()
{
    QTemporaryDir dir;
    PredictionSet s = setB();
    s.checkpointPath = QStringLiteral("/runs/x/weights/last.pt");
    s.contentHash = QStringLiteral("c0ffee");
    s.dataFingerprint = QStringLiteral("f00d");
    s.settings.imgsz = 96;
    s.settings.batch = 4;
    s.seconds = 1.25;
    const QString path = dir.filePath(QStringLiteral("sub.preds"));
    QVERIFY(writePredictionSet(path, s).isOk());
    const Result<PredictionSet> back = readPredictionSet(path);
    QVERIFY2(back.isOk(), qPrintable(back.error()));
    const PredictionSet &r = back.value();
    QVERIFY(r.fromCache);
    QCOMPARE(r.contentHash, s.contentHash);
    QCOMPARE(r.weightsHash, s.weightsHash);
    QCOMPARE(r.names, s.names);
    QCOMPARE(r.settings.cacheKey(), s.settings.cacheKey());
    QCOMPARE(r.loss, s.loss);
    QCOMPARE(r.seconds, 1.25);
    QCOMPARE(r.images.size(), s.images.size());
    for (size_t i = 0; i < s.images.size(); ++i) {
        QCOMPARE(r.images[i].imagePath, s.images[i].imagePath);
        QCOMPARE(r.images[i].labels.size(), s.images[i].labels.size());
        QCOMPARE(r.images[i].detections.size(), s.images[i].detections.size());
        for (size_t d = 0; d < s.images[i].detections.size(); ++d) {
            QCOMPARE(r.images[i].detections[d].conf, s.images[i].detections[d].conf);
            QCOMPARE(r.images[i].detections[d].x2, s.images[i].detections[d].x2);
            QCOMPARE(r.images[i].detections[d].cls, s.images[i].detections[d].cls);
        }
    }
    QCOMPARE(metricsOf(r).map50_95, metricsOf(s).map50_95);
}

void TestComparison::damagedPredictionSetIsRefused_data()
{
    QTest::addColumn<int>("keep"); // bytes kept of a valid file; -1: a foreign file
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty") << 0 << QStringLiteral("not a YoloDeck prediction set");
    QTest::newRow("header only") << 8 << QStringLiteral("truncated or damaged");
    QTest::newRow("half") << -2 << QStringLiteral("truncated or damaged");
    QTest::newRow("one byte short") << -3 << QStringLiteral("truncated or damaged");
    QTest::newRow("foreign") << -1 << QStringLiteral("not a YoloDeck prediction set");
}

void TestComparison::damagedPredictionSetIsRefused()
{
    QFETCH(int, keep);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    const QString good = dir.filePath(QStringLiteral("good.preds"));
    QVERIFY(writePredictionSet(good, setA()).isOk());
    QFile f(good);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QByteArray bytes = f.readAll();
    if (keep == -1)
        bytes = "PK\x03\x04 this is a zip, not a prediction set";
    else if (keep == -2)
        bytes.truncate(bytes.size() / 2);
    else if (keep == -3)
        bytes.chop(1);
    else
        bytes.truncate(keep);
    const QString bad = dir.filePath(QStringLiteral("bad.preds"));
    QFile out(bad);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(bytes);
    out.close();
    const Result<PredictionSet> r = readPredictionSet(bad);
    QVERIFY(!r.isOk());
    QVERIFY2(r.error().startsWith(bad), qPrintable(r.error()));
    QVERIFY2(r.error().contains(reason), qPrintable(r.error()));
    QVERIFY(!r.error().contains(QLatin1Char('\n')));
}

void TestComparison::cachePathDependsOnEverySetting()
{
    qputenv("YOLODECK_CACHE_DIR", "/tmp/yd-cache-test");
    EvaluationSettings s;
    const QString base = predictionCachePath(QStringLiteral("h"), QStringLiteral("f"), s);
    QVERIFY(base.startsWith(QStringLiteral("/tmp/yd-cache-test/")));
    QCOMPARE(predictionCachePath(QStringLiteral("h"), QStringLiteral("f"), s), base);
    QVERIFY(predictionCachePath(QStringLiteral("h2"), QStringLiteral("f"), s) != base);
    QVERIFY(predictionCachePath(QStringLiteral("h"), QStringLiteral("f2"), s) != base);
    const auto changed = [&](auto edit) {
        EvaluationSettings e;
        edit(e);
        return predictionCachePath(QStringLiteral("h"), QStringLiteral("f"), e) != base;
    };
    QVERIFY(changed([](EvaluationSettings &e) { e.imgsz = 320; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.batch = 8; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.conf = 0.01f; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.iou = 0.6f; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.maxDet = 100; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.rect = false; }));
    QVERIFY(changed([](EvaluationSettings &e) { e.split = QStringLiteral("test"); }));
    // The data.yaml's location is not part of the key: the fingerprint is.
    QVERIFY(
        !changed([](EvaluationSettings &e) { e.dataYaml = QStringLiteral("/elsewhere.yaml"); }));
    qunsetenv("YOLODECK_CACHE_DIR");
}

QTEST_GUILESS_MAIN(TestComparison)
#include "tst_comparison.moc"
