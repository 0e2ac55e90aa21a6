#include "core/model/onednnforward.h"

#include "core/model/onednnsupport.h"
#include "core/model/yolomodel.h"

#ifdef YOLODECK_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>

#include <mutex>
#endif

namespace yolodeck {

using onednn::turnedOff;

#ifndef YOLODECK_HAVE_ONEDNN

struct OneDnnForward::Impl
{};

OneDnnForward::OneDnnForward() = default;
OneDnnForward::~OneDnnForward() = default;

bool OneDnnForward::available()
{
    return false;
}

std::shared_ptr<OneDnnForward> OneDnnForward::create(YoloModelImpl &, QString *whyNot)
{
    if (whyNot)
        *whyNot = turnedOff() ? QStringLiteral("turned off (YOLODECK_ONEDNN=0)")
                              : QStringLiteral("this build has no oneDNN");
    return nullptr;
}

std::vector<torch::Tensor> OneDnnForward::forward(const torch::Tensor &)
{
    TORCH_CHECK(false, "OneDnnForward: this build has no oneDNN");
}

QString OneDnnForward::describe()
{
    return turnedOff() ? QStringLiteral("LibTorch (oneDNN: turned off (YOLODECK_ONEDNN=0))")
                       : QStringLiteral("LibTorch (oneDNN: this build has no oneDNN)");
}

#else

namespace {

using namespace onednn;

// One convolution with its bias and, for a Conv, its SiLU: a oneDNN primitive per input size,
// the weights reordered once for it.
class ConvKernel
{
public:
    ConvKernel() = default;
    ConvKernel(const torch::Tensor &weight, const torch::Tensor &bias, int64_t stride, bool silu,
               Layout src, Layout dst)
        : m_weight(weight.detach().to(torch::kFloat).contiguous())
        , m_bias(bias.detach().to(torch::kFloat).contiguous())
        , m_stride(stride)
        , m_silu(silu)
        , m_src(src)
        , m_dst(dst)
    {}

    int64_t inChannels() const { return m_weight.size(1); }
    int64_t outChannels() const { return m_weight.size(0); }

    torch::Tensor run(const torch::Tensor &input, const dnnl::engine &engine, dnnl::stream &stream)
    {
        const torch::Tensor x = input.contiguous();
        const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
        const int64_t k = m_weight.size(2);
        const int64_t oh = convOutSize(h, k, m_stride), ow = convOutSize(w, k, m_stride);
        const Prepared &p = prepared(n, h, w, engine, stream);
        const auto floats = torch::TensorOptions().dtype(torch::kFloat);
        torch::Tensor y = m_dst == Layout::Blocked
                              ? torch::empty({n, blocks(outChannels()), oh, ow, kBlock}, floats)
                              : torch::empty({n, outChannels(), oh, ow}, floats);
        dnnl::memory src(p.src, engine, x.data_ptr());
        dnnl::memory bias(p.bias, engine, m_bias.data_ptr());
        // A plain output is computed blocked (its channels padded to a multiple of 8) and then
        // reordered: oneDNN's fast kernels read and write one layout family.
        torch::Tensor blocked;
        if (m_dst == Layout::Plain)
            blocked = bufferFor(p.blockedDst);
        dnnl::memory dst(p.blockedDst, engine,
                         m_dst == Layout::Plain ? blocked.data_ptr() : y.data_ptr());
        p.primitive.execute(stream, {{DNNL_ARG_SRC, src},
                                     {DNNL_ARG_WEIGHTS, p.weights},
                                     {DNNL_ARG_BIAS, bias},
                                     {DNNL_ARG_DST, dst}});
        if (m_dst == Layout::Plain) {
            dnnl::memory plain(p.dst, engine, y.data_ptr());
            p.toPlain.execute(stream, dst, plain);
        }
        stream.wait();
        return y;
    }

private:
    struct Prepared
    {
        int64_t n, h, w;
        dnnl::memory::desc src, dst, bias;
        dnnl::memory::desc blockedDst; // dst itself, or its blocked form for a plain output
        dnnl::memory weights;
        dnnl::convolution_forward primitive;
        dnnl::reorder toPlain; // blockedDst -> dst, for a plain output
    };

