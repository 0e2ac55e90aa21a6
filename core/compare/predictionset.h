#pragma once

// No torch header here: the window's comparison view includes this file.

#include "core/common/result.h"
#include "core/eval/detection.h"

#include <QString>
#include <QStringList>

#include <array>
#include <vector>

namespace yolodeck {

// How a checkpoint is run over a split for a comparison: exactly the settings of
// `yolodeck-cli val` (Ultralytics' validation defaults, rect batches, every class scored).
struct EvaluationSettings
{
    QString dataYaml; // absolute path of the data.yaml
    QString split = QStringLiteral("val");
    int imgsz = 640;
    int batch = 16;
    float conf = 0.001f; // REFERENCE.md: validation conf, NMS IoU and max_det
    float iou = 0.7f;
    int maxDet = 300;
    bool rect = true;

    // "imgsz 64 · rect batches of 16 · conf 0.001 · NMS IoU 0.7 · max_det 300": what the view
    // and the report show once above the results.
    QString describe() const;
    // Part of the cache key: every setting that changes a prediction (not the dataset path, whose
    // content is keyed by its fingerprint).
    QString cacheKey() const;
};

// Every prediction of one model on one image, as NMS kept it (conf >= settings.conf), in
// original-image pixels, sorted by descending confidence; and the image's ground truth.
struct ImagePredictions
{
    QString imagePath; // absolute
    int width = 0, height = 0;
    std::vector<GroundTruth> labels;
    std::vector<Detection> detections;
};

// One evaluation of one checkpoint on one split (DESIGN.md §7): everything a comparison needs, so
// nothing is run twice. A plain value: cached on disk, passed between threads.
struct PredictionSet
{
    QString checkpointPath;  // absolute
    QString contentHash;     // SHA-256 of the checkpoint file's bytes
    QString weightsHash;     // SHA-256 of the weights the model ran with (same file content or not)
    QString dataFingerprint; // Dataset::fingerprint() of the split's dataset
    QStringList names;       // class names of the dataset (= the model's)
    EvaluationSettings settings;
    // In the order the validator ran them (rect batches sort by aspect ratio), so that metrics
    // recomputed from the set equal `val` to the last bit.
    std::vector<ImagePredictions> images;
    std::array<double, 3> loss{}; // val box, cls, dfl (gains applied)
    double seconds = 0;           // forward + NMS + matching, as val measures it
    double msPerImage = 0;
    bool fromCache = false; // set when read back from the cache, not written there
};

// Binary cache file of a PredictionSet (QDataStream with a magic number and a version). A file
// that is truncated, foreign or of another version is refused with a message naming it.
Status writePredictionSet(const QString &path, const PredictionSet &set);
Result<PredictionSet> readPredictionSet(const QString &path);

// Where cached prediction sets live: $YOLODECK_CACHE_DIR if set, else the user's cache folder
// (~/.cache/yolodeck/predictions). The file name is a hash of (content hash, data fingerprint,
// settings), so a changed file, dataset or setting never reads a stale entry.
QString predictionCacheDir();
QString predictionCachePath(const QString &contentHash, const QString &dataFingerprint,
                            const EvaluationSettings &settings);

} // namespace yolodeck
