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
    if (m_source != &model) {
        const std::vector<torch::Tensor> src = stateTensors(model);
        const std::vector<torch::Tensor> dst = stateTensors(*m_ema);
        TORCH_CHECK(src.size() == dst.size(), "EMA and model differ in their number of tensors");
        m_sourceTensors.clear();
        m_emaTensors.clear();
        for (size_t i = 0; i < src.size(); ++i) {
            if (!dst[i].is_floating_point())
                continue; // BatchNorm's num_batches_tracked
            m_sourceTensors.push_back(src[i]);
            m_emaTensors.push_back(dst[i]);
        }
        m_source = &model;
    }
    // ema = ema * d + (1 - d) * model, one call over all tensors for each half; per element the
    // same arithmetic as a mul_ and an add_ per tensor, so the weights are bit for bit those of
    // earlier versions.
    at::_foreach_mul_(m_emaTensors, d);
    at::_foreach_add_(m_emaTensors, m_sourceTensors, 1.0 - d);
}

} // namespace yolodeck
