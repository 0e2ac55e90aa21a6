#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace yolodeck {

// SGD (Nesterov) and AdamW with the update rules of torch.optim, written out so that every bit of
// their state is visible and can be checkpointed by name: LibTorch's optimizers key their state by
// tensor address, which does not survive a process. Three parameter groups as Ultralytics builds
// them: pg0 biases, pg1 weights with decay, pg2 norm-layer weights.
class Optimizer
{
public:
    enum class Kind
    {
        SGD,
        AdamW
    };

    struct Group
    {
        std::vector<torch::Tensor> params;
        double lr = 0;
        double initialLr = 0;
        double momentum = 0; // SGD momentum, AdamW beta1
        double weightDecay = 0;
    };

    Optimizer(Kind kind, std::vector<Group> groups, double beta2 = 0.999, double eps = 1e-8);

    Kind kind() const { return m_kind; }
    std::vector<Group> &groups() { return m_groups; }
    const std::vector<Group> &groups() const { return m_groups; }

    void zeroGrad();
    void step();

    // Named state tensors ("g1.p12.momentum", "g0.p3.exp_avg", ...) for the checkpoint.
    std::map<std::string, torch::Tensor> stateDict() const;
    // Restores what stateDict() produced; fails with a message if the shapes do not fit.
    bool loadStateDict(const std::map<std::string, torch::Tensor> &state, std::string *error);

private:
    struct ParamState
    {
        torch::Tensor momentumBuffer; // SGD
        torch::Tensor expAvg;         // AdamW
        torch::Tensor expAvgSq;
        int64_t step = 0;
    };
    ParamState &state(size_t group, size_t index);

    Kind m_kind;
    std::vector<Group> m_groups;
    double m_beta2;
    double m_eps;
    std::vector<std::vector<ParamState>> m_state;
};

// What optimizer=auto picks (REFERENCE.md "Optimisation details"): SGD(lr 0.01, momentum 0.9)
// for more than 10,000 iterations, iterations = ceil(images / max(batch, nbs)) * epochs;
// otherwise AdamW(lr = round(0.002 * 5 / (4 + n), 6), betas 0.9/0.999).
//
// One deliberate difference from Ultralytics: n is the number of classes that occur in the
// training labels, not the length of the names list. Ultralytics' fit counts every name, so a
// data.yaml that keeps COCO's names for a one-class dataset gets a learning rate 17 times lower
// than the same data with one name (0.000116 instead of 0.002), which is what the fit was never
// meant for: on the blueline dataset (82 names, 1 used) that choice ends 100 epochs at mAP50 0.35.
// optimizer=AdamW lr0=0.000116 momentum=0.9 warmup_bias_lr=0 reproduces Ultralytics' choice there.
struct AutoOptimizer
{
    Optimizer::Kind kind = Optimizer::Kind::AdamW;
    double lr = 0;
    double momentum = 0.9;
    int64_t iterations = 0;
    int fitClasses = 0; // n in the learning-rate fit
};
AutoOptimizer chooseAutoOptimizer(int64_t trainImages, int batch, int nbs, int epochs,
                                  int classesInUse);

} // namespace yolodeck
