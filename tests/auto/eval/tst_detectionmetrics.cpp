#include "core/eval/detectionmetrics.h"

#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

// One image of a test case.
struct ImageCase
{
    std::vector<Detection> detections;
    std::vector<GroundTruth> labels;
};
using Images = std::vector<ImageCase>;

Detection det(float x1, float y1, float x2, float y2, float conf, int cls = 0)
{
    return Detection{x1, y1, x2, y2, conf, cls};
}

GroundTruth gt(float x1, float y1, float x2, float y2, int cls = 0)
{
    return GroundTruth{x1, y1, x2, y2, cls};
}

DetectionMetrics evaluate(const Images &images, int nc)
{
    MetricsAccumulator acc(nc);
    for (const ImageCase &image : images)
        acc.addImage(image.detections, image.labels);
    return acc.compute({QStringLiteral("cat"), QStringLiteral("dog")});
}

bool near(double a, double b)
{
    return std::abs(a - b) < 1e-9;
}

} // namespace

Q_DECLARE_METATYPE(Images)

class TestDetectionMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void averagePrecision_data();
    void averagePrecision();
    void precisionRecallAtMaxF1();
    void imageAndInstanceCounts();
    void prCurveIsThePrecisionEnvelope();
    void noLabelsGivesZeros();
    void fitnessWeights();
};

