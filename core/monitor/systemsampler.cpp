#include "core/monitor/systemsampler.h"

#include <QDateTime>
#include <QFile>

namespace yolodeck {

namespace {
// "Key:   12345 kB" lines of /proc/meminfo and /proc/self/status, in bytes; -1 when absent.
qint64 kilobyteField(const QByteArray &text, const QByteArray &key)
{
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(key) || line.size() <= key.size() || line.at(key.size()) != ':')
            continue;
        const QList<QByteArray> words = line.mid(key.size() + 1).simplified().split(' ');
        bool ok = false;
        const qint64 value = words.value(0).toLongLong(&ok);
        return ok ? value * 1024 : -1;
    }
    return -1;
}
} // namespace

SystemSampler::SystemSampler(const QString &procRoot)
    : m_root(procRoot)
{}

QByteArray SystemSampler::readProcFile(const QString &name) const
{
    // /proc files report a size of 0, so read until EOF rather than by size.
    QFile file(m_root + QLatin1Char('/') + name);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

std::optional<SystemSampler::CpuTimes> SystemSampler::readCpuTimes() const
{
    // First line: "cpu user nice system idle iowait irq softirq steal guest guest_nice". Guest
    // time is already counted in user and nice, so only the first eight fields are summed.
    const QByteArray text = readProcFile(QStringLiteral("stat"));
    const QByteArray firstLine = text.left(text.indexOf('\n'));
    const QList<QByteArray> words = firstLine.simplified().split(' ');
    if (words.size() < 5 || words.first() != "cpu")
        return std::nullopt;
    CpuTimes t;
    quint64 idle = 0;
    for (int i = 1; i < words.size() && i <= 8; ++i) {
        const quint64 v = words.at(i).toULongLong();
        t.total += v;
        if (i == 4 || i == 5) // idle, iowait
            idle += v;
    }
    t.busy = t.total - idle;
    return t;
}

SystemSample SystemSampler::sample()
{
    SystemSample s;
    s.timestampMs = QDateTime::currentMSecsSinceEpoch();

    if (const auto now = readCpuTimes()) {
        if (m_previous && now->total > m_previous->total) {
            const double busy = double(now->busy - qMin(now->busy, m_previous->busy));
            const double total = double(now->total - m_previous->total);
            s.cpuPercent = qBound(0.0, 100.0 * busy / total, 100.0);
        }
        m_previous = now;
    }

    const QByteArray meminfo = readProcFile(QStringLiteral("meminfo"));
    s.memoryTotalBytes = qMax<qint64>(0, kilobyteField(meminfo, "MemTotal"));
    qint64 available = kilobyteField(meminfo, "MemAvailable");
    if (available < 0) // kernels before 3.14 have no MemAvailable
        available = qMax<qint64>(0, kilobyteField(meminfo, "MemFree"));
    s.memoryAvailableBytes = available;
    s.swapTotalBytes = qMax<qint64>(0, kilobyteField(meminfo, "SwapTotal"));
    s.swapFreeBytes = qMax<qint64>(0, kilobyteField(meminfo, "SwapFree"));

    for (const QByteArray &line : readProcFile(QStringLiteral("vmstat")).split('\n')) {
        if (line.startsWith("pswpin ")) {
            bool ok = false;
            const qint64 pages = line.mid(7).trimmed().toLongLong(&ok);
            if (ok)
                s.swapInPages = pages;
        }
    }

    s.processResidentBytes =
        qMax<qint64>(0, kilobyteField(readProcFile(QStringLiteral("self/status")), "VmRSS"));
    return s;
}

} // namespace yolodeck
