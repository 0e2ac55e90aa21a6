#include "core/model/onednntraining.h"

#include "core/model/onednnsupport.h"
#include "core/model/yolomodel.h"

#ifdef YOLODECK_HAVE_ONEDNN
#include <ATen/Parallel.h>
#include <ATen/record_function.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <array>
#include <map>
#endif

namespace yolodeck {

#ifndef YOLODECK_HAVE_ONEDNN

struct OneDnnTraining::Impl
{};

OneDnnTraining::OneDnnTraining() = default;
OneDnnTraining::~OneDnnTraining() = default;

std::shared_ptr<OneDnnTraining> OneDnnTraining::create(YoloModelImpl &, QString *whyNot)
{
    if (whyNot)
        *whyNot = onednn::turnedOff() ? QStringLiteral("turned off (YOLODECK_ONEDNN=0)")
                                      : QStringLiteral("this build has no oneDNN");
    return nullptr;
}

std::vector<torch::Tensor> OneDnnTraining::forward(YoloModelImpl &, const torch::Tensor &)
{
    TORCH_CHECK(false, "OneDnnTraining: this build has no oneDNN");
}

#else

namespace {

using namespace onednn;

// The engine and stream every kernel of one OneDnnTraining shares.
struct Context
{
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};

    dnnl::memory memory(const dnnl::memory::desc &desc, const torch::Tensor &t)
    {
        return dnnl::memory(desc, engine, t.data_ptr());
    }
    void execute(const dnnl::primitive &primitive,
                 const std::unordered_map<int, dnnl::memory> &args, const char *what)
    {
        try {
            primitive.execute(stream, args);
        } catch (const dnnl::error &e) {
            TORCH_CHECK(false, "OneDnnTraining: oneDNN could not run the ", what, ": ", e.what());
        }
    }
    void reorder(const dnnl::memory::desc &from, const torch::Tensor &src,
                 const dnnl::memory::desc &to, const torch::Tensor &dst)
    {
        dnnl::memory a = memory(from, src), b = memory(to, dst);
        dnnl::reorder(a, b).execute(stream, a, b);
    }
};

// One convolution of the training graph: forward, gradient of the input, gradients of weight and
// bias. Primitives are kept per input size. Held by the autograd graph through a capsule, so a
// graph that outlives the engine still finds its kernel.
class ConvKernel : public torch::CustomClassHolder
{
public:
    ConvKernel(std::shared_ptr<Context> ctx, int64_t cin, int64_t cout, int64_t k, int64_t stride,
               bool bias, Layout src, Layout dst)
        : m_ctx(std::move(ctx))
        , m_cin(cin)
        , m_cout(cout)
        , m_k(k)
        , m_stride(stride)
        , m_bias(bias)
        , m_src(src)
        , m_dst(dst)
    {}

    torch::Tensor forward(const torch::Tensor &input, const torch::Tensor &weight,
                          const torch::Tensor &bias)
    {
        // Named for LibTorch's profiler (bench_step_profile counts the convolutions' share).
        RECORD_FUNCTION("onednn::convolution", std::vector<c10::IValue>());
        const torch::Tensor x = input.contiguous();
        const Prepared &p = prepared(x.size(0), x.size(2), x.size(3));
        const torch::Tensor w = weight.contiguous();
        const torch::Tensor fwdWeights = bufferFor(p.fwd.weights_desc());
        m_ctx->reorder(p.plainWeights, w, p.fwd.weights_desc(), fwdWeights);
        const torch::Tensor blockedY =
            torch::empty({p.n, blocks(m_cout), p.oh, p.ow, kBlock}, x.options());
        std::unordered_map<int, dnnl::memory> args{
            {DNNL_ARG_SRC, m_ctx->memory(p.src, x)},
            {DNNL_ARG_WEIGHTS, m_ctx->memory(p.fwd.weights_desc(), fwdWeights)},
            {DNNL_ARG_DST, m_ctx->memory(p.blockedDst, blockedY)}};
        torch::Tensor b;
        if (m_bias) {
            b = bias.contiguous();
            args.emplace(DNNL_ARG_BIAS, m_ctx->memory(p.biasDesc, b));
        }
        m_ctx->execute(p.forward, args, "convolution");
        if (m_dst == Layout::Blocked) {
            m_ctx->stream.wait();
            return blockedY;
        }
        torch::Tensor y = torch::empty({p.n, m_cout, p.oh, p.ow}, x.options());
        m_ctx->reorder(p.blockedDst, blockedY, p.plainDst, y);
        m_ctx->stream.wait();
        return y;
    }