// Expected values are derived by hand from the rules in REFERENCE.md / Ultralytics:
// AP = trapz(interp(linspace(0, 1, 101), [0, recall..., 1], envelope([1, precision..., 0]))).
// Note that numpy.interp at recall 1 returns the appended precision 0 (it takes the last of the
// repeated recall-1 points), so the last trapezoid [0.99, 1] is worth 0.01 · (1 + 0) / 2 and a
// perfect class scores 0.995, not 1: Ultralytics' well-known ceiling.
void TestDetectionMetrics::averagePrecision_data()
{
    QTest::addColumn<Images>("images");
    QTest::addColumn<QList<int>>("classes");
    QTest::addColumn<QList<double>>("ap50");
    QTest::addColumn<double>("map50");
    QTest::addColumn<double>("map50_95");

    const GroundTruth a = gt(0, 0, 10, 10);
    const GroundTruth b = gt(100, 100, 110, 110);
    const Detection onA = det(0, 0, 10, 10, 0.9f);
    const Detection onB = det(100, 100, 110, 110, 0.7f);
    const Detection nowhere = det(200, 200, 210, 210, 0.8f);

    QTest::newRow("perfect, two classes, two images")
        << Images{{{onA, det(20, 20, 40, 40, 0.8f, 1)}, {a, gt(20, 20, 40, 40, 1)}}, {{onB}, {b}}}
        << QList<int>{0, 1} << QList<double>{0.995, 0.995} << 0.995 << 0.995;

    // 2 labels; TP (0.9) then FP (0.8): recall [.5, .5], precision [1, .5].
    // Envelope on mrec [0, .5, .5, 1] = [1, 1, .5, 0]: samples r < .5 → 1, r = .5 → .5 (last of
    // the repeated .5), .5 < r < 1 → 1 - r, r = 1 → 0.
    // trapz = 49 · .01 + .01 · (1 + .5) / 2 + ∫_.5^1 (1 - r) dr = .49 + .0075 + .125 = .6225.
    QTest::newRow("one TP then one FP, two labels")
        << Images{{{onA, nowhere}, {a, b}}} << QList<int>{0} << QList<double>{0.6225} << 0.6225
        << 0.6225;

    // 1 label; FP (0.9) then TP (0.8): recall [0, 1], precision [0, .5]; envelope on
    // mrec [0, 0, 1, 1] = [1, .5, .5, 0]: samples r < 1 → .5, r = 1 → 0.
    // trapz = 99 · .01 · .5 + .01 · (.5 + 0) / 2 = .495 + .0025 = .4975.
    QTest::newRow("one FP then one TP, one label")
        << Images{{{det(200, 200, 210, 210, 0.9f), det(0, 0, 10, 10, 0.8f)}, {a}}} << QList<int>{0}
        << QList<double>{0.4975} << 0.4975 << 0.4975;

    // A TP after full recall costs nothing: 1 label, TP then FP → 0.995.
    QTest::newRow("FP after full recall")
        << Images{{{onA, nowhere}, {a}}} << QList<int>{0} << QList<double>{0.995} << 0.995 << 0.995;

    // IoU = 58 / 100 = 0.58: a TP at thresholds 0.50 and 0.55 only, so the ten-threshold mean is
    // 0.995 · 2 / 10.
    QTest::newRow("IoU 0.58 matches at 0.50 and 0.55 only")
        << Images{{{det(0, 0, 10, 5.8f, 0.9f)}, {a}}} << QList<int>{0} << QList<double>{0.995}
        << 0.995 << 0.995 * 2 / 10;

    // Class 1 has a label but no prediction: AP 0, and the mean halves.
    QTest::newRow("class with labels but no predictions")
        << Images{{{onA}, {a, gt(20, 20, 40, 40, 1)}}} << QList<int>{0, 1}
        << QList<double>{0.995, 0.0} << 0.995 / 2 << 0.995 / 2;

    // Class 1 has predictions but no labels: not listed and no effect on class 0.
    QTest::newRow("predictions of a class without labels are ignored")
        << Images{{{onA, det(0, 0, 10, 10, 0.95f, 1), det(50, 50, 60, 60, 0.99f, 1)}, {a}}}
        << QList<int>{0} << QList<double>{0.995} << 0.995 << 0.995;

    // Two labels; detections: A (0.9, TP), A again (0.8, FP: A is taken), B (0.7, TP).
    // recall [.5, .5, 1], precision [1, .5, 2/3]; envelope on mrec [0, .5, .5, 1, 1] =
    // [1, 1, 2/3, 2/3, 0]: r < .5 → 1, .5 ≤ r < 1 → 2/3, r = 1 → 0.
    // trapz = .49 + .01 · (1 + 2/3) / 2 + 49 · .01 · 2/3 + .01 · (2/3) / 2 = 0.828333...
    // (were the duplicate a TP, recall would reach 1 at the first two detections: 0.995).
    const double dupAp = 0.49 + 0.01 * (5.0 / 6.0) + 0.49 * 2.0 / 3.0 + 0.01 / 3.0;
    QTest::newRow("duplicate detection of a label is a FP")
        << Images{{{onA, det(0, 0, 10, 10, 0.8f), onB}, {a, b}}} << QList<int>{0}
        << QList<double>{dupAp} << dupAp << dupAp;

    // Ultralytics' matching: each detection takes its best label, then each label keeps the
    // earliest detection that took it; a detection losing its best label does not fall back.
    // L1 = [0,0,10,10], L2 = [3,0,13,10]. D0 = [1,0,11,10] (0.9): IoU L1 .818, L2 .667.
    // D1 = [0,0,10,10] (0.8): IoU L1 1, L2 .538. Both choose L1 and D0 keeps it at thresholds
    // .50-.80, so D1 is a FP there (AP .6225 as above; a pure greedy-by-IoU matching would give
    // .995). At .85-.95 D0 no longer qualifies and D1 gets L1: tp [0, 1], recall [0, .5],
    // precision [0, .5]; envelope on mrec [0, 0, .5, 1] = [1, .5, .5, 0]: r ≤ .5 → .5, above
    // 1 - r: AP = 50 · .01 · .5 + .125 = .375. mAP50-95 = (7 · .6225 + 3 · .375) / 10 = .54825.
    QTest::newRow("label goes to the earliest detection that chose it")
        << Images{{{det(1, 0, 11, 10, 0.9f), det(0, 0, 10, 10, 0.8f)}, {a, gt(3, 0, 13, 10)}}}
        << QList<int>{0} << QList<double>{0.6225} << 0.6225 << 0.54825;
}

