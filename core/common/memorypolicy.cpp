#include "core/common/memorypolicy.h"

#include <cstdlib>
#include <cstring>
#include <malloc.h>

namespace yolodeck {

namespace {

constexpr const char *kSwitch = "YOLODECK_MEMORY_POLICY";
constexpr const char *kSetMarker = "YOLODECK_MEMORY_POLICY_SET";
constexpr const char *kRefused = "refused"; // the marker's value when mallopt said no

bool isSet(const std::function<const char *(const char *)> &lookup, const char *name)
{
    const char *value = lookup(name);
    return value && *value;
}

} // namespace

bool memoryPolicyWanted(const std::function<const char *(const char *)> &lookup, std::string *why)
{
    const char *enabled = lookup(kSwitch);
    if (enabled && std::strcmp(enabled, "0") == 0) {
        if (why)
            *why = "off (" + std::string(kSwitch) + "=0)";
        return false;
    }
    for (const char *name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"}) {
        if (isSet(lookup, name)) {
            if (why)
                *why = "left to the environment (" + std::string(name) + " is set)";
            return false;
        }
    }
    const char *tunables = lookup("GLIBC_TUNABLES");
    if (tunables && std::strstr(tunables, "glibc.malloc.")) {
        if (why)
            *why = "left to the environment (GLIBC_TUNABLES sets malloc)";
        return false;
    }
    return true;
}

std::string describeMemoryPolicy(const std::function<const char *(const char *)> &lookup)
{
    const char *marker = lookup(kSetMarker);
    if (marker && std::strcmp(marker, kRefused) == 0)
        return "not applied: this process's malloc refused the settings (a sanitizer's?)";
    if (isSet(lookup, kSetMarker))
        return "malloc keeps blocks up to " + std::to_string(kMemoryPolicyMmapThreshold >> 20) +
               " MiB in the heap and up to " + std::to_string(kMemoryPolicyTrimThreshold >> 30) +
               " GiB of freed memory (YoloDeck's policy)";
    std::string why;
    if (!memoryPolicyWanted(lookup, &why))
        return why;
    return "glibc's defaults (this process did not apply the policy)";
}

bool applyMemoryPolicy()
{
    const auto lookup = [](const char *name) { return std::getenv(name); };
    // A marker inherited from a parent that applied the policy must not speak for this process.
    unsetenv(kSetMarker);
    if (!memoryPolicyWanted(lookup, nullptr))
        return false;
    if (mallopt(M_MMAP_THRESHOLD, int(kMemoryPolicyMmapThreshold)) != 1 ||
        mallopt(M_TRIM_THRESHOLD, int(kMemoryPolicyTrimThreshold)) != 1) {
        // AddressSanitizer's allocator, for one, takes no glibc setting.
        setenv(kSetMarker, kRefused, 1);
        return false;
    }
    // Not inherited by meaning, only by the environment: the processes this one starts (the ranks
    // of nproc=N) apply the policy themselves.
    setenv(kSetMarker, "1", 1);
    return true;
}

} // namespace yolodeck
