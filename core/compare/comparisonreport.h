#pragma once

// No torch header here. The report folder of `yolodeck-cli compare` (DESIGN.md §7):
//   compare.json   every number
//   *.png          the charts, drawn by the window's own chart code rendered offscreen
//   report.html    self-contained: tables, charts and the most-disagreeing images, inline

#include "core/common/result.h"
#include "core/compare/comparison.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <vector>

namespace yolodeck {

// One chart of the report as a PNG.
struct ChartImage
{
    QString fileName; // "pr_curve.png"
    QString title;    // "Precision-recall (IoU 0.5)"
    QByteArray png;
};

// Draws the comparison's charts. The window's code implements it (ui/compare, QCustomPlot
// rendered offscreen); core only calls it, so core links no widgets library.
using ComparisonChartRenderer =
    std::function<std::vector<ChartImage>(const Comparison &comparison, float confidence)>;

// Every number of a comparison at the given confidence: settings, both files, header table,
// per-class rows, confusion matrices, summary, per-image counts, bootstrap, layer changes.
QJsonObject comparisonToJson(const Comparison &comparison, float confidence);

// The image of one validation picture for the report: ground truth, A's and B's detections at the
// confidence, side by side, boxes coloured by outcome (TP green, FP red, wrong class orange,
// missed label magenta). JPEG bytes; empty when the image cannot be read.
QByteArray drawImageComparison(const Comparison &comparison, int image, float confidence,
                               int maxSide = 480);

// Writes the report folder. Everything goes into a temporary sibling folder first, which is
// renamed into place at the end: a failure or a cancel leaves no half-written report. An
// existing folder of that name is replaced only when it holds a previous compare.json.
Status writeComparisonReport(const QString &dir, const Comparison &comparison, float confidence,
                             const std::vector<ChartImage> &charts, int imagesShown = 20);

} // namespace yolodeck
