#include "core/model/yololayers.h"

#include <cmath>

namespace yolodeck {

namespace {

// Ultralytics' BatchNorm settings for every YOLOv8 Conv (set in initialize_weights).
constexpr double kBnEps = 1e-3;
constexpr double kBnMomentum = 0.03;

int64_t conv2dMacs(const torch::nn::Conv2d &conv, int64_t h, int64_t w)
{
    const auto &o = conv->options;
    const int64_t k = o.kernel_size()->at(0);
    const int64_t s = o.stride()->at(0);
    const int64_t oh = convOutSize(h, k, s);
    const int64_t ow = convOutSize(w, k, s);
    return oh * ow * o.out_channels() * (o.in_channels() / o.groups()) * k * k;
}

} // namespace

ConvImpl::ConvImpl(int64_t c1_, int64_t c2_, int64_t k_, int64_t s_)
    : c1(c1_)
    , c2(c2_)
    , k(k_)
    , s(s_)
{
    conv = register_module(
        "conv", torch::nn::Conv2d(
                    torch::nn::Conv2dOptions(c1, c2, k).stride(s).padding(k / 2).bias(false)));
    bn = register_module("bn",
                         torch::nn::BatchNorm2d(
                             torch::nn::BatchNorm2dOptions(c2).eps(kBnEps).momentum(kBnMomentum)));
}

torch::Tensor ConvImpl::forward(const torch::Tensor &x)
{
    if (fused())
        return torch::silu(torch::conv2d(x, conv->weight, m_fusedBias, {s, s}, {k / 2, k / 2}));
    return torch::silu(bn(conv(x)));
}

void ConvImpl::fuseBatchNorm()
{
    if (fused())
        return;
    torch::NoGradGuard noGrad;
    // Folded in float64 and stored in the weight's dtype, so the fold adds no rounding of its own
    // beyond the final cast.
    const torch::Tensor gain =
        bn->weight.to(torch::kFloat64) / (bn->running_var.to(torch::kFloat64) + kBnEps).sqrt();
    const torch::Tensor weight = conv->weight.to(torch::kFloat64) * gain.view({-1, 1, 1, 1});
    conv->weight.copy_(weight);
    m_fusedBias = (bn->bias.to(torch::kFloat64) - bn->running_mean.to(torch::kFloat64) * gain)
                      .to(conv->weight.scalar_type());
}

int64_t ConvImpl::macs(int64_t h, int64_t w) const
{
    return conv2dMacs(conv, h, w);
}

BottleneckImpl::BottleneckImpl(int64_t c1, int64_t c2, bool shortcut, double e)
    : add(shortcut && c1 == c2)
{
    const auto hidden = static_cast<int64_t>(c2 * e);
    cv1 = register_module("cv1", Conv(c1, hidden, 3, 1));
    cv2 = register_module("cv2", Conv(hidden, c2, 3, 1));
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor &x)
{
    auto y = cv2(cv1(x));
    return add ? x + y : y;
}

int64_t BottleneckImpl::macs(int64_t h, int64_t w) const
{
    return cv1->macs(h, w) + cv2->macs(h, w);
}

C2fImpl::C2fImpl(int64_t c1, int64_t c2, int64_t n, bool shortcut, double e)
    : c(static_cast<int64_t>(c2 * e))
{
    cv1 = register_module("cv1", Conv(c1, 2 * c, 1, 1));
    cv2 = register_module("cv2", Conv((2 + n) * c, c2, 1, 1));
    m = register_module("m", torch::nn::ModuleList());
    for (int64_t i = 0; i < n; ++i) {
        // Ultralytics' C2f bottlenecks keep the width (e = 1.0); the halving is done by cv1.
        blocks.emplace_back(c, c, shortcut, 1.0);
        m->push_back(blocks.back());
    }
}

torch::Tensor C2fImpl::forward(const torch::Tensor &x)
{
    std::vector<torch::Tensor> ys = cv1(x).chunk(2, 1);
    for (auto &block : blocks)
        ys.push_back(block(ys.back()));
    return cv2(torch::cat(ys, 1));
}

int64_t C2fImpl::macs(int64_t h, int64_t w) const
{
    int64_t total = cv1->macs(h, w) + cv2->macs(h, w);
    for (const auto &block : blocks)
        total += block->macs(h, w);
    return total;
}

SppfImpl::SppfImpl(int64_t c1, int64_t c2, int64_t k)
{
    const int64_t hidden = c1 / 2;
    cv1 = register_module("cv1", Conv(c1, hidden, 1, 1));
    cv2 = register_module("cv2", Conv(hidden * 4, c2, 1, 1));
    m = register_module(
        "m", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(k).stride(1).padding(k / 2)));
}

