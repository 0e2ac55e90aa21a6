#include "core/model/onednnsupport.h"

#include "core/model/yolomodel.h"

#include <QByteArray>

#include <set>

namespace yolodeck::onednn {

bool turnedOff()
{
    const QByteArray value = qgetenv("YOLODECK_ONEDNN").toLower();
    return value == "0" || value == "off" || value == "false";
}

QString modelProblem(const YoloModelImpl &model)
{
    if (turnedOff())
        return QStringLiteral("turned off (YOLODECK_ONEDNN=0)");
    const std::vector<torch::Tensor> params = model.parameters(true);
    if (params.empty() || !params.front().device().is_cpu())
        return QStringLiteral("the model is not on the CPU");
    if (params.front().scalar_type() != torch::kFloat)
        return QStringLiteral("the model is not float32");
    return layoutProblem(model);
}

QString layoutProblem(const YoloModelImpl &model)
{
    std::set<const ConvImpl *> headConvs;
    for (const std::vector<Conv> *convs : {&model.m_detect->boxConvs, &model.m_detect->clsConvs})
        for (const Conv &conv : *convs)
            headConvs.insert(conv.get());
    for (const std::shared_ptr<torch::nn::Module> &m : model.modules(/*include_self=*/false)) {
        const auto *conv = dynamic_cast<const ConvImpl *>(m.get());
        if (conv && headConvs.count(conv) == 0 &&
            (conv->c2 % kBlock != 0 || (conv->c1 != 3 && conv->c1 % kBlock != 0)))
            return QStringLiteral("a channel count is not a multiple of 8 (%1 -> %2)")
                .arg(conv->c1)
                .arg(conv->c2);
    }
    for (const C2f &c2f : {model.m_l2, model.m_l4, model.m_l6, model.m_l8, model.m_l12, model.m_l15,
                           model.m_l18, model.m_l21}) {
        if (c2f->c % kBlock != 0)
            return QStringLiteral("a C2f half is not a multiple of 8 channels (%1)").arg(c2f->c);
    }
    return {};
}

} // namespace yolodeck::onednn
