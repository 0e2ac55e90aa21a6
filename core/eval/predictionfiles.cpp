#include "core/eval/predictionfiles.h"

#include "core/common/textutil.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace yolodeck {

namespace {

// The fields of one prediction line.
constexpr int kFieldsPerLine = 6;

// Parses one line; returns an empty string on success, else why it was rejected.
QString parseLine(const QByteArray &line, int nc, int imageWidth, int imageHeight, Detection *out)
{
    const QList<QByteArray> fields = line.simplified().split(' ');
    if (fields.size() != kFieldsPerLine) {
        return QStringLiteral("expected %1 numbers (cls cx cy w h conf), found %2")
            .arg(kFieldsPerLine)
            .arg(fields.size());
    }
    bool ok = false;
    const int cls = fields[0].toInt(&ok);
    if (!ok)
        return QStringLiteral("class \"%1\" is not an integer").arg(QString::fromUtf8(fields[0]));
    if (cls < 0 || (nc >= 0 && cls >= nc)) {
        return nc >= 0 ? QStringLiteral("class %1 is outside 0..%2").arg(cls).arg(nc - 1)
                       : QStringLiteral("class %1 is negative").arg(cls);
    }
    double v[kFieldsPerLine - 1];
    for (int i = 1; i < kFieldsPerLine; ++i) {
        v[i - 1] = fields[i].toDouble(&ok);
        if (!ok || !std::isfinite(v[i - 1]))
            return QStringLiteral("\"%1\" is not a number").arg(QString::fromUtf8(fields[i]));
    }
    const double cx = v[0], cy = v[1], w = v[2], h = v[3], conf = v[4];
    if (w < 0 || h < 0)
        return QStringLiteral("negative box size");
    if (conf < 0 || conf > 1)
        return QStringLiteral("confidence %1 is outside [0, 1]").arg(conf);
    out->x1 = static_cast<float>((cx - w / 2) * imageWidth);
    out->y1 = static_cast<float>((cy - h / 2) * imageHeight);
    out->x2 = static_cast<float>((cx + w / 2) * imageWidth);
    out->y2 = static_cast<float>((cy + h / 2) * imageHeight);
    out->conf = static_cast<float>(conf);
    out->cls = cls;
    return {};
}

GroundTruth toPixels(const NormalizedBox &b, int imageWidth, int imageHeight)
{
    return GroundTruth{static_cast<float>((b.cx - b.w / 2.0) * imageWidth),
                       static_cast<float>((b.cy - b.h / 2.0) * imageHeight),
                       static_cast<float>((b.cx + b.w / 2.0) * imageWidth),
                       static_cast<float>((b.cy + b.h / 2.0) * imageHeight), b.cls};
}

} // namespace

Status writePredictionFile(const QString &path, const std::vector<Detection> &detections,
                           int imageWidth, int imageHeight)
{
    if (imageWidth <= 0 || imageHeight <= 0) {
        return Status::fail(QStringLiteral("cannot write %1: image size %2x%3 is not valid")
                                .arg(path)
                                .arg(imageWidth)
                                .arg(imageHeight));
    }
    QByteArray text;
    char line[160];
    for (const Detection &d : detections) {
        const double w = d.x2 - d.x1, h = d.y2 - d.y1;
        const int n = std::snprintf(line, sizeof line, "%d %g %g %g %g %g\n", d.cls,
                                    (d.x1 + w / 2) / imageWidth, (d.y1 + h / 2) / imageHeight,
                                    w / imageWidth, h / imageHeight, static_cast<double>(d.conf));
        text.append(line, n);
    }
    const QString folder = QFileInfo(path).absolutePath();
    if (!QDir().mkpath(folder))
        return Status::fail(QStringLiteral("cannot create folder %1").arg(folder));
    QString error;
    if (!writeFileAtomically(path, text, &error))
        return Status::fail(QStringLiteral("cannot write %1: %2").arg(path, error));
    return okStatus();
}

std::vector<Detection> readPredictionFile(const QString &path, int imageWidth, int imageHeight,
                                          int nc, QString *problem)
{
    if (problem)
        problem->clear();
    std::vector<Detection> detections;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (problem)
            *problem = QStringLiteral("cannot read: %1").arg(file.errorString());
        return detections;
    }
    int lineNumber = 0;
    int badLines = 0;
    QString firstBad;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        ++lineNumber;
        if (line.trimmed().isEmpty())
            continue;
        Detection d{};
        const QString reason = parseLine(line, nc, imageWidth, imageHeight, &d);
        if (reason.isEmpty()) {
            detections.push_back(d);
            continue;
        }
        if (badLines++ == 0)
            firstBad = QStringLiteral("line %1: %2").arg(lineNumber).arg(reason);
    }
    if (problem && badLines > 0) {
        *problem =
            badLines == 1
                ? firstBad
                : QStringLiteral("%1 (%2 malformed lines skipped)").arg(firstBad).arg(badLines);
    }
    return detections;
}

QString predictionFilePath(const QString &dir, const QString &imagePath)
{
    return QDir(dir).filePath(QFileInfo(imagePath).completeBaseName() + QStringLiteral(".txt"));
}

Result<DetectionMetrics> scorePredictionFolder(const std::vector<ScoredImage> &images,
                                               const QString &predictionDir,
                                               const QStringList &names,
                                               std::vector<PredictionIssue> *issues)
{
    if (!QFileInfo(predictionDir).isDir()) {
        return Result<DetectionMetrics>::fail(
            QStringLiteral("prediction folder %1 does not exist").arg(predictionDir));
    }
    const int nc = static_cast<int>(names.size());
    MetricsAccumulator accumulator(nc);
    for (const ScoredImage &image : images) {
        if (image.width <= 0 || image.height <= 0) {
            return Result<DetectionMetrics>::fail(
                QStringLiteral("image %1 has no size (%2x%3): cannot place its predictions")
                    .arg(image.imagePath)
                    .arg(image.width)
                    .arg(image.height));
        }
        std::vector<GroundTruth> labels;
        labels.reserve(image.labels.size());
        for (const NormalizedBox &b : image.labels)
            labels.push_back(toPixels(b, image.width, image.height));

        std::vector<Detection> detections;
        const QString path = predictionFilePath(predictionDir, image.imagePath);
        if (QFileInfo::exists(path)) {
            QString problem;
            detections = readPredictionFile(path, image.width, image.height, nc, &problem);
            if (!problem.isEmpty() && issues)
                issues->push_back(PredictionIssue{path, problem});
        }
        // Ultralytics matches detections in NMS order; a file written by hand may not be sorted.
        std::stable_sort(detections.begin(), detections.end(),
                         [](const Detection &a, const Detection &b) { return a.conf > b.conf; });
        accumulator.addImage(detections, labels);
    }
    return Result<DetectionMetrics>::ok(accumulator.compute(names));
}

} // namespace yolodeck
