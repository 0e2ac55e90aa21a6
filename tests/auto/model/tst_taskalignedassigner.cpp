#include "core/model/boxops.h"
#include "core/model/taskalignedassigner.h"

#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

// A 32 x 32 px image seen by a 4 x 4 grid of stride-8 anchors: anchor r * 4 + c sits at
// (4 + 8c, 4 + 8r).
torch::Tensor gridAnchors()
{
    std::vector<float> xy;
    for (int r = 0; r < 4; ++r) {
        for (int c = 0; c < 4; ++c) {
            xy.push_back(4.0f + 8.0f * c);
            xy.push_back(4.0f + 8.0f * r);
        }
    }
    return torch::tensor(xy).view({16, 2});
}

// Every anchor predicts an 8 x 8 box around itself.
torch::Tensor cellBoxes(int batch)
{
    const auto p = gridAnchors();
    return torch::cat({p - 4, p + 4}, 1).unsqueeze(0).repeat({batch, 1, 1});
}

struct Gt
{
    torch::Tensor labels, boxes, mask;
};

// boxes: per image a list of (cls, x1, y1, x2, y2); padded to the longest list.
Gt makeGt(const std::vector<std::vector<std::array<float, 5>>> &images)
{
    size_t m = 0;
    for (const auto &img : images)
        m = std::max(m, img.size());
    const auto b = static_cast<int64_t>(images.size());
    Gt gt{torch::zeros({b, int64_t(m), 1}), torch::zeros({b, int64_t(m), 4}),
          torch::zeros({b, int64_t(m), 1})};
    for (int64_t i = 0; i < b; ++i) {
        for (size_t j = 0; j < images[size_t(i)].size(); ++j) {
            const auto &row = images[size_t(i)][j];
            gt.labels[i][int64_t(j)][0] = row[0];
            for (int k = 0; k < 4; ++k)
                gt.boxes[i][int64_t(j)][k] = row[size_t(k) + 1];
            gt.mask[i][int64_t(j)][0] = 1.0f;
        }
    }
    return gt;
}

std::vector<int64_t> positives(const AssignResult &r, int image = 0)
{
    const auto idx = r.fgMask[image].nonzero().flatten();
    return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
}

double ciou(const torch::Tensor &a, const torch::Tensor &b)
{
    return bboxIou(a.to(torch::kDouble), b.to(torch::kDouble), false, true).item<double>();
}

} // namespace

class TestTaskAlignedAssigner : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void candidatesAreAnchorsInsideBox();
    void positivesAreCandidatesOfTheBox();
    void topkKeepsBestAligned();
    void alignmentUsesScoreAndIou();
    void sharedAnchorGoesToHigherIou();
    void paddedBoxesIgnored();
    void noBoxesAllBackground();
};

void TestTaskAlignedAssigner::candidatesAreAnchorsInsideBox()
{
    const auto in = TaskAlignedAssigner::candidatesInBoxes(
        gridAnchors(),
        torch::tensor({0.0f, 0.0f, 16.0f, 16.0f, 12.0f, 12.0f, 13.0f, 30.0f}).view({1, 2, 4}));
    QCOMPARE(in.sizes().vec(), (std::vector<int64_t>{1, 2, 16}));
    const auto first = in[0][0].nonzero().flatten();
    QVERIFY(torch::equal(first, torch::tensor({0, 1, 4, 5}, torch::kLong)));
    // The second box is 1 px wide around x = 12.5: it holds the centres x = 12 only from y 12 on,
    // and x = 12 lies exactly on its left edge, which does not count.
    QCOMPARE(in[0][1].sum().item<int64_t>(), int64_t(0));
}

