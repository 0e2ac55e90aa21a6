#include "core/model/modelscale.h"

#include <array>

namespace yolodeck {

namespace {

struct ScaleEntry
{
    const char *name;
    double depth;
    double width;
    int maxChannels;
};

// n/s/m/l/x: the multiples of Ultralytics' yolov8.yaml. "tiny" is YoloDeck's own: a third of
// the depth and an eighth of the width of a full model, capped at 256 channels, so that a test
// trains it for a few dozen steps on 64 px images in seconds (about 0.3 M parameters).
constexpr std::array<ScaleEntry, 6> kScales{{
    {"n", 0.33, 0.25, 1024},
    {"s", 0.33, 0.50, 1024},
    {"m", 0.67, 0.75, 768},
    {"l", 1.00, 1.00, 512},
    {"x", 1.00, 1.25, 512},
    {"tiny", 0.33, 0.125, 256},
}};

} // namespace

std::optional<ModelScale> modelScale(const QString &name)
{
    QString key = name.trimmed().toLower();
    if (key.endsWith(QLatin1String(".pt")) || key.endsWith(QLatin1String(".yaml")))
        key = key.left(key.lastIndexOf(QLatin1Char('.')));
    if (key.startsWith(QLatin1String("yolov8")))
        key = key.mid(6);
    for (const ScaleEntry &entry : kScales) {
        if (key == QLatin1String(entry.name))
            return ModelScale{key, entry.depth, entry.width, entry.maxChannels};
    }
    return std::nullopt;
}

QStringList modelScaleNames()
{
    QStringList names;
    for (const ScaleEntry &entry : kScales)
        names << QString::fromLatin1(entry.name);
    return names;
}

} // namespace yolodeck