    // Gradients of input, weight and bias (each undefined when not wanted).
    std::vector<torch::Tensor> backward(const torch::Tensor &input, const torch::Tensor &weight,
                                        const torch::Tensor &gradOutput, bool wantInput,
                                        bool wantWeight, bool wantBias)
    {
        const torch::Tensor x = input.contiguous();
        const Prepared &p = prepared(x.size(0), x.size(2), x.size(3));
        torch::Tensor dy = gradOutput.contiguous();
        if (m_dst == Layout::Plain) {
            torch::Tensor blocked =
                torch::empty({p.n, blocks(m_cout), p.oh, p.ow, kBlock}, x.options());
            m_ctx->reorder(p.plainDst, dy, p.blockedDst, blocked);
            dy = blocked;
        }
        std::vector<torch::Tensor> grads(3);
        if (wantInput) {
            RECORD_FUNCTION("onednn::convolution_backward_data", std::vector<c10::IValue>());
            const torch::Tensor bwdWeights = bufferFor(p.backwardDataPd.weights_desc());
            m_ctx->reorder(p.plainWeights, weight.contiguous(), p.backwardDataPd.weights_desc(),
                           bwdWeights);
            torch::Tensor dx = torch::empty_like(x);
            m_ctx->execute(
                p.backwardData,
                {{DNNL_ARG_DIFF_DST, m_ctx->memory(p.blockedDst, dy)},
                 {DNNL_ARG_WEIGHTS, m_ctx->memory(p.backwardDataPd.weights_desc(), bwdWeights)},
                 {DNNL_ARG_DIFF_SRC, m_ctx->memory(p.src, dx)}},
                "convolution's input gradient");
            grads[0] = dx;
        }
        if (wantWeight || wantBias) {
            RECORD_FUNCTION("onednn::convolution_backward_weights", std::vector<c10::IValue>());
            const dnnl::memory::desc diffWeightsDesc = p.backwardWeightsPd.diff_weights_desc();
            const torch::Tensor diffWeights = bufferFor(diffWeightsDesc);
            torch::Tensor db;
            std::unordered_map<int, dnnl::memory> args{
                {DNNL_ARG_SRC, m_ctx->memory(p.src, x)},
                {DNNL_ARG_DIFF_DST, m_ctx->memory(p.blockedDst, dy)},
                {DNNL_ARG_DIFF_WEIGHTS, m_ctx->memory(diffWeightsDesc, diffWeights)}};
            if (m_bias) {
                db = torch::empty({m_cout}, x.options());
                args.emplace(DNNL_ARG_DIFF_BIAS, m_ctx->memory(p.biasDesc, db));
            }
            m_ctx->execute(p.backwardWeights, args, "convolution's weight gradient");
            if (wantWeight) {
                torch::Tensor dw = torch::empty(weight.sizes(), weight.options());
                m_ctx->reorder(diffWeightsDesc, diffWeights, p.plainWeights, dw);
                grads[1] = dw;
            }
            if (wantBias)
                grads[2] = db;
        }
        m_ctx->stream.wait();
        return grads;
    }

private:
    struct Prepared
    {
        int64_t n, h, w, oh, ow;
        dnnl::memory::desc src, blockedDst, plainDst, plainWeights, biasDesc;
        dnnl::convolution_forward::primitive_desc fwd;
        dnnl::convolution_forward forward;
        dnnl::convolution_backward_data::primitive_desc backwardDataPd;
        dnnl::convolution_backward_data backwardData;
        dnnl::convolution_backward_weights::primitive_desc backwardWeightsPd;
        dnnl::convolution_backward_weights backwardWeights;
    };