void TestDetectionMetrics::averagePrecision()
{
    QFETCH(Images, images);
    QFETCH(QList<int>, classes);
    QFETCH(QList<double>, ap50);
    QFETCH(double, map50);
    QFETCH(double, map50_95);

    const DetectionMetrics m = evaluate(images, 2);
    QCOMPARE(int(m.perClass.size()), int(classes.size()));
    for (int i = 0; i < classes.size(); ++i) {
        QCOMPARE(m.perClass[i].cls, classes[i]);
        QVERIFY2(near(m.perClass[i].ap50, ap50[i]),
                 qPrintable(QStringLiteral("class %1: AP50 %2, expected %3")
                                .arg(classes[i])
                                .arg(m.perClass[i].ap50, 0, 'g', 12)
                                .arg(ap50[i], 0, 'g', 12)));
    }
    QVERIFY2(near(m.map50, map50), qPrintable(QString::number(m.map50, 'g', 12)));
    QVERIFY2(near(m.map50_95, map50_95), qPrintable(QString::number(m.map50_95, 'g', 12)));
}

void TestDetectionMetrics::precisionRecallAtMaxF1()
{
    // One label; a TP at confidence 0.9 and nine FPs at 0.1.
    // Recall curve: 0 above 0.9, 1 below. Precision: 1 at 0.9, linear down to 0.5 (after the
    // first FP) at 0.1, 0.1 at and below 0.1. F1 = 2p / (p + 1) rises with confidence up to
    // x_899 = 899/999 < 0.9 and is 0 from x_900 on. The 101-wide box filter S(i) (window
    // i - 50 .. i + 50) changes by S(i + 1) - S(i) = (f1[i + 51] - f1[i - 50]) / 101: positive for
    // i <= 848 (f1 still rising), negative from i = 849 on (f1[900] = 0). The peak is at
    // x = 849/999, where P = 1 - 0.5 · (0.9 - x) / 0.8 ≈ 0.969 and R = 1. (Without the smoothing
    // P would be read at x_899, ≈ 1; at the lowest confidence it would be 0.1.)
    Images images{{{det(0, 0, 10, 10, 0.9f)}, {gt(0, 0, 10, 10)}}};
    for (int i = 0; i < 9; ++i)
        images[0].detections.push_back(det(100 + 20 * i, 100, 110 + 20 * i, 110, 0.1f));
    const DetectionMetrics m = evaluate(images, 1);

    const double x = 849.0 / 999.0;
    const double expectedP = 1.0 - 0.5 * (0.9 - x) / 0.8;
    QVERIFY2(std::abs(m.confidence - x) < 1e-12, qPrintable(QString::number(m.confidence)));
    QVERIFY2(std::abs(m.precision - expectedP) < 1e-6, qPrintable(QString::number(m.precision)));
    QVERIFY2(std::abs(m.recall - 1.0) < 1e-12, qPrintable(QString::number(m.recall)));
    QCOMPARE(m.perClass.size(), size_t{1});
    QCOMPARE(m.perClass[0].precision, m.precision);
    QCOMPARE(m.perClass[0].recall, m.recall);

    // Two classes: P and R are averaged over classes at one shared confidence.
    // Class 1 has a label but no prediction: its P and R are 0 everywhere.
    images[0].labels.push_back(gt(300, 300, 320, 320, 1));
    const DetectionMetrics two = evaluate(images, 2);
    QCOMPARE(two.perClass.size(), size_t{2});
    QCOMPARE(two.perClass[1].precision, 0.0);
    QCOMPARE(two.perClass[1].recall, 0.0);
    QVERIFY(std::abs(two.precision - two.perClass[0].precision / 2) < 1e-12);
    QVERIFY(std::abs(two.recall - 0.5) < 1e-12);
}

