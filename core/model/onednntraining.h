#pragma once

#include <QString>
#include <torch/types.h>

#include <memory>
#include <vector>

namespace yolodeck {

class YoloModelImpl;

// The training forward pass of YoloModelImpl on the CPU with every map in oneDNN's 8-channel
// blocked layout, so that no convolution reorders its input, its output and their gradients
// between NCHW and the blocked layout its kernels use (LibTorch does, around every call: a oneDNN
// trace of a training step put those reorders at 14% of the step).
// - Convolutions and BatchNorms are oneDNN primitives inside autograd functions of their own: the
//   forward pass, the gradient of the input and the gradients of the weights (or scale and shift)
//   are oneDNN's, for the model's own parameters, so the optimizer, the EMA, DDP's gradient
//   hooks and checkpoints see the same tensors as with LibTorch's path;
// - SPPF's max-pools are oneDNN primitives as well (forward with a workspace, and backward);
// - SiLU, residual additions, concatenations, C2f's split and the neck's upsampling are LibTorch
//   operators on the blocked tensors ([N, ceil(C/8), H, W, 8]), with LibTorch's autograd;
// - BatchNorm updates running_mean, running_var (unbiased) and num_batches_tracked as
//   torch::nn::BatchNorm2d does.
// The numbers are those of a different summation order than LibTorch's path, so a run keeps the
// engine it started with (the trainer records it, as it records the thread count).
//
// Not thread-safe: one training step at a time.
class OneDnnTraining
{
public:
    // The engine for `model`, or null with the reason in *whyNot: not built with oneDNN, turned
    // off (YOLODECK_ONEDNN=0), not on the CPU, not float32, or a concatenated or split map whose
    // channel count is not a multiple of 8.
    static std::shared_ptr<OneDnnTraining> create(YoloModelImpl &model, QString *whyNot = nullptr);

    ~OneDnnTraining();
    OneDnnTraining(const OneDnnTraining &) = delete;
    OneDnnTraining &operator=(const OneDnnTraining &) = delete;

    // The raw per-level maps of YoloModelImpl::forward() in training mode, NCHW, differentiable
    // with respect to the model's parameters. x: [B, 3, H, W] float32 on the CPU.
    std::vector<torch::Tensor> forward(YoloModelImpl &model, const torch::Tensor &x);

private:
    OneDnnTraining();
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace yolodeck
