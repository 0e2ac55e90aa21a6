#pragma once

#include <ATen/autocast_mode.h>

namespace yolodeck {

// Mixed precision for one forward pass (and its loss) on CUDA; a no-op when disabled. LibTorch
// 1.13 has no C++ equivalent of torch.autocast's context manager.
class AutocastScope
{
public:
    explicit AutocastScope(bool enabled)
        : m_enabled(enabled)
    {
        if (m_enabled)
            at::autocast::set_enabled(true);
    }
    ~AutocastScope()
    {
        if (m_enabled) {
            at::autocast::set_enabled(false);
            at::autocast::clear_cache();
        }
    }
    AutocastScope(const AutocastScope &) = delete;
    AutocastScope &operator=(const AutocastScope &) = delete;

private:
    bool m_enabled;
};

} // namespace yolodeck