void TestDetectionMetrics::imageAndInstanceCounts()
{
    const Images images{
        {{}, {gt(0, 0, 1, 1), gt(2, 2, 3, 3), gt(5, 5, 6, 6, 1)}},
        {{det(0, 0, 1, 1, 0.5f)}, {gt(0, 0, 1, 1)}},
        {{det(0, 0, 1, 1, 0.5f, 1)}, {}}, // background image
    };
    const DetectionMetrics m = evaluate(images, 2);
    QCOMPARE(m.images, 3);
    QCOMPARE(m.instances, 4);
    QCOMPARE(m.perClass.size(), size_t{2});
    QCOMPARE(m.perClass[0].name, QStringLiteral("cat"));
    QCOMPARE(m.perClass[0].images, 2);
    QCOMPARE(m.perClass[0].instances, 3);
    QCOMPARE(m.perClass[1].name, QStringLiteral("dog"));
    QCOMPARE(m.perClass[1].images, 1);
    QCOMPARE(m.perClass[1].instances, 1);
}

void TestDetectionMetrics::prCurveIsThePrecisionEnvelope()
{
    // Same case as "one TP then one FP, two labels": envelope 1 for recall < .5, 1 - r above,
    // 0 at recall 1; sampled at recall q / 999.
    const Images images{{{det(0, 0, 10, 10, 0.9f), det(200, 200, 210, 210, 0.8f)},
                         {gt(0, 0, 10, 10), gt(100, 100, 110, 110)}}};
    const DetectionMetrics m = evaluate(images, 1);
    const std::vector<double> &curve = m.perClass.at(0).prCurve;
    QCOMPARE(int(curve.size()), kCurvePoints);
    QCOMPARE(curve[0], 1.0);
    QCOMPARE(curve[499], 1.0);
    QVERIFY(std::abs(curve[500] - (1.0 - 500.0 / 999.0)) < 1e-12);
    QVERIFY(std::abs(curve[750] - (1.0 - 750.0 / 999.0)) < 1e-12);
    QCOMPARE(curve[999], 0.0);
    // A class without predictions has a flat zero curve of the same length.
    MetricsAccumulator acc(1);
    acc.addImage({}, {gt(0, 0, 1, 1)});
    const DetectionMetrics none = acc.compute({});
    QCOMPARE(int(none.perClass.at(0).prCurve.size()), kCurvePoints);
    QCOMPARE(none.perClass.at(0).prCurve[0], 0.0);
    QCOMPARE(none.perClass.at(0).name, QStringLiteral("0"));
}

void TestDetectionMetrics::noLabelsGivesZeros()
{
    MetricsAccumulator acc(3);
    acc.addImage({det(0, 0, 10, 10, 0.9f)}, {});
    const DetectionMetrics m = acc.compute({});
    QCOMPARE(m.images, 1);
    QCOMPARE(m.instances, 0);
    QVERIFY(m.perClass.empty());
    QCOMPARE(m.map50, 0.0);
    QCOMPARE(m.map50_95, 0.0);
    QCOMPARE(m.precision, 0.0);
    QCOMPARE(m.recall, 0.0);
}

void TestDetectionMetrics::fitnessWeights()
{
    DetectionMetrics m;
    m.map50 = 0.8;
    m.map50_95 = 0.5;
    m.precision = 0.3;
    m.recall = 0.2;
    QVERIFY(std::abs(m.fitness() - (0.1 * 0.8 + 0.9 * 0.5)) < 1e-12);
    QVERIFY(std::abs(m.fitness(1.0, 0.0) - 0.8) < 1e-12);
    QVERIFY(std::abs(m.fitness(0.0, 1.0) - 0.5) < 1e-12);
}

QTEST_GUILESS_MAIN(TestDetectionMetrics)
#include "tst_detectionmetrics.moc"
