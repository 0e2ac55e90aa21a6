#include "core/model/yolomodel.h"

#include "core/model/boxops.h"
#include "core/model/onednnforward.h"
#include "core/model/onednntraining.h"

#include <cmath>

namespace yolodeck {

namespace {

// Ultralytics' make_divisible: round channel counts up to a multiple of 8.
int64_t makeDivisible(double x, int64_t divisor)
{
    return static_cast<int64_t>(std::ceil(x / divisor)) * divisor;
}

QString boolArg(bool b)
{
    return b ? QStringLiteral("True") : QStringLiteral("False");
}

template <typename... Ints> QString listArg(Ints... values)
{
    QStringList parts;
    (parts << ... << QString::number(values));
    return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
}

int64_t numelOf(const std::vector<torch::Tensor> &tensors)
{
    int64_t total = 0;
    for (const auto &t : tensors)
        total += t.numel();
    return total;
}

} // namespace

template <typename M>
M YoloModelImpl::addLayer(M module, const QString &from, int repeats, const QString &type,
                          const QString &args)
{
    m_model->push_back(module);
    m_layers.push_back({from, repeats, type, args, module.ptr().get()});
    return module;
}

YoloModelImpl::YoloModelImpl(const ModelScale &scale, int nc)
    : m_scale(scale)
    , m_nc(nc)
{
    TORCH_CHECK(nc > 0, "YoloModel: the number of classes must be positive, got ", nc);
    // Channel and repeat rules of Ultralytics' parse_model.
    const auto ch = [&](int64_t c) {
        return makeDivisible(
            static_cast<double>(std::min<int64_t>(c, scale.maxChannels)) * scale.width, 8);
    };
    const auto reps = [&](int64_t n) {
        // Python's round() is round-half-to-even: std::nearbyint in the default rounding mode.
        return n > 1 ? std::max<int64_t>(static_cast<int64_t>(std::nearbyint(n * scale.depth)), 1)
                     : n;
    };
    const int64_t c64 = ch(64), c128 = ch(128), c256 = ch(256), c512 = ch(512), c1024 = ch(1024);
    const int64_t n3 = reps(3), n6 = reps(6);
    const auto upsampleOptions = torch::nn::UpsampleOptions()
                                     .scale_factor(std::vector<double>{2.0, 2.0})
                                     .mode(torch::kNearest);
    const QString prev = QStringLiteral("-1");
    const QString upArgs = QStringLiteral("[None, 2, 'nearest']");
    const QString catArgs = QStringLiteral("[1]");

    m_model = register_module("model", torch::nn::ModuleList());
    // Backbone.
    m_l0 = addLayer(Conv(3, c64, 3, 2), prev, 1, "Conv", listArg(3, c64, 3, 2));
    m_l1 = addLayer(Conv(c64, c128, 3, 2), prev, 1, "Conv", listArg(c64, c128, 3, 2));
    m_l2 = addLayer(C2f(c128, c128, n3, true), prev, n3, "C2f",
                    listArg(c128, c128, n3).chopped(1) + ", " + boolArg(true) + "]");
    m_l3 = addLayer(Conv(c128, c256, 3, 2), prev, 1, "Conv", listArg(c128, c256, 3, 2));
    m_l4 = addLayer(C2f(c256, c256, n6, true), prev, n6, "C2f",
                    listArg(c256, c256, n6).chopped(1) + ", " + boolArg(true) + "]");
    m_l5 = addLayer(Conv(c256, c512, 3, 2), prev, 1, "Conv", listArg(c256, c512, 3, 2));
    m_l6 = addLayer(C2f(c512, c512, n6, true), prev, n6, "C2f",
                    listArg(c512, c512, n6).chopped(1) + ", " + boolArg(true) + "]");
    m_l7 = addLayer(Conv(c512, c1024, 3, 2), prev, 1, "Conv", listArg(c512, c1024, 3, 2));
    m_l8 = addLayer(C2f(c1024, c1024, n3, true), prev, n3, "C2f",
                    listArg(c1024, c1024, n3).chopped(1) + ", " + boolArg(true) + "]");
    m_l9 = addLayer(Sppf(c1024, c1024, 5), prev, 1, "SPPF", listArg(c1024, c1024, 5));
    // Neck: top-down (upsample + concat), then bottom-up (strided conv + concat). The head's
    // C2f blocks have no residual shortcut.
    m_l10 = addLayer(torch::nn::Upsample(upsampleOptions), prev, 1, "Upsample", upArgs);
    m_l11 = addLayer(Concat(), "[-1, 6]", 1, "Concat", catArgs);
    m_l12 = addLayer(C2f(c1024 + c512, c512, n3, false), prev, n3, "C2f",
                     listArg(c1024 + c512, c512, n3));
    m_l13 = addLayer(torch::nn::Upsample(upsampleOptions), prev, 1, "Upsample", upArgs);
    m_l14 = addLayer(Concat(), "[-1, 4]", 1, "Concat", catArgs);
    m_l15 = addLayer(C2f(c512 + c256, c256, n3, false), prev, n3, "C2f",
                     listArg(c512 + c256, c256, n3));
    m_l16 = addLayer(Conv(c256, c256, 3, 2), prev, 1, "Conv", listArg(c256, c256, 3, 2));
    m_l17 = addLayer(Concat(), "[-1, 12]", 1, "Concat", catArgs);
    m_l18 = addLayer(C2f(c256 + c512, c512, n3, false), prev, n3, "C2f",
                     listArg(c256 + c512, c512, n3));
    m_l19 = addLayer(Conv(c512, c512, 3, 2), prev, 1, "Conv", listArg(c512, c512, 3, 2));
    m_l20 = addLayer(Concat(), "[-1, 9]", 1, "Concat", catArgs);
    m_l21 = addLayer(C2f(c512 + c1024, c1024, n3, false), prev, n3, "C2f",
                     listArg(c512 + c1024, c1024, n3));
    m_detect = addLayer(Detect(int64_t(nc), std::vector<int64_t>{c256, c512, c1024}, m_strides),
                        "[15, 18, 21]", 1, "Detect",
                        QStringLiteral("[%1, %2]").arg(nc).arg(listArg(c256, c512, c1024)));
    initBiases();
}

std::vector<torch::Tensor> YoloModelImpl::forward(torch::Tensor x)
{
    TORCH_CHECK(x.dim() == 4 && x.size(1) == 3, "YoloModel: expected [B, 3, H, W] input, got ",
                x.sizes());
    TORCH_CHECK(x.size(2) % 32 == 0 && x.size(3) % 32 == 0,
                "YoloModel: image height and width must be multiples of 32, got ", x.sizes());
    if (m_oneDnn && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
        !torch::GradMode::is_enabled())
        return m_oneDnn->forward(x);
    if (m_oneDnnTraining && is_training() && torch::GradMode::is_enabled() && x.device().is_cpu() &&
        x.scalar_type() == torch::kFloat)
        return m_oneDnnTraining->forward(*this, x);
    // Backbone: P3 (stride 8), P4 (16), P5 (32) feed the neck.
    const auto p3 = m_l4(m_l3(m_l2(m_l1(m_l0(x)))));
    const auto p4 = m_l6(m_l5(p3));
    const auto p5 = m_l9(m_l8(m_l7(p4)));
    // Top-down path.
    const auto h12 = m_l12(m_l11->forward({m_l10(p5), p4}));
    const auto out3 = m_l15(m_l14->forward({m_l13(h12), p3}));
    // Bottom-up path.
    const auto out4 = m_l18(m_l17->forward({m_l16(out3), h12}));
    const auto out5 = m_l21(m_l20->forward({m_l19(out4), p5}));
    return m_detect->forward({out3, out4, out5});
}

torch::Tensor YoloModelImpl::decode(const std::vector<torch::Tensor> &feats) const
{
    TORCH_CHECK(feats.size() == m_strides.size(), "YoloModel::decode: expected ", m_strides.size(),
                " levels, got ", feats.size());
    const int64_t no = 4 * m_detect->regMax + m_nc;
    std::vector<torch::Tensor> floatFeats;
    std::vector<torch::Tensor> flat;
    for (const auto &f : feats) {
        TORCH_CHECK(f.dim() == 4 && f.size(1) == no, "YoloModel::decode: expected [B, ", no,
                    ", H, W] maps, got ", f.sizes());
        floatFeats.push_back(f.to(torch::kFloat));
        flat.push_back(floatFeats.back().flatten(2));
    }
    const auto all = torch::cat(flat, 2); // [B, no, A]
    const auto anchors = makeAnchors(floatFeats, m_strides, 0.5);
    const auto dist = m_detect->dfl->forward(all.narrow(1, 0, 4 * m_detect->regMax)); // [B, 4, A]
    const auto points = anchors.points.transpose(0, 1).unsqueeze(0);                  // [1, 2, A]
    const auto boxes =
        dist2bbox(dist, points, false, 1) * anchors.strides.transpose(0, 1).unsqueeze(0);
    const auto scores = all.narrow(1, 4 * m_detect->regMax, m_nc).sigmoid();
    return torch::cat({boxes, scores}, 1).transpose(1, 2).contiguous();
}

int64_t YoloModelImpl::parameterCount() const
{
    return numelOf(parameters());
}

int64_t YoloModelImpl::gradientCount() const
{
    int64_t total = 0;
    for (const auto &p : parameters()) {
        if (p.requires_grad())
            total += p.numel();
    }
    return total;
}

double YoloModelImpl::gflops(int imgsz) const
{
    const int64_t s0 = (static_cast<int64_t>(imgsz) + 31) / 32 * 32;
    const int64_t s2 = convOutSize(s0, 3, 2), s4 = convOutSize(s2, 3, 2),
                  s8 = convOutSize(s4, 3, 2), s16 = convOutSize(s8, 3, 2),
                  s32 = convOutSize(s16, 3, 2);
    int64_t macs = m_l0->macs(s0, s0) + m_l1->macs(s2, s2) + m_l2->macs(s4, s4) +
                   m_l3->macs(s4, s4) + m_l4->macs(s8, s8) + m_l5->macs(s8, s8) +
                   m_l6->macs(s16, s16) + m_l7->macs(s16, s16) + m_l8->macs(s32, s32) +
                   m_l9->macs(s32, s32);
    macs += m_l12->macs(s16, s16) + m_l15->macs(s8, s8) + m_l16->macs(s8, s8) +
            m_l18->macs(s16, s16) + m_l19->macs(s16, s16) + m_l21->macs(s32, s32);
    macs += m_detect->macs({{s8, s8}, {s16, s16}, {s32, s32}});
    return 2.0 * static_cast<double>(macs) / 1e9;
}

QString YoloModelImpl::summary(int imgsz) const
{
    QStringList lines;
    lines << QStringLiteral("%1 %2 %3 %4  %5 %6")
                 .arg(QString(), 3)
                 .arg(QStringLiteral("from"), 18)
                 .arg(QStringLiteral("n"), 3)
                 .arg(QStringLiteral("params"), 10)
                 .arg(QStringLiteral("module"), -10)
                 .arg(QStringLiteral("arguments"));
    for (size_t i = 0; i < m_layers.size(); ++i) {
        const LayerInfo &layer = m_layers[i];
        lines << QStringLiteral("%1 %2 %3 %4  %5 %6")
                     .arg(static_cast<int>(i), 3)
                     .arg(layer.from, 18)
                     .arg(layer.repeats, 3)
                     .arg(numelOf(layer.module->parameters()), 10)
                     .arg(layer.type, -10)
                     .arg(layer.args);
    }
    lines << QStringLiteral("YOLOv8%1 summary: %2 layers, %3 parameters, %4 gradients, %5 GFLOPs")
                 .arg(m_scale.name)
                 .arg(modules(true).size())
                 .arg(parameterCount())
                 .arg(gradientCount())
                 // One decimal as Ultralytics prints it; small models at small sizes would
                 // round to 0.0, so they get three significant digits instead.
                 .arg(gflops(imgsz) >= 1.0 ? QString::number(gflops(imgsz), 'f', 1)
                                           : QString::number(gflops(imgsz), 'g', 3));
    return lines.join(QLatin1Char('\n'));
}

void YoloModelImpl::initBiases()
{
    m_detect->initBiases();
}

ParamGroups YoloModelImpl::parameterGroups() const
{
    ParamGroups groups;
    for (const auto &module : modules(true)) {
        const bool isNorm = module->as<torch::nn::BatchNorm2dImpl>() != nullptr;
        for (const auto &item : module->named_parameters(false)) {
            const torch::Tensor &p = item.value();
            if (!p.requires_grad())
                continue; // the frozen DFL weights
            if (item.key() == "bias")
                groups.biases.push_back(p);
            else if (isNorm)
                groups.normWeights.push_back(p);
            else
                groups.weightsDecay.push_back(p);
        }
    }
    return groups;
}

std::vector<torch::Tensor> stateTensors(const torch::nn::Module &module)
{
    std::vector<torch::Tensor> out = module.parameters(true);
    for (const torch::Tensor &b : module.buffers(true))
        out.push_back(b);
    return out;
}

QString YoloModelImpl::inferenceEngine() const
{
    if (m_oneDnn)
        return QStringLiteral("oneDNN");
    if (m_whyNotOneDnn.isEmpty())
        return QStringLiteral("LibTorch");
    return QStringLiteral("LibTorch (oneDNN: %1)").arg(m_whyNotOneDnn);
}

bool YoloModelImpl::useOneDnnTraining(bool on, QString *whyNot)
{
    m_oneDnnTraining = on ? OneDnnTraining::create(*this, whyNot) : nullptr;
    return m_oneDnnTraining != nullptr;
}

QString YoloModelImpl::trainingEngine() const
{
    return m_oneDnnTraining ? QStringLiteral("oneDNN") : QStringLiteral("LibTorch");
}

YoloModel inferenceCopy(const YoloModelImpl &model)
{
    torch::NoGradGuard noGrad;
    YoloModel copy(model.scale(), model.nc());
    const std::vector<torch::Tensor> src = stateTensors(model);
    if (!src.empty())
        copy->to(src.front().device(), src.front().scalar_type());
    std::vector<torch::Tensor> dst = stateTensors(*copy);
    TORCH_CHECK(src.size() == dst.size(), "inferenceCopy: the models differ in their tensors");
    for (size_t i = 0; i < src.size(); ++i)
        dst[i].copy_(src[i]);
    for (torch::Tensor &p : copy->parameters(true))
        p.set_requires_grad(false);
    copy->eval();
    for (const std::shared_ptr<torch::nn::Module> &m : copy->modules(/*include_self=*/false)) {
        if (auto *conv = dynamic_cast<ConvImpl *>(m.get()))
            conv->fuseBatchNorm();
    }
    copy->m_oneDnn = OneDnnForward::create(*copy, &copy->m_whyNotOneDnn);
    return copy;
}

} // namespace yolodeck
