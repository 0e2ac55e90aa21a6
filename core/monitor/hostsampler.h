#pragma once

#include "core/monitor/gpusample.h"
#include "core/monitor/systemsampler.h"

#include <QString>

#include <memory>
#include <optional>

namespace yolodeck {

class NvmlLibrary;

// What the training process costs its machine at one instant, as the trainer writes it into each
// batch line of events.jsonl (so a run watched from another window, or another machine, is
// diagnosed from the same figures as the window's own run).
struct HostFigures
{
    qint64 timestampMs = 0;
    std::optional<double> processCpuPercent; // this process since the previous sample; 100 = 1 core
    std::optional<double> machineCpuPercent; // every core of the machine, 0..100
    qint64 residentBytes = 0;                // VmRSS
    qint64 memoryAvailableBytes = 0;         // the machine's MemAvailable
    std::optional<qint64> gpuMemoryBytes;    // this process on every GPU (NVML), when known
    // The GPU on which this process holds the most memory (its training GPU), as NVML reads it.
    std::optional<GpuSample> gpu;
};

// Samples HostFigures from /proc (replaceable for tests) and, when asked for GPU figures, NVML.
// CPU shares are the change since the previous call, so the first sample has none. Use it on one
// thread (NVML's rule); a sample costs a few /proc reads and, with a GPU, one NVML query.
class HostSampler
{
public:
    explicit HostSampler(bool gpu, const QString &procRoot = QStringLiteral("/proc"));
    ~HostSampler();
    HostSampler(const HostSampler &) = delete;
    HostSampler &operator=(const HostSampler &) = delete;

    HostFigures sample();

    // The logical CPUs this process may run on (its affinity mask), at least 1.
    static int usableCores();

private:
    std::optional<quint64> processTicks() const; // utime + stime of /proc/self/stat

    QString m_root;
    SystemSampler m_system;
    std::unique_ptr<NvmlLibrary> m_nvml;
    std::optional<quint64> m_previousTicks;
    qint64 m_previousMs = 0;
};

// The file system holding `path` when it is one that goes over the network or through a user-space
// layer ("nfs", "cifs", "smb2", "fuse", "9p", "ceph", ...); empty for a local disk or when unknown.
QString networkFileSystem(const QString &path);

} // namespace yolodeck
