#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace yolodeck {

// Dynamic loss scaling for mixed precision, with torch.cuda.amp.GradScaler's defaults (init 2^16,
// growth 2 every 2000 finite steps, backoff 0.5). LibTorch 1.13 has no C++ GradScaler; its state is
// part of the checkpoint because losing it was once how Ultralytics resumes produced NaN.
// Disabled (scale 1, never skips) on CPU, where AMP is off.
class GradScaler
{
public:
    explicit GradScaler(bool enabled);

    bool enabled() const { return m_enabled; }
    double scale() const { return m_scale; }
    torch::Tensor scaleLoss(const torch::Tensor &loss) const;
    // Divides the gradients by the scale; returns false if any is inf/NaN (skip this step).
    bool unscaleAndCheck(const std::vector<torch::Tensor> &params);
    // After a step (or a skipped one): adjust the scale.
    void update(bool finite);

    std::map<std::string, torch::Tensor> stateDict() const;
    void loadStateDict(const std::map<std::string, torch::Tensor> &state);

private:
    bool m_enabled;
    double m_scale = 65536.0;
    int64_t m_growthTracker = 0;
};

} // namespace yolodeck
