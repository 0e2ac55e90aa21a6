#include "core/train/gradscaler.h"

namespace yolodeck {

GradScaler::GradScaler(bool enabled)
    : m_enabled(enabled)
{
    if (!enabled)
        m_scale = 1.0;
}

torch::Tensor GradScaler::scaleLoss(const torch::Tensor &loss) const
{
    return m_enabled ? loss * m_scale : loss;
}

bool GradScaler::unscaleAndCheck(const std::vector<torch::Tensor> &params)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> finiteFlags;
    for (const torch::Tensor &p : params) {
        if (!p.grad().defined())
            continue;
        if (m_enabled)
            p.mutable_grad().mul_(1.0 / m_scale);
        finiteFlags.push_back(torch::isfinite(p.grad()).all());
    }
    if (finiteFlags.empty())
        return true;
    return torch::stack(finiteFlags).all().item<bool>();
}

void GradScaler::update(bool finite)
{
    if (!m_enabled)
        return;
    if (!finite) {
        m_scale *= 0.5;
        m_growthTracker = 0;
    } else if (++m_growthTracker >= 2000) {
        m_scale *= 2.0;
        m_growthTracker = 0;
    }
}

std::map<std::string, torch::Tensor> GradScaler::stateDict() const
{
    return {{"scale", torch::tensor(m_scale, torch::kFloat64)},
            {"growth_tracker", torch::tensor(m_growthTracker, torch::kInt64)},
            {"enabled", torch::tensor(m_enabled ? 1 : 0, torch::kInt64)}};
}

void GradScaler::loadStateDict(const std::map<std::string, torch::Tensor> &state)
{
    if (auto it = state.find("scale"); it != state.end() && m_enabled)
        m_scale = it->second.item<double>();
    if (auto it = state.find("growth_tracker"); it != state.end() && m_enabled)
        m_growthTracker = it->second.item<int64_t>();
}

} // namespace yolodeck
