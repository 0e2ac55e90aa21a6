#include "core/common/threadpolicy.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace yolodeck {

namespace {

const EnvironmentSetting kPolicy[] = {{"OPENBLAS_NUM_THREADS", "1"}};
constexpr const char *kSwitch = "YOLODECK_THREAD_POLICY";
constexpr const char *kSetMarker = "YOLODECK_THREAD_POLICY_SET";

bool policyOff(const std::function<const char *(const char *)> &lookup)
{
    const char *enabled = lookup(kSwitch);
    return enabled && std::strcmp(enabled, "0") == 0;
}

} // namespace

std::vector<EnvironmentSetting>
missingThreadPolicy(const std::function<const char *(const char *)> &lookup)
{
    if (policyOff(lookup))
        return {};
    std::vector<EnvironmentSetting> missing;
    for (const EnvironmentSetting &s : kPolicy) {
        const char *current = lookup(s.name.c_str());
        if (!current || !*current)
            missing.push_back(s);
    }
    return missing;
}

std::string describeThreadPolicy(const std::function<const char *(const char *)> &lookup)
{
    const char *marker = lookup(kSetMarker);
    const std::string setByPolicy = "," + std::string(marker ? marker : "") + ",";
    std::string out;
    for (const EnvironmentSetting &s : kPolicy) {
        const char *value = lookup(s.name.c_str());
        if (!out.empty())
            out += ", ";
        if (!value || !*value) {
            out += s.name + " unset";
            continue;
        }
        out += s.name + "=" + value;
        out += setByPolicy.find("," + s.name + ",") != std::string::npos
                   ? " (YoloDeck's policy)"
                   : " (set in the environment)";
    }
    if (policyOff(lookup))
        out += "; the policy is off (" + std::string(kSwitch) + "=0)";
    return out;
}

int openBlasThreads()
{
    using GetThreads = int (*)();
    const auto get =
        reinterpret_cast<GetThreads>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return get ? get() : -1;
}

void applyThreadPolicy()
{
    const std::vector<EnvironmentSetting> missing =
        missingThreadPolicy([](const char *name) { return std::getenv(name); });
    if (missing.empty())
        return;
    std::string names;
    for (const EnvironmentSetting &s : missing) {
        setenv(s.name.c_str(), s.value.c_str(), 1);
        names += (names.empty() ? "" : ",") + s.name;
        if (s.name == "OPENBLAS_NUM_THREADS") {
            // Absent when LibTorch uses another BLAS: then there is nothing to tell.
            using SetThreads = void (*)(int);
            if (const auto set =
                    reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
                set(std::atoi(s.value.c_str()));
        }
    }
    setenv(kSetMarker, names.c_str(), 1);
}

} // namespace yolodeck
