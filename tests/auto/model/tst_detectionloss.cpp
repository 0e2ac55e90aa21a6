#include "core/model/boxops.h"
#include "core/model/detectionloss.h"
#include "core/model/yolomodel.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cmath>

using namespace yolodeck;

namespace {

constexpr int kImgsz = 64;
const std::vector<int64_t> kStrides{8, 16, 32};

YoloModel tinyModel(int nc)
{
    return YoloModel(*modelScale(QStringLiteral("tiny")), nc);
}

std::vector<torch::Tensor> randomMaps(int batch, int nc, double scale = 1.0)
{
    std::vector<torch::Tensor> feats;
    for (int64_t s : kStrides)
        feats.push_back(torch::randn({batch, 64 + nc, kImgsz / s, kImgsz / s}) * scale);
    return feats;
}

// Maps whose every anchor predicts exactly the pixel box `xyxy` (as a two-bin DFL distribution)
// and whose class logits are confident for `cls` inside the box and background elsewhere.
std::vector<torch::Tensor> perfectMaps(int nc, int cls, const torch::Tensor &xyxy)
{
    std::vector<torch::Tensor> feats;
    for (int64_t s : kStrides) {
        const int64_t g = kImgsz / s;
        auto f = torch::full({1, 64 + nc, g, g}, -8.0);
        const Anchors anchors = makeAnchors({f}, {s});
        const auto dist = bbox2dist(anchors.points, xyxy / double(s), 16); // [A, 4]
        const auto left = dist.floor();
        const auto wRight = dist - left;
        const auto probs = torch::zeros({g * g, 4, 16});
        probs.scatter_(2, left.to(torch::kLong).unsqueeze(-1), (1 - wRight).unsqueeze(-1));
        probs.scatter_(2, left.to(torch::kLong).unsqueeze(-1) + 1, wRight.unsqueeze(-1));
        const auto logits = probs.clamp_min(1e-9).log(); // softmax(logits) == probs
        f.narrow(1, 0, 64).copy_(logits.view({g, g, 64}).permute({2, 0, 1}).unsqueeze(0));
        const auto inside =
            TaskAlignedAssigner::candidatesInBoxes(anchors.points * double(s), xyxy.view({1, 1, 4}))
                .view({g, g});
        f[0][64 + cls].masked_fill_(inside, 6.0);
        feats.push_back(f);
    }
    return feats;
}

torch::Tensor gradOf(const YoloModel &model, const std::string &key)
{
    const auto params = model->named_parameters();
    return params[key].grad();
}

} // namespace

class TestDetectionLoss : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }
    void noTargetsIsFiniteAndBackgroundOnly();
    void perfectPredictionBeatsRandom();
    void gainsAndTotal();
    void gradientReachesTheModel();
    void halfPrecisionMaps();
    void rejectsInconsistentInput();
    void overfitsOneBatch();
};

void TestDetectionLoss::noTargetsIsFiniteAndBackgroundOnly()
{
    auto model = tinyModel(3);
    const DetectionLoss loss(3, model->strides());
    const auto feats = model->forward(torch::rand({2, 3, kImgsz, kImgsz}));
    const auto out = loss(feats, torch::zeros({0, 6}), kImgsz);
    QCOMPARE(out.items.sizes().vec(), std::vector<int64_t>{3});
    QVERIFY(torch::isfinite(out.items).all().item<bool>());
    QCOMPARE(out.items[0].item<float>(), 0.0f);
    QCOMPARE(out.items[2].item<float>(), 0.0f);
    QVERIFY(out.items[1].item<float>() > 0);
    QVERIFY(!out.items.requires_grad());
    out.total.backward();
    // The class branch learns "background"; the box branch gets an exact zero gradient.
    const auto clsGrad = gradOf(model, "model.22.cv3.0.2.bias");
    QVERIFY(clsGrad.defined() && clsGrad.abs().sum().item<float>() > 0);
    const auto boxGrad = gradOf(model, "model.22.cv2.0.2.bias");
    QVERIFY(boxGrad.defined());
    QCOMPARE(boxGrad.abs().sum().item<float>(), 0.0f);
    for (const auto &p : model->parameters()) {
        if (p.grad().defined())
            QVERIFY(torch::isfinite(p.grad()).all().item<bool>());
    }
}

