#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace yolodeck {

// The compound-scaling multiples of one YOLOv8 size: repeats of the C2f blocks are scaled by
// depth, channels by width after capping them at maxChannels (Ultralytics' yolov8.yaml "scales").
struct ModelScale
{
    QString name;
    double depth = 1.0;
    double width = 1.0;
    int maxChannels = 1024;
};

// Looks a scale up by name: "n", "s", "m", "l", "x" or "tiny"; "yolov8n" and "YOLOv8n.pt" are
// accepted too, because that is how Ultralytics users spell them. std::nullopt when unknown.
std::optional<ModelScale> modelScale(const QString &name);

// The accepted short names, smallest first ("tiny" last: it exists for tests and demos).
QStringList modelScaleNames();

} // namespace yolodeck
