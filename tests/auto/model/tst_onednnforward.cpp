// OneDnnForward: the inference copy's forward pass run by oneDNN directly (fused Conv+SiLU,
// blocked maps). It must compute what the model itself computes in eval mode, to float rounding,
// for every input size and batch, and step aside (LibTorch's path) when it cannot run a model.

#include "core/model/modelscale.h"
#include "core/model/onednnforward.h"
#include "core/model/yolomodel.h"
#include "tests/auto/common/modelfixtures.h"

#include <QtTest>

#include <algorithm>

using namespace yolodeck;

namespace {

// A model in eval mode whose BatchNorm statistics are as after training.
YoloModel trainedLikeModel(const QString &scaleName, int nc)
{
    YoloModel model = testing::makeModel(scaleName, nc);
    testing::perturbBatchNorm(*model);
    model->eval();
    return model;
}

// Largest difference of two map lists relative to the larger of 1 and the maps' magnitude.
double relativeDifference(const std::vector<torch::Tensor> &a, const std::vector<torch::Tensor> &b)
{
    if (a.size() != b.size())
        return 1e9;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (a[i].sizes() != b[i].sizes())
            return 1e9;
        const double scale = std::max(1.0, a[i].abs().max().item<double>());
        worst = std::max(worst, (a[i] - b[i]).abs().max().item<double>() / scale);
    }
    return worst;
}

// The same model as an inference copy with LibTorch's path (the engine turned off).
YoloModel libTorchCopy(const YoloModelImpl &model)
{
    qputenv("YOLODECK_ONEDNN", "0");
    YoloModel copy = inferenceCopy(model);
    qunsetenv("YOLODECK_ONEDNN");
    return copy;
}

bool builtWithOneDnn()
{
#ifdef YOLODECK_HAVE_ONEDNN
    return true;
#else
    return false;
#endif
}

} // namespace

class TestOneDnnForward : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        torch::manual_seed(0);
        qunsetenv("YOLODECK_ONEDNN");
        QCOMPARE(OneDnnForward::available(), builtWithOneDnn());
    }
    void computesWhatTheModelComputes_data();
    void computesWhatTheModelComputes();
    void primitivesFollowTheInputSize();
    void turnedOffByTheEnvironment();
    void stepsAsideForWhatItCannotRun();
};

void TestOneDnnForward::computesWhatTheModelComputes_data()
{
    QTest::addColumn<QString>("scale");
    QTest::addColumn<int>("nc");
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::newRow("tiny, one image") << "tiny" << 3 << 1 << 64 << 64;
    QTest::newRow("tiny, portrait batch") << "tiny" << 3 << 3 << 96 << 64;
    // n: Ultralytics' smallest scale, with 80 classes (a head output that is not a multiple of 8)
    QTest::newRow("n, landscape batch") << "n" << 80 << 2 << 64 << 96;
    // 82 classes (blueline's data.yaml): the class branch is 82 channels wide, not whole blocks
    QTest::newRow("n, 82 classes") << "n" << 82 << 2 << 64 << 64;
    // 32 x 32: the stride-32 level is a single cell, the pooling all padding
    QTest::newRow("n, smallest input") << "n" << 1 << 1 << 32 << 32;
    QTest::newRow("s") << "s" << 5 << 1 << 64 << 64;
}

void TestOneDnnForward::computesWhatTheModelComputes()
{
    QFETCH(QString, scale);
    QFETCH(int, nc);
    QFETCH(int, batch);
    QFETCH(int, height);
    QFETCH(int, width);
    YoloModel model = trainedLikeModel(scale, nc);
    YoloModel copy = inferenceCopy(*model);
    YoloModel reference = libTorchCopy(*model);
    if (builtWithOneDnn())
        QCOMPARE(copy->inferenceEngine(), QStringLiteral("oneDNN"));
    else
        QCOMPARE(copy->inferenceEngine(),
                 QStringLiteral("LibTorch (oneDNN: this build has no oneDNN)"));
    QCOMPARE(reference->inferenceEngine(),
             QStringLiteral("LibTorch (oneDNN: turned off (YOLODECK_ONEDNN=0))"));

    c10::InferenceMode inference;
    const torch::Tensor x = torch::rand({batch, 3, height, width});
    const std::vector<torch::Tensor> expected = model->forward(x);
    const std::vector<torch::Tensor> got = copy->forward(x);
    QCOMPARE(got.size(), size_t(3));
    for (size_t i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].sizes(), expected[i].sizes());
        QVERIFY(got[i].is_contiguous());
    }
    const double toModel = relativeDifference(expected, got);
    const double toLibTorchCopy = relativeDifference(reference->forward(x), got);
    qInfo("largest relative difference: %.2g to the model, %.2g to LibTorch's fused path", toModel,
          toLibTorchCopy);
    QVERIFY2(toModel <= 1e-5, qPrintable(QString::number(toModel)));
    QVERIFY2(toLibTorchCopy <= 1e-5, qPrintable(QString::number(toLibTorchCopy)));
    // Decoded boxes and scores too (what NMS and the metrics see).
    const torch::Tensor boxes = copy->decode(got);
    const torch::Tensor expectedBoxes = model->decode(expected);
    const double boxDiff = (boxes - expectedBoxes).abs().max().item<double>();
    QVERIFY2(boxDiff <= 1e-5 * std::max<double>(height, width),
             qPrintable(QString::number(boxDiff)));
}

