#include "core/checkpoint/checkpointfile.h"
#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/interop/statedictexport.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonObject>

namespace yolodeck {

// export model=FILE format=state_dict [out=PATH]: the inference weights of any checkpoint
// (YoloDeck's EMA of a full one, the weights of a stripped one, or an Ultralytics .pt) as a dict
// from Ultralytics' state_dict names to tensors, loadable with torch.load.
int CommandLine::exportModel(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("model"), QStringLiteral("format"), QStringLiteral("out")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    const QString model = k.value(QStringLiteral("model"));
    if (model.isEmpty()) {
        m_err << QStringLiteral("ERROR export needs model=FILE.pt\n");
        return 2;
    }
    const QString format = k.value(QStringLiteral("format"), QStringLiteral("state_dict"));
    if (format != QLatin1String("state_dict")) {
        m_err << QStringLiteral("ERROR format=%1 is not supported; use format=state_dict\n")
                     .arg(format);
        return 2;
    }
    Result<CheckpointData> data = loadCheckpoint(model);
    if (!data) {
        m_err << QStringLiteral("ERROR %1\n").arg(data.error());
        return 1;
    }
    // The weights a validation would use: the EMA of a full checkpoint, else the stored model.
    const bool hasEma = data.value().tensors.count("ema.model.0.conv.weight") > 0;
    const std::string prefix = hasEma ? "ema." : "model.";
    std::map<std::string, torch::Tensor> weights;
    for (const auto &[key, tensor] : data.value().tensors)
        if (key.rfind(prefix, 0) == 0)
            weights.emplace(key.substr(prefix.size()), tensor);
    const QFileInfo source(model);
    const QString out = k.value(QStringLiteral("out"),
                                source.absoluteDir().filePath(source.completeBaseName() +
                                                              QStringLiteral(".state_dict.pt")));
    QDir().mkpath(QFileInfo(out).absolutePath());
    const Status written = writeStateDict(out, weights);
    if (!written) {
        m_err << QStringLiteral("ERROR %1\n").arg(written.error());
        return 1;
    }
    m_out << QStringLiteral("Exported %1 tensors (%2 weights of %3) to %4\n")
                 .arg(weights.size())
                 .arg(hasEma ? QStringLiteral("EMA") : QStringLiteral("model"), model,
                      QDir::toNativeSeparators(out));
    const QJsonObject modelMeta = data.value().meta.value(QStringLiteral("model")).toObject();
    m_out << QStringLiteral("In Python with Ultralytics:  from ultralytics.nn.tasks import "
                            "DetectionModel; net = DetectionModel(\"yolov8%1.yaml\", nc=%2); "
                            "net.load_state_dict(torch.load(\"%3\"))\n")
                 .arg(modelMeta.value(QStringLiteral("scale")).toString())
                 .arg(modelMeta.value(QStringLiteral("nc")).toInt())
                 .arg(QFileInfo(out).fileName());
    return 0;
}

} // namespace yolodeck
