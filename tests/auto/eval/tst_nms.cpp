#include "core/eval/nms.h"

#include <QtTest>

using namespace yolodeck;

namespace {

struct Anchor
{
    float x1, y1, x2, y2;
    std::vector<float> scores;
};

// [1, A, 4 + nc] from a list of anchors.
torch::Tensor predictions(const std::vector<Anchor> &anchors, int nc)
{
    torch::Tensor t = torch::zeros({1, static_cast<int64_t>(anchors.size()), 4 + nc});
    for (size_t a = 0; a < anchors.size(); ++a) {
        const Anchor &an = anchors[a];
        t[0][a][0] = an.x1;
        t[0][a][1] = an.y1;
        t[0][a][2] = an.x2;
        t[0][a][3] = an.y2;
        for (int c = 0; c < nc; ++c)
            t[0][a][4 + c] = an.scores[c];
    }
    return t;
}

} // namespace

class TestNms : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void suppression_data();
    void suppression();
    void outputRowsCarryBoxScoreAndClass();
    void confidenceFilterIsStrict();
    void maxDetKeepsTheBest();
    void multiLabelScoresEveryClass();
    void emptyInput();
    void batchOfTwoImages();
    void largeInputMatchesBruteForce();
};

void TestNms::suppression_data()
{
    QTest::addColumn<int>("secondClass");
    QTest::addColumn<float>("secondX1");
    QTest::addColumn<float>("iouThreshold");
    QTest::addColumn<int>("expectedKept");

    // Box A = [0,0,10,10] class 0, score 0.9; box B = [x1,0,x1+10,10], score 0.8.
    // x1 = 2: IoU = 80 / 120 = 0.667.
    QTest::newRow("same class overlapping, suppressed") << 0 << 2.0f << 0.5f << 1;
    QTest::newRow("same class overlapping, below threshold") << 0 << 2.0f << 0.7f << 2;
    QTest::newRow("different class overlapping, kept") << 1 << 0.0f << 0.5f << 2;
    QTest::newRow("same class disjoint, kept") << 0 << 20.0f << 0.5f << 2;
    QTest::newRow("same class identical, suppressed even at high iou") << 0 << 0.0f << 0.99f << 1;
}

void TestNms::suppression()
{
    QFETCH(int, secondClass);
    QFETCH(float, secondX1);
    QFETCH(float, iouThreshold);
    QFETCH(int, expectedKept);

    std::vector<float> s1{0.9f, 0.0f};
    std::vector<float> s2{0.0f, 0.0f};
    s2[secondClass] = 0.8f;
    const auto out = nonMaxSuppression(
        predictions({{0, 0, 10, 10, s1}, {secondX1, 0, secondX1 + 10, 10, s2}}, 2), 0.25f,
        iouThreshold, 300);
    QCOMPARE(out.size(), size_t{1});
    QCOMPARE(out[0].size(0), int64_t(expectedKept));
    QCOMPARE(out[0].size(1), int64_t(6));
    // The best box always survives and comes first.
    QCOMPARE(out[0][0][4].item<float>(), 0.9f);
}

void TestNms::outputRowsCarryBoxScoreAndClass()
{
    // Highest class score wins; rows sorted by confidence; coordinates not shifted by the class
    // offset used internally.
    const auto out = nonMaxSuppression(
        predictions({{1, 2, 3, 4, {0.1f, 0.3f, 0.2f}}, {50, 60, 70, 80, {0.0f, 0.0f, 0.7f}}}, 3),
        0.001f, 0.7f, 300);
    QCOMPARE(out[0].size(0), int64_t(2));
    const torch::Tensor first = out[0][0];
    const torch::Tensor second = out[0][1];
    QCOMPARE(first[0].item<float>(), 50.0f);
    QCOMPARE(first[3].item<float>(), 80.0f);
    QCOMPARE(first[4].item<float>(), 0.7f);
    QCOMPARE(first[5].item<float>(), 2.0f);
    QCOMPARE(second[0].item<float>(), 1.0f);
    QCOMPARE(second[1].item<float>(), 2.0f);
    QCOMPARE(second[2].item<float>(), 3.0f);
    QCOMPARE(second[3].item<float>(), 4.0f);
    QCOMPARE(second[4].item<float>(), 0.3f);
    QCOMPARE(second[5].item<float>(), 1.0f);
    QCOMPARE(out[0].scalar_type(), torch::kFloat);
}

