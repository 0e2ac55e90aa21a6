#pragma once

#include "core/monitor/systemsample.h"

#include <QString>

#include <optional>

namespace yolodeck {

// Reads CPU, memory, swap and this process's memory from Linux's /proc. CPU utilisation is the
// change of /proc/stat's counters between two calls, so the first sample has none.
//
// The /proc root can be replaced (tests point it at a folder of prepared files); GPU fields are
// left empty: the caller adds NVML's readings.
class SystemSampler
{
public:
    explicit SystemSampler(const QString &procRoot = QStringLiteral("/proc"));

    SystemSample sample();

private:
    struct CpuTimes
    {
        quint64 busy = 0;
        quint64 total = 0;
    };
    std::optional<CpuTimes> readCpuTimes() const;
    QByteArray readProcFile(const QString &name) const;

    QString m_root;
    std::optional<CpuTimes> m_previous;
};

} // namespace yolodeck
