#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "tests/auto/common/modelfixtures.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace yolodeck;

namespace {

using testing::makeModel;

torch::Tensor namedParameter(const YoloModel &model, const std::string &key)
{
    const auto params = model->named_parameters();
    const auto *found = params.find(key);
    return found ? *found : torch::Tensor();
}

// Every parameter and buffer by name, cloned.
std::map<std::string, torch::Tensor> namedStateCopy(const torch::nn::Module &module)
{
    std::map<std::string, torch::Tensor> out;
    for (const auto &item : module.named_parameters())
        out[item.key()] = item.value().detach().clone();
    for (const auto &item : module.named_buffers())
        out[item.key()] = item.value().clone();
    return out;
}

} // namespace

class TestYoloModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { torch::manual_seed(0); }
    void scaleLookup_data();
    void scaleLookup();
    void parameterCount_data();
    void parameterCount();
    void tinyIsSmall();
    void outputShapes_data();
    void outputShapes();
    void decodeHandMadeMaps();
    void decodeModelOutput();
    void gflopsMatchesUltralytics();
    void checkpointKeys();
    void dflFrozen();
    void biasInit();
    void batchNormSettings();
    void parameterGroups();
    void summaryTable();
    void inferenceCopyFoldsBatchNorm();
    void forwardOnCuda();
};

void TestYoloModel::scaleLookup_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("known");
    QTest::addColumn<double>("depth");
    QTest::addColumn<double>("width");
    QTest::addColumn<int>("maxChannels");
    QTest::newRow("n") << "n" << true << 0.33 << 0.25 << 1024;
    QTest::newRow("s") << "s" << true << 0.33 << 0.50 << 1024;
    QTest::newRow("m") << "m" << true << 0.67 << 0.75 << 768;
    QTest::newRow("l") << "l" << true << 1.00 << 1.00 << 512;
    QTest::newRow("x") << "x" << true << 1.00 << 1.25 << 512;
    QTest::newRow("ultralytics spelling") << "YOLOv8s.pt" << true << 0.33 << 0.50 << 1024;
    QTest::newRow("unknown") << "q" << false << 0.0 << 0.0 << 0;
    QTest::newRow("empty") << "" << false << 0.0 << 0.0 << 0;
}

void TestYoloModel::scaleLookup()
{
    QFETCH(QString, name);
    QFETCH(bool, known);
    const auto scale = modelScale(name);
    QCOMPARE(scale.has_value(), known);
    if (!known)
        return;
    QFETCH(double, depth);
    QFETCH(double, width);
    QFETCH(int, maxChannels);
    QCOMPARE(scale->depth, depth);
    QCOMPARE(scale->width, width);
    QCOMPARE(scale->maxChannels, maxChannels);
    QVERIFY(modelScaleNames().contains(scale->name));
}

void TestYoloModel::parameterCount_data()
{
    QTest::addColumn<QString>("scale");
    QTest::addColumn<qint64>("expected");
    // Ultralytics' published counts for 80 classes (YOLOv8n/s/m summaries).
    QTest::newRow("n") << "n" << qint64(3157200);
    QTest::newRow("s") << "s" << qint64(11166560);
    QTest::newRow("m") << "m" << qint64(25902640);
}

void TestYoloModel::parameterCount()
{
    QFETCH(QString, scale);
    QFETCH(qint64, expected);
    const auto model = makeModel(scale, 80);
    QCOMPARE(qint64(model->parameterCount()), expected);
    // Only the 16 frozen DFL weights do not train.
    QCOMPARE(qint64(model->gradientCount()), expected - 16);
}

void TestYoloModel::tinyIsSmall()
{
    const auto tiny = makeModel("tiny", 3);
    QVERIFY2(tiny->parameterCount() < 1000000, qPrintable(QString::number(tiny->parameterCount())));
    QVERIFY(tiny->parameterCount() < makeModel("n", 3)->parameterCount() / 4);
}

void TestYoloModel::outputShapes_data()
{
    QTest::addColumn<int>("imgsz");
    QTest::addColumn<int>("nc");
    QTest::newRow("64 px, 3 classes") << 64 << 3;
    QTest::newRow("96 px, 1 class") << 96 << 1;
}