    const Prepared &prepared(int64_t n, int64_t h, int64_t w)
    {
        for (const Prepared &p : m_prepared)
            if (p.n == n && p.h == h && p.w == w)
                return p;
        using tag = dnnl::memory::format_tag;
        const auto f32 = dnnl::memory::data_type::f32;
        const int64_t pad = m_k / 2;
        Prepared p;
        p.n = n;
        p.h = h;
        p.w = w;
        p.oh = convOutSize(h, m_k, m_stride);
        p.ow = convOutSize(w, m_k, m_stride);
        p.src = mapDesc(n, m_cin, h, w, m_src);
        p.blockedDst = mapDesc(n, m_cout, p.oh, p.ow, Layout::Blocked);
        p.plainDst = mapDesc(n, m_cout, p.oh, p.ow, Layout::Plain);
        p.plainWeights = dnnl::memory::desc({m_cout, m_cin, m_k, m_k}, f32, tag::oihw);
        p.biasDesc = dnnl::memory::desc({m_cout}, f32, tag::x);
        const dnnl::memory::desc anyWeights({m_cout, m_cin, m_k, m_k}, f32, tag::any);
        const dnnl::memory::desc noBias;
        const dnnl::memory::dims strides{m_stride, m_stride}, padding{pad, pad};
        const auto &engine = m_ctx->engine;
        p.fwd = dnnl::convolution_forward::primitive_desc(
            dnnl::convolution_forward::desc(
                dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, p.src,
                anyWeights, m_bias ? p.biasDesc : noBias, p.blockedDst, strides, padding, padding),
            engine);
        p.forward = dnnl::convolution_forward(p.fwd);
        p.backwardDataPd = dnnl::convolution_backward_data::primitive_desc(
            dnnl::convolution_backward_data::desc(dnnl::algorithm::convolution_direct, p.src,
                                                  anyWeights, p.blockedDst, strides, padding,
                                                  padding),
            engine, p.fwd);
        p.backwardData = dnnl::convolution_backward_data(p.backwardDataPd);
        p.backwardWeightsPd = dnnl::convolution_backward_weights::primitive_desc(
            dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, p.src,
                                                     anyWeights, m_bias ? p.biasDesc : noBias,
                                                     p.blockedDst, strides, padding, padding),
            engine, p.fwd);
        p.backwardWeights = dnnl::convolution_backward_weights(p.backwardWeightsPd);
        m_prepared.push_back(std::move(p));
        return m_prepared.back();
    }

    std::shared_ptr<Context> m_ctx;
    int64_t m_cin, m_cout, m_k, m_stride;
    bool m_bias;
    Layout m_src, m_dst;
    std::vector<Prepared> m_prepared;
};

// Sums of (p - k) and of its squares per lane over `cells` cells of kBlock floats: in float over
// short runs, the runs added in double. Built for AVX2 too (picked at load time where the CPU has
// it): the loop is bound by memory, and twice as fast with 8-float registers.
__attribute__((target_clones("avx2", "default"))) void
laneMoments(const float *p, const float *k, int64_t cells, double *sum, double *square)
{
    constexpr int64_t kRun = 64;
    std::fill_n(sum, kBlock, 0.0);
    std::fill_n(square, kBlock, 0.0);
    for (int64_t start = 0; start < cells; start += kRun) {
        float runSum[kBlock] = {}, runSquare[kBlock] = {};
        const int64_t stop = std::min(cells, start + kRun);
        for (int64_t cell = start; cell < stop; ++cell) {
            for (int64_t l = 0; l < kBlock; ++l) {
                const float v = p[cell * kBlock + l] - k[l];
                runSum[l] += v;
                runSquare[l] += v * v;
            }
        }
        for (int64_t l = 0; l < kBlock; ++l) {
            sum[l] += runSum[l];
            square[l] += runSquare[l];
        }
    }
}

