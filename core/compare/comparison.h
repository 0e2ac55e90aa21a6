#pragma once

// No torch header here: the window's comparison view includes this file.
//
// Best vs last, or any two checkpoints (DESIGN.md §7). Each model is evaluated once into a
// PredictionSet; every number the view, the CLI and the report show is a pure function of the two
// sets, computed here. The per-image matching is done once (matchImages) so that moving the
// confidence slider is only a threshold over sorted scores.

#include "core/checkpoint/checkpointmeta.h"
#include "core/compare/predictionset.h"
#include "core/eval/detectionmetrics.h"
#include "core/runlog/epochrecord.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <vector>

namespace yolodeck {

// IoU at which a detection counts as finding an object in the image view and the TP/FP/FN counts
// (mAP50's threshold).
constexpr float kCompareMatchIou = 0.5f;
// Ultralytics' confusion matrix: detections with conf > 0.25, matched class-agnostic at IoU > 0.45.
constexpr float kConfusionConf = 0.25f;
constexpr float kConfusionIou = 0.45f;
// Seeded bootstrap over the images: resamples, and the split size below which the view warns.
constexpr int kBootstrapResamples = 1000;
constexpr int kSmallSplitImages = 100;

// What one detection is at IoU 0.5 once the detections above it have taken their objects.
enum class DetectionOutcome : std::uint8_t
{
    TruePositive, // took an unmatched label of its class
    WrongClass,   // no label of its class left, but overlaps a label of another class
    FalsePositive // overlaps no label
};

// One image of one model, matched once: detections greedily in descending confidence, each taking
// the unmatched same-class label of highest IoU >= kCompareMatchIou (COCO's order). Because a
// detection's match depends only on the detections above it, the matches at any confidence c are
// the matches of the detections with conf >= c: the slider never re-matches.
struct ImageMatches
{
    // Per detection, in the order of ImagePredictions::detections:
    std::vector<float> conf;
    std::vector<DetectionOutcome> outcome;
    std::vector<int> label;               // the label it took, or -1
    std::vector<float> labelFoundAt;      // per label: conf of the detection that took it, or -1
    std::vector<float> falsePositiveConf; // conf of FP and wrong-class detections, descending

    // Counts at confidence threshold c (detections with conf >= c).
    int truePositives(float c) const;
    int falsePositives(float c) const;
    int falseNegatives(float c) const;
    bool found(int labelIndex, float c) const { return labelFoundAt[labelIndex] >= c; }
};
ImageMatches matchImage(const ImagePredictions &image);
std::vector<ImageMatches> matchImages(const PredictionSet &set);

// Ultralytics' ConfusionMatrix ([predicted, true], (nc+1)², last index background).
struct ConfusionMatrix
{
    int nc = 0;
    std::vector<double> counts; // row-major (nc+1) × (nc+1): counts[pred * (nc+1) + true]
    std::vector<std::vector<int>> cellImages; // per cell: indices of the images that add to it

