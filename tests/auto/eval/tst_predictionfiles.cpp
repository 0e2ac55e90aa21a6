#include "core/eval/predictionfiles.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

const QStringList kNames{QStringLiteral("cat"), QStringLiteral("dog")};

void writeText(const QString &path, const QByteArray &text)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text);
}

QByteArray readText(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool sameMetrics(const DetectionMetrics &a, const DetectionMetrics &b)
{
    const auto eq = [](double x, double y) { return std::abs(x - y) < 1e-9; };
    if (!eq(a.precision, b.precision) || !eq(a.recall, b.recall) || !eq(a.map50, b.map50) ||
        !eq(a.map50_95, b.map50_95) || a.images != b.images || a.instances != b.instances ||
        a.perClass.size() != b.perClass.size())
        return false;
    for (size_t i = 0; i < a.perClass.size(); ++i) {
        const ClassMetrics &x = a.perClass[i], &y = b.perClass[i];
        if (x.cls != y.cls || x.images != y.images || x.instances != y.instances ||
            !eq(x.ap50, y.ap50) || !eq(x.ap50_95, y.ap50_95) || !eq(x.precision, y.precision) ||
            !eq(x.recall, y.recall))
            return false;
    }
    return true;
}

} // namespace

class TestPredictionFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writeFormat();
    void readBackInPixels();
    void roundTripScoresLikeTheAccumulator();
    void malformedLinesReportedOncePerFile();
    void missingFileMeansNoDetections();
    void missingFolderFails();
    void fileNameIsTheImageStem();
};

void TestPredictionFiles::writeFormat()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("sub/img.txt"));
    // 640 × 480 image. Box 1: [64, 48, 192, 144] → centre (128, 96), size 128 × 96 → all 0.2.
    // Box 2: [0, 0, 213, 100] → cx 106.5 / 640 = 0.16640625 → %g keeps 6 digits.
    const std::vector<Detection> dets{{64, 48, 192, 144, 0.5f, 1},
                                      {0, 0, 213, 100, 0.123456789f, 0}};
    QVERIFY(writePredictionFile(path, dets, 640, 480).isOk());
    QCOMPARE(readText(path), QByteArray("1 0.2 0.2 0.2 0.2 0.5\n"
                                        "0 0.166406 0.104167 0.332813 0.208333 0.123457\n"));

    QVERIFY(writePredictionFile(path, {}, 640, 480).isOk());
    QCOMPARE(readText(path), QByteArray());
    QVERIFY(!writePredictionFile(path, dets, 0, 480).isOk());
}

void TestPredictionFiles::readBackInPixels()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("img.txt"));
    writeText(path, "1 0.2 0.2 0.2 0.2 0.5\n\n0 0.5 0.5 1 1 0.25\n");
    QString problem = QStringLiteral("stale");
    const std::vector<Detection> dets = readPredictionFile(path, 640, 480, 2, &problem);
    QVERIFY(problem.isEmpty());
    QCOMPARE(dets.size(), size_t{2});
    QCOMPARE(dets[0].cls, 1);
    QCOMPARE(dets[0].x1, 64.0f);
    QCOMPARE(dets[0].y1, 48.0f);
    QCOMPARE(dets[0].x2, 192.0f);
    QCOMPARE(dets[0].y2, 144.0f);
    QCOMPARE(dets[0].conf, 0.5f);
    QCOMPARE(dets[1].x1, 0.0f);
    QCOMPARE(dets[1].x2, 640.0f);
    QCOMPARE(dets[1].y2, 480.0f);
    QCOMPARE(dets[1].conf, 0.25f);
}

void TestPredictionFiles::roundTripScoresLikeTheAccumulator()
{
    QTemporaryDir dir;
    // Three images of different sizes; the third has no prediction file at all.
    struct Case
    {
        ScoredImage image;
        std::vector<Detection> detections;
        bool written;
    };
    std::vector<Case> cases{
        {{QStringLiteral("/data/images/val/a.jpg"),
          640,
          480,
          {{0, 0.2f, 0.2f, 0.2f, 0.2f}, {1, 0.5f, 0.5f, 0.25f, 0.5f}}},
         {{64, 48, 192, 144, 0.9f, 0},    // exact on label 0
          {260, 130, 380, 350, 0.8f, 1},  // IoU with label 1 = 26400 / 38400 = 0.6875
          {400, 400, 440, 440, 0.3f, 0}}, // FP
         true},
        {{QStringLiteral("/data/images/val/b.png"), 320, 320, {{0, 0.5f, 0.5f, 0.5f, 0.5f}}},
         {{80, 80, 240, 240, 0.6f, 0}, {0, 0, 30, 30, 0.7f, 1}},
         true},
        {{QStringLiteral("/data/images/val/c.jpg"), 100, 200, {{1, 0.5f, 0.5f, 0.2f, 0.2f}}},
         {},
         false},
    };

    MetricsAccumulator direct(2);
    std::vector<ScoredImage> images;
    for (const Case &c : cases) {
        images.push_back(c.image);
        std::vector<GroundTruth> labels;
        for (const NormalizedBox &b : c.image.labels) {
            labels.push_back({(b.cx - b.w / 2) * c.image.width, (b.cy - b.h / 2) * c.image.height,
                              (b.cx + b.w / 2) * c.image.width, (b.cy + b.h / 2) * c.image.height,
                              b.cls});
        }
        std::vector<Detection> sorted = c.detections;
        std::stable_sort(sorted.begin(), sorted.end(),
                         [](const Detection &a, const Detection &b) { return a.conf > b.conf; });
        direct.addImage(sorted, labels);
        if (c.written) {
            QVERIFY(writePredictionFile(predictionFilePath(dir.path(), c.image.imagePath),
                                        c.detections, c.image.width, c.image.height)
                        .isOk());
        }
    }
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files),
             (QStringList{QStringLiteral("a.txt"), QStringLiteral("b.txt")}));

    std::vector<PredictionIssue> issues;
    const Result<DetectionMetrics> scored =
        scorePredictionFolder(images, dir.path(), kNames, &issues);
    QVERIFY2(scored.isOk(), qPrintable(scored.error()));
    QVERIFY(issues.empty());
    const DetectionMetrics expected = direct.compute(kNames);
    // Not a degenerate case: some but not all labels found.
    QVERIFY(expected.map50 > 0.1 && expected.map50 < 0.99);
    QCOMPARE(scored.value().images, 3);
    QCOMPARE(scored.value().instances, 4);
    QVERIFY(sameMetrics(scored.value(), expected));
}