void TestOneDnnForward::primitivesFollowTheInputSize()
{
    // Validation's rect batches and predict's letterboxes change the input size from one batch
    // to the next: each size gets its own primitives, and going back to a size reuses them with
    // the same result to the bit.
    YoloModel model = trainedLikeModel(QStringLiteral("tiny"), 2);
    YoloModel copy = inferenceCopy(*model);
    c10::InferenceMode inference;
    const torch::Tensor a = torch::rand({2, 3, 64, 96});
    const torch::Tensor b = torch::rand({1, 3, 128, 32});
    const std::vector<torch::Tensor> first = copy->forward(a);
    const std::vector<torch::Tensor> other = copy->forward(b);
    const std::vector<torch::Tensor> again = copy->forward(a);
    for (size_t i = 0; i < first.size(); ++i)
        QVERIFY(torch::equal(first[i], again[i]));
    QVERIFY(relativeDifference(model->forward(b), other) <= 1e-5);
    QVERIFY(relativeDifference(model->forward(a), again) <= 1e-5);
}

void TestOneDnnForward::turnedOffByTheEnvironment()
{
    YoloModel model = trainedLikeModel(QStringLiteral("tiny"), 2);
    for (const char *value : {"0", "off", "false"}) {
        qputenv("YOLODECK_ONEDNN", value);
        YoloModel copy = inferenceCopy(*model);
        qunsetenv("YOLODECK_ONEDNN");
        QVERIFY2(copy->inferenceEngine().startsWith(QStringLiteral("LibTorch")), value);
        c10::InferenceMode inference;
        const torch::Tensor x = torch::rand({1, 3, 64, 64});
        QVERIFY(relativeDifference(model->forward(x), copy->forward(x)) <= 1e-5);
    }
    // Any other value leaves it on.
    qputenv("YOLODECK_ONEDNN", "1");
    YoloModel on = inferenceCopy(*model);
    qunsetenv("YOLODECK_ONEDNN");
    QCOMPARE(on->inferenceEngine().startsWith(QStringLiteral("oneDNN")), builtWithOneDnn());
}

void TestOneDnnForward::stepsAsideForWhatItCannotRun()
{
    // A float64 model: LibTorch's path runs it, and says why.
    YoloModel model = trainedLikeModel(QStringLiteral("tiny"), 2);
    model->to(torch::kFloat64);
    YoloModel copy = inferenceCopy(*model);
    if (builtWithOneDnn())
        QCOMPARE(copy->inferenceEngine(),
                 QStringLiteral("LibTorch (oneDNN: the model is not float32)"));
    {
        c10::InferenceMode inference;
        const torch::Tensor x = torch::rand({1, 3, 64, 64}, torch::kFloat64);
        QVERIFY(relativeDifference(model->forward(x), copy->forward(x)) <= 1e-9);
    }
    // The model itself (not an inference copy) never runs on oneDNN: it trains.
    YoloModel plain = trainedLikeModel(QStringLiteral("tiny"), 2);
    QCOMPARE(plain->inferenceEngine(), QStringLiteral("LibTorch"));
    // An inference copy asked for gradients runs LibTorch's path, which autograd can follow.
    YoloModel inferenceOnly = inferenceCopy(*plain);
    const torch::Tensor x = torch::rand({1, 3, 64, 64}).requires_grad_(true);
    const std::vector<torch::Tensor> maps = inferenceOnly->forward(x);
    maps[0].sum().backward();
    QVERIFY(x.grad().defined());
    QVERIFY(x.grad().abs().sum().item<double>() > 0);
}

QTEST_GUILESS_MAIN(TestOneDnnForward)
#include "tst_onednnforward.moc"
