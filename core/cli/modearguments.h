#pragma once

// What the modes of yolodeck-cli share: key=value parsing with messages that name the key, and the
// model/device set-up of the modes that run a model (val, predict, compare).

#include "core/common/result.h"
#include "core/eval/detectionmetrics.h"
#include "core/train/modelstate.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

namespace yolodeck {

using KeyValues = QMap<QString, QString>;

// key=value words of a mode other than train; unknown keys are errors naming the valid ones.
Result<KeyValues> parseKeys(const QStringList &args, const QStringList &allowed);
// An integer key in [min, max], or fallback when absent.
Result<int> intKey(const KeyValues &keys, const QString &key, int fallback, int min, int max);
// A number in 0..1 (conf, iou), or fallback when absent.
Result<double> doubleKey(const KeyValues &keys, const QString &key, double fallback);

QString formatDuration(double seconds); // h:mm:ss
QString formatMetric(double v);         // 4 decimals, "-" for NaN

// threads=, device= and model= of val and predict: the model on its device, ready for inference.
struct InferenceSetup
{
    torch::Device device{torch::kCPU};
    LoadedModel model;
};
Result<InferenceSetup> prepareInference(const KeyValues &keys);

// metrics.json of val: Ultralytics' metric keys, fitness and the per-class rows.
QJsonObject metricsToJson(const DetectionMetrics &m, double w50, double w5095);

} // namespace yolodeck
