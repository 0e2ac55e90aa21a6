#pragma once

#include "core/monitor/gpusample.h"

#include <QString>

#include <optional>
#include <vector>

namespace yolodeck {

// The machine at one instant: CPU, memory, swap, this process and every GPU NVML can see.
struct SystemSample
{
    qint64 timestampMs = 0; // QDateTime::currentMSecsSinceEpoch() when taken
    // Busy share of all CPUs since the previous sample, 0..100; none for the first sample.
    std::optional<double> cpuPercent;
    qint64 memoryTotalBytes = 0;
    qint64 memoryAvailableBytes = 0;
    qint64 swapTotalBytes = 0;
    qint64 swapFreeBytes = 0;
    std::optional<qint64> swapInPages; // /proc/vmstat pswpin: pages read back from swap since boot
    qint64 processResidentBytes = 0;   // VmRSS of this process

    bool gpuAvailable = false;
    QString
        gpuStatus; // why there is no GPU reading ("no NVIDIA GPU / driver not found"), else empty
    std::vector<GpuSample> gpus;

    qint64 memoryUsedBytes() const { return memoryTotalBytes - memoryAvailableBytes; }
    qint64 swapUsedBytes() const { return swapTotalBytes - swapFreeBytes; }
};

} // namespace yolodeck
