#include "core/train/modelstate.h"

#include "core/model/modelscale.h"

#include <QJsonArray>

namespace yolodeck {

std::map<std::string, torch::Tensor> namedState(const torch::nn::Module &module,
                                                const std::string &prefix)
{
    std::map<std::string, torch::Tensor> out;
    for (const auto &item : module.named_parameters(true))
        out[prefix + item.key()] = item.value().detach();
    for (const auto &item : module.named_buffers(true))
        out[prefix + item.key()] = item.value().detach();
    return out;
}

Result<int> loadNamedState(torch::nn::Module &module,
                           const std::map<std::string, torch::Tensor> &tensors,
                           const std::string &prefix, bool strict)
{
    torch::NoGradGuard noGrad;
    int copied = 0;
    auto copyInto = [&](const std::string &name, torch::Tensor &target) -> QString {
        const auto it = tensors.find(prefix + name);
        if (it == tensors.end())
            return strict ? QStringLiteral("missing tensor %1")
                                .arg(QString::fromStdString(prefix + name))
                          : QString();
        if (it->second.sizes() != target.sizes()) {
            return strict ? QStringLiteral("tensor %1 has shape %2, the model expects %3")
                                .arg(QString::fromStdString(prefix + name),
                                     QString::fromStdString(c10::str(it->second.sizes())),
                                     QString::fromStdString(c10::str(target.sizes())))
                          : QString();
        }
        target.copy_(it->second.to(target.device(), target.scalar_type()));
        ++copied;
        return {};
    };
    for (auto &item : module.named_parameters(true)) {
        const QString error = copyInto(item.key(), item.value());
        if (!error.isEmpty())
            return Result<int>::fail(error);
    }
    for (auto &item : module.named_buffers(true)) {
        const QString error = copyInto(item.key(), item.value());
        if (!error.isEmpty())
            return Result<int>::fail(error);
    }
    return Result<int>::ok(copied);
}

Result<LoadedModel> loadModelForInference(const QString &path, const torch::Device &device)
{
    Result<CheckpointData> data = loadCheckpoint(path);
    if (!data)
        return Result<LoadedModel>::fail(data.error());
    const QJsonObject meta = data.value().meta;
    const QJsonObject modelMeta = meta.value(QStringLiteral("model")).toObject();
    const std::optional<ModelScale> scale =
        modelScale(modelMeta.value(QStringLiteral("scale")).toString());
    const int nc = modelMeta.value(QStringLiteral("nc")).toInt();
    if (!scale || nc <= 0)
        return Result<LoadedModel>::fail(
            QStringLiteral("%1: meta.json does not describe the model (scale, nc)").arg(path));
    LoadedModel loaded;
    loaded.model = YoloModel(*scale, nc);
    // A full checkpoint validates with its EMA (what best.pt is chosen by); a stripped one only
    // holds those weights, under "model.".
    const bool hasEma = data.value().tensors.count("ema.model.0.conv.weight") > 0;
    const Result<int> copied =
        loadNamedState(*loaded.model, data.value().tensors, hasEma ? "ema." : "model.", true);
    if (!copied)
        return Result<LoadedModel>::fail(QStringLiteral("%1: %2").arg(path, copied.error()));
    loaded.model->to(device);
    loaded.model->eval();
    for (const QJsonValue &v : meta.value(QStringLiteral("names")).toArray())
        loaded.names << v.toString();
    loaded.imgsz = modelMeta.value(QStringLiteral("imgsz")).toInt(640);
    loaded.meta = meta;
    return Result<LoadedModel>::ok(std::move(loaded));
}

Result<torch::Device> selectDevice(const QString &device)
{
    const QString d = device.trimmed().toLower();
    if (d == QLatin1String("cpu") || (d.isEmpty() && !torch::cuda::is_available()))
        return Result<torch::Device>::ok(torch::Device(torch::kCPU));
    int index = 0;
    if (d.startsWith(QLatin1String("cuda:")))
        index = d.mid(5).toInt();
    else if (!d.isEmpty() && d != QLatin1String("cuda"))
        index = d.toInt();
    if (!torch::cuda::is_available()) {
        return Result<torch::Device>::fail(
            QStringLiteral("device=%1: no CUDA device is available to this LibTorch build "
                           "(use device=cpu)")
                .arg(device));
    }
    if (index >= int(torch::cuda::device_count())) {
        return Result<torch::Device>::fail(
            QStringLiteral("device=%1: only %2 CUDA device(s) present")
                .arg(device)
                .arg(torch::cuda::device_count()));
    }
    return Result<torch::Device>::ok(torch::Device(torch::kCUDA, int8_t(index)));
}

QString describeDevice(const torch::Device &device)
{
    return QString::fromStdString(device.str());
}

} // namespace yolodeck
