#include "core/train/optimizer.h"

#include <algorithm>
#include <cmath>

namespace yolodeck {

Optimizer::Optimizer(Kind kind, std::vector<Group> groups, double beta2, double eps)
    : m_kind(kind)
    , m_groups(std::move(groups))
    , m_beta2(beta2)
    , m_eps(eps)
{
    for (const Group &g : m_groups)
        m_state.emplace_back(g.params.size());
}

Optimizer::ParamState &Optimizer::state(size_t group, size_t index)
{
    return m_state[group][index];
}

void Optimizer::zeroGrad()
{
    // Undefined rather than zero (torch.optim's set_to_none): the next backward pass hands its
    // gradient over instead of adding it to zeros, which saves a fill and an add per tensor.
    for (Group &g : m_groups) {
        for (torch::Tensor &p : g.params)
            p.mutable_grad() = torch::Tensor();
    }
}

void Optimizer::step()
{
    torch::NoGradGuard noGrad;
    for (size_t gi = 0; gi < m_groups.size(); ++gi) {
        Group &g = m_groups[gi];
        for (size_t pi = 0; pi < g.params.size(); ++pi) {
            torch::Tensor &p = g.params[pi];
            if (!p.grad().defined())
                continue;
            torch::Tensor grad = p.grad();
            ParamState &s = state(gi, pi);
            if (m_kind == Kind::SGD) {
                // torch.optim.SGD(nesterov=True, dampening=0): L2 decay added to the gradient.
                // In place: the gradient is dropped after the step anyway, and the same kernels
                // give the same bits without a temporary per parameter.
                if (g.weightDecay != 0)
                    grad.add_(p, g.weightDecay);
                if (g.momentum != 0) {
                    if (!s.momentumBuffer.defined())
                        s.momentumBuffer = grad.clone().detach();
                    else
                        s.momentumBuffer.mul_(g.momentum).add_(grad);
                    grad.add_(s.momentumBuffer, g.momentum);
                }
                p.add_(grad, -g.lr);
            } else {
                // torch.optim.AdamW: decoupled weight decay, bias-corrected moments.
                if (!s.expAvg.defined()) {
                    s.expAvg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
                    s.expAvgSq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
                }
                s.step += 1;
                p.mul_(1.0 - g.lr * g.weightDecay);
                const double beta1 = g.momentum;
                s.expAvg.mul_(beta1).add_(grad, 1.0 - beta1);
                s.expAvgSq.mul_(m_beta2).addcmul_(grad, grad, 1.0 - m_beta2);
                const double bias1 = 1.0 - std::pow(beta1, double(s.step));
                const double bias2 = 1.0 - std::pow(m_beta2, double(s.step));
                const double stepSize = g.lr / bias1;
                const torch::Tensor denom = (s.expAvgSq.sqrt() / std::sqrt(bias2)).add_(m_eps);
                p.addcdiv_(s.expAvg, denom, -stepSize);
            }
        }
    }
}

namespace {
std::string key(size_t g, size_t p, const char *name)
{
    return "g" + std::to_string(g) + ".p" + std::to_string(p) + "." + name;
}
} // namespace

std::map<std::string, torch::Tensor> Optimizer::stateDict() const
{
    std::map<std::string, torch::Tensor> out;
    for (size_t gi = 0; gi < m_state.size(); ++gi) {
        for (size_t pi = 0; pi < m_state[gi].size(); ++pi) {
            const ParamState &s = m_state[gi][pi];
            if (s.momentumBuffer.defined())
                out[key(gi, pi, "momentum")] = s.momentumBuffer;
            if (s.expAvg.defined()) {
                out[key(gi, pi, "exp_avg")] = s.expAvg;
                out[key(gi, pi, "exp_avg_sq")] = s.expAvgSq;
                out[key(gi, pi, "step")] = torch::tensor(s.step, torch::kInt64);
            }
        }
    }
    return out;
}

bool Optimizer::loadStateDict(const std::map<std::string, torch::Tensor> &state, std::string *error)
{
    for (size_t gi = 0; gi < m_state.size(); ++gi) {
        for (size_t pi = 0; pi < m_state[gi].size(); ++pi) {
            ParamState &s = m_state[gi][pi];
            const torch::Tensor &p = m_groups[gi].params[pi];
            auto fetch = [&](const char *name, torch::Tensor &into) {
                const auto it = state.find(key(gi, pi, name));
                if (it == state.end())
                    return true;
                if (it->second.sizes() != p.sizes()) {
                    if (error)
                        *error = "optimizer state " + it->first + " does not fit the model";
                    return false;
                }
                into = it->second.to(p.device(), p.scalar_type()).clone();
                return true;
            };
            if (!fetch("momentum", s.momentumBuffer) || !fetch("exp_avg", s.expAvg) ||
                !fetch("exp_avg_sq", s.expAvgSq))
                return false;
            const auto step = state.find(key(gi, pi, "step"));
            if (step != state.end())
                s.step = step->second.item<int64_t>();
        }
    }
    return true;
}

AutoOptimizer chooseAutoOptimizer(int64_t trainImages, int batch, int nbs, int epochs,
                                  int classesInUse)
{
    AutoOptimizer out;
    const int64_t perEpoch = (std::max<int64_t>(trainImages, 0) + std::max({batch, nbs, 1}) - 1) /
                             std::max({batch, nbs, 1});
    out.iterations = perEpoch * epochs;
    out.fitClasses = std::max(classesInUse, 1);
    if (out.iterations > 10000) {
        out.kind = Optimizer::Kind::SGD;
        out.lr = 0.01;
    } else {
        out.kind = Optimizer::Kind::AdamW;
        out.lr = std::round(0.002 * 5.0 / (4.0 + out.fitClasses) * 1e6) / 1e6;
    }
    return out;
}

} // namespace yolodeck
