// A fake libnvidia-ml.so.1 for the tests: the ten NVML entry points YoloDeck resolves, with two
// GPUs. GPU 0 answers everything; GPU 1 has no temperature sensor (NVML_ERROR_NOT_SUPPORTED), as
// some boards do. Values are fixed, except what the environment overrides:
//   YOLODECK_FAKE_NVML_INIT_ERROR  nvmlInit_v2 returns this code (e.g. 9: driver not loaded)
//   YOLODECK_FAKE_NVML_UTIL        utilisation of GPU 0 in percent (default 87)
//   YOLODECK_FAKE_NVML_MEMORY_USED_MIB  memory used on GPU 0 (default 6144 of 24576 MiB)
//   YOLODECK_FAKE_NVML_PROCESS_PID  a process that holds 700 MiB on GPU 0 and 300 MiB on GPU 1,
//                                   beside a second process (pid 1) with 2 GiB on GPU 0
// It also counts init/shutdown calls so a test can check that the library is shut down.

#include <cstdlib>
#include <cstring>

namespace {
constexpr int kSuccess = 0;
constexpr int kUninitialized = 1;
constexpr int kInvalidArgument = 2;
constexpr int kNotSupported = 3;

struct FakeDevice
{
    const char *name;
    unsigned int utilization;
    unsigned long long memoryTotal;
    unsigned long long memoryUsed;
    unsigned int powerMilliwatts;
    unsigned int limitMilliwatts;
};

FakeDevice g_devices[2] = {
    {"Fake GeForce RTX 4090", 87, 24576ull << 20, 6144ull << 20, 312000, 450000},
    {"Fake Tesla T4", 12, 15360ull << 20, 1024ull << 20, 28000, 70000},
};
int g_initCount = 0;
int g_shutdownCount = 0;
bool g_initialized = false;

int envInt(const char *name, int fallback)
{
    const char *v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

FakeDevice *device(void *handle)
{
    for (FakeDevice &d : g_devices) {
        if (handle == &d)
            return &d;
    }
    return nullptr;
}
} // namespace

extern "C" {

struct FakeUtilization
{
    unsigned int gpu;
    unsigned int memory;
};
struct FakeMemory
{
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
};

int yolodeckFakeNvmlInitCount()
{
    return g_initCount;
}
int yolodeckFakeNvmlShutdownCount()
{
    return g_shutdownCount;
}

int nvmlInit_v2()
{
    ++g_initCount;
    const int error = envInt("YOLODECK_FAKE_NVML_INIT_ERROR", 0);
    if (error != 0)
        return error;
    g_devices[0].utilization = unsigned(envInt("YOLODECK_FAKE_NVML_UTIL", 87));
    g_devices[0].memoryUsed = (unsigned long long)envInt("YOLODECK_FAKE_NVML_MEMORY_USED_MIB", 6144)
                              << 20;
    g_initialized = true;
    return kSuccess;
}

int nvmlShutdown()
{
    ++g_shutdownCount;
    g_initialized = false;
    return kSuccess;
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (!g_initialized)
        return kUninitialized;
    *count = 2;
    return kSuccess;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, void **handle)
{
    if (!g_initialized)
        return kUninitialized;
    if (index >= 2)
        return kInvalidArgument;
    *handle = &g_devices[index];
    return kSuccess;
}

int nvmlDeviceGetName(void *handle, char *name, unsigned int length)
{
    FakeDevice *d = device(handle);
    if (!d || length < std::strlen(d->name) + 1)
        return kInvalidArgument;
    std::strcpy(name, d->name);
    return kSuccess;
}

int nvmlDeviceGetUtilizationRates(void *handle, FakeUtilization *utilization)
{
    FakeDevice *d = device(handle);
    if (!d)
        return kInvalidArgument;
    utilization->gpu = d->utilization;
    utilization->memory = d->utilization / 2;
    return kSuccess;
}

int nvmlDeviceGetMemoryInfo(void *handle, FakeMemory *memory)
{
    FakeDevice *d = device(handle);
    if (!d)
        return kInvalidArgument;
    memory->total = d->memoryTotal;
    memory->used = d->memoryUsed;
    memory->free = d->memoryTotal - d->memoryUsed;
    return kSuccess;
}

int nvmlDeviceGetTemperature(void *handle, unsigned int sensor, unsigned int *temperature)
{
    FakeDevice *d = device(handle);
    if (!d || sensor != 0)
        return kInvalidArgument;
    if (d == &g_devices[1])
        return kNotSupported;
    *temperature = 64;
    return kSuccess;
}

int nvmlDeviceGetPowerUsage(void *handle, unsigned int *milliwatts)
{
    FakeDevice *d = device(handle);
    if (!d)
        return kInvalidArgument;
    *milliwatts = d->powerMilliwatts;
    return kSuccess;
}

int nvmlDeviceGetEnforcedPowerLimit(void *handle, unsigned int *milliwatts)
{
    FakeDevice *d = device(handle);
    if (!d)
        return kInvalidArgument;
    *milliwatts = d->limitMilliwatts;
    return kSuccess;
}

struct FakeProcessInfo
{
    unsigned int pid;
    unsigned long long usedGpuMemory;
    unsigned int gpuInstanceId;
    unsigned int computeInstanceId;
};

int nvmlDeviceGetComputeRunningProcesses_v3(void *handle, unsigned int *count,
                                            FakeProcessInfo *infos)
{
    FakeDevice *d = device(handle);
    if (!d || !count)
        return kInvalidArgument;
    const unsigned int pid = unsigned(envInt("YOLODECK_FAKE_NVML_PROCESS_PID", 0));
    FakeProcessInfo list[2] = {{1, 2048ull << 20, 0, 0},
                               {pid, (d == &g_devices[0] ? 700ull : 300ull) << 20, 0, 0}};
    const unsigned int n = d == &g_devices[0] ? 2 : 1;
    const FakeProcessInfo *first = d == &g_devices[0] ? list : list + 1;
    if (*count < n) {
        *count = n;
        return 7; // NVML_ERROR_INSUFFICIENT_SIZE
    }
    for (unsigned int i = 0; i < n; ++i)
        infos[i] = first[i];
    *count = n;
    return kSuccess;
}

} // extern "C"
