#pragma once

#include "core/monitor/gpusample.h"

#include <QString>

#include <optional>
#include <vector>

namespace yolodeck {

// NVIDIA's management library, opened with dlopen() at run time and never linked, so YoloDeck runs
// on machines without an NVIDIA driver and simply reports that there is no GPU.
//
// The library path is libnvidia-ml.so.1 (the soname the driver installs), or the value of the
// environment variable YOLODECK_NVML_LIBRARY when set (tests point it at a fake library).
//
// Not thread-safe: create, use and destroy it on one thread (the system monitor's sampling thread;
// NVML calls can take milliseconds and must never run on the GUI thread).
class NvmlLibrary
{
public:
    // An empty path means: YOLODECK_NVML_LIBRARY, else libnvidia-ml.so.1.
    explicit NvmlLibrary(const QString &libraryPath = QString());
    ~NvmlLibrary();
    NvmlLibrary(const NvmlLibrary &) = delete;
    NvmlLibrary &operator=(const NvmlLibrary &) = delete;

    // True when the library loaded, every needed symbol resolved and nvmlInit_v2 succeeded.
    bool isAvailable() const { return m_initialized; }
    // One line for the user: empty when available, else why not ("no NVIDIA GPU / driver not
    // found", "NVML failed to start: ...").
    const QString &statusText() const { return m_status; }
    QString libraryPath() const { return m_path; }
    int deviceCount() const;

    // Reads every GPU. A value whose NVML call fails is left empty; a GPU whose handle cannot be
    // obtained is skipped. Returns nothing when the library is unavailable.
    std::vector<GpuSample> sample() const;
    // GPU memory that process `pid` holds, summed over every GPU (what nvidia-smi lists for it,
    // the CUDA context included); nothing when the process holds none, the driver cannot tell,
    // or the library is unavailable.
    std::optional<qint64> processMemoryBytes(qint64 pid) const;
    // The same per GPU: (NVML index, bytes) of each GPU on which the process holds memory.
    std::vector<std::pair<int, qint64>> processMemoryByGpu(qint64 pid) const;

    static QString defaultLibraryPath();

private:
    struct Api;
    Api *m_api = nullptr;
    void *m_handle = nullptr;
    bool m_initialized = false;
    QString m_path;
    QString m_status;
};

} // namespace yolodeck