void TestNms::confidenceFilterIsStrict()
{
    // Disjoint boxes so that only the confidence filter can remove them.
    const auto out = nonMaxSuppression(
        predictions({{0, 0, 10, 10, {0.5f}}, {20, 0, 30, 10, {0.25f}}, {40, 0, 50, 10, {0.1f}}}, 1),
        0.25f, 0.7f, 300);
    QCOMPARE(out[0].size(0), int64_t(1));
    QCOMPARE(out[0][0][4].item<float>(), 0.5f);
}

void TestNms::multiLabelScoresEveryClass()
{
    // One box whose best class is 0 but which also scores class 1 above conf, and a second box
    // overlapping it that only scores class 1 (lower): with labels from the best class only,
    // class 1 keeps just the second box; with every class scored (Ultralytics' validator), class 1
    // gets the first box too and it suppresses the second, lower one of the same class.
    const torch::Tensor pred =
        predictions({{0, 0, 10, 10, {0.9f, 0.6f}}, {1, 0, 11, 10, {0.0f, 0.5f}}}, 2);

    const auto best = nonMaxSuppression(pred, 0.25f, 0.7f, 300, NmsLabels::Best);
    QCOMPARE(best[0].size(0), int64_t(2));
    QCOMPARE(best[0][0][5].item<float>(), 0.0f);
    QCOMPARE(best[0][1][4].item<float>(), 0.5f);
    QCOMPARE(best[0][1][5].item<float>(), 1.0f);

    const auto multi = nonMaxSuppression(pred, 0.25f, 0.7f, 300, NmsLabels::Multi);
    QCOMPARE(multi[0].size(0), int64_t(2));
    QCOMPARE(multi[0][0][4].item<float>(), 0.9f);
    QCOMPARE(multi[0][0][5].item<float>(), 0.0f);
    QCOMPARE(multi[0][1][4].item<float>(), 0.6f);
    QCOMPARE(multi[0][1][5].item<float>(), 1.0f);
    // Same box for both labels.
    QCOMPARE(multi[0][1][2].item<float>(), 10.0f);

    // The confidence filter applies per pair: raised above 0.6, class 1 of the first box drops,
    // and the second box's 0.5 too.
    const auto strict = nonMaxSuppression(pred, 0.65f, 0.7f, 300, NmsLabels::Multi);
    QCOMPARE(strict[0].size(0), int64_t(1));
    QCOMPARE(strict[0][0][5].item<float>(), 0.0f);
}

void TestNms::maxDetKeepsTheBest()
{
    std::vector<Anchor> anchors;
    for (int i = 0; i < 10; ++i) {
        const float x = 20.0f * i;
        anchors.push_back({x, 0, x + 10, 10, {0.05f * (i + 1)}});
    }
    const auto out = nonMaxSuppression(predictions(anchors, 1), 0.001f, 0.7f, 3);
    QCOMPARE(out[0].size(0), int64_t(3));
    QCOMPARE(out[0][0][4].item<float>(), 0.5f);
    QCOMPARE(out[0][1][4].item<float>(), 0.45f);
    QCOMPARE(out[0][2][4].item<float>(), 0.4f);
}

void TestNms::emptyInput()
{
    const auto noAnchors = nonMaxSuppression(torch::zeros({2, 0, 6}), 0.001f, 0.7f, 300);
    QCOMPARE(noAnchors.size(), size_t{2});
    QCOMPARE(noAnchors[0].size(0), int64_t(0));
    QCOMPARE(noAnchors[0].size(1), int64_t(6));
    const auto allBelow = nonMaxSuppression(predictions({{0, 0, 1, 1, {0.0001f}}}, 1));
    QCOMPARE(allBelow[0].size(0), int64_t(0));
    QCOMPARE(allBelow[0].size(1), int64_t(6));
}

