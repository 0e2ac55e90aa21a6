#include "core/train/optimizer.h"

#include <QtTest>

using namespace yolodeck;

// Our optimizers exist to make their state checkpointable by name; their arithmetic must be
// torch.optim's, so the same updates are checked against LibTorch's own implementations.
class TestOptimizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sgdNesterovMatchesLibTorch();
    void adamWMatchesLibTorch();
    void stateRoundTripContinuesIdentically();
    void autoChoice_data();
    void autoChoice();
};

namespace {
torch::Tensor lossOf(const torch::Tensor &w, const torch::Tensor &b, int step)
{
    const torch::Tensor x = torch::linspace(-1, 1, 12).reshape({3, 4}) * (step + 1);
    return ((x.matmul(w) + b).pow(2)).sum();
}

// Steps both optimizers on the same loss, each on its own copy of the parameters.
void stepBoth(Optimizer &ours, const torch::Tensor &w1, const torch::Tensor &b1,
              torch::optim::Optimizer &reference, const torch::Tensor &w2, const torch::Tensor &b2,
              int steps)
{
    for (int step = 0; step < steps; ++step) {
        ours.zeroGrad();
        lossOf(w1, b1, step).backward();
        ours.step();
        reference.zero_grad();
        lossOf(w2, b2, step).backward();
        reference.step();
    }
}
} // namespace

void TestOptimizer::sgdNesterovMatchesLibTorch()
{
    torch::manual_seed(1);
    torch::Tensor w1 = torch::randn({4, 2}).requires_grad_();
    torch::Tensor b1 = torch::randn({2}).requires_grad_();
    torch::Tensor w2 = w1.detach().clone().requires_grad_();
    torch::Tensor b2 = b1.detach().clone().requires_grad_();

    Optimizer::Group g0{{b1}, 0.01, 0.01, 0.9, 0.0};
    Optimizer::Group g1{{w1}, 0.01, 0.01, 0.9, 5e-4};
    Optimizer ours(Optimizer::Kind::SGD, {g0, g1});

    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{b2},
                        std::make_unique<torch::optim::SGDOptions>(
                            torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true)));
    groups.emplace_back(
        std::vector<torch::Tensor>{w2},
        std::make_unique<torch::optim::SGDOptions>(
            torch::optim::SGDOptions(0.01).momentum(0.9).nesterov(true).weight_decay(5e-4)));
    torch::optim::SGD reference(groups, torch::optim::SGDOptions(0.01));

    stepBoth(ours, w1, b1, reference, w2, b2, 5);
    QVERIFY(torch::allclose(w1, w2, 1e-6, 1e-7));
    QVERIFY(torch::allclose(b1, b2, 1e-6, 1e-7));
    QVERIFY(!torch::equal(w1, torch::zeros_like(w1)));
}

void TestOptimizer::adamWMatchesLibTorch()
{
    torch::manual_seed(2);
    torch::Tensor w1 = torch::randn({4, 2}).requires_grad_();
    torch::Tensor b1 = torch::randn({2}).requires_grad_();
    torch::Tensor w2 = w1.detach().clone().requires_grad_();
    torch::Tensor b2 = b1.detach().clone().requires_grad_();
    Optimizer ours(Optimizer::Kind::AdamW, {{{w1, b1}, 0.001, 0.001, 0.9, 0.01}});
    torch::optim::AdamW reference(
        std::vector<torch::Tensor>{w2, b2},
        torch::optim::AdamWOptions(0.001).betas({0.9, 0.999}).weight_decay(0.01));
    stepBoth(ours, w1, b1, reference, w2, b2, 6);
    QVERIFY(torch::allclose(w1, w2, 1e-6, 1e-7));
    QVERIFY(torch::allclose(b1, b2, 1e-6, 1e-7));
}

void TestOptimizer::stateRoundTripContinuesIdentically()
{
    for (Optimizer::Kind kind : {Optimizer::Kind::SGD, Optimizer::Kind::AdamW}) {
        torch::manual_seed(3);
        torch::Tensor w1 = torch::randn({4, 2}).requires_grad_();
        torch::Tensor b1 = torch::randn({2}).requires_grad_();
        Optimizer a(kind, {{{w1, b1}, 0.01, 0.01, 0.9, 1e-3}});
        for (int step = 0; step < 3; ++step) {
            a.zeroGrad();
            lossOf(w1, b1, step).backward();
            a.step();
        }
        // A second optimizer over copies of the weights, restored from the first one's state.
        torch::Tensor w2 = w1.detach().clone().requires_grad_();
        torch::Tensor b2 = b1.detach().clone().requires_grad_();
        Optimizer b(kind, {{{w2, b2}, 0.01, 0.01, 0.9, 1e-3}});
        std::string error;
        QVERIFY(b.loadStateDict(a.stateDict(), &error));
        QVERIFY(!a.stateDict().empty());
        for (int step = 3; step < 6; ++step) {
            a.zeroGrad();
            lossOf(w1, b1, step).backward();
            a.step();
            b.zeroGrad();
            lossOf(w2, b2, step).backward();
            b.step();
        }
        QVERIFY(torch::equal(w1, w2)); // bit-identical, not merely close
        QVERIFY(torch::equal(b1, b2));
    }
}

void TestOptimizer::autoChoice_data()
{
    QTest::addColumn<int>("images");
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("epochs");
    QTest::addColumn<int>("classesInUse");
    QTest::addColumn<bool>("sgd");
    QTest::addColumn<double>("lr");
    QTest::addColumn<qint64>("iterations");

    // blueline: 80 images, ceil(80 / 64) * 100 = 200 iterations; one class in use of 82 names:
    // 0.002 * 5 / 5. (Counting the 82 names, as Ultralytics does, would give 0.000116.)
    QTest::newRow("blueline") << 80 << 16 << 100 << 1 << false << 0.002 << qint64(200);
    // coco128, 71 of its 80 classes labelled: round(0.01 / 75, 6).
    QTest::newRow("coco128") << 128 << 16 << 100 << 71 << false << 0.000133 << qint64(200);
    QTest::newRow("80 classes") << 128 << 16 << 100 << 80 << false << 0.000119 << qint64(200);
    // Batch above nbs divides by the batch: ceil(1000 / 128) * 10 = 80.
    QTest::newRow("big batch") << 1000 << 128 << 10 << 3 << false << 0.001429 << qint64(80);
    // Exactly 10,000 iterations stays AdamW; one more epoch's worth switches to SGD.
    QTest::newRow("10000") << 6400 << 16 << 100 << 5 << false << 0.001111 << qint64(10000);
    QTest::newRow("10100") << 6400 << 16 << 101 << 5 << true << 0.01 << qint64(10100);
    // No labels at all (backgrounds only): the fit counts one class.
    QTest::newRow("no labels") << 10 << 16 << 5 << 0 << false << 0.002 << qint64(5);
}

void TestOptimizer::autoChoice()
{
    QFETCH(int, images);
    QFETCH(int, batch);
    QFETCH(int, epochs);
    QFETCH(int, classesInUse);
    QFETCH(bool, sgd);
    QFETCH(double, lr);
    QFETCH(qint64, iterations);
    const AutoOptimizer c = chooseAutoOptimizer(images, batch, 64, epochs, classesInUse);
    QCOMPARE(c.iterations, int64_t(iterations));
    QCOMPARE(c.kind == Optimizer::Kind::SGD, sgd);
    QCOMPARE(c.lr, lr);
    QCOMPARE(c.momentum, 0.9);
}

QTEST_GUILESS_MAIN(TestOptimizer)
#include "tst_optimizer.moc"
