#pragma once

#include <QString>

#include <optional>

namespace yolodeck {

// One GPU at one instant, as NVML reports it. Every reading is optional: a driver may refuse any
// single query (NVML_ERROR_NOT_SUPPORTED on consumer boards, no power sensor, ...) and the window
// shows only what it got instead of a made-up zero.
struct GpuSample
{
    int index = 0;
    QString name;
    std::optional<double> utilizationPercent; // share of time a kernel ran, 0..100
    std::optional<qint64> memoryUsedBytes;
    std::optional<qint64> memoryTotalBytes;
    std::optional<double> temperatureCelsius;
    std::optional<double> powerWatts;
    std::optional<double> powerLimitWatts;

    // used / total in 0..1 when both are known.
    std::optional<double> memoryShare() const
    {
        if (!memoryUsedBytes || !memoryTotalBytes || *memoryTotalBytes <= 0)
            return std::nullopt;
        return double(*memoryUsedBytes) / double(*memoryTotalBytes);
    }
};

} // namespace yolodeck
