#include "core/monitor/nvmllibrary.h"

#include <QCoreApplication>
#include <QFile>

#include <dlfcn.h>

namespace yolodeck {

namespace {
// The few NVML declarations YoloDeck needs, from NVIDIA's public nvml.h API documentation. Declared
// here so the build needs neither the CUDA toolkit nor the driver headers.
using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr unsigned NVML_TEMPERATURE_GPU = 0;
constexpr unsigned NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;
using nvmlDevice_t = struct nvmlDevice_st *;
struct nvmlUtilization_t
{
    unsigned int gpu;
    unsigned int memory;
};
struct nvmlMemory_t
{
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};
// nvmlProcessInfo_t of the _v2 and _v3 process queries (the _v1 one lacked the last two fields).
struct nvmlProcessInfo_t
{
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
};
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
// usedGpuMemory when the driver cannot tell (Windows WDDM, some vGPUs).
constexpr unsigned long long NVML_VALUE_NOT_AVAILABLE = ~0ull;

} // namespace

struct NvmlLibrary::Api
{
    nvmlReturn_t (*init)() = nullptr;
    nvmlReturn_t (*shutdown)() = nullptr;
    nvmlReturn_t (*getCount)(unsigned int *) = nullptr;
    nvmlReturn_t (*getHandleByIndex)(unsigned int, nvmlDevice_t *) = nullptr;
    nvmlReturn_t (*getName)(nvmlDevice_t, char *, unsigned int) = nullptr;
    nvmlReturn_t (*getUtilization)(nvmlDevice_t, nvmlUtilization_t *) = nullptr;
    nvmlReturn_t (*getMemoryInfo)(nvmlDevice_t, nvmlMemory_t *) = nullptr;
    nvmlReturn_t (*getTemperature)(nvmlDevice_t, unsigned int, unsigned int *) = nullptr;
    nvmlReturn_t (*getPowerUsage)(nvmlDevice_t, unsigned int *) = nullptr;
    nvmlReturn_t (*getEnforcedPowerLimit)(nvmlDevice_t, unsigned int *) = nullptr;
    // Optional: drivers before 470 lack both versions; then no per-process figure.
    nvmlReturn_t (*getComputeProcesses)(nvmlDevice_t, unsigned int *,
                                        nvmlProcessInfo_t *) = nullptr;
};

QString NvmlLibrary::defaultLibraryPath()
{
    const QString fromEnv = qEnvironmentVariable("YOLODECK_NVML_LIBRARY");
    return fromEnv.isEmpty() ? QStringLiteral("libnvidia-ml.so.1") : fromEnv;
}

NvmlLibrary::NvmlLibrary(const QString &libraryPath)
    : m_path(libraryPath.isEmpty() ? defaultLibraryPath() : libraryPath)
{
    m_handle = ::dlopen(QFile::encodeName(m_path).constData(), RTLD_NOW | RTLD_LOCAL);
    if (!m_handle) {
        m_status = QCoreApplication::translate(
                       "yolodeck::NvmlLibrary",
                       "No NVIDIA GPU / driver not found (%1 could not be loaded).")
                       .arg(m_path);
        return;
    }
    auto api = new Api;
    bool missing = false;
    QString missingName;
    auto resolve = [&](auto &fn, const char *name) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(m_handle, name));
        if (!fn && !missing) {
            missing = true;
            missingName = QString::fromLatin1(name);
        }
    };
    resolve(api->init, "nvmlInit_v2");
    resolve(api->shutdown, "nvmlShutdown");
    resolve(api->getCount, "nvmlDeviceGetCount_v2");
    resolve(api->getHandleByIndex, "nvmlDeviceGetHandleByIndex_v2");
    resolve(api->getName, "nvmlDeviceGetName");
    resolve(api->getUtilization, "nvmlDeviceGetUtilizationRates");
    resolve(api->getMemoryInfo, "nvmlDeviceGetMemoryInfo");
    resolve(api->getTemperature, "nvmlDeviceGetTemperature");
    resolve(api->getPowerUsage, "nvmlDeviceGetPowerUsage");
    resolve(api->getEnforcedPowerLimit, "nvmlDeviceGetEnforcedPowerLimit");
    // Optional symbols do not make the library unusable.
    for (const char *name :
         {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"}) {
        if (!api->getComputeProcesses)
            api->getComputeProcesses =
                reinterpret_cast<decltype(api->getComputeProcesses)>(::dlsym(m_handle, name));
    }
    if (missing) {
        delete api;
        m_status =
            QCoreApplication::translate("yolodeck::NvmlLibrary",
                                        "No usable NVIDIA driver: %1 lacks %2 (driver too old?).")
                .arg(m_path, missingName);
        return;
    }
    m_api = api;
    const nvmlReturn_t rc = m_api->init();
    if (rc != NVML_SUCCESS) {
        m_status = QCoreApplication::translate(
                       "yolodeck::NvmlLibrary",
                       "No NVIDIA GPU: the driver library loaded but NVML did not start "
                       "(error %1).")
                       .arg(rc);
        return;
    }
    m_initialized = true;
}