    const Prepared &prepared(int64_t n, int64_t h, int64_t w, const dnnl::engine &engine,
                             dnnl::stream &stream)
    {
        for (const Prepared &p : m_prepared)
            if (p.n == n && p.h == h && p.w == w)
                return p;
        const int64_t k = m_weight.size(2);
        const int64_t pad = k / 2;
        const int64_t oh = convOutSize(h, k, m_stride), ow = convOutSize(w, k, m_stride);
        Prepared p;
        p.n = n;
        p.h = h;
        p.w = w;
        p.src = mapDesc(n, inChannels(), h, w, m_src);
        p.dst = mapDesc(n, outChannels(), oh, ow, m_dst);
        p.blockedDst = mapDesc(n, outChannels(), oh, ow, Layout::Blocked);
        p.bias = dnnl::memory::desc({outChannels()}, dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::x);
        const dnnl::memory::desc anyWeights({outChannels(), inChannels(), k, k},
                                            dnnl::memory::data_type::f32,
                                            dnnl::memory::format_tag::any);
        const dnnl::convolution_forward::desc desc(
            dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, p.src,
            anyWeights, p.bias, p.blockedDst, {m_stride, m_stride}, {pad, pad}, {pad, pad});
        dnnl::primitive_attr attr;
        if (m_silu) {
            // swish(x) = x * sigmoid(alpha * x); alpha 1 is SiLU.
            dnnl::post_ops ops;
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f);
            attr.set_post_ops(ops);
        }
        const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine);
        p.primitive = dnnl::convolution_forward(pd);
        if (m_dst == Layout::Plain)
            p.toPlain = dnnl::reorder(dnnl::memory(p.blockedDst, engine, nullptr),
                                      dnnl::memory(p.dst, engine, nullptr));
        // The weights in the layout this primitive chose: reordered once, shared by every
        // primitive of this layer that chose the same layout.
        for (const Prepared &other : m_prepared) {
            if (other.weights.get_desc() == pd.weights_desc()) {
                p.weights = other.weights;
                break;
            }
        }
        if (!p.weights) {
            const dnnl::memory::desc plain({outChannels(), inChannels(), k, k},
                                           dnnl::memory::data_type::f32,
                                           dnnl::memory::format_tag::oihw);
            dnnl::memory user(plain, engine, m_weight.data_ptr());
            p.weights = dnnl::memory(pd.weights_desc(), engine);
            dnnl::reorder(user, p.weights).execute(stream, user, p.weights);
            stream.wait();
        }
        m_prepared.push_back(std::move(p));
        return m_prepared.back();
    }

    torch::Tensor m_weight; // [out, in, k, k], BatchNorm folded in
    torch::Tensor m_bias;   // [out]
    int64_t m_stride = 1;
    bool m_silu = false;
    Layout m_src = Layout::Blocked, m_dst = Layout::Blocked;
    std::vector<Prepared> m_prepared;
};

ConvKernel convKernel(const ConvImpl &conv, Layout src = Layout::Blocked)
{
    return ConvKernel(conv.conv->weight, conv.fusedBias(), conv.s, true, src, Layout::Blocked);
}

struct C2fKernels
{
    // cv1 as two convolutions, one per half of its output: the halves C2f splits it into, each
    // made contiguous by its own primitive instead of by a copy.
    ConvKernel cv1a, cv1b, cv2;
    struct Block
    {
        ConvKernel cv1, cv2;
        bool add;
    };
    std::vector<Block> blocks;
};

C2fKernels c2fKernels(const C2fImpl &m)
{
    C2fKernels k;
    const torch::Tensor &w = m.cv1->conv->weight;
    const torch::Tensor &b = m.cv1->fusedBias();
    k.cv1a = ConvKernel(w.narrow(0, 0, m.c), b.narrow(0, 0, m.c), m.cv1->s, true, Layout::Blocked,
                        Layout::Blocked);
    k.cv1b = ConvKernel(w.narrow(0, m.c, m.c), b.narrow(0, m.c, m.c), m.cv1->s, true,
                        Layout::Blocked, Layout::Blocked);
    k.cv2 = convKernel(*m.cv2);
    for (const Bottleneck &block : m.blocks)
        k.blocks.push_back({convKernel(*block->cv1), convKernel(*block->cv2), block->add});
    return k;
}

// A blocked map in, a blocked map out of the same channels: SPPF's max-pool (k x k, stride 1,
// padding k / 2, padded cells never win, as LibTorch's) or the neck's nearest-neighbour upsampling
// by 2 (each value repeated in a 2 x 2 square: oneDNN's nearest rule picks source cell
// floor(d / 2) for a factor of 2, as LibTorch's). One primitive per input size.
class MapKernel
{
public:
    enum class Kind
    {
        MaxPool,
        Upsample2
    };
    MapKernel() = default;
    MapKernel(Kind kind, int64_t k)
        : m_kind(kind)
        , m_k(k)
    {}

