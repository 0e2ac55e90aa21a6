#include "core/model/boxops.h"

#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

torch::Tensor box(float a, float b, float c, float d)
{
    return torch::tensor({a, b, c, d});
}

} // namespace

class TestBoxOps : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void iou_data();
    void iou();
    void xywhFlagMatchesXyxy();
    void iouBroadcasts();
    void ciouHasGradient();
    void conversionsRoundTrip();
    void anchorsAtCellCentres();
    void dist2bboxAndBack();
    void bbox2distClamps();
};

void TestBoxOps::iou_data()
{
    QTest::addColumn<torch::Tensor>("box1");
    QTest::addColumn<torch::Tensor>("box2");
    QTest::addColumn<double>("expectedIou");
    QTest::addColumn<double>("expectedCiou");

    // Same box: IoU 1, no centre distance, same aspect ratio.
    QTest::newRow("identical") << box(0, 0, 10, 10) << box(0, 0, 10, 10) << 1.0 << 1.0;
    // Disjoint squares, centres (5,5) and (25,25): rho^2 = 800, enclosing 30x30 -> c^2 = 1800.
    QTest::newRow("disjoint") << box(0, 0, 10, 10) << box(20, 20, 30, 30) << 0.0 << -800.0 / 1800.0;
    // Nested: 16 / 100; centres (5,5) and (4,4): rho^2 = 2, c^2 = 200.
    QTest::newRow("nested") << box(0, 0, 10, 10) << box(2, 2, 6, 6) << 0.16 << 0.16 - 2.0 / 200.0;
    // Different aspect: 4x2 and 2x2 sharing the left half. IoU 4 / 8; centres (2,1) and (1,1):
    // rho^2 = 1, c^2 = 4^2 + 2^2 = 20; v = 4/pi^2 (atan(2/2) - atan(4/2))^2,
    // alpha = v / (v - IoU + 1).
    const double v = 4.0 / (M_PI * M_PI) * std::pow(std::atan(1.0) - std::atan(2.0), 2);
    const double alpha = v / (v - 0.5 + 1.0);
    QTest::newRow("aspect") << box(0, 0, 4, 2) << box(0, 0, 2, 2) << 0.5
                            << 0.5 - 1.0 / 20.0 - v * alpha;
    // Touching edges: no overlap.
    QTest::newRow("touching") << box(0, 0, 1, 1) << box(1, 0, 2, 1) << 0.0 << -1.0 / 5.0;
}

void TestBoxOps::iou()
{
    QFETCH(torch::Tensor, box1);
    QFETCH(torch::Tensor, box2);
    QFETCH(double, expectedIou);
    QFETCH(double, expectedCiou);
    const auto b1 = box1.to(torch::kDouble);
    const auto b2 = box2.to(torch::kDouble);
    const auto plain = bboxIou(b1, b2, false, false);
    const auto ciou = bboxIou(b1, b2, false, true);
    QCOMPARE(plain.sizes().vec(), std::vector<int64_t>{1});
    QVERIFY2(std::abs(plain.item<double>() - expectedIou) < 1e-6,
             qPrintable(QString::number(plain.item<double>())));
    QVERIFY2(std::abs(ciou.item<double>() - expectedCiou) < 1e-6,
             qPrintable(QString::number(ciou.item<double>())));
    // Symmetric.
    QVERIFY(std::abs(bboxIou(b2, b1, false, true).item<double>() - expectedCiou) < 1e-6);
}

void TestBoxOps::xywhFlagMatchesXyxy()
{
    const auto a = torch::tensor({{0.0, 0.0, 4.0, 2.0}, {3.0, 1.0, 9.0, 8.0}}, torch::kDouble);
    const auto b = torch::tensor({{0.0, 0.0, 2.0, 2.0}, {2.0, 2.0, 5.0, 5.0}}, torch::kDouble);
    const auto xyxy = bboxIou(a, b, false, true);
    const auto xywh = bboxIou(xyxy2xywh(a), xyxy2xywh(b), true, true);
    QVERIFY(torch::allclose(xyxy, xywh, 1e-6, 1e-6));
    QVERIFY(std::abs(xyxy[0].item<double>() - bboxIou(a[0], b[0], false, true).item<double>()) <
            1e-12);
}

