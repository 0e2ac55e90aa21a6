#include "core/train/lrschedule.h"

#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace yolodeck {

LrSchedule::LrSchedule(int epochs, double lrf, bool cosine)
    : m_epochs(epochs)
    , m_lrf(lrf)
    , m_cosine(cosine)
{}

double LrSchedule::baseFactor(int epoch) const
{
    const double x = epoch;
    const double e = m_epochs;
    if (m_cosine)
        return ((1.0 - std::cos(x * M_PI / e)) / 2.0) * (m_lrf - 1.0) + 1.0;
    return std::max(1.0 - x / e, 0.0) * (1.0 - m_lrf) + m_lrf;
}

double LrSchedule::factor(int epoch) const
{
    // The newest extension that covers the epoch decides; before any, the original schedule.
    for (auto it = m_extensions.rbegin(); it != m_extensions.rend(); ++it) {
        if (epoch >= it->fromEpoch) {
            // Anchored at the last epoch trained before the extension, so that epoch keeps its
            // factor and the curve reaches lrf at the new end, as the original one does at E.
            const int anchor = std::max(0, it->fromEpoch - 1);
            const double span = std::max(1, it->toEpoch - anchor);
            const double t = std::min(1.0, double(epoch - anchor) / span);
            const double shape = m_cosine ? (1.0 - std::cos(t * M_PI)) / 2.0 : t;
            return it->startFactor + (m_lrf - it->startFactor) * shape;
        }
    }
    return baseFactor(epoch);
}

int LrSchedule::epochs() const
{
    return m_extensions.empty() ? m_epochs : m_extensions.back().toEpoch;
}

void LrSchedule::extend(int fromEpoch, int newEpochs)
{
    const double start = factor(std::max(0, fromEpoch - 1));
    m_extensions.push_back({fromEpoch, newEpochs, start});
}

QJsonArray LrSchedule::extensionsToJson() const
{
    QJsonArray out;
    for (const Extension &e : m_extensions) {
        out.append(QJsonObject{{QStringLiteral("from"), e.fromEpoch},
                               {QStringLiteral("to"), e.toEpoch},
                               {QStringLiteral("start_factor"), e.startFactor}});
    }
    return out;
}

void LrSchedule::extensionsFromJson(const QJsonArray &json)
{
    m_extensions.clear();
    for (const QJsonValue &v : json) {
        const QJsonObject o = v.toObject();
        m_extensions.push_back({o.value(QStringLiteral("from")).toInt(),
                                o.value(QStringLiteral("to")).toInt(),
                                o.value(QStringLiteral("start_factor")).toDouble()});
    }
}

} // namespace yolodeck