// The batch's mean and biased variance of each of the first `channels` channels of a blocked float
// map [N, CB, H, W, kBlock], as float tensors [channels]. oneDNN 2.6's own training statistics lose
// precision: they moved the weight gradients of a YOLOv8n step by up to 3e-3 of each tensor's
// largest value, against 3e-5 for LibTorch's float32 BatchNorm (both against float64, bench_peer
// with the YOLOv8 loss). Here each channel's values are shifted by one of its own values (so that
// the squares do not cancel in E[(x-k)^2] - E[x-k]^2) and summed by laneMoments: on par with
// LibTorch (3.7e-5).
std::array<torch::Tensor, 2> blockedMoments(const torch::Tensor &x, int64_t channels)
{
    const int64_t n = x.size(0), cb = x.size(1), hw = x.size(2) * x.size(3);
    const float *data = x.data_ptr<float>();
    // Shift k: each channel's value at the first cell of the first image.
    std::vector<float> shift(size_t(cb * kBlock));
    for (int64_t c = 0; c < cb; ++c)
        std::copy_n(data + c * hw * kBlock, kBlock, shift.begin() + c * kBlock);
    // Sums of (x - k) and (x - k)^2 per (image, block) and lane, added over the images below.
    std::vector<double> sums(size_t(n * cb * kBlock)), squares(size_t(n * cb * kBlock));
    at::parallel_for(0, n * cb, 1, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
            laneMoments(data + i * hw * kBlock, shift.data() + (i % cb) * kBlock, hw,
                        sums.data() + i * kBlock, squares.data() + i * kBlock);
    });
    torch::Tensor mean = torch::empty({channels}, x.options());
    torch::Tensor var = torch::empty({channels}, x.options());
    float *meanOut = mean.data_ptr<float>(), *varOut = var.data_ptr<float>();
    const double count = double(n * hw);
    for (int64_t c = 0; c < channels; ++c) {
        const int64_t block = c / kBlock, lane = c % kBlock;
        double sum = 0, square = 0;
        for (int64_t image = 0; image < n; ++image) {
            const size_t at = size_t((image * cb + block) * kBlock + lane);
            sum += sums[at];
            square += squares[at];
        }
        const double shifted = sum / count;
        meanOut[c] = float(shift[size_t(c)] + shifted);
        varOut[c] = float(std::max(square / count - shifted * shifted, 0.0));
    }
    return {mean, var};
}

// BatchNorm over a blocked map in a training step: normalised by the batch's statistics, or by
// the running statistics for a BatchNorm module in eval mode (frozen); scale and shift; their
// gradients.
class BatchNormKernel : public torch::CustomClassHolder
{
public:
    BatchNormKernel(std::shared_ptr<Context> ctx, int64_t channels, double eps)
        : m_ctx(std::move(ctx))
        , m_channels(channels)
        , m_eps(float(eps))
    {}

    // y, mean, variance: the batch's (the variance biased), computed here, or, given `mean` and
    // `var` (running statistics), those.
    std::vector<torch::Tensor> forward(const torch::Tensor &x, const torch::Tensor &gamma,
                                       const torch::Tensor &beta, torch::Tensor mean = {},
                                       torch::Tensor var = {})
    {
        RECORD_FUNCTION("onednn::batch_norm", std::vector<c10::IValue>());
        const bool given = mean.defined();
        const Prepared &p = prepared(x.size(0), x.size(2), x.size(3), given);
        torch::Tensor y = torch::empty_like(x);
        if (!given) {
            // The batch's statistics, computed here (blockedMoments), then applied by oneDNN as
            // given ones.
            const std::array<torch::Tensor, 2> moments = blockedMoments(x.contiguous(), m_channels);
            mean = moments[0];
            var = moments[1];
        }
        m_ctx->execute(p.apply,
                       {{DNNL_ARG_SRC, m_ctx->memory(p.data, x)},
                        {DNNL_ARG_DST, m_ctx->memory(p.data, y)},
                        {DNNL_ARG_SCALE, m_ctx->memory(p.vector, gamma)},
                        {DNNL_ARG_SHIFT, m_ctx->memory(p.vector, beta)},
                        {DNNL_ARG_MEAN, m_ctx->memory(p.vector, mean)},
                        {DNNL_ARG_VARIANCE, m_ctx->memory(p.vector, var)}},
                       "BatchNorm");
        m_ctx->stream.wait();
        return {y, mean, var};
    }

