#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace yolodeck {

// Exponential moving average of a model's weights (Ultralytics ModelEMA): decay
// d = 0.9999 · (1 - exp(-updates / 2000)) ramps up over the first few thousand updates; applied to
// every floating-point parameter and buffer after each optimizer step. The EMA model is what
// validation runs and what a stripped checkpoint keeps.
class ModelEma
{
public:
    // `ema` must have the same architecture as the model it will follow.
    explicit ModelEma(std::shared_ptr<torch::nn::Module> ema, double decay = 0.9999,
                      double tau = 2000.0);

    void copyFrom(const torch::nn::Module &model); // ema := model, exactly
    void update(const torch::nn::Module &model);   // one EMA step, updates += 1

    torch::nn::Module &module() { return *m_ema; }
    int64_t updates() const { return m_updates; }
    void setUpdates(int64_t updates) { m_updates = updates; }

private:
    std::shared_ptr<torch::nn::Module> m_ema;
    // The floating-point tensors update() works on, collected at its first call for a model (a
    // module tree walk per step otherwise): the model's and the EMA's, pairwise.
    const torch::nn::Module *m_source = nullptr;
    std::vector<torch::Tensor> m_sourceTensors;
    std::vector<torch::Tensor> m_emaTensors;
    double m_decay;
    double m_tau;
    int64_t m_updates = 0;
};

} // namespace yolodeck
