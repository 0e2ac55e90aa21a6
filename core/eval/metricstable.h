#pragma once

#include "core/eval/detectionmetrics.h"

#include <QString>

namespace yolodeck {

// The validation table as Ultralytics prints it: a header
// "Class Images Instances Box(P R mAP50 mAP50-95)", an "all" row, then one row per class present
// in the labels. Columns are right-aligned (class 22 characters wide, or wider for a longer name,
// the others 11), counts as integers and metrics as %.3g. Lines end with '\n'.
QString formatMetricsTable(const DetectionMetrics &metrics);

} // namespace yolodeck