    // Gradients of x, gamma and beta; `given`: forward() normalised by given statistics.
    std::vector<torch::Tensor> backward(const torch::Tensor &x, const torch::Tensor &mean,
                                        const torch::Tensor &var, const torch::Tensor &gamma,
                                        const torch::Tensor &beta, const torch::Tensor &gradOutput,
                                        bool given)
    {
        RECORD_FUNCTION("onednn::batch_norm_backward", std::vector<c10::IValue>());
        const Prepared &p = prepared(x.size(0), x.size(2), x.size(3), given);
        const torch::Tensor dy = gradOutput.contiguous();
        torch::Tensor dx = torch::empty_like(x);
        torch::Tensor dgamma = torch::empty({m_channels}, x.options());
        torch::Tensor dbeta = torch::empty({m_channels}, x.options());
        m_ctx->execute(p.backward,
                       {{DNNL_ARG_SRC, m_ctx->memory(p.data, x)},
                        {DNNL_ARG_MEAN, m_ctx->memory(p.vector, mean)},
                        {DNNL_ARG_VARIANCE, m_ctx->memory(p.vector, var)},
                        {DNNL_ARG_DIFF_DST, m_ctx->memory(p.data, dy)},
                        {DNNL_ARG_SCALE, m_ctx->memory(p.vector, gamma)},
                        // oneDNN 2.6 wants the shift too, unused as it is.
                        {DNNL_ARG_SHIFT, m_ctx->memory(p.vector, beta)},
                        {DNNL_ARG_DIFF_SRC, m_ctx->memory(p.data, dx)},
                        {DNNL_ARG_DIFF_SCALE, m_ctx->memory(p.vector, dgamma)},
                        {DNNL_ARG_DIFF_SHIFT, m_ctx->memory(p.vector, dbeta)}},
                       "BatchNorm's gradient");
        m_ctx->stream.wait();
        return {dx, dgamma, dbeta};
    }

private:
    struct Prepared
    {
        int64_t n, h, w;
        bool given;
        dnnl::memory::desc data, vector;
        // apply: normalise by given statistics (the batch's, from blockedMoments, or the running
        // ones); backward: the gradient for the batch's statistics, or for given ones.
        dnnl::batch_normalization_forward apply;
        dnnl::batch_normalization_backward backward;
    };

    const Prepared &prepared(int64_t n, int64_t h, int64_t w, bool given)
    {
        for (const Prepared &p : m_prepared)
            if (p.n == n && p.h == h && p.w == w && p.given == given)
                return p;
        const auto affine =
            dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
        // The backward's statistics were the batch's unless given.
        const auto flags = given ? affine | dnnl::normalization_flags::use_global_stats : affine;
        Prepared p;
        p.n = n;
        p.h = h;
        p.w = w;
        p.given = given;
        p.data = mapDesc(n, m_channels, h, w, Layout::Blocked);
        p.vector = dnnl::memory::desc({m_channels}, dnnl::memory::data_type::f32,
                                      dnnl::memory::format_tag::x);
        const dnnl::batch_normalization_forward::primitive_desc hint(
            dnnl::batch_normalization_forward::desc(dnnl::prop_kind::forward_training, p.data,
                                                    m_eps, flags),
            m_ctx->engine);
        p.apply =
            dnnl::batch_normalization_forward(dnnl::batch_normalization_forward::primitive_desc(
                dnnl::batch_normalization_forward::desc(
                    dnnl::prop_kind::forward_training, p.data, m_eps,
                    affine | dnnl::normalization_flags::use_global_stats),
                m_ctx->engine));
        p.backward =
            dnnl::batch_normalization_backward(dnnl::batch_normalization_backward::primitive_desc(
                dnnl::batch_normalization_backward::desc(dnnl::prop_kind::backward, p.data, p.data,
                                                         m_eps, flags),
                m_ctx->engine, hint));
        m_prepared.push_back(std::move(p));
        return m_prepared.back();
    }

    std::shared_ptr<Context> m_ctx;
    int64_t m_channels;
    float m_eps;
    std::vector<Prepared> m_prepared;
};

// SPPF's max-pool over a blocked map (k x k, stride 1, padding k / 2; padded cells never win, as
// LibTorch's) and its gradient, which goes to the cell that won (recorded in oneDNN's workspace).
class MaxPoolKernel : public torch::CustomClassHolder
{
public:
    MaxPoolKernel(std::shared_ptr<Context> ctx, int64_t k)
        : m_ctx(std::move(ctx))
        , m_k(k)
    {}

    // y and the workspace backward() needs.
    std::vector<torch::Tensor> forward(const torch::Tensor &input)
    {
        RECORD_FUNCTION("onednn::max_pool", std::vector<c10::IValue>());
        const torch::Tensor x = input.contiguous();
        const Prepared &p = prepared(x.size(0), x.size(1) * kBlock, x.size(2), x.size(3));
        torch::Tensor y = torch::empty_like(x);
        torch::Tensor workspace = torch::empty({int64_t(p.fwd.workspace_desc().get_size())},
                                               torch::TensorOptions().dtype(torch::kUInt8));
        m_ctx->execute(p.forward,
                       {{DNNL_ARG_SRC, m_ctx->memory(p.data, x)},
                        {DNNL_ARG_DST, m_ctx->memory(p.data, y)},
                        {DNNL_ARG_WORKSPACE, m_ctx->memory(p.fwd.workspace_desc(), workspace)}},
                       "max-pool");
        m_ctx->stream.wait();
        return {y, workspace};
    }