    torch::Tensor run(const torch::Tensor &input, const dnnl::engine &engine, dnnl::stream &stream)
    {
        const torch::Tensor x = input.contiguous();
        const int64_t n = x.size(0), cb = x.size(1), h = x.size(2), w = x.size(3);
        const int64_t scale = m_kind == Kind::Upsample2 ? 2 : 1;
        const Prepared &p = prepared(n, cb * kBlock, h, w, engine);
        torch::Tensor y = torch::empty({n, cb, h * scale, w * scale, kBlock},
                                       torch::TensorOptions().dtype(torch::kFloat));
        dnnl::memory src(p.src, engine, x.data_ptr());
        dnnl::memory dst(p.dst, engine, y.data_ptr());
        p.primitive.execute(stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
        stream.wait();
        return y;
    }

private:
    struct Prepared
    {
        int64_t n, c, h, w;
        dnnl::memory::desc src, dst;
        dnnl::primitive primitive;
    };

    const Prepared &prepared(int64_t n, int64_t c, int64_t h, int64_t w, const dnnl::engine &engine)
    {
        for (const Prepared &p : m_prepared)
            if (p.n == n && p.c == c && p.h == h && p.w == w)
                return p;
        Prepared p{n, c, h, w, mapDesc(n, c, h, w, Layout::Blocked), {}, {}};
        if (m_kind == Kind::MaxPool) {
            p.dst = mapDesc(n, c, h, w, Layout::Blocked);
            const int64_t pad = m_k / 2;
            const dnnl::pooling_forward::desc desc(dnnl::prop_kind::forward_inference,
                                                   dnnl::algorithm::pooling_max, p.src, p.dst,
                                                   {1, 1}, {m_k, m_k}, {pad, pad}, {pad, pad});
            p.primitive =
                dnnl::pooling_forward(dnnl::pooling_forward::primitive_desc(desc, engine));
        } else {
            p.dst = mapDesc(n, c, 2 * h, 2 * w, Layout::Blocked);
            const dnnl::resampling_forward::desc desc(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::resampling_nearest,
                                                      {2.0f, 2.0f}, p.src, p.dst);
            p.primitive =
                dnnl::resampling_forward(dnnl::resampling_forward::primitive_desc(desc, engine));
        }
        m_prepared.push_back(std::move(p));
        return m_prepared.back();
    }

    Kind m_kind = Kind::MaxPool;
    int64_t m_k = 1;
    std::vector<Prepared> m_prepared;
};

} // namespace

struct OneDnnForward::Impl
{
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    dnnl::stream stream{engine};
    std::mutex mutex;

    ConvKernel l0, l1, l3, l5, l7, l16, l19;
    C2fKernels l2, l4, l6, l8, l12, l15, l18, l21;
    ConvKernel sppfCv1, sppfCv2;
    MapKernel sppfPool, upsample{MapKernel::Kind::Upsample2, 0};
    // Per level: the two 3x3 Convs and the output 1x1 of the box and the class branch.
    struct Branch
    {
        ConvKernel c0, c1, out;
    };
    std::vector<Branch> box, cls;

    torch::Tensor run(ConvKernel &k, const torch::Tensor &x) { return k.run(x, engine, stream); }

    torch::Tensor run(C2fKernels &k, const torch::Tensor &x)
    {
        std::vector<torch::Tensor> ys{run(k.cv1a, x), run(k.cv1b, x)};
        for (C2fKernels::Block &block : k.blocks) {
            torch::Tensor y = run(block.cv2, run(block.cv1, ys.back()));
            if (block.add)
                y.add_(ys.back()); // x + y of Bottleneck: the same sum, without a new tensor
            ys.push_back(std::move(y));
        }
        return run(k.cv2, torch::cat(ys, 1));
    }

    torch::Tensor sppf(const torch::Tensor &x)
    {
        const torch::Tensor y0 = run(sppfCv1, x);
        const torch::Tensor y1 = sppfPool.run(y0, engine, stream);
        const torch::Tensor y2 = sppfPool.run(y1, engine, stream);
        return run(sppfCv2, torch::cat({y0, y1, y2, sppfPool.run(y2, engine, stream)}, 1));
    }

    torch::Tensor head(Branch &b, const torch::Tensor &x)
    {
        return run(b.out, run(b.c1, run(b.c0, x)));
    }
};

OneDnnForward::OneDnnForward()
    : d(std::make_unique<Impl>())
{}

OneDnnForward::~OneDnnForward() = default;

bool OneDnnForward::available()
{
    return true;
}

QString OneDnnForward::describe()
{
    if (turnedOff())
        return QStringLiteral("LibTorch (oneDNN: turned off (YOLODECK_ONEDNN=0))");
    const dnnl_version_t *v = dnnl_version();
    return QStringLiteral("oneDNN %1.%2.%3 directly (8-channel blocks) for training "
                          "(engine=auto), validation and predict on the CPU")
        .arg(v->major)
        .arg(v->minor)
        .arg(v->patch);
}