void TestPredictionFiles::malformedLinesReportedOncePerFile()
{
    QTemporaryDir dir;
    writeText(dir.filePath(QStringLiteral("bad.txt")),
              "0 0.5 0.5 0.5 0.5 0.9\n"   // good, exact on the label
              "0 0.5 0.5 0.5 0.5\n"       // no confidence
              "x 0.5 0.5 0.5 0.5 0.9\n"   // class not a number
              "7 0.5 0.5 0.5 0.5 0.9\n"   // class outside 0..1
              "0 0.5 0.5 0.5 0.5 1.5\n"   // confidence outside [0, 1]
              "0 0.5 nan 0.5 0.5 0.5\n"); // not finite
    writeText(dir.filePath(QStringLiteral("good.txt")), "1 0.5 0.5 0.5 0.5 0.9\n");

    const std::vector<ScoredImage> images{
        {QStringLiteral("bad.jpg"), 100, 100, {{0, 0.5f, 0.5f, 0.5f, 0.5f}}},
        {QStringLiteral("good.jpg"), 100, 100, {{1, 0.5f, 0.5f, 0.5f, 0.5f}}},
    };
    std::vector<PredictionIssue> issues;
    const Result<DetectionMetrics> scored =
        scorePredictionFolder(images, dir.path(), kNames, &issues);
    QVERIFY(scored.isOk());
    QCOMPARE(issues.size(), size_t{1});
    QCOMPARE(issues[0].file, dir.filePath(QStringLiteral("bad.txt")));
    QVERIFY2(issues[0].reason.startsWith(QStringLiteral("line 2:")), qPrintable(issues[0].reason));
    QVERIFY2(issues[0].reason.contains(QStringLiteral("5 malformed lines skipped")),
             qPrintable(issues[0].reason));
    // The good line of the bad file still counts: both classes are found perfectly.
    QCOMPARE(scored.value().perClass.size(), size_t{2});
    QCOMPARE(scored.value().perClass[0].ap50, 0.995);
    QCOMPARE(scored.value().perClass[1].ap50, 0.995);
}

void TestPredictionFiles::missingFileMeansNoDetections()
{
    QTemporaryDir dir;
    const std::vector<ScoredImage> images{
        {QStringLiteral("one.jpg"), 50, 50, {{0, 0.5f, 0.5f, 0.5f, 0.5f}}}};
    std::vector<PredictionIssue> issues;
    const Result<DetectionMetrics> none =
        scorePredictionFolder(images, dir.path(), kNames, &issues);
    QVERIFY(none.isOk());
    QVERIFY(issues.empty());
    QCOMPARE(none.value().instances, 1);
    QCOMPARE(none.value().perClass.size(), size_t{1});
    QCOMPARE(none.value().map50, 0.0);

    // The same image with its file present scores.
    writeText(dir.filePath(QStringLiteral("one.txt")), "0 0.5 0.5 0.5 0.5 0.9\n");
    const Result<DetectionMetrics> found = scorePredictionFolder(images, dir.path(), kNames);
    QCOMPARE(found.value().map50, 0.995);
}

void TestPredictionFiles::missingFolderFails()
{
    QTemporaryDir dir;
    const QString missing = dir.filePath(QStringLiteral("nope"));
    const Result<DetectionMetrics> r = scorePredictionFolder({}, missing, kNames);
    QVERIFY(!r.isOk());
    QVERIFY(r.error().contains(missing));

    const Result<DetectionMetrics> noSize =
        scorePredictionFolder({{QStringLiteral("x.jpg"), 0, 0, {}}}, dir.path(), kNames);
    QVERIFY(!noSize.isOk());
    QVERIFY(noSize.error().contains(QStringLiteral("x.jpg")));
}

void TestPredictionFiles::fileNameIsTheImageStem()
{
    QCOMPARE(predictionFilePath(QStringLiteral("/p"), QStringLiteral("/d/img.001.jpg")),
             QStringLiteral("/p/img.001.txt"));
    QCOMPARE(predictionFilePath(QStringLiteral("/p"), QStringLiteral("rel/x.png")),
             QStringLiteral("/p/x.txt"));
}

QTEST_GUILESS_MAIN(TestPredictionFiles)
#include "tst_predictionfiles.moc"