void TestTaskAlignedAssigner::positivesAreCandidatesOfTheBox()
{
    const TaskAlignedAssigner assigner(2);
    const Gt gt = makeGt({{{1, 0, 0, 16, 16}}});
    // Predictions equal to the box: CIoU 1 everywhere, so the scores are driven by 0.5^0.5.
    const auto pdBoxes = torch::tensor({0.0f, 0.0f, 16.0f, 16.0f}).repeat({1, 16, 1});
    const auto pdScores = torch::full({1, 16, 2}, 0.5f);
    const auto r = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r), (std::vector<int64_t>{0, 1, 4, 5}));
    for (int64_t a : {0, 1, 4, 5}) {
        QCOMPARE(r.targetLabels[0][a].item<int64_t>(), int64_t(1));
        QCOMPARE(r.targetGtIdx[0][a].item<int64_t>(), int64_t(0));
        QVERIFY(torch::equal(r.targetBoxes[0][a], torch::tensor({0.0f, 0.0f, 16.0f, 16.0f})));
        // Normalised to the box's best CIoU (1) on its class, 0 on the other class.
        QVERIFY(std::abs(r.targetScores[0][a][1].item<float>() - 1.0f) < 1e-4);
        QCOMPARE(r.targetScores[0][a][0].item<float>(), 0.0f);
    }
    // Background anchors have no target score at all.
    QCOMPARE(r.targetScores.sum().item<float>(),
             r.targetScores.index({0, r.fgMask[0]}).sum().item<float>());
    QVERIFY(std::abs(r.targetScores.sum().item<float>() - 4.0f) < 1e-3);
}

void TestTaskAlignedAssigner::topkKeepsBestAligned()
{
    // topk 2 of 4 candidates: anchor 0 predicts the box exactly, anchor 5 a box cut 4 px short,
    // anchors 1 and 4 their own 8 x 8 cells (CIoU far lower).
    const TaskAlignedAssigner assigner(2, /*topk*/ 2);
    const Gt gt = makeGt({{{0, 0, 0, 16, 16}}});
    auto pdBoxes = cellBoxes(1);
    pdBoxes[0][0] = torch::tensor({0.0f, 0.0f, 16.0f, 16.0f});
    pdBoxes[0][5] = torch::tensor({0.0f, 0.0f, 16.0f, 12.0f});
    auto pdScores = torch::full({1, 16, 2}, 0.25f);
    pdScores[0][5][0] = 1.0f;
    const auto r = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r), (std::vector<int64_t>{0, 5}));

    // Metrics: anchor 0: 0.25^0.5 * 1^6 = 0.5; anchor 5: 1^0.5 * c^6 with c its CIoU (< 0.5).
    // Each score is metric * (best CIoU = 1) / (best metric = 0.5).
    const double c =
        ciou(torch::tensor({0.0f, 0.0f, 16.0f, 16.0f}), torch::tensor({0.0f, 0.0f, 16.0f, 12.0f}));
    QVERIFY(std::pow(c, 6) < 0.5);
    QVERIFY(std::abs(r.targetScores[0][0][0].item<double>() - 1.0) < 1e-4);
    QVERIFY2(std::abs(r.targetScores[0][5][0].item<double>() - 2 * std::pow(c, 6)) < 1e-4,
             qPrintable(QString::number(r.targetScores[0][5][0].item<double>())));
}

void TestTaskAlignedAssigner::alignmentUsesScoreAndIou()
{
    // With topk 1 a confident anchor with a worse box beats an unsure anchor with a perfect box:
    // 1^0.5 * c^6 (c ~ 0.74) > 0.01^0.5 * 1^6.
    const TaskAlignedAssigner assigner(2, /*topk*/ 1);
    const Gt gt = makeGt({{{0, 0, 0, 16, 16}}});
    auto pdBoxes = cellBoxes(1);
    pdBoxes[0][0] = torch::tensor({0.0f, 0.0f, 16.0f, 16.0f});
    pdBoxes[0][5] = torch::tensor({0.0f, 0.0f, 16.0f, 12.0f});
    auto pdScores = torch::full({1, 16, 2}, 0.01f);
    pdScores[0][5][0] = 1.0f;
    auto r = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r), std::vector<int64_t>{5});
    // The score only counts for the box's own class.
    pdScores[0][5][0] = 0.01f;
    pdScores[0][5][1] = 1.0f;
    r = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r), std::vector<int64_t>{0});
}

