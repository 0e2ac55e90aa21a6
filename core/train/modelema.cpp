#include "core/train/modelema.h"

#include "core/model/yolomodel.h"

#include <cmath>

namespace yolodeck {

ModelEma::ModelEma(std::shared_ptr<torch::nn::Module> ema, double decay, double tau)
    : m_ema(std::move(ema))
    , m_decay(decay)
    , m_tau(tau)
{
    for (torch::Tensor &p : m_ema->parameters(true))
        p.set_requires_grad(false);
    m_ema->eval();
}

void ModelEma::copyFrom(const torch::nn::Module &model)
{
    torch::NoGradGuard noGrad;
    const std::vector<torch::Tensor> src = stateTensors(model);
    std::vector<torch::Tensor> dst = stateTensors(*m_ema);
    TORCH_CHECK(src.size() == dst.size(), "EMA and model differ in their number of tensors");
    for (size_t i = 0; i < src.size(); ++i)
        dst[i].copy_(src[i]);
}

void ModelEma::update(const torch::nn::Module &model)
{
    torch::NoGradGuard noGrad;
    ++m_updates;
    const double d = m_decay * (1.0 - std::exp(-double(m_updates) / m_tau));
    const std::vector<torch::Tensor> src = stateTensors(model);
    std::vector<torch::Tensor> dst = stateTensors(*m_ema);
    for (size_t i = 0; i < src.size(); ++i) {
        if (!dst[i].is_floating_point())
            continue; // BatchNorm's num_batches_tracked
        dst[i].mul_(d).add_(src[i].detach(), 1.0 - d);
    }
}

} // namespace yolodeck