    double at(int predicted, int truth) const { return counts[predicted * (nc + 1) + truth]; }
    // Divided by the column (true class) sums, as the normalised plot.
    ConfusionMatrix normalised() const;
};
ConfusionMatrix confusionMatrix(const PredictionSet &set, float conf = kConfusionConf,
                                float iou = kConfusionIou);
// Ultralytics' process_batch for one image: the cells it adds to (pred, true), one per label and
// one per unmatched detection.
std::vector<std::pair<int, int>> confusionCells(const ImagePredictions &image, int nc, float conf,
                                                float iou);

// The metrics of a prediction set: the same MetricsAccumulator as `val`, so equal numbers.
DetectionMetrics metricsOf(const PredictionSet &set);

// Per image at one confidence: what each model finds and where they disagree.
struct ImageComparison
{
    int image = 0; // index into the sets' images
    int labels = 0;
    int tpA = 0, fpA = 0, fnA = 0;
    int tpB = 0, fpB = 0, fnB = 0;
    int onlyA = 0;    // labels A finds and B misses
    int onlyB = 0;    // labels B finds and A misses
    int bothMiss = 0; // labels neither finds
    int disagreement() const;
};

enum class DisagreementOrder
{
    Disagreement,  // onlyA + onlyB + |fpA - fpB|: where the two models differ most
    BMissesAFinds, // B misses what A finds
    BAddsFalsePositives,
    BothWrong // labels both miss plus the false positives both make
};

struct ComparisonSummary
{
    int onlyA = 0, onlyB = 0, bothMiss = 0, bothFind = 0;
    int tpA = 0, fpA = 0, fnA = 0, tpB = 0, fpB = 0, fnB = 0;
    // "B finds 37 objects that A misses and misses 12 that A finds"
    QString sentence() const;
};

// Every image at confidence c (both models at the same threshold), in image order.
std::vector<ImageComparison> compareImages(const std::vector<ImageMatches> &a,
                                           const std::vector<ImageMatches> &b, float c);
ComparisonSummary summarise(const std::vector<ImageComparison> &images);
// Image indices ordered by the given criterion, largest first, ties by image index.
std::vector<int> rankImages(const std::vector<ImageComparison> &images, DisagreementOrder order);

// Seeded bootstrap over images of Δ mAP50-95 (B − A): each resample draws the split's images with
// replacement, once for both models, and recomputes both mAPs.
struct BootstrapInterval
{
    double delta = 0;         // point estimate on the whole split
    double low = 0, high = 0; // 2.5% and 97.5% quantiles
    int resamples = 0;
    quint64 seed = 0;
    bool significant() const { return low > 0 || high < 0; }
};
BootstrapInterval bootstrapMapDelta(const PredictionSet &a, const PredictionSet &b,
                                    int resamples = kBootstrapResamples, quint64 seed = 0,
                                    const std::atomic<bool> *cancel = nullptr);

// Relative L2 change of one layer's weights from A to B: ||B − A|| / ||A||.
struct LayerChange
{
    QString layer; // "model.0" … "model.22", Ultralytics' layer index
    double relativeChange = 0;
    qint64 parameters = 0;
};

// One side of a comparison: the file and everything computed from its prediction set.
struct ComparedModel
{
    CheckpointInfo info;
    PredictionSet predictions;
    DetectionMetrics metrics;
    std::vector<ImageMatches> matches;
    ConfusionMatrix confusion;
    History history; // the run's epochs up to this checkpoint (meta.json history)
};

// Everything the view and the report show that does not depend on the slider.
struct Comparison
{
    ComparedModel a, b;
    bool sameWeights = false; // the models' weights are identical: evaluated once
    EvaluationSettings settings;
    QStringList names;
    std::vector<LayerChange> layers;
    BootstrapInterval bootstrap;
    QStringList warnings; // small split, differing histories, …
};

// One row of the header table: A, B, Δ, and which is better.
struct HeaderRow
{
    QString name; // "P", "R", "F1", "mAP50", …
    double a = 0, b = 0;
    bool lowerIsBetter = false;
    bool integer = false;
    double delta() const { return b - a; }
    double deltaPercent() const; // NaN when a == 0
    int better() const;          // -1 A, +1 B, 0 equal
};
// P, R, F1, mAP50, mAP50-95, fitness, TP/FP/FN at confidence c, val box/cls/dfl loss, ms/image.
std::vector<HeaderRow> headerRows(const Comparison &comparison, float c);

// One row of the per-class table.
struct ClassComparison
{
    int cls = 0;
    QString name;
    int instances = 0;
    double ap50A = 0, ap50B = 0, ap50_95A = 0, ap50_95B = 0;
    double pA = 0, pB = 0, rA = 0, rB = 0;
    double deltaAp50_95() const { return ap50_95B - ap50_95A; }
};
// Classes with labels, regressions (most negative Δ mAP50-95) first.
std::vector<ClassComparison> classComparisons(const Comparison &comparison);

// Ties the pieces together; the heavy part (evaluation) is done by the caller.
Comparison buildComparison(const CheckpointInfo &infoA, PredictionSet setA,
                           const CheckpointInfo &infoB, PredictionSet setB,
                           int resamples = kBootstrapResamples, quint64 seed = 0,
                           const std::atomic<bool> *cancel = nullptr);

} // namespace yolodeck