void TestNms::batchOfTwoImages()
{
    torch::Tensor batch = torch::zeros({2, 3, 5});
    // Image 0: two overlapping boxes (one survives) and a disjoint one.
    batch[0][0] = torch::tensor({0.f, 0.f, 10.f, 10.f, 0.9f});
    batch[0][1] = torch::tensor({1.f, 0.f, 11.f, 10.f, 0.8f});
    batch[0][2] = torch::tensor({30.f, 30.f, 40.f, 40.f, 0.6f});
    // Image 1: one box above the threshold, the other boxes of image 0 must not leak in.
    batch[1][0] = torch::tensor({5.f, 5.f, 6.f, 6.f, 0.4f});
    const auto out = nonMaxSuppression(batch, 0.25f, 0.5f, 300);
    QCOMPARE(out.size(), size_t{2});
    QCOMPARE(out[0].size(0), int64_t(2));
    QCOMPARE(out[0][0][4].item<float>(), 0.9f);
    QCOMPARE(out[0][1][4].item<float>(), 0.6f);
    QCOMPARE(out[1].size(0), int64_t(1));
    QCOMPARE(out[1][0][0].item<float>(), 5.0f);
    QCOMPARE(out[1][0][4].item<float>(), 0.4f);

    if (torch::cuda::is_available()) {
        const auto gpu = nonMaxSuppression(batch.to(torch::kCUDA), 0.25f, 0.5f, 300);
        QCOMPARE(gpu[0].device().type(), torch::kCUDA);
        QVERIFY(torch::equal(gpu[0].cpu(), out[0]));
        QVERIFY(torch::equal(gpu[1].cpu(), out[1]));
    }
}

void TestNms::largeInputMatchesBruteForce()
{
    // Random boxes in two classes against a plain reference written directly from the definition:
    // walk boxes by score, keep one unless a kept box of its class overlaps it by more than iou.
    torch::manual_seed(7);
    const int64_t n = 400;
    torch::Tensor xy = torch::rand({n, 2}) * 200;
    torch::Tensor wh = torch::rand({n, 2}) * 40 + 5;
    torch::Tensor scores = torch::rand({n, 2});
    torch::Tensor pred = torch::cat({xy, xy + wh, scores}, 1).unsqueeze(0);
    const float iou = 0.5f;
    const auto out = nonMaxSuppression(pred, 0.3f, iou, 1000);

    // Not a structured binding: C++17 lambdas cannot capture one (clang refuses, the sanitizer
    // build uses clang).
    const auto maxed = scores.max(1);
    const torch::Tensor best = std::get<0>(maxed), cls = std::get<1>(maxed);
    std::vector<int64_t> order;
    for (int64_t i = 0; i < n; ++i) {
        if (best[i].item<float>() > 0.3f)
            order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return best[a].item<float>() > best[b].item<float>();
    });
    const auto boxIou = [&](int64_t a, int64_t b) {
        const auto p = pred[0];
        const float ax1 = p[a][0].item<float>(), ay1 = p[a][1].item<float>();
        const float ax2 = p[a][2].item<float>(), ay2 = p[a][3].item<float>();
        const float bx1 = p[b][0].item<float>(), by1 = p[b][1].item<float>();
        const float bx2 = p[b][2].item<float>(), by2 = p[b][3].item<float>();
        const float w = std::max(0.f, std::min(ax2, bx2) - std::max(ax1, bx1));
        const float h = std::max(0.f, std::min(ay2, by2) - std::max(ay1, by1));
        const float inter = w * h;
        return inter / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter);
    };
    std::vector<int64_t> kept;
    for (int64_t i : order) {
        bool keep = true;
        for (int64_t k : kept) {
            if (cls[k].item<int64_t>() == cls[i].item<int64_t>() && boxIou(k, i) > iou) {
                keep = false;
                break;
            }
        }
        if (keep)
            kept.push_back(i);
    }
    QVERIFY(kept.size() > 20); // the case is not trivial
    QVERIFY(kept.size() < order.size());
    QCOMPARE(out[0].size(0), int64_t(kept.size()));
    for (size_t r = 0; r < kept.size(); ++r) {
        QCOMPARE(out[0][r][0].item<float>(), pred[0][kept[r]][0].item<float>());
        QCOMPARE(out[0][r][5].item<float>(), float(cls[kept[r]].item<int64_t>()));
    }
}

QTEST_GUILESS_MAIN(TestNms)
#include "tst_nms.moc"