void TestYoloModel::outputShapes()
{
    QFETCH(int, imgsz);
    QFETCH(int, nc);
    auto model = makeModel("tiny", nc);
    const auto feats = model->forward(torch::rand({2, 3, imgsz, imgsz}));
    QCOMPARE(int(feats.size()), 3);
    const int strides[] = {8, 16, 32};
    for (int i = 0; i < 3; ++i) {
        const std::vector<int64_t> expected{2, 64 + nc, imgsz / strides[i], imgsz / strides[i]};
        QCOMPARE(feats[i].sizes().vec(), expected);
        QVERIFY(torch::isfinite(feats[i]).all().item<bool>());
    }
    QVERIFY_THROWS_EXCEPTION(c10::Error, model->forward(torch::rand({1, 3, 48, 48})));
}

void TestYoloModel::decodeHandMadeMaps()
{
    // Zero box logits give a uniform distribution over 16 bins, i.e. 7.5 bins on every side; a
    // one-hot logit at bin k gives exactly k. Class logit 0 gives score 0.5.
    auto model = makeModel("tiny", 2);
    const int64_t no = 64 + 2;
    std::vector<torch::Tensor> feats{torch::zeros({1, no, 8, 8}), torch::zeros({1, no, 4, 4}),
                                     torch::zeros({1, no, 2, 2})};
    // Level 1 (stride 16), cell (row 1, col 2): left 2, top 3, right 4, bottom 5 bins.
    const int bins[4] = {2, 3, 4, 5};
    for (int side = 0; side < 4; ++side) {
        feats[1].index_put_({0, torch::indexing::Slice(side * 16, side * 16 + 16), 1, 2}, -1000.0);
        feats[1].index_put_({0, side * 16 + bins[side], 1, 2}, 1000.0);
    }
    feats[1].index_put_({0, 64 + 1, 1, 2}, 3.0);

    const auto out = model->decode(feats);
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{1, 64 + 16 + 4, 4 + 2}));
    // Anchor 0: level 0 cell (0, 0), centre (4, 4) px, 7.5 bins x 8 px = 60 px each side.
    const auto a0 = out[0][0];
    QVERIFY(torch::allclose(a0.narrow(0, 0, 4), torch::tensor({-56.0f, -56.0f, 64.0f, 64.0f}), 1e-4,
                            1e-4));
    QVERIFY(torch::allclose(a0.narrow(0, 4, 2), torch::tensor({0.5f, 0.5f})));
    // Hand-made anchor: index 64 + 1 * 4 + 2, centre (2.5 * 16, 1.5 * 16) = (40, 24).
    const auto a1 = out[0][64 + 6];
    QVERIFY(torch::allclose(a1.narrow(0, 0, 4),
                            torch::tensor({40.0f - 32, 24.0f - 48, 40.0f + 64, 24.0f + 80}), 1e-3,
                            1e-3));
    QCOMPARE(a1[5].item<float>(), float(1.0 / (1.0 + std::exp(-3.0))));
    QCOMPARE(a1[4].item<float>(), 0.5f);
}

void TestYoloModel::decodeModelOutput()
{
    auto model = makeModel("tiny", 3);
    model->eval();
    torch::NoGradGuard noGrad;
    const auto out = model->decode(model->forward(torch::rand({2, 3, 64, 64})));
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{2, 64 + 16 + 4, 7}));
    const auto boxes = out.narrow(2, 0, 4);
    const auto scores = out.narrow(2, 4, 3);
    QVERIFY((boxes.select(2, 2) > boxes.select(2, 0)).all().item<bool>());
    QVERIFY((boxes.select(2, 3) > boxes.select(2, 1)).all().item<bool>());
    // Distances are at most 15 bins of the largest stride beyond the image.
    QVERIFY((boxes.abs() <= 64 + 15 * 32).all().item<bool>());
    QVERIFY((scores > 0).all().item<bool>() && (scores < 1).all().item<bool>());
    // The class bias prior makes the initial scores small (about 5 objects per 640 px image).
    QVERIFY(scores.max().item<float>() < 0.1f);
}

void TestYoloModel::gflopsMatchesUltralytics()
{
    const auto n = makeModel("n", 80);
    QVERIFY2(std::abs(n->gflops(640) - 8.7) < 0.1, qPrintable(QString::number(n->gflops(640))));
    // FLOPs grow with the pixel count.
    QVERIFY(std::abs(n->gflops(320) * 4 - n->gflops(640)) < 1e-6);
    const auto s = makeModel("s", 80);
    QVERIFY2(std::abs(s->gflops(640) - 28.6) < 0.3, qPrintable(QString::number(s->gflops(640))));
}

