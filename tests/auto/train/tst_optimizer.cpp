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
};

namespace {
torch::Tensor lossOf(const torch::Tensor &w, const torch::Tensor &b, int step)
{
    const torch::Tensor x = torch::linspace(-1, 1, 12).reshape({3, 4}) * (step + 1);
    return ((x.matmul(w) + b).pow(2)).sum();
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

    for (int step = 0; step < 5; ++step) {
        ours.zeroGrad();
        lossOf(w1, b1, step).backward();
        ours.step();
        reference.zero_grad();
        lossOf(w2, b2, step).backward();
        reference.step();
    }
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
    for (int step = 0; step < 6; ++step) {
        ours.zeroGrad();
        lossOf(w1, b1, step).backward();
        ours.step();
        reference.zero_grad();
        lossOf(w2, b2, step).backward();
        reference.step();
    }
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

QTEST_GUILESS_MAIN(TestOptimizer)
#include "tst_optimizer.moc"
