#pragma once

// The building blocks of the YOLOv8 detector. Like torchvision's resnet.h, the small modules of
// one architecture share a file: none of them is used on its own outside YoloModel.
//
// Every block can count its multiply-accumulates for a given input size (macs()), the way
// thop/Ultralytics count them: output elements x input channels per group x kernel area, for
// convolutions only (BN, activations, pooling and upsampling are free). That gives gflops()
// without running the network.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace yolodeck {

// Spatial size after a convolution with "same" padding k / 2.
inline int64_t convOutSize(int64_t in, int64_t k, int64_t s)
{
    return (in + 2 * (k / 2) - k) / s + 1;
}

// Conv2d (no bias) + BatchNorm + SiLU: Ultralytics' "Conv".
class ConvImpl : public torch::nn::Module
{
public:
    ConvImpl(int64_t c1, int64_t c2, int64_t k = 1, int64_t s = 1);
    torch::Tensor forward(const torch::Tensor &x);
    int64_t macs(int64_t h, int64_t w) const;

    // Folds the BatchNorm's running statistics and affine into the convolution's weight and a
    // bias, as Ultralytics' fuse() does for inference: y = silu(conv(x, w * g) + (b - m * g)) with
    // g = gamma / sqrt(var + eps). Only for an inference copy (inferenceCopy()): the module then
    // computes eval-mode outputs and can no longer train; its state_dict keeps the BN tensors.
    void fuseBatchNorm();
    bool fused() const { return m_fusedBias.defined(); }
    // The folded bias; undefined until fuseBatchNorm().
    const torch::Tensor &fusedBias() const { return m_fusedBias; }

    int64_t c1, c2, k, s;
    torch::nn::Conv2d conv{nullptr};
    torch::nn::BatchNorm2d bn{nullptr};

private:
    torch::Tensor m_fusedBias;
};
TORCH_MODULE(Conv);

// Two 3x3 Convs with an optional residual add (only when shapes allow it).
class BottleneckImpl : public torch::nn::Module
{
public:
    BottleneckImpl(int64_t c1, int64_t c2, bool shortcut, double e = 1.0);
    torch::Tensor forward(const torch::Tensor &x);
    int64_t macs(int64_t h, int64_t w) const;

    bool add;
    Conv cv1{nullptr}, cv2{nullptr};
};
TORCH_MODULE(Bottleneck);

// CSP bottleneck with two convolutions ("C2f"): cv1 splits into two halves, n bottlenecks run on
// the second half one after the other, and every intermediate result is concatenated for cv2.
class C2fImpl : public torch::nn::Module
{
public:
    C2fImpl(int64_t c1, int64_t c2, int64_t n, bool shortcut, double e = 0.5);
    torch::Tensor forward(const torch::Tensor &x);
    int64_t macs(int64_t h, int64_t w) const;

    int64_t c;
    Conv cv1{nullptr}, cv2{nullptr};
    torch::nn::ModuleList m{nullptr};
    std::vector<Bottleneck> blocks;
};
TORCH_MODULE(C2f);

// Spatial pyramid pooling, fast: three chained k x k max-pools (k = 5 in YOLOv8).
class SppfImpl : public torch::nn::Module
{
public:
    SppfImpl(int64_t c1, int64_t c2, int64_t k = 5);
    torch::Tensor forward(const torch::Tensor &x);
    int64_t macs(int64_t h, int64_t w) const;

    Conv cv1{nullptr}, cv2{nullptr};
    torch::nn::MaxPool2d m{nullptr};
};
TORCH_MODULE(Sppf);

// Channel concatenation. It holds nothing; it exists so that the layer numbering (and with it
// the checkpoint keys) matches Ultralytics' yolov8.yaml.
class ConcatImpl : public torch::nn::Module
{
public:
    torch::Tensor forward(const std::vector<torch::Tensor> &xs) { return torch::cat(xs, 1); }
};
TORCH_MODULE(Concat);

// Distribution Focal Loss integral (Li et al. 2020, "Generalized Focal Loss"): the expectation
// of a softmax over regMax bins, as a frozen 1x1 convolution with weights 0..regMax-1.
class DflImpl : public torch::nn::Module
{
public:
    explicit DflImpl(int64_t regMax = 16);
    // [B, 4 * regMax, A] -> [B, 4, A]
    torch::Tensor forward(const torch::Tensor &x) const;

    int64_t regMax;
    torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Dfl);

// Decoupled detection head: per level a box branch (4 * regMax distribution logits) and a class
// branch (nc logits), each Conv3x3 -> Conv3x3 -> Conv2d 1x1.
class DetectImpl : public torch::nn::Module
{
public:
    DetectImpl(int64_t nc, const std::vector<int64_t> &ch, std::vector<int64_t> strides,
               int64_t regMax = 16);
    // Per level [B, 4 * regMax + nc, H, W]: box logits first, then class logits.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor> &xs);
    // sizes: (h, w) of each level's input.
    int64_t macs(const std::vector<std::pair<int64_t, int64_t>> &sizes) const;
    void initBiases();

    int64_t nc, regMax, c2, c3;
    std::vector<int64_t> ch, strides;
    torch::nn::ModuleList cv2{nullptr}, cv3{nullptr};
    std::vector<torch::nn::Sequential> boxBranches, clsBranches;
    std::vector<Conv> boxConvs, clsConvs; // the two 3x3 Convs of each branch, for macs()
    std::vector<torch::nn::Conv2d> boxOut, clsOut;
    Dfl dfl{nullptr};
};
TORCH_MODULE(Detect);

} // namespace yolodeck