    torch::Tensor backward(const torch::Tensor &gradOutput, const torch::Tensor &workspace)
    {
        RECORD_FUNCTION("onednn::max_pool_backward", std::vector<c10::IValue>());
        const torch::Tensor dy = gradOutput.contiguous();
        const Prepared &p = prepared(dy.size(0), dy.size(1) * kBlock, dy.size(2), dy.size(3));
        torch::Tensor dx = torch::empty_like(dy);
        m_ctx->execute(p.backward,
                       {{DNNL_ARG_DIFF_DST, m_ctx->memory(p.data, dy)},
                        {DNNL_ARG_DIFF_SRC, m_ctx->memory(p.data, dx)},
                        {DNNL_ARG_WORKSPACE, m_ctx->memory(p.fwd.workspace_desc(), workspace)}},
                       "max-pool's gradient");
        m_ctx->stream.wait();
        return dx;
    }

private:
    struct Prepared
    {
        int64_t n, c, h, w;
        dnnl::memory::desc data;
        dnnl::pooling_forward::primitive_desc fwd;
        dnnl::pooling_forward forward;
        dnnl::pooling_backward backward;
    };

    const Prepared &prepared(int64_t n, int64_t c, int64_t h, int64_t w)
    {
        for (const Prepared &p : m_prepared)
            if (p.n == n && p.c == c && p.h == h && p.w == w)
                return p;
        Prepared p;
        p.n = n;
        p.c = c;
        p.h = h;
        p.w = w;
        p.data = mapDesc(n, c, h, w, Layout::Blocked);
        const dnnl::memory::dims strides{1, 1}, kernel{m_k, m_k}, padding{m_k / 2, m_k / 2};
        p.fwd = dnnl::pooling_forward::primitive_desc(
            dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training,
                                        dnnl::algorithm::pooling_max, p.data, p.data, strides,
                                        kernel, padding, padding),
            m_ctx->engine);
        p.forward = dnnl::pooling_forward(p.fwd);
        p.backward = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(
            dnnl::pooling_backward::desc(dnnl::algorithm::pooling_max, p.data, p.data, strides,
                                         kernel, padding, padding),
            m_ctx->engine, p.fwd));
        m_prepared.push_back(std::move(p));
        return m_prepared.back();
    }

    std::shared_ptr<Context> m_ctx;
    int64_t m_k;
    std::vector<Prepared> m_prepared;
};

template <typename Kernel>
c10::intrusive_ptr<Kernel> kernelOf(const torch::autograd::AutogradContext *ctx)
{
    return c10::static_intrusive_pointer_cast<Kernel>(ctx->saved_data.at("kernel").toCapsule());
}

struct ConvFunction : torch::autograd::Function<ConvFunction>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &weight, const torch::Tensor &bias,
                                 const c10::intrusive_ptr<ConvKernel> &kernel)
    {
        ctx->save_for_backward({x, weight});
        ctx->saved_data["kernel"] = c10::IValue::make_capsule(kernel);
        return kernel->forward(x, weight, bias);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const torch::autograd::variable_list saved = ctx->get_saved_variables();
        std::vector<torch::Tensor> g = kernelOf<ConvKernel>(ctx)->backward(
            saved[0], saved[1], grads[0], ctx->needs_input_grad(0), ctx->needs_input_grad(1),
            ctx->needs_input_grad(2));
        return {g[0], g[1], g[2], torch::Tensor()};
    }
};

struct MaxPoolFunction : torch::autograd::Function<MaxPoolFunction>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const c10::intrusive_ptr<MaxPoolKernel> &kernel)
    {
        std::vector<torch::Tensor> out = kernel->forward(x);
        ctx->save_for_backward({out[1]});
        ctx->saved_data["kernel"] = c10::IValue::make_capsule(kernel);
        return out[0];
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const torch::autograd::variable_list saved = ctx->get_saved_variables();
        return {kernelOf<MaxPoolKernel>(ctx)->backward(grads[0], saved[0]), torch::Tensor()};
    }
};