void TestYoloModel::checkpointKeys()
{
    const auto model = makeModel("n", 80);
    const auto params = model->named_parameters();
    const auto buffers = model->named_buffers();
    struct Key
    {
        const char *name;
        std::vector<int64_t> shape;
    };
    // Names and shapes of Ultralytics' yolov8n.pt state_dict.
    const std::vector<Key> keys{
        {"model.0.conv.weight", {16, 3, 3, 3}},
        {"model.0.bn.weight", {16}},
        {"model.2.cv1.conv.weight", {32, 32, 1, 1}},
        {"model.2.m.0.cv1.conv.weight", {16, 16, 3, 3}},
        {"model.4.m.1.cv2.bn.bias", {32}},
        {"model.9.cv2.conv.weight", {256, 512, 1, 1}},
        {"model.12.cv1.conv.weight", {128, 384, 1, 1}},
        {"model.21.cv2.conv.weight", {256, 384, 1, 1}},
        {"model.22.cv2.0.0.conv.weight", {64, 64, 3, 3}},
        {"model.22.cv2.0.2.weight", {64, 64, 1, 1}},
        {"model.22.cv2.2.2.bias", {64}},
        {"model.22.cv3.1.0.conv.weight", {80, 128, 3, 3}},
        {"model.22.cv3.0.2.weight", {80, 80, 1, 1}},
        {"model.22.dfl.conv.weight", {1, 16, 1, 1}},
    };
    for (const Key &key : keys) {
        const auto *p = params.find(key.name);
        QVERIFY2(p, key.name);
        QCOMPARE(p->sizes().vec(), key.shape);
    }
    QVERIFY(buffers.find("model.0.bn.running_mean"));
    QVERIFY(buffers.find("model.22.cv3.2.1.bn.num_batches_tracked"));
    // Layers without parameters keep their index: nothing is numbered 10, 11, 13, 14, 17, 20.
    for (const auto &item : params) {
        QVERIFY2(item.key().rfind("model.", 0) == 0, item.key().c_str());
        QVERIFY(item.key().rfind("model.10.", 0) != 0 && item.key().rfind("model.11.", 0) != 0);
    }
}

void TestYoloModel::dflFrozen()
{
    const auto model = makeModel("tiny", 3);
    const auto w = namedParameter(model, "model.22.dfl.conv.weight");
    QVERIFY(w.defined());
    QVERIFY(!w.requires_grad());
    QVERIFY(torch::equal(w.flatten(), torch::arange(16, torch::kFloat)));
    // Every other parameter trains.
    int frozen = 0;
    for (const auto &p : model->parameters())
        frozen += p.requires_grad() ? 0 : 1;
    QCOMPARE(frozen, 1);
}

void TestYoloModel::biasInit()
{
    const int nc = 5;
    const auto model = makeModel("tiny", nc);
    const int strides[] = {8, 16, 32};
    for (int i = 0; i < 3; ++i) {
        const auto box = namedParameter(model, "model.22.cv2." + std::to_string(i) + ".2.bias");
        const auto cls = namedParameter(model, "model.22.cv3." + std::to_string(i) + ".2.bias");
        QVERIFY(torch::equal(box, torch::ones_like(box)));
        const double expected = std::log(5.0 / nc / std::pow(640.0 / strides[i], 2));
        QCOMPARE(cls.numel(), int64_t(nc));
        QVERIFY(torch::allclose(cls, torch::full_like(cls, expected)));
    }
}

void TestYoloModel::batchNormSettings()
{
    const auto model = makeModel("tiny", 3);
    int bnCount = 0;
    for (const auto &module : model->modules()) {
        if (const auto *bn = module->as<torch::nn::BatchNorm2dImpl>()) {
            ++bnCount;
            QCOMPARE(bn->options.eps(), 1e-3);
            QCOMPARE(bn->options.momentum().value(), 0.03);
        }
    }
    QVERIFY(bnCount > 50);
}