void TestDetectionLoss::perfectPredictionBeatsRandom()
{
    const int nc = 3;
    const DetectionLoss loss(nc, kStrides);
    // One box of class 1 at pixels (8, 8)-(40, 40): normalised centre 0.375, size 0.5.
    const auto targets = torch::tensor({0.0f, 1.0f, 0.375f, 0.375f, 0.5f, 0.5f}).view({1, 6});
    const auto perfect =
        loss(perfectMaps(nc, 1, torch::tensor({8.0f, 8.0f, 40.0f, 40.0f})), targets, kImgsz);
    const auto random = loss(randomMaps(1, nc), targets, kImgsz);
    QVERIFY(torch::isfinite(perfect.items).all().item<bool>());
    QVERIFY(torch::isfinite(random.items).all().item<bool>());
    // CIoU of exact boxes is 1: the box loss vanishes.
    QVERIFY2(perfect.items[0].item<float>() < 1e-3,
             qPrintable(QString::number(perfect.items[0].item<float>())));
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(perfect.items[i].item<float>() < random.items[i].item<float>() * 0.5,
                 qPrintable(QStringLiteral("item %1: %2 vs %3")
                                .arg(i)
                                .arg(perfect.items[i].item<float>())
                                .arg(random.items[i].item<float>())));
    }
    // A wrong class or a wrong place costs more than the perfect prediction.
    const auto wrongClass =
        loss(perfectMaps(nc, 2, torch::tensor({8.0f, 8.0f, 40.0f, 40.0f})), targets, kImgsz);
    QVERIFY(wrongClass.items[1].item<float>() > perfect.items[1].item<float>() * 2);
    const auto wrongPlace =
        loss(perfectMaps(nc, 1, torch::tensor({8.0f, 8.0f, 24.0f, 40.0f})), targets, kImgsz);
    QVERIFY(wrongPlace.items[0].item<float>() > perfect.items[0].item<float>() + 0.1);
    QVERIFY(wrongPlace.items[2].item<float>() > perfect.items[2].item<float>());
}

void TestDetectionLoss::gainsAndTotal()
{
    const int nc = 2;
    const auto feats = randomMaps(2, nc);
    const auto targets = torch::tensor({{0.0f, 0.0f, 0.5f, 0.5f, 0.5f, 0.4f},
                                        {1.0f, 1.0f, 0.3f, 0.6f, 0.25f, 0.5f},
                                        {1.0f, 0.0f, 0.7f, 0.3f, 0.3f, 0.3f}});
    const auto plain =
        DetectionLoss(nc, kStrides, LossGains{1.0, 1.0, 1.0})(feats, targets, kImgsz);
    const auto gained = DetectionLoss(nc, kStrides)(feats, targets, kImgsz);
    QVERIFY(plain.items[0].item<float>() > 0 && plain.items[2].item<float>() > 0);
    QVERIFY(torch::allclose(gained.items, plain.items * torch::tensor({7.5f, 0.5f, 1.5f})));
    // total = sum of the items x batch size (Ultralytics' convention).
    QVERIFY(std::abs(gained.total.item<float>() - gained.items.sum().item<float>() * 2) < 1e-4);
}

void TestDetectionLoss::gradientReachesTheModel()
{
    auto model = tinyModel(2);
    const DetectionLoss loss(2, model->strides());
    const auto targets = torch::tensor({{0.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.5f}});
    const auto out = loss(model->forward(torch::rand({1, 3, kImgsz, kImgsz})), targets, kImgsz);
    QVERIFY(out.items[0].item<float>() > 0);
    out.total.backward();
    for (const char *key : {"model.0.conv.weight", "model.22.cv2.0.2.weight",
                            "model.22.cv3.2.0.conv.weight", "model.9.cv1.bn.weight"}) {
        const auto g = gradOf(model, key);
        QVERIFY2(g.defined() && g.abs().sum().item<float>() > 0, key);
    }
    QVERIFY(!gradOf(model, "model.22.dfl.conv.weight").defined());
}

void TestDetectionLoss::halfPrecisionMaps()
{
    // Under CUDA autocast the maps arrive in half precision; the loss works in float32.
    const auto feats = randomMaps(1, 2);
    std::vector<torch::Tensor> halfFeats;
    for (const auto &f : feats)
        halfFeats.push_back(f.to(torch::kHalf));
    const auto targets = torch::tensor({{0.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.5f}});
    const DetectionLoss loss(2, kStrides);
    const auto full = loss(feats, targets, kImgsz);
    const auto half = loss(halfFeats, targets, kImgsz);
    QCOMPARE(half.items.scalar_type(), torch::kFloat);
    QVERIFY(torch::allclose(half.items, full.items, 1e-2, 1e-3));
}