void TestTaskAlignedAssigner::sharedAnchorGoesToHigherIou()
{
    // Box A (class 0) covers anchors 0, 1, 4, 5; box B (class 1) covers 1, 2, 5, 6. Anchors 1
    // and 5 predict B exactly, so they belong to B although both boxes pick them.
    const TaskAlignedAssigner assigner(2);
    const Gt gt = makeGt({{{0, 0, 0, 16, 16}, {1, 8, 0, 24, 16}}});
    auto pdBoxes = cellBoxes(1);
    pdBoxes[0][1] = torch::tensor({8.0f, 0.0f, 24.0f, 16.0f});
    pdBoxes[0][5] = torch::tensor({8.0f, 0.0f, 24.0f, 16.0f});
    const auto pdScores = torch::full({1, 16, 2}, 0.5f);
    const auto r = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r), (std::vector<int64_t>{0, 1, 2, 4, 5, 6}));
    const std::vector<std::pair<int64_t, int64_t>> expected{{0, 0}, {4, 0}, {1, 1},
                                                            {5, 1}, {2, 1}, {6, 1}};
    for (const auto &[anchor, box] : expected) {
        QCOMPARE(r.targetGtIdx[0][anchor].item<int64_t>(), box);
        QCOMPARE(r.targetLabels[0][anchor].item<int64_t>(), box); // class == box index here
        QVERIFY(r.targetScores[0][anchor][box].item<float>() > 0);
        QCOMPARE(r.targetScores[0][anchor][1 - box].item<float>(), 0.0f);
    }
    // Swapping the predictions of the shared anchors to A moves them to A.
    pdBoxes[0][1] = torch::tensor({0.0f, 0.0f, 16.0f, 16.0f});
    pdBoxes[0][5] = torch::tensor({0.0f, 0.0f, 16.0f, 16.0f});
    const auto r2 = assigner(pdScores, pdBoxes, gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(r2.targetGtIdx[0][1].item<int64_t>(), int64_t(0));
    QCOMPARE(r2.targetGtIdx[0][5].item<int64_t>(), int64_t(0));
}

void TestTaskAlignedAssigner::paddedBoxesIgnored()
{
    // Image 0 has two boxes, image 1 one box plus a padding row. The padding row holds a box
    // over the whole image (as garbage would), but its mask is 0.
    const TaskAlignedAssigner assigner(2);
    Gt gt = makeGt({{{0, 0, 0, 16, 16}, {1, 16, 16, 32, 32}}, {{1, 16, 16, 32, 32}}});
    gt.boxes[1][1] = torch::tensor({0.0f, 0.0f, 32.0f, 32.0f});
    const auto pdScores = torch::full({2, 16, 2}, 0.5f);
    const auto r = assigner(pdScores, cellBoxes(2), gridAnchors(), gt.labels, gt.boxes, gt.mask);
    QCOMPARE(positives(r, 0), (std::vector<int64_t>{0, 1, 4, 5, 10, 11, 14, 15}));
    QCOMPARE(positives(r, 1), (std::vector<int64_t>{10, 11, 14, 15}));
    QVERIFY(r.targetGtIdx[1].index({r.fgMask[1]}).eq(0).all().item<bool>());
    QCOMPARE(r.targetScores[1].sum(0)[0].item<float>(), 0.0f);
}

void TestTaskAlignedAssigner::noBoxesAllBackground()
{
    const TaskAlignedAssigner assigner(3);
    const Gt gt = makeGt({{}, {}});
    QCOMPARE(gt.boxes.size(1), int64_t(0));
    const auto r = assigner(torch::rand({2, 16, 3}), cellBoxes(2), gridAnchors(), gt.labels,
                            gt.boxes, gt.mask);
    QVERIFY(!r.fgMask.any().item<bool>());
    QCOMPARE(r.targetScores.sizes().vec(), (std::vector<int64_t>{2, 16, 3}));
    QCOMPARE(r.targetScores.abs().sum().item<float>(), 0.0f);
    QCOMPARE(r.targetBoxes.sizes().vec(), (std::vector<int64_t>{2, 16, 4}));
}

QTEST_GUILESS_MAIN(TestTaskAlignedAssigner)
#include "tst_taskalignedassigner.moc"
