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

} // namespace yolodeck
