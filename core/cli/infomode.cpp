#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"

namespace yolodeck {

int CommandLine::info(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("model"), QStringLiteral("nc"), QStringLiteral("imgsz")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    const QString model = k.value(QStringLiteral("model"), QStringLiteral("n"));
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), 640, 32, 8192);
    const Result<int> nc = intKey(k, QStringLiteral("nc"), 80, 1, 100000);
    if (!imgsz || !nc) {
        m_err << QStringLiteral("ERROR %1\n").arg(imgsz ? nc.error() : imgsz.error());
        return 2;
    }
    if (model.endsWith(QLatin1String(".pt"))) {
        Result<LoadedModel> loaded = loadModelForInference(model, torch::Device(torch::kCPU));
        if (!loaded) {
            m_err << QStringLiteral("ERROR %1\n").arg(loaded.error());
            return 2;
        }
        m_out << loaded.value().model->summary(
                     k.contains(QStringLiteral("imgsz")) ? imgsz.value() : loaded.value().imgsz)
              << '\n';
        m_out
            << QStringLiteral("classes: %1\n").arg(loaded.value().names.join(QStringLiteral(", ")));
        return 0;
    }
    const std::optional<ModelScale> scale = modelScale(model);
    if (!scale) {
        m_err << QStringLiteral("ERROR model=%1 is not valid: use a scale (%2) or a .pt file\n")
                     .arg(model, modelScaleNames().join(QStringLiteral(", ")));
        return 2;
    }
    YoloModel m(*scale, nc.value());
    m_out << m->summary(imgsz.value()) << '\n';
    return 0;
}

} // namespace yolodeck