std::shared_ptr<OneDnnForward> OneDnnForward::create(YoloModelImpl &model, QString *whyNot)
{
    const auto refuse = [&](const QString &why) {
        if (whyNot)
            *whyNot = why;
        return std::shared_ptr<OneDnnForward>();
    };
    if (const QString problem = onednn::modelProblem(model); !problem.isEmpty())
        return refuse(problem);
    for (const std::shared_ptr<torch::nn::Module> &m : model.modules(/*include_self=*/false)) {
        const auto *conv = dynamic_cast<const ConvImpl *>(m.get());
        if (conv && !conv->fused())
            return refuse(QStringLiteral("a convolution's BatchNorm is not folded"));
    }

    std::shared_ptr<OneDnnForward> out(new OneDnnForward());
    Impl &k = *out->d;
    try {
        k.l0 = convKernel(*model.m_l0, Layout::Plain);
        k.l1 = convKernel(*model.m_l1);
        k.l3 = convKernel(*model.m_l3);
        k.l5 = convKernel(*model.m_l5);
        k.l7 = convKernel(*model.m_l7);
        k.l16 = convKernel(*model.m_l16);
        k.l19 = convKernel(*model.m_l19);
        k.l2 = c2fKernels(*model.m_l2);
        k.l4 = c2fKernels(*model.m_l4);
        k.l6 = c2fKernels(*model.m_l6);
        k.l8 = c2fKernels(*model.m_l8);
        k.l12 = c2fKernels(*model.m_l12);
        k.l15 = c2fKernels(*model.m_l15);
        k.l18 = c2fKernels(*model.m_l18);
        k.l21 = c2fKernels(*model.m_l21);
        k.sppfCv1 = convKernel(*model.m_l9->cv1);
        k.sppfCv2 = convKernel(*model.m_l9->cv2);
        k.sppfPool =
            MapKernel(MapKernel::Kind::MaxPool, model.m_l9->m->options.kernel_size()->at(0));
        const DetectImpl &detect = *model.m_detect;
        for (size_t i = 0; i < detect.ch.size(); ++i) {
            const auto branch = [&](const std::vector<Conv> &convs, const torch::nn::Conv2d &last) {
                Impl::Branch b;
                b.c0 = convKernel(*convs[2 * i]);
                b.c1 = convKernel(*convs[2 * i + 1]);
                b.out =
                    ConvKernel(last->weight, last->bias, 1, false, Layout::Blocked, Layout::Plain);
                return b;
            };
            k.box.push_back(branch(detect.boxConvs, detect.boxOut[i]));
            k.cls.push_back(branch(detect.clsConvs, detect.clsOut[i]));
        }
    } catch (const std::exception &e) {
        return refuse(
            QStringLiteral("oneDNN refused the model: %1").arg(QString::fromUtf8(e.what())));
    }
    return out;
}

std::vector<torch::Tensor> OneDnnForward::forward(const torch::Tensor &input)
{
    TORCH_CHECK(input.dim() == 4 && input.size(1) == 3 && input.device().is_cpu() &&
                    input.scalar_type() == torch::kFloat,
                "OneDnnForward: expected a float32 [B, 3, H, W] CPU input, got ", input.sizes());
    TORCH_CHECK(input.size(2) % 32 == 0 && input.size(3) % 32 == 0,
                "OneDnnForward: image height and width must be multiples of 32, got ",
                input.sizes());
    const std::lock_guard<std::mutex> lock(d->mutex);
    Impl &k = *d;
    // The wiring of YoloModelImpl::forward().
    const torch::Tensor p3 = k.run(k.l4, k.run(k.l3, k.run(k.l2, k.run(k.l1, k.run(k.l0, input)))));
    const torch::Tensor p4 = k.run(k.l6, k.run(k.l5, p3));
    const torch::Tensor p5 = k.sppf(k.run(k.l8, k.run(k.l7, p4)));
    const torch::Tensor h12 =
        k.run(k.l12, torch::cat({k.upsample.run(p5, k.engine, k.stream), p4}, 1));
    const torch::Tensor out3 =
        k.run(k.l15, torch::cat({k.upsample.run(h12, k.engine, k.stream), p3}, 1));
    const torch::Tensor out4 = k.run(k.l18, torch::cat({k.run(k.l16, out3), h12}, 1));
    const torch::Tensor out5 = k.run(k.l21, torch::cat({k.run(k.l19, out4), p5}, 1));
    std::vector<torch::Tensor> out;
    const torch::Tensor levels[] = {out3, out4, out5};
    for (size_t i = 0; i < k.box.size(); ++i)
        out.push_back(torch::cat({k.head(k.box[i], levels[i]), k.head(k.cls[i], levels[i])}, 1));
    return out;
}

#endif

} // namespace yolodeck