struct BatchNormFunction : torch::autograd::Function<BatchNormFunction>
{
    // As BatchNorm2d: in training mode, normalised by the batch's statistics, and the module's
    // running statistics updated (momentum-weighted, the variance unbiased, one more batch
    // counted); in eval mode (a frozen BatchNorm in a training model), by the running statistics.
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &gamma, const torch::Tensor &beta,
                                 const c10::intrusive_ptr<BatchNormKernel> &kernel,
                                 torch::nn::BatchNorm2dImpl *bn)
    {
        const bool given = !bn->is_training() && bn->options.track_running_stats();
        std::vector<torch::Tensor> out =
            given
                ? kernel->forward(x, gamma, beta, bn->running_mean.clone(), bn->running_var.clone())
                : kernel->forward(x, gamma, beta);
        ctx->save_for_backward({x, gamma, beta, out[1], out[2]});
        ctx->saved_data["kernel"] = c10::IValue::make_capsule(kernel);
        ctx->saved_data["given"] = given;
        if (!given && bn->options.track_running_stats()) {
            bn->num_batches_tracked += 1;
            const double momentum = bn->options.momentum()
                                        ? *bn->options.momentum()
                                        : 1.0 / bn->num_batches_tracked.item<double>();
            const int64_t count = x.size(0) * x.size(2) * x.size(3);
            bn->running_mean.mul_(1.0 - momentum).add_(out[1], momentum);
            bn->running_var.mul_(1.0 - momentum)
                .add_(out[2], momentum * double(count) / double(std::max<int64_t>(count - 1, 1)));
        }
        return out[0];
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                   torch::autograd::variable_list grads)
    {
        const torch::autograd::variable_list saved = ctx->get_saved_variables();
        std::vector<torch::Tensor> g = kernelOf<BatchNormKernel>(ctx)->backward(
            saved[0], saved[3], saved[4], saved[1], saved[2], grads[0],
            ctx->saved_data.at("given").toBool());
        return {ctx->needs_input_grad(0) ? g[0] : torch::Tensor(),
                ctx->needs_input_grad(1) ? g[1] : torch::Tensor(),
                ctx->needs_input_grad(2) ? g[2] : torch::Tensor(), torch::Tensor(),
                torch::Tensor()};
    }
};

} // namespace

struct OneDnnTraining::Impl
{
    const YoloModelImpl *model = nullptr; // whose modules `kernels` maps
    std::shared_ptr<Context> ctx = std::make_shared<Context>();
    struct ConvKernels
    {
        c10::intrusive_ptr<ConvKernel> conv;
        c10::intrusive_ptr<BatchNormKernel> bn;
    };
    std::map<const torch::nn::Module *, ConvKernels> kernels;
    c10::intrusive_ptr<MaxPoolKernel> maxPoolKernel;
    // A bias argument for a convolution without one (autograd functions take no undefined input).
    const torch::Tensor noBias = torch::empty({0});

    // Conv + BatchNorm (batch statistics, running statistics updated) + SiLU.
    torch::Tensor conv(ConvImpl &m, const torch::Tensor &x, Layout src = Layout::Blocked)
    {
        ConvKernels &k = kernels[&m];
        if (!k.conv) {
            k.conv = c10::make_intrusive<ConvKernel>(ctx, m.c1, m.c2, m.k, m.s, false, src,
                                                     Layout::Blocked);
            k.bn = c10::make_intrusive<BatchNormKernel>(ctx, m.c2, m.bn->options.eps());
        }
        const torch::Tensor y = ConvFunction::apply(x, m.conv->weight, noBias, k.conv);
        const torch::Tensor z =
            BatchNormFunction::apply(y, m.bn->weight, m.bn->bias, k.bn, m.bn.get());
        return torch::silu(z);
    }

    torch::Tensor c2f(C2fImpl &m, const torch::Tensor &x)
    {
        std::vector<torch::Tensor> ys = conv(*m.cv1, x).chunk(2, 1);
        for (Bottleneck &block : m.blocks) {
            torch::Tensor y = conv(*block->cv2, conv(*block->cv1, ys.back()));
            if (block->add)
                y = y + ys.back();
            ys.push_back(y);
        }
        return conv(*m.cv2, torch::cat(ys, 1));
    }

