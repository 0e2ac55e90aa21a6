#include "core/cli/modearguments.h"

#include "core/common/textutil.h"

#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <thread>

namespace yolodeck {

Result<KeyValues> parseKeys(const QStringList &args, const QStringList &allowed)
{
    KeyValues out;
    for (const QString &a : args) {
        const int eq = a.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return Result<KeyValues>::fail(QStringLiteral("'%1' is not key=value (valid keys: %2)")
                                               .arg(a, allowed.join(QLatin1Char(' '))));
        const QString key = a.left(eq).trimmed();
        if (!allowed.contains(key)) {
            return Result<KeyValues>::fail(unknownKeyMessage(key, allowed));
        }
        out.insert(key, a.mid(eq + 1).trimmed());
    }
    return Result<KeyValues>::ok(out);
}

Result<int> intKey(const KeyValues &keys, const QString &key, int fallback, int min, int max)
{
    if (!keys.contains(key))
        return Result<int>::ok(fallback);
    bool ok = false;
    const int v = keys.value(key).toInt(&ok);
    if (!ok || v < min || v > max)
        return Result<int>::fail(
            QStringLiteral("%1=%2 is not valid: expected a whole number in %3..%4")
                .arg(key, keys.value(key))
                .arg(min)
                .arg(max));
    return Result<int>::ok(v);
}

Result<double> doubleKey(const KeyValues &keys, const QString &key, double fallback)
{
    if (!keys.contains(key))
        return Result<double>::ok(fallback);
    bool ok = false;
    const double v = keys.value(key).toDouble(&ok);
    if (!ok || v < 0 || v > 1)
        return Result<double>::fail(QStringLiteral("%1=%2 is not valid: expected a number in 0..1")
                                        .arg(key, keys.value(key)));
    return Result<double>::ok(v);
}

QString formatDuration(double seconds)
{
    const qint64 s = qint64(seconds + 0.5);
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString formatMetric(double v)
{
    return std::isnan(v) ? QStringLiteral("-") : QString::number(v, 'f', 4);
}

Result<InferenceSetup> prepareInference(const KeyValues &keys)
{
    const Result<int> threads = intKey(keys, QStringLiteral("threads"), 0, 0, 1024);
    if (!threads)
        return Result<InferenceSetup>::fail(threads.error());
    torch::set_num_threads(threads.value() > 0
                               ? threads.value()
                               : int(std::max(1u, std::thread::hardware_concurrency())));
    const Result<torch::Device> device = selectDevice(keys.value(QStringLiteral("device")));
    if (!device)
        return Result<InferenceSetup>::fail(device.error());
    Result<LoadedModel> loaded =
        loadModelForInference(keys.value(QStringLiteral("model")), device.value());
    if (!loaded)
        return Result<InferenceSetup>::fail(loaded.error());
    InferenceSetup setup;
    setup.device = device.value();
    setup.model = loaded.take();
    return Result<InferenceSetup>::ok(std::move(setup));
}

QJsonObject metricsToJson(const DetectionMetrics &m, double w50, double w5095)
{
    QJsonObject json{{QStringLiteral("metrics/precision(B)"), m.precision},
                     {QStringLiteral("metrics/recall(B)"), m.recall},
                     {QStringLiteral("metrics/mAP50(B)"), m.map50},
                     {QStringLiteral("metrics/mAP50-95(B)"), m.map50_95},
                     {QStringLiteral("fitness"), m.fitness(w50, w5095)},
                     {QStringLiteral("images"), m.images},
                     {QStringLiteral("instances"), m.instances}};
    QJsonArray perClass;
    for (const ClassMetrics &c : m.perClass) {
        perClass.append(QJsonObject{{QStringLiteral("class"), c.cls},
                                    {QStringLiteral("name"), c.name},
                                    {QStringLiteral("images"), c.images},
                                    {QStringLiteral("instances"), c.instances},
                                    {QStringLiteral("metrics/precision(B)"), c.precision},
                                    {QStringLiteral("metrics/recall(B)"), c.recall},
                                    {QStringLiteral("metrics/mAP50(B)"), c.ap50},
                                    {QStringLiteral("metrics/mAP50-95(B)"), c.ap50_95}});
    }
    json.insert(QStringLiteral("per_class"), perClass);
    return json;
}

} // namespace yolodeck
