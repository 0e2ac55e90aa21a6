#pragma once

#include "core/compare/comparison.h"
#include "core/compare/comparisonreport.h"

#include <QColor>
#include <QCoreApplication>
#include <QString>

#include <vector>

class QCustomPlot;

namespace yolodeck {

// The drawing code of every comparison chart. Each function clears the QCustomPlot it is given
// and fills it, so the same code draws the window's live charts and the PNGs of
// `yolodeck-cli compare` (renderComparisonCharts, offscreen). A is blue and B orange everywhere.
//
// Curves follow Ultralytics' plots (REFERENCE.md): PR is the IoU-0.5 precision envelope against
// recall, P/R/F1 are against confidence on linspace(0, 1, 1000), F1 = 2PR / (P + R + 1e-16), and
// "all classes" is the mean over the classes with labels. Each model's max-F1 point is marked:
// for all classes at DetectionMetrics::confidence (the smoothed mean-F1 peak), for one class at
// that class's own F1 maximum.
class ComparisonCharts final
{
    Q_DECLARE_TR_FUNCTIONS(yolodeck::ComparisonCharts)

public:
    enum class Curve
    {
        PrecisionRecall, // precision against recall
        Precision,       // against confidence
        Recall,
        F1
    };
    enum class Side
    {
        A,
        B,
        Delta // B − A
    };
    static constexpr int kAllClasses = -1;

    static QColor colorA() { return QColor(0x1f, 0x77, 0xb4); }
    static QColor colorB() { return QColor(0xf2, 0x8e, 0x1c); }
    static QColor sideColor(Side side) { return side == Side::A ? colorA() : colorB(); }

    // One model's curve, kCurvePoints samples: of class `cls`, or the mean over classes.
    static std::vector<double> curve(const DetectionMetrics &metrics, Curve curve, int cls);
    // Where the model's max-F1 point is (index into the confidence grid).
    static int maxF1Index(const DetectionMetrics &metrics, int cls);

    // `confidence` >= 0 draws a dashed vertical line there (the slider) on the curves against
    // confidence.
    static void fillCurve(QCustomPlot *plot, const Comparison &comparison, Curve curve, int cls,
                          double confidence = -1);
    static void fillClassAp(QCustomPlot *plot, const Comparison &comparison);
    static void fillConfusion(QCustomPlot *plot, const Comparison &comparison, Side side,
                              bool normalise);
    static void fillLayerChange(QCustomPlot *plot, const Comparison &comparison);
    static void fillMapByEpoch(QCustomPlot *plot, const Comparison &comparison);

    // The hover read-out of a curve plot at x = key: both models' values, "A 0.612 · B 0.587 at
    // confidence 0.310"; empty outside the curves.
    static QString curveReadout(const QCustomPlot *plot, double key);
    // The confusion cell (predicted, true) under a pixel of a plot filled by fillConfusion;
    // false outside the matrix.
    static bool confusionCellAt(const QCustomPlot *plot, const QPointF &pixel, int *predicted,
                                int *truth);
    // The matrix a plot shows (normalised or not, Δ for Side::Delta), as drawn.
    static std::vector<double> confusionValues(const Comparison &comparison, Side side,
                                               bool normalise);

    static QString curveTitle(Curve curve);
    static QString modelLabel(const Comparison &comparison, Side side); // "A: best.pt (epoch 12)"
};

// The report's charts as PNGs (a ComparisonChartRenderer): pr_curve.png, f1_curve.png,
// p_curve.png, r_curve.png, class_ap.png, confusion_a.png, confusion_b.png,
// confusion_delta.png, layer_change.png, map_by_epoch.png. Needs a QApplication (the offscreen
// platform is enough).
std::vector<ChartImage> renderComparisonCharts(const Comparison &comparison, float confidence);

} // namespace yolodeck
