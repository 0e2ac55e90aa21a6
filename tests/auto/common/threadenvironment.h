#pragma once
// The environment a test gives a YoloDeck program it starts, to see the program's own thread
// policy at work: CTest's thread settings removed (it runs the tests with OPENBLAS_NUM_THREADS=1),
// then the given NAME=value settings put in. And a fake one for the policies' lookup functions.

#include <QProcessEnvironment>
#include <QStringList>

#include <functional>
#include <map>
#include <string>

// Defined when this build's malloc is AddressSanitizer's (gcc says so with __SANITIZE_ADDRESS__,
// clang with __has_feature), which takes no glibc setting: the memory policy is then refused.
#if defined(__SANITIZE_ADDRESS__)
#define YOLODECK_TEST_ASAN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define YOLODECK_TEST_ASAN_MALLOC 1
#endif
#endif

namespace yolodeck::testing {

inline QProcessEnvironment environmentWithThreadSettings(const QStringList &settings)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"OMP_WAIT_POLICY", "OPENBLAS_NUM_THREADS", "YOLODECK_THREAD_POLICY",
                             "YOLODECK_THREAD_POLICY_SET", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"})
        env.remove(QString::fromLatin1(name));
    for (const QString &setting : settings)
        env.insert(setting.section(QLatin1Char('='), 0, 0), setting.section(QLatin1Char('='), 1));
    return env;
}

// A fake environment for the policies' lookup functions: `vars` by name, nullptr for the rest.
inline std::function<const char *(const char *)>
fakeEnvironment(const std::map<std::string, std::string> &vars)
{
    return [vars](const char *name) -> const char * {
        const auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

} // namespace yolodeck::testing