void TestDetectionLoss::rejectsInconsistentInput()
{
    const DetectionLoss loss(2, kStrides);
    const auto targets = torch::tensor({{3.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.5f}});
    QVERIFY_THROWS_EXCEPTION(c10::Error, loss(randomMaps(2, 2), targets, kImgsz));
    // Maps of a 64 px input with a 96 px imgsz.
    const auto inside = torch::tensor({{0.0f, 1.0f, 0.5f, 0.5f, 0.5f, 0.5f}});
    QVERIFY_THROWS_EXCEPTION(c10::Error, loss(randomMaps(1, 2), inside, 96));
}

void TestDetectionLoss::overfitsOneBatch()
{
    // Two coloured squares on a dark 64 px image; the tiny model must learn them in seconds.
    //
    // The summed loss is not the yardstick here: Ultralytics normalises by the sum of the
    // task-aligned target scores, which start tiny (the untrained boxes have a low CIoU) and grow
    // as the boxes improve, so the first steps report a deflated loss that rises before it
    // falls, and DFL has an entropy floor (~0.8 with these gains). What must happen is that the
    // detections become right: for each box, the anchor scoring highest for its class is
    // confident and overlaps it well.
    torch::manual_seed(1);
    const int nc = 2;
    auto image = torch::full({1, 3, kImgsz, kImgsz}, 0.1);
    using torch::indexing::Slice;
    image.index_put_({0, 0, Slice(8, 32), Slice(8, 40)}, 0.9);   // red, class 0: (8,8)-(40,32)
    image.index_put_({0, 2, Slice(32, 56), Slice(36, 60)}, 0.9); // blue, class 1: (36,32)-(60,56)
    const auto targets =
        torch::tensor({{0.0f, 0.0f, 24.0f / 64, 20.0f / 64, 32.0f / 64, 24.0f / 64},
                       {0.0f, 1.0f, 48.0f / 64, 44.0f / 64, 24.0f / 64, 24.0f / 64}});
    const auto gtBoxes = torch::tensor({{8.0f, 8.0f, 40.0f, 32.0f}, {36.0f, 32.0f, 60.0f, 56.0f}});

    auto model = tinyModel(nc);
    model->train();
    const auto bestDetections = [&]() {
        // Decoded in training mode: after a few dozen steps the BN running statistics still lag.
        torch::NoGradGuard noGrad;
        const auto det = model->decode(model->forward(image))[0]; // [A, 4 + nc]
        std::vector<std::pair<float, float>> scoreAndIou;
        for (int c = 0; c < nc; ++c) {
            const int64_t best = det.select(1, 4 + c).argmax().item<int64_t>();
            const float iou = bboxIou(det[best].narrow(0, 0, 4), gtBoxes[c], false).item<float>();
            scoreAndIou.emplace_back(det[best][4 + c].item<float>(), iou);
        }
        return scoreAndIou;
    };
    for (const auto &[score, iou] : bestDetections())
        QVERIFY(score < 0.05f); // the class prior: nothing is detected before training

    const DetectionLoss loss(nc, model->strides());
    const ParamGroups groups = model->parameterGroups();
    std::vector<torch::Tensor> params = groups.weightsDecay;
    params.insert(params.end(), groups.normWeights.begin(), groups.normWeights.end());
    params.insert(params.end(), groups.biases.begin(), groups.biases.end());
    // AdamW, as Ultralytics' optimizer=auto picks for short runs.
    torch::optim::AdamW adamw(params, torch::optim::AdamWOptions(0.003).weight_decay(0));

    QElapsedTimer timer;
    timer.start();
    for (int step = 0; step < 60; ++step) {
        adamw.zero_grad();
        const auto out = loss(model->forward(image), targets, kImgsz);
        QVERIFY(torch::isfinite(out.items).all().item<bool>());
        out.total.backward();
        torch::nn::utils::clip_grad_norm_(params, 10.0);
        adamw.step();
    }
    const auto after = bestDetections();
    for (int c = 0; c < nc; ++c) {
        const auto [score, iou] = after[size_t(c)];
        qInfo("class %d: score %.3f IoU %.3f", c, double(score), double(iou));
        QVERIFY2(score > 0.5f, qPrintable(QString::number(score)));
        QVERIFY2(iou > 0.7f, qPrintable(QString::number(iou)));
    }
    qInfo("60 steps in %lld ms", static_cast<long long>(timer.elapsed()));
}

QTEST_GUILESS_MAIN(TestDetectionLoss)
#include "tst_detectionloss.moc"
