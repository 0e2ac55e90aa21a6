#include "core/common/threadpolicy.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace yolodeck {

namespace {

// Each variable of the policy, and the function of the loaded library that applies it after the
// fact (the library read the variable when it was loaded, before main()).
struct PolicyEntry
{
    EnvironmentSetting setting;
    const char *librarySetter;
};
const PolicyEntry kPolicy[] = {{{"OPENBLAS_NUM_THREADS", "1"}, "openblas_set_num_threads"}};
constexpr const char *kSwitch = "YOLODECK_THREAD_POLICY";
constexpr const char *kSetMarker = "YOLODECK_THREAD_POLICY_SET";

bool isUnset(const std::function<const char *(const char *)> &lookup, const std::string &name)
{
    const char *current = lookup(name.c_str());
    return !current || !*current;
}

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
    for (const PolicyEntry &entry : kPolicy) {
        if (isUnset(lookup, entry.setting.name))
            missing.push_back(entry.setting);
    }
    return missing;
}

std::string describeThreadPolicy(const std::function<const char *(const char *)> &lookup)
{
    const char *marker = lookup(kSetMarker);
    const std::string setByPolicy = "," + std::string(marker ? marker : "") + ",";
    std::string out;
    for (const PolicyEntry &entry : kPolicy) {
        const EnvironmentSetting &s = entry.setting;
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
    const auto lookup = [](const char *name) { return std::getenv(name); };
    if (policyOff(lookup))
        return;
    std::string names;
    for (const PolicyEntry &entry : kPolicy) {
        const EnvironmentSetting &s = entry.setting;
        if (!isUnset(lookup, s.name))
            continue;
        setenv(s.name.c_str(), s.value.c_str(), 1);
        names += (names.empty() ? "" : ",") + s.name;
        // Absent when LibTorch uses another library: then there is nothing to tell.
        using SetThreads = void (*)(int);
        if (const auto set =
                reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, entry.librarySetter)))
            set(std::atoi(s.value.c_str()));
    }
    if (!names.empty())
        setenv(kSetMarker, names.c_str(), 1);
}

} // namespace yolodeck