torch::Tensor SppfImpl::forward(const torch::Tensor &x)
{
    const auto y0 = cv1(x);
    const auto y1 = m(y0);
    const auto y2 = m(y1);
    return cv2(torch::cat({y0, y1, y2, m(y2)}, 1));
}

int64_t SppfImpl::macs(int64_t h, int64_t w) const
{
    return cv1->macs(h, w) + cv2->macs(h, w);
}

DflImpl::DflImpl(int64_t regMax_)
    : regMax(regMax_)
{
    conv = register_module("conv",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(regMax, 1, 1).bias(false)));
    torch::NoGradGuard noGrad;
    conv->weight.copy_(torch::arange(regMax, torch::kFloat).view({1, regMax, 1, 1}));
    conv->weight.set_requires_grad(false);
}

torch::Tensor DflImpl::forward(const torch::Tensor &x) const
{
    const int64_t b = x.size(0);
    const int64_t a = x.size(2);
    // [B, 4, regMax, A] -> softmax over the bins -> [B, regMax, 4, A] -> expectation.
    const auto probs = x.view({b, 4, regMax, a}).transpose(2, 1).softmax(1);
    return torch::conv2d(probs.to(conv->weight.dtype()), conv->weight).view({b, 4, a});
}

DetectImpl::DetectImpl(int64_t nc_, const std::vector<int64_t> &ch_, std::vector<int64_t> strides_,
                       int64_t regMax_)
    : nc(nc_)
    , regMax(regMax_)
    , ch(ch_)
    , strides(std::move(strides_))
{
    TORCH_CHECK(ch.size() == strides.size(), "Detect: one stride per input level needed");
    // Branch widths as Ultralytics' Detect: box c2 = max(16, ch0 / 4, 4 * regMax),
    // class c3 = max(ch0, min(nc, 100)).
    c2 = std::max({int64_t(16), ch[0] / 4, 4 * regMax});
    c3 = std::max(ch[0], std::min(nc, int64_t(100)));
    cv2 = register_module("cv2", torch::nn::ModuleList());
    cv3 = register_module("cv3", torch::nn::ModuleList());
    for (int64_t x : ch) {
        Conv b0(x, c2, 3, 1), b1(c2, c2, 3, 1);
        torch::nn::Conv2d bOut(torch::nn::Conv2dOptions(c2, 4 * regMax, 1));
        Conv k0(x, c3, 3, 1), k1(c3, c3, 3, 1);
        torch::nn::Conv2d kOut(torch::nn::Conv2dOptions(c3, nc, 1));
        boxBranches.emplace_back(b0, b1, bOut);
        clsBranches.emplace_back(k0, k1, kOut);
        cv2->push_back(boxBranches.back());
        cv3->push_back(clsBranches.back());
        boxConvs.insert(boxConvs.end(), {b0, b1});
        clsConvs.insert(clsConvs.end(), {k0, k1});
        boxOut.push_back(bOut);
        clsOut.push_back(kOut);
    }
    dfl = register_module("dfl", Dfl(regMax));
}

std::vector<torch::Tensor> DetectImpl::forward(const std::vector<torch::Tensor> &xs)
{
    TORCH_CHECK(xs.size() == ch.size(), "Detect: expected ", ch.size(), " levels, got ", xs.size());
    std::vector<torch::Tensor> out;
    out.reserve(xs.size());
    for (size_t i = 0; i < xs.size(); ++i)
        out.push_back(
            torch::cat({boxBranches[i]->forward(xs[i]), clsBranches[i]->forward(xs[i])}, 1));
    return out;
}

int64_t DetectImpl::macs(const std::vector<std::pair<int64_t, int64_t>> &sizes) const
{
    int64_t total = 0;
    for (size_t i = 0; i < sizes.size() && i < ch.size(); ++i) {
        const auto [h, w] = sizes[i];
        for (size_t j = 2 * i; j < 2 * i + 2; ++j)
            total += boxConvs[j]->macs(h, w) + clsConvs[j]->macs(h, w);
        total += conv2dMacs(boxOut[i], h, w) + conv2dMacs(clsOut[i], h, w);
        // The frozen DFL 1x1 conv of the decoder: regMax MACs per side per anchor.
        total += 4 * regMax * h * w;
    }
    return total;
}

void DetectImpl::initBiases()
{
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < strides.size(); ++i) {
        // Ultralytics' Detect.bias_init(): box logits start at 1.0; class logits at the prior of
        // about 5 objects per 640 px image spread over nc classes and the level's cells.
        boxOut[i]->bias.fill_(1.0);
        const double cells = std::pow(640.0 / static_cast<double>(strides[i]), 2);
        clsOut[i]->bias.fill_(std::log(5.0 / static_cast<double>(nc) / cells));
    }
}

} // namespace yolodeck