void TestBoxOps::iouBroadcasts()
{
    const auto a = torch::rand({3, 1, 4}) * 5;
    const auto b = torch::rand({1, 5, 4}) * 5 + 5;
    QCOMPARE(bboxIou(a, b, true, true).sizes().vec(), (std::vector<int64_t>{3, 5, 1}));
}

void TestBoxOps::ciouHasGradient()
{
    auto pred = torch::tensor({1.0, 1.0, 5.0, 3.0}, torch::requires_grad());
    const auto target = torch::tensor({0.0, 0.0, 4.0, 4.0});
    const auto loss = (1.0 - bboxIou(pred, target, false, true)).sum();
    loss.backward();
    QVERIFY(pred.grad().defined());
    QVERIFY(pred.grad().abs().sum().item<float>() > 0);
    // Moving the predicted box towards the target lowers the loss.
    const auto moved = (pred.detach() - 0.1 * pred.grad()).requires_grad_(false);
    QVERIFY((1.0 - bboxIou(moved, target, false, true)).item<float>() < loss.item<float>());
}

void TestBoxOps::conversionsRoundTrip()
{
    const auto xywh = torch::tensor({{10.0f, 20.0f, 4.0f, 6.0f}});
    const auto xyxy = xywh2xyxy(xywh);
    QVERIFY(torch::equal(xyxy, torch::tensor({{8.0f, 17.0f, 12.0f, 23.0f}})));
    QVERIFY(torch::equal(xyxy2xywh(xyxy), xywh));
    QVERIFY_THROWS_EXCEPTION(c10::Error, xywh2xyxy(torch::zeros({2, 3})));
}

void TestBoxOps::anchorsAtCellCentres()
{
    const std::vector<torch::Tensor> feats{torch::zeros({1, 5, 2, 3}), torch::zeros({1, 5, 1, 1})};
    const Anchors anchors = makeAnchors(feats, {8, 16}, 0.5);
    const auto expectedPoints = torch::tensor({{0.5f, 0.5f},
                                               {1.5f, 0.5f},
                                               {2.5f, 0.5f},
                                               {0.5f, 1.5f},
                                               {1.5f, 1.5f},
                                               {2.5f, 1.5f},
                                               {0.5f, 0.5f}});
    QVERIFY(torch::equal(anchors.points, expectedPoints));
    QVERIFY(torch::equal(anchors.strides,
                         torch::tensor({8.0f, 8.0f, 8.0f, 8.0f, 8.0f, 8.0f, 16.0f}).view({7, 1})));
    // dtype follows the maps.
    const Anchors doubles = makeAnchors({torch::zeros({1, 1, 1, 1}, torch::kDouble)}, {32});
    QCOMPARE(doubles.points.scalar_type(), torch::kDouble);
}

void TestBoxOps::dist2bboxAndBack()
{
    const auto anchor = torch::tensor({{5.0f, 5.0f}});
    const auto dist = torch::tensor({{1.0f, 2.0f, 3.0f, 4.0f}});
    const auto xyxy = dist2bbox(dist, anchor, false);
    QVERIFY(torch::equal(xyxy, torch::tensor({{4.0f, 3.0f, 8.0f, 9.0f}})));
    QVERIFY(torch::equal(dist2bbox(dist, anchor, true), torch::tensor({{6.0f, 6.0f, 4.0f, 6.0f}})));
    QVERIFY(torch::allclose(bbox2dist(anchor, xyxy, 16), dist));
    // Along dim 1 ([B, 4, A] layout of the decoder).
    const auto channelFirst = dist2bbox(dist.t().unsqueeze(0), anchor.t().unsqueeze(0), false, 1);
    QVERIFY(torch::equal(channelFirst.squeeze(0).t(), xyxy));
}

void TestBoxOps::bbox2distClamps()
{
    const auto anchor = torch::tensor({{5.0f, 5.0f}});
    // Far edges clamp to 16 - 1 - 0.01 so that the right DFL bin exists; an anchor outside the
    // box clamps to 0.
    const auto d = bbox2dist(anchor, torch::tensor({{-30.0f, 6.0f, 40.0f, 9.0f}}), 16);
    QVERIFY(torch::allclose(d, torch::tensor({{14.99f, 0.0f, 14.99f, 4.0f}})));
}

QTEST_GUILESS_MAIN(TestBoxOps)
#include "tst_boxops.moc"
