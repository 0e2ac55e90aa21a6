#pragma once

#include "core/common/result.h"
#include "core/eval/detection.h"
#include "core/eval/detectionmetrics.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace yolodeck {

// A label in YOLO text form: class, then centre and size normalised to [0, 1] by the image size.
// Same layout as core/data's LabelBox, kept separate so that scoring does not depend on Dataset.
struct NormalizedBox
{
    int cls;
    float cx, cy, w, h;
};

// What scorePredictionFolder needs to know of one image.
struct ScoredImage
{
    QString imagePath; // only its stem is used: predictions live in <dir>/<stem>.txt
    int width = 0;
    int height = 0;
    std::vector<NormalizedBox> labels;
};

// A problem with one prediction file (mirrors core/data's DataIssue).
struct PredictionIssue
{
    QString file;
    QString reason;
};

// Writes detections (pixel corners in an imageWidth × imageHeight image) as YOLO prediction
// lines "cls cx cy w h conf", normalised, numbers as printf %g (six significant digits), which is
// what Ultralytics writes with save_txt=True save_conf=True. The folder is created if needed and
// the file is replaced atomically. No detections gives an empty file.
Status writePredictionFile(const QString &path, const std::vector<Detection> &detections,
                           int imageWidth, int imageHeight);

// Reads a prediction file back into pixel corners. Lines that are not six numbers with an integer
// class in [0, nc) (any class when nc < 0), finite coordinates, non-negative size and a
// confidence in [0, 1] are skipped; *problem (when given) then names the first bad line and how
// many were skipped, and is left empty when the file is clean. A file that cannot be opened
// returns no detections and says so in *problem.
std::vector<Detection> readPredictionFile(const QString &path, int imageWidth, int imageHeight,
                                          int nc, QString *problem);

// The path of an image's prediction file: <dir>/<image stem>.txt (stem as Python's Path.stem:
// the name without its last suffix).
QString predictionFilePath(const QString &dir, const QString &imagePath);

// Scores a folder of prediction files against labelled images with MetricsAccumulator; names
// gives the classes (nc = names.size()). An image without a prediction file has no detections.
// Each malformed file is reported once in *issues (when given) and its good lines still count.
// Fails when the folder does not exist or an image has no size.
Result<DetectionMetrics> scorePredictionFolder(const std::vector<ScoredImage> &images,
                                               const QString &predictionDir,
                                               const QStringList &names,
                                               std::vector<PredictionIssue> *issues = nullptr);

} // namespace yolodeck