NvmlLibrary::~NvmlLibrary()
{
    if (m_initialized)
        m_api->shutdown();
    delete m_api;
    if (m_handle)
        ::dlclose(m_handle);
}

int NvmlLibrary::deviceCount() const
{
    if (!m_initialized)
        return 0;
    unsigned int count = 0;
    if (m_api->getCount(&count) != NVML_SUCCESS)
        return 0;
    return int(count);
}

std::vector<GpuSample> NvmlLibrary::sample() const
{
    std::vector<GpuSample> out;
    const int count = deviceCount();
    for (int i = 0; i < count; ++i) {
        nvmlDevice_t device = nullptr;
        if (m_api->getHandleByIndex(unsigned(i), &device) != NVML_SUCCESS)
            continue;
        GpuSample s;
        s.index = i;
        char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {};
        if (m_api->getName(device, name, sizeof name) == NVML_SUCCESS)
            s.name = QString::fromUtf8(name);
        else
            s.name = QCoreApplication::translate("yolodeck::NvmlLibrary", "GPU %1").arg(i);
        nvmlUtilization_t util{};
        if (m_api->getUtilization(device, &util) == NVML_SUCCESS)
            s.utilizationPercent = double(util.gpu);
        nvmlMemory_t memory{};
        if (m_api->getMemoryInfo(device, &memory) == NVML_SUCCESS) {
            s.memoryUsedBytes = qint64(memory.used);
            s.memoryTotalBytes = qint64(memory.total);
        }
        unsigned int value = 0;
        if (m_api->getTemperature(device, NVML_TEMPERATURE_GPU, &value) == NVML_SUCCESS)
            s.temperatureCelsius = double(value);
        // NVML reports power in milliwatts.
        if (m_api->getPowerUsage(device, &value) == NVML_SUCCESS)
            s.powerWatts = value / 1000.0;
        if (m_api->getEnforcedPowerLimit(device, &value) == NVML_SUCCESS)
            s.powerLimitWatts = value / 1000.0;
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<qint64> NvmlLibrary::processMemoryBytes(qint64 pid) const
{
    const std::vector<std::pair<int, qint64>> byGpu = processMemoryByGpu(pid);
    if (byGpu.empty())
        return std::nullopt;
    qint64 total = 0;
    for (const auto &[index, bytes] : byGpu)
        total += bytes;
    return total;
}

std::vector<std::pair<int, qint64>> NvmlLibrary::processMemoryByGpu(qint64 pid) const
{
    std::vector<std::pair<int, qint64>> out;
    if (!m_initialized || !m_api->getComputeProcesses)
        return out;
    const int count = deviceCount();
    for (int i = 0; i < count; ++i) {
        nvmlDevice_t device = nullptr;
        if (m_api->getHandleByIndex(unsigned(i), &device) != NVML_SUCCESS)
            continue;
        std::vector<nvmlProcessInfo_t> infos(64);
        unsigned int n = unsigned(infos.size());
        nvmlReturn_t rc = m_api->getComputeProcesses(device, &n, infos.data());
        if (rc == NVML_ERROR_INSUFFICIENT_SIZE) { // n now holds the count needed
            infos.resize(size_t(n) + 16);
            n = unsigned(infos.size());
            rc = m_api->getComputeProcesses(device, &n, infos.data());
        }
        if (rc != NVML_SUCCESS)
            continue;
        qint64 bytes = 0;
        bool seen = false;
        for (unsigned int k = 0; k < n && k < infos.size(); ++k) {
            if (qint64(infos[k].pid) != pid || infos[k].usedGpuMemory == NVML_VALUE_NOT_AVAILABLE)
                continue;
            bytes += qint64(infos[k].usedGpuMemory);
            seen = true;
        }
        if (seen)
            out.emplace_back(i, bytes);
    }
    return out;
}

} // namespace yolodeck
