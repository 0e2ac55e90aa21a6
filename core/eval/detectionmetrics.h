#pragma once

#include "core/eval/detection.h"

#include <QString>
#include <QStringList>

#include <array>
#include <vector>

namespace yolodeck {

// Number of IoU thresholds of mAP50-95: 0.50, 0.55, ..., 0.95 (COCO, as Ultralytics).
constexpr int kIouThresholdCount = 10;
// Samples of the confidence axis of the P/R/F1 curves and of the recall axis of the PR curve
// (Ultralytics: linspace(0, 1, 1000)).
constexpr int kCurvePoints = 1000;

// Ultralytics' box_iou for one pair (eps 1e-7), in float32 and in the same order of operations,
// so that pairs sitting exactly on a threshold fall on the same side as there.
float boxIou(const GroundTruth &a, const Detection &b);

struct ClassMetrics
{
    int cls = 0;
    QString name;
    int images = 0;    // validation images containing at least one label of this class
    int instances = 0; // labels of this class
    double precision = 0, recall = 0; // at the confidence that maximises the mean F1
    double ap50 = 0, ap50_95 = 0;
    std::array<double, kIouThresholdCount> ap{}; // AP at each IoU threshold
    // Precision envelope at IoU 0.50 sampled at recall = i / (kCurvePoints - 1), the curve
    // Ultralytics plots as PR_curve.png; all zero for a class without predictions.
    std::vector<double> prCurve;
    // Precision and recall at IoU 0.50 against confidence = i / (kCurvePoints - 1) (Ultralytics'
    // P_curve.png and R_curve.png; F1 follows from them); empty for a class without predictions.
    std::vector<double> precisionCurve, recallCurve;
};

struct DetectionMetrics
{
    double precision = 0, recall = 0, map50 = 0, map50_95 = 0;
    // One entry per class present in the labels, in class order.
    std::vector<ClassMetrics> perClass;
    int images = 0;    // images seen
    int instances = 0; // labels seen
    // Confidence at which precision and recall were read (the mean-F1 maximum).
    double confidence = 0;

    // Ultralytics' fitness: 0.1 · mAP50 + 0.9 · mAP50-95 by default; decides best.pt.
    double fitness(double w50 = 0.1, double w5095 = 0.9) const
    {
        return w50 * map50 + w5095 * map50_95;
    }
};

// Collects detections and labels image by image and computes Ultralytics' detection metrics
// (ap_per_class and match_predictions in ultralytics/utils/metrics.py and the detection validator).
//
// Matching, per image and IoU threshold t: a detection may only match a label of its class with
// IoU >= t. Candidate pairs are ordered by descending IoU; each detection keeps its best label,
// then each label keeps the earliest detection (lowest index in the vector given to addImage)
// among those that chose it. That is exactly what Ultralytics does, including its quirk that a
// detection which loses its best label does not fall back to its second best. Pass detections in
// NMS order (descending confidence), so "earliest" means "most confident".
class MetricsAccumulator
{
public:
    explicit MetricsAccumulator(int nc);

    // Boxes in the same pixel coordinates. Labels or detections whose class is outside [0, nc)
    // are ignored.
    void addImage(const std::vector<Detection> &detections, const std::vector<GroundTruth> &labels);

    // names[c] names class c (a class without a name is shown by its number).
    DetectionMetrics compute(const QStringList &names) const;
    // mAP50-95 over a resample of the images: image i (in the order of addImage) counted
    // imageWeights[i] times. The bootstrap's inner loop: no curves, no sort (the confidence order
    // is computed once and kept).
    double map50_95(const std::vector<int> &imageWeights) const;

    int classCount() const { return m_nc; }
    // The IoU thresholds as Ultralytics gets them from torch.linspace(0.5, 0.95, 10) (float32).
    static const std::array<float, kIouThresholdCount> &iouThresholds();

private:
    struct Prediction
    {
        float conf;
        int cls;
        int image;
        std::array<bool, kIouThresholdCount> correct;
    };
    const std::vector<size_t> &confidenceOrder() const;

    int m_nc;
    int m_images = 0;
    std::vector<Prediction> m_predictions;
    std::vector<int> m_instances;                      // per class
    std::vector<int> m_imagesWith;                     // per class
    std::vector<std::vector<int>> m_imageLabelClasses; // per image: the class of each valid label
    mutable std::vector<size_t> m_order; // predictions by descending confidence, built on demand
};

} // namespace yolodeck
