#include "core/monitor/runfigures.h"

#include <QFile>
#include <QJsonDocument>
#include <QSysInfo>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <limits>

#include <sys/types.h>

namespace yolodeck {

namespace {
double number(const QJsonObject &e, const char *key, double fallback = -1)
{
    const QJsonValue v = e.value(QLatin1String(key));
    return v.isDouble() && std::isfinite(v.toDouble()) ? v.toDouble() : fallback;
}

double mean(const std::vector<double> &values)
{
    double sum = 0;
    for (double v : values)
        sum += v;
    return values.empty() ? 0 : sum / double(values.size());
}
} // namespace

void RunFiguresReader::add(const QJsonObject &e)
{
    const QString type = e.value(QStringLiteral("type")).toString();
    const double wall = number(e, "wall", 0);
    if (wall > 0)
        m_run.lastWall = wall;
    if (type == QLatin1String("run_start")) {
        m_run.started = true;
        m_run.finished = false;
        m_run.pid = qint64(number(e, "pid", 0));
        m_run.host = e.value(QStringLiteral("host")).toString();
        m_run.device = e.value(QStringLiteral("device")).toString();
        m_run.processCpuPercent.reset();
        m_run.residentBytes.reset();
        m_run.gpuMemoryBytes.reset();
        m_run.points.clear();
        m_batches.clear();
        m_session = {};
        ThroughputStats base;
        base.training = true;
        base.onCuda = m_run.device.startsWith(QLatin1String("cuda"));
        base.workers = int(number(e, "workers", -1));
        base.cacheRam = e.value(QStringLiteral("cache")).toString() == QLatin1String("ram");
        base.cores = int(number(e, "cores", -1));
        base.data = e.value(QStringLiteral("data")).toString();
        base.imgsz = int(number(e, "imgsz", -1));
        base.medianImageSide = int(number(e, "image_median", -1));
        base.trainImages = int(number(e, "train_images", -1));
        base.cacheRamBytes = qint64(number(e, "cache_ram_bytes", -1));
        base.imageStore = e.value(QStringLiteral("image_store")).toString();
        m_base = base;
        const QString mode = e.value(QStringLiteral("mode")).toString();
        m_resumed = mode == QLatin1String("resume") || mode == QLatin1String("branch");
        m_sessionStartEpoch = int(number(e, "start_epoch", 0));
        if (m_resumed) {
            // The epochs the interrupted session finished after the resume point are replaced.
            std::vector<std::pair<int, double>> kept;
            for (const auto &epoch : m_epochs) {
                if (epoch.first <= m_sessionStartEpoch)
                    kept.push_back(epoch);
            }
            m_epochs = kept;
        } else {
            m_epochs.clear();
        }
    } else if (type == QLatin1String("run_end")) {
        m_run.finished = true;
    } else if (type == QLatin1String("epoch")) {
        const int epoch = int(number(e, "epoch", 0));
        const double seconds = number(e, "epoch_seconds", -1);
        if (epoch > 0 && seconds > 0)
            m_epochs.emplace_back(epoch, seconds);
    } else if (type == QLatin1String("batch")) {
        BatchFigures b;
        b.wall = wall;
        b.ips = number(e, "ips");
        b.wait = number(e, "wait");
        b.weight = number(e, "step_ms", 1);
        if (!(b.weight > 0))
            b.weight = 1;
        b.readMs = number(e, "read_ms");
        b.decodeMs = number(e, "decode_ms");
        b.machineCpu = number(e, "sys_cpu");
        b.processCpu = number(e, "cpu");
        b.memoryAvailable = qint64(number(e, "mem_avail"));
        b.gpuMemory = qint64(number(e, "gpu_mem"));
        b.gpuUtil = number(e, "gpu_util");
        b.gpuUsed = qint64(number(e, "gpu_used"));
        b.gpuTotal = qint64(number(e, "gpu_total"));
        if (e.contains(QStringLiteral("gpu_name")))
            m_base.gpuName = e.value(QStringLiteral("gpu_name")).toString();
        if (b.processCpu >= 0)
            m_run.processCpuPercent = b.processCpu;
        if (number(e, "rss") >= 0)
            m_run.residentBytes = qint64(number(e, "rss"));
        if (b.gpuMemory >= 0)
            m_run.gpuMemoryBytes = b.gpuMemory;
        if (b.ips >= 0 && b.wait >= 0) {
            m_session.ips += b.ips * b.weight;
            m_session.wait += b.wait * b.weight;
            m_session.weight += b.weight;
            ++m_session.count;
            m_run.points.push_back({wall, b.ips, b.wait * 100});
            if (m_run.points.size() > 2 * kMaxPoints)
                m_run.points.erase(m_run.points.begin(),
                                   m_run.points.end() - std::ptrdiff_t(kMaxPoints));
        }
        if (b.readMs >= 0 && b.decodeMs >= 0) {
            m_session.readMs += b.readMs;
            m_session.decodeMs += b.decodeMs;
            ++m_session.decodeCount;
        }
        if (b.machineCpu >= 0) {
            m_session.machineCpu += b.machineCpu;
            ++m_session.cpuCount;
        }
        m_batches.push_back(b);
        // Only the newest kRecentSeconds are averaged; keep a few more than that.
        while (m_batches.size() > 1 && m_batches.front().wall < wall - 2 * kRecentSeconds)
            m_batches.pop_front();
    }
}

ThroughputStats RunFiguresReader::averaged(ThroughputStats s,
                                           const std::deque<BatchFigures> &batches, size_t from)
{
    std::vector<double> read, decode, machine, process, gpuUtil;
    double ips = 0, wait = 0, weight = 0;
    for (size_t i = from; i < batches.size(); ++i) {
        const BatchFigures &b = batches[i];
        if (b.ips >= 0 && b.wait >= 0) {
            ips += b.ips * b.weight;
            wait += b.wait * b.weight;
            weight += b.weight;
        }
        if (b.readMs >= 0 && b.decodeMs >= 0) {
            read.push_back(b.readMs);
            decode.push_back(b.decodeMs);
        }
        if (b.machineCpu >= 0)
            machine.push_back(b.machineCpu);
        if (b.processCpu >= 0)
            process.push_back(b.processCpu);
        if (b.memoryAvailable >= 0)
            s.memoryAvailableBytes = b.memoryAvailable;
        if (b.gpuMemory >= 0)
            s.gpuMemoryUsedBytes = b.gpuMemory;
        if (b.gpuUtil >= 0)
            gpuUtil.push_back(b.gpuUtil);
        if (b.gpuUsed >= 0 && b.gpuTotal > 0) {
            s.gpuDeviceMemoryUsedBytes = b.gpuUsed;
            s.gpuDeviceMemoryTotalBytes = b.gpuTotal;
        }
    }
    if (!gpuUtil.empty()) {
        s.gpuUtilizationPercent = mean(gpuUtil);
        s.gpuSamples = int(gpuUtil.size());
    }
    if (weight > 0) {
        s.imagesPerSecond = ips / weight;
        s.dataWaitShare = wait / weight;
    }
    if (!read.empty()) {
        s.readMsPerImage = mean(read);
        s.decodeMsPerImage = mean(decode);
    }
    if (!machine.empty())
        s.machineCpuPercent = mean(machine);
    if (!process.empty())
        s.processCpuPercent = mean(process);
    return s;
}

RunFigures RunFiguresReader::figures() const
{
    RunFigures run = m_run;
    if (run.points.size() > kMaxPoints)
        run.points.erase(run.points.begin(), run.points.end() - std::ptrdiff_t(kMaxPoints));
    ThroughputStats base = m_base;
    base.training = m_run.started && !m_run.finished;
    // Epoch times: those before this session's start against those since, for a resumed run.
    if (m_resumed) {
        for (const auto &[epoch, seconds] : m_epochs)
            (epoch <= m_sessionStartEpoch ? base.epochSecondsBeforeResume
                                          : base.epochSecondsSinceResume)
                .push_back(seconds);
        if (base.epochSecondsBeforeResume.empty())
            base.epochSecondsSinceResume.clear();
    }
    size_t from = m_batches.size();
    const double newest = m_batches.empty() ? 0 : m_batches.back().wall;
    while (from > 0 && m_batches[from - 1].wall >= newest - kRecentSeconds)
        --from;
    run.recent = averaged(base, m_batches, from);

    run.session = run.recent; // memory and process figures are the newest either way
    if (m_session.count > 0) {
        run.session.imagesPerSecond = m_session.ips / m_session.weight;
        run.session.dataWaitShare = m_session.wait / m_session.weight;
    }
    if (m_session.decodeCount > 0) {
        run.session.readMsPerImage = m_session.readMs / m_session.decodeCount;
        run.session.decodeMsPerImage = m_session.decodeMs / m_session.decodeCount;
    }
    if (m_session.cpuCount > 0)
        run.session.machineCpuPercent = m_session.machineCpu / m_session.cpuCount;
    return run;
}

RunFigures readRunFigures(const QString &path)
{
    RunFiguresReader reader;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    while (!file.atEnd()) {
        const QByteArray line = file.readLine().trimmed();
        if (line.isEmpty())
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(line);
        if (doc.isObject())
            reader.add(doc.object());
    }
    return reader.figures();
}

bool isThisMachine(const QString &host)
{
    return !host.isEmpty() && host == QSysInfo::machineHostName();
}

ProcessState processState(qint64 pid, const QString &host)
{
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max() || !isThisMachine(host))
        return ProcessState::Unknown;
    // Signal 0 checks existence only; EPERM means it exists but belongs to someone else.
    if (::kill(pid_t(pid), 0) == 0 || errno == EPERM)
        return ProcessState::Running;
    return ProcessState::Gone;
}

} // namespace yolodeck