    torch::Tensor maxPool(const torch::Tensor &x, int64_t k)
    {
        if (!maxPoolKernel)
            maxPoolKernel = c10::make_intrusive<MaxPoolKernel>(ctx, k);
        return MaxPoolFunction::apply(x, maxPoolKernel);
    }

    torch::Tensor sppf(SppfImpl &m, const torch::Tensor &x)
    {
        const int64_t k = m.m->options.kernel_size()->at(0);
        const torch::Tensor y0 = conv(*m.cv1, x);
        const torch::Tensor y1 = maxPool(y0, k);
        const torch::Tensor y2 = maxPool(y1, k);
        return conv(*m.cv2, torch::cat({y0, y1, y2, maxPool(y2, k)}, 1));
    }

    static torch::Tensor upsample2(const torch::Tensor &x)
    {
        // [N, Cb, H, W, 8] as a volume [N, Cb, D=H, H=W, W=8]: nearest, doubled in D and H.
        return torch::upsample_nearest3d(x, {2 * x.size(2), 2 * x.size(3), kBlock}, 2.0, 2.0, 1.0);
    }

    torch::Tensor outConv(torch::nn::Conv2dImpl &m, const torch::Tensor &x)
    {
        ConvKernels &k = kernels[&m];
        if (!k.conv) {
            const auto &o = m.options;
            k.conv = c10::make_intrusive<ConvKernel>(ctx, o.in_channels(), o.out_channels(),
                                                     o.kernel_size()->at(0), o.stride()->at(0),
                                                     true, Layout::Blocked, Layout::Plain);
        }
        return ConvFunction::apply(x, m.weight, m.bias, k.conv);
    }
};

OneDnnTraining::OneDnnTraining()
    : d(std::make_unique<Impl>())
{}

OneDnnTraining::~OneDnnTraining() = default;

std::shared_ptr<OneDnnTraining> OneDnnTraining::create(YoloModelImpl &model, QString *whyNot)
{
    if (const QString problem = modelProblem(model); !problem.isEmpty()) {
        if (whyNot)
            *whyNot = problem;
        return nullptr;
    }
    std::shared_ptr<OneDnnTraining> out(new OneDnnTraining());
    out->d->model = &model;
    return out;
}

std::vector<torch::Tensor> OneDnnTraining::forward(YoloModelImpl &m, const torch::Tensor &input)
{
    Impl &k = *d;
    TORCH_CHECK(&m == k.model, "OneDnnTraining: the engine belongs to another model");
    TORCH_CHECK(input.dim() == 4 && input.size(1) == 3 && input.device().is_cpu() &&
                    input.scalar_type() == torch::kFloat,
                "OneDnnTraining: expected a float32 [B, 3, H, W] CPU input, got ", input.sizes());
    const torch::Tensor p3 = k.c2f(
        *m.m_l4,
        k.conv(*m.m_l3, k.c2f(*m.m_l2, k.conv(*m.m_l1, k.conv(*m.m_l0, input, Layout::Plain)))));
    const torch::Tensor p4 = k.c2f(*m.m_l6, k.conv(*m.m_l5, p3));
    const torch::Tensor p5 = k.sppf(*m.m_l9, k.c2f(*m.m_l8, k.conv(*m.m_l7, p4)));
    const torch::Tensor h12 = k.c2f(*m.m_l12, torch::cat({Impl::upsample2(p5), p4}, 1));
    const torch::Tensor out3 = k.c2f(*m.m_l15, torch::cat({Impl::upsample2(h12), p3}, 1));
    const torch::Tensor out4 = k.c2f(*m.m_l18, torch::cat({k.conv(*m.m_l16, out3), h12}, 1));
    const torch::Tensor out5 = k.c2f(*m.m_l21, torch::cat({k.conv(*m.m_l19, out4), p5}, 1));
    DetectImpl &detect = *m.m_detect;
    const torch::Tensor levels[] = {out3, out4, out5};
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < detect.ch.size(); ++i) {
        const auto branch = [&](std::vector<Conv> &convs, torch::nn::Conv2d &last) {
            return k.outConv(*last, k.conv(*convs[2 * i + 1], k.conv(*convs[2 * i], levels[i])));
        };
        out.push_back(torch::cat(
            {branch(detect.boxConvs, detect.boxOut[i]), branch(detect.clsConvs, detect.clsOut[i])},
            1));
    }
    return out;
}

#endif

} // namespace yolodeck
