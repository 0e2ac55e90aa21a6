#include "core/monitor/hostsampler.h"

#include "core/monitor/nvmllibrary.h"

#include <QDateTime>
#include <QFile>
#include <QThread>

#include <sched.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace yolodeck {

HostSampler::HostSampler(bool gpu, const QString &procRoot)
    : m_root(procRoot)
    , m_system(procRoot)
{
    if (gpu)
        m_nvml = std::make_unique<NvmlLibrary>();
}

HostSampler::~HostSampler() = default;

int HostSampler::usableCores()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return qMax(1, QThread::idealThreadCount());
}

std::optional<quint64> HostSampler::processTicks() const
{
    QFile file(m_root + QStringLiteral("/self/stat"));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields are counted
    // after its last ')'. utime and stime are fields 14 and 15, i.e. 12th and 13th after it.
    const QByteArray text = file.readAll();
    const int close = text.lastIndexOf(')');
    if (close < 0)
        return std::nullopt;
    const QList<QByteArray> fields = text.mid(close + 1).simplified().split(' ');
    if (fields.size() < 13)
        return std::nullopt;
    bool okUser = false, okSystem = false;
    const quint64 user = fields.at(11).toULongLong(&okUser);
    const quint64 system = fields.at(12).toULongLong(&okSystem);
    if (!okUser || !okSystem)
        return std::nullopt;
    return user + system;
}

HostFigures HostSampler::sample()
{
    const SystemSample machine = m_system.sample();
    HostFigures f;
    f.timestampMs = machine.timestampMs;
    f.machineCpuPercent = machine.cpuPercent;
    f.residentBytes = machine.processResidentBytes;
    f.memoryAvailableBytes = machine.memoryAvailableBytes;
    const std::optional<quint64> ticks = processTicks();
    if (ticks && m_previousTicks && f.timestampMs > m_previousMs && *ticks >= *m_previousTicks) {
        static const double ticksPerSecond = double(qMax(1L, sysconf(_SC_CLK_TCK)));
        const double seconds = (f.timestampMs - m_previousMs) / 1000.0;
        f.processCpuPercent = 100.0 * double(*ticks - *m_previousTicks) / ticksPerSecond / seconds;
    }
    if (ticks) {
        m_previousTicks = ticks;
        m_previousMs = f.timestampMs;
    }
    if (m_nvml && m_nvml->isAvailable()) {
        const std::vector<std::pair<int, qint64>> byGpu =
            m_nvml->processMemoryByGpu(qint64(::getpid()));
        if (!byGpu.empty()) {
            qint64 total = 0;
            std::pair<int, qint64> main = byGpu.front();
            for (const auto &g : byGpu) {
                total += g.second;
                if (g.second > main.second)
                    main = g;
            }
            f.gpuMemoryBytes = total;
            for (const GpuSample &g : m_nvml->sample()) {
                if (g.index == main.first)
                    f.gpu = g;
            }
        }
    }
    return f;
}

QString networkFileSystem(const QString &path)
{
    struct statfs fs;
    if (::statfs(QFile::encodeName(path).constData(), &fs) != 0)
        return {};
    // Magic numbers of linux/magic.h (and FUSE's), which statfs reports in f_type.
    static const std::pair<quint32, const char *> kRemote[] = {
        {0x6969u, "nfs"},      {0xFF534D42u, "cifs"}, {0xFE534D42u, "smb2"},
        {0x517Bu, "smb"},      {0x65735546u, "fuse"}, {0x01021997u, "9p"},
        {0x00C36400u, "ceph"}, {0x47504653u, "gpfs"}, {0x0BD00BD0u, "lustre"},
        {0x5346414Fu, "afs"}};
    for (const auto &[magic, name] : kRemote) {
        if (quint32(fs.f_type) == magic)
            return QString::fromLatin1(name);
    }
    return {};
}

} // namespace yolodeck
