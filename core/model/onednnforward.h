#pragma once

#include <QString>
#include <torch/types.h>

#include <memory>
#include <vector>

namespace yolodeck {

class YoloModelImpl;

// The forward pass of an inference copy (inferenceCopy()) on the CPU, run by oneDNN directly
// instead of through LibTorch's convolution:
// - each Conv is one oneDNN primitive with its folded bias and its SiLU fused in (a post-op), so
//   no separate activation pass reads and writes every map again;
// - activations stay in oneDNN's 8-channel blocked layout (nChw8c, held as [N, ceil(C/8), H, W, 8]
//   tensors) from the first convolution to the head, so no layer reorders its input and output
//   as LibTorch does around each call on NCHW tensors;
// - weights are reordered once into the layout each primitive wants, and primitives are kept
//   per input size.
// The concatenations, max-pools, upsampling and residual additions run on the blocked tensors
// with LibTorch's own operators. The result is forward()'s: the raw per-level maps, NCHW.
//
// Not thread-safe: one caller at a time (each validation, predict or comparison makes its own
// inference copy). Only the layer graph of YoloModelImpl is supported, on the CPU in float32 with
// every Conv fused and every map that is concatenated or split a multiple of 8 channels wide
// (every Ultralytics scale; the head's branches may have any width).
class OneDnnForward
{
public:
    // The engine for `model`, or null with the reason in *whyNot: not built with oneDNN, turned
    // off (YOLODECK_ONEDNN=0), not on the CPU, not float32, not fused, or a concatenated map whose
    // channel count is not a multiple of 8.
    static std::shared_ptr<OneDnnForward> create(YoloModelImpl &model, QString *whyNot = nullptr);
    // Whether this build has the engine at all (YOLODECK_HAVE_ONEDNN).
    static bool available();
    // What runs CPU training (engine=auto) and inference in this process, for `yolodeck-cli
    // doctor`: "oneDNN 2.6.3 directly (...)", or "LibTorch (oneDNN: <why not>)".
    static QString describe();

    ~OneDnnForward();
    OneDnnForward(const OneDnnForward &) = delete;
    OneDnnForward &operator=(const OneDnnForward &) = delete;

    // x: [B, 3, H, W] float32 on the CPU, H and W multiples of 32. Same result as
    // YoloModelImpl::forward() on the fused model, to float rounding.
    std::vector<torch::Tensor> forward(const torch::Tensor &x);

private:
    OneDnnForward();
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace yolodeck