void TestYoloModel::inferenceCopyFoldsBatchNorm()
{
    // BatchNorm statistics far from their initial 0 / 1, as after training: folding them into the
    // convolutions is then not a no-op, and the copy must still compute what model.eval() does.
    auto model = makeModel("tiny", 3);
    testing::perturbBatchNorm(*model);
    const std::map<std::string, torch::Tensor> before = namedStateCopy(*model);
    YoloModel copy = inferenceCopy(*model);

    int fused = 0;
    for (const auto &module : copy->modules()) {
        if (const auto *conv = module->as<ConvImpl>())
            fused += conv->fused() ? 1 : 0;
    }
    QVERIFY(fused > 50);
    QVERIFY(!copy->is_training());
    for (const torch::Tensor &p : copy->parameters())
        QVERIFY(!p.requires_grad());
    // The original is untouched: still training, same tensors.
    QVERIFY(model->is_training());
    for (const auto &[name, tensor] : namedStateCopy(*model))
        QVERIFY2(torch::equal(tensor, before.at(name)), name.c_str());

    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::rand({2, 3, 96, 64});
    model->eval();
    const std::vector<torch::Tensor> expected = model->forward(x);
    const std::vector<torch::Tensor> got = copy->forward(x);
    QCOMPARE(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const double scale = expected[i].abs().max().item<double>();
        const double diff = (got[i] - expected[i]).abs().max().item<double>();
        QVERIFY2(diff <= 1e-5 * std::max(1.0, scale),
                 qPrintable(QStringLiteral("level %1: %2 of %3").arg(i).arg(diff).arg(scale)));
    }
    // Folding is idempotent: a second fuse changes nothing.
    for (const auto &module : copy->modules()) {
        if (auto *conv = module->as<ConvImpl>())
            conv->fuseBatchNorm();
    }
    const std::vector<torch::Tensor> again = copy->forward(x);
    for (size_t i = 0; i < got.size(); ++i)
        QVERIFY(torch::equal(again[i], got[i]));
}

void TestYoloModel::parameterGroups()
{
    const auto model = makeModel("n", 80);
    const ParamGroups groups = model->parameterGroups();
    int bnCount = 0;
    for (const auto &module : model->modules())
        bnCount += module->as<torch::nn::BatchNorm2dImpl>() ? 1 : 0;
    QCOMPARE(int(groups.normWeights.size()), bnCount);
    // BN biases plus the biases of the six 1x1 output convolutions of the head.
    QCOMPARE(int(groups.biases.size()), bnCount + 6);
    for (const auto &w : groups.weightsDecay)
        QVERIFY(w.dim() == 4); // conv kernels only
    for (const auto &w : groups.normWeights)
        QVERIFY(w.dim() == 1);
    int64_t total = 0;
    for (const auto *group : {&groups.weightsDecay, &groups.normWeights, &groups.biases})
        for (const auto &p : *group)
            total += p.numel();
    QCOMPARE(total, model->gradientCount()); // everything that trains, nothing frozen
}

void TestYoloModel::summaryTable()
{
    const auto model = makeModel("n", 80);
    const QString text = model->summary(640);
    const QStringList lines = text.split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 1 + 23 + 1);
    QVERIFY2(lines.last().startsWith(QLatin1String("YOLOv8n summary: ")), qPrintable(lines.last()));
    QVERIFY(lines.last().contains(QLatin1String("3157200 parameters")));
    QVERIFY(lines.last().contains(QLatin1String("3157184 gradients")));
    QVERIFY(lines.last().contains(QLatin1String("8.7 GFLOPs")));
    // Layer 0 as Ultralytics prints it: Conv [3, 16, 3, 2] with 464 parameters.
    QVERIFY2(lines[1].simplified() == QLatin1String("0 -1 1 464 Conv [3, 16, 3, 2]"),
             qPrintable(lines[1]));
    QVERIFY2(lines[23].simplified() ==
                 QLatin1String("22 [15, 18, 21] 1 897664 Detect [80, [64, 128, 256]]"),
             qPrintable(lines[23]));
}

void TestYoloModel::forwardOnCuda()
{
    // On the accelerator when there is one (an official CUDA LibTorch), else on the CPU: the
    // device-following code paths (anchors made on the input's device) run either way.
    const torch::Device device =
        torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    auto model = makeModel("tiny", 3);
    model->to(device);
    const auto x = torch::rand({2, 3, 64, 64}).to(device);
    const auto feats = model->forward(x);
    QCOMPARE(feats[0].device().type(), device.type());
    const auto out = model->decode(feats);
    QCOMPARE(out.device().type(), device.type());
    QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{2, 84, 7}));
    // Same result as on the CPU.
    model->eval();
    torch::NoGradGuard noGrad;
    const auto deviceOut = model->decode(model->forward(x));
    model->to(torch::kCPU);
    const auto cpuOut = model->decode(model->forward(x.cpu()));
    QVERIFY(torch::allclose(cpuOut, deviceOut.cpu(), 1e-3, 1e-3));
}

QTEST_GUILESS_MAIN(TestYoloModel)
#include "tst_yolomodel.moc"
