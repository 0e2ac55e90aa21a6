#include "core/monitor/diagnosis.h"

#include <QCoreApplication>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace yolodeck {

namespace {
QString percent(double share)
{
    return QString::number(share * 100.0, 'f', 0);
}

QString mebibytes(qint64 bytes)
{
    return QString::number(double(bytes) / (1 << 20), 'f', 0);
}

QString gibibytes(qint64 bytes)
{
    return QString::number(double(bytes) / (1 << 30), 'f', 1);
}

// "1.2 GiB", "350 MiB" or "144 KiB": a small dataset's cache would read "0.0 GiB".
QString memorySize(qint64 bytes)
{
    if (bytes >= (1ll << 30))
        return gibibytes(bytes) + QStringLiteral(" GiB");
    if (bytes >= (1ll << 20))
        return mebibytes(bytes) + QStringLiteral(" MiB");
    return QString::number(double(bytes) / 1024, 'f', 0) + QStringLiteral(" KiB");
}

double mean(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

// " (123.4 images/s with 8 loader workers)", or less when less is known.
QString throughputNote(const ThroughputStats &stats)
{
    QStringList parts;
    if (stats.imagesPerSecond >= 0)
        parts << QCoreApplication::translate("yolodeck::Diagnosis", "%1 images/s")
                     .arg(stats.imagesPerSecond, 0, 'f', 1);
    if (stats.workers >= 0)
        parts << QCoreApplication::translate("yolodeck::Diagnosis", "%1 loader workers")
                     .arg(stats.workers);
    return parts.isEmpty()
               ? QString()
               : QStringLiteral(" (") +
                     parts.join(QCoreApplication::translate("yolodeck::Diagnosis", " with ")) +
                     QLatin1Char(')');
}

// " (about 1.2 GiB of RAM for 3000 images; 5.0 GiB available)", or why it does not fit.
QString cacheRamNote(const ThroughputStats &stats, const DiagnosisThresholds &t, bool *fits)
{
    *fits = true;
    if (stats.cacheRamBytes < 0)
        return {};
    QString text =
        stats.trainImages > 0
            ? QCoreApplication::translate("yolodeck::Diagnosis", "about %1 of RAM for %2 images")
                  .arg(memorySize(stats.cacheRamBytes))
                  .arg(stats.trainImages)
            : QCoreApplication::translate("yolodeck::Diagnosis", "about %1 of RAM")
                  .arg(memorySize(stats.cacheRamBytes));
    if (stats.memoryAvailableBytes >= 0) {
        *fits = stats.cacheRamBytes <= t.cacheRamShareOfFree * stats.memoryAvailableBytes;
        text += QCoreApplication::translate("yolodeck::Diagnosis", "; %1 GiB available")
                    .arg(gibibytes(stats.memoryAvailableBytes));
    }
    return text;
}

std::optional<Finding> dataLoading(double cpuPercent, const ThroughputStats &stats,
                                   const DiagnosisThresholds &t)
{
    if (!stats.training || stats.dataWaitShare <= t.dataWaitShare)
        return std::nullopt;
    QString text = QCoreApplication::translate(
                       "yolodeck::Diagnosis",
                       "Data loading is the bottleneck: each training step waits %1% of its time "
                       "for images")
                       .arg(percent(stats.dataWaitShare)) +
                   throughputNote(stats) + QLatin1String(". ");
    // Saturated: busier than the threshold, or not one whole core left idle (85% of 2 cores).
    const bool saturated = cpuPercent >= t.cpuSaturatedPercent ||
                           (cpuPercent >= 0 && stats.cores > 0 &&
                            std::floor(stats.cores * (1.0 - cpuPercent / 100.0)) < 1.0);
    const QString cores =
        stats.cores > 0
            ? QCoreApplication::translate("yolodeck::Diagnosis", "%1% of %2 cores")
                  .arg(cpuPercent, 0, 'f', 0)
                  .arg(stats.cores)
            : QCoreApplication::translate("yolodeck::Diagnosis", "%1%").arg(cpuPercent, 0, 'f', 0);
    if (saturated) {
        // More loader threads only share the same busy cores: the work per image must shrink.
        text += QCoreApplication::translate(
                    "yolodeck::Diagnosis",
                    "The CPU is already saturated (%1), so more loader workers cannot help: "
                    "preparing the images is CPU-bound")
                    .arg(cores);
        if (stats.decodeMsPerImage >= 0)
            text += QCoreApplication::translate("yolodeck::Diagnosis",
                                                " (decoding takes %1 ms per image)")
                        .arg(stats.decodeMsPerImage, 0, 'f', 1);
        text += QLatin1String(". ");
        const bool oversized = stats.imgsz > 0 && stats.medianImageSide > 0 &&
                               stats.medianImageSide >= t.oversizedImages * stats.imgsz;
        bool fits = true;
        const QString cache = cacheRamNote(stats, t, &fits);
        if (oversized) {
            const QString data = stats.data.isEmpty() ? QStringLiteral("DATA.yaml") : stats.data;
            text += QCoreApplication::translate(
                        "yolodeck::Diagnosis",
                        "The training images are a median %1 px on their long side, %2× imgsz=%3: "
                        "decoding them costs far more than training at that size. Resize a copy "
                        "of the dataset once with `yolodeck-cli resize data=%4 imgsz=%3` and train "
                        "on the copy")
                        .arg(stats.medianImageSide)
                        .arg(double(stats.medianImageSide) / stats.imgsz, 0, 'f', 0)
                        .arg(stats.imgsz)
                        .arg(data);
            if (!stats.cacheRam && fits)
                text += QCoreApplication::translate(
                            "yolodeck::Diagnosis",
                            ", or use cache=ram (%1), which decodes each image once")
                            .arg(cache.isEmpty()
                                     ? QCoreApplication::translate("yolodeck::Diagnosis",
                                                                   "each image kept at imgsz")
                                     : cache);
            text += QLatin1Char('.');
        } else if (!stats.cacheRam && fits) {
            text +=
                QCoreApplication::translate(
                    "yolodeck::Diagnosis",
                    "Use cache=ram (%1): each image is then decoded once, not every epoch.")
                    .arg(cache.isEmpty() ? QCoreApplication::translate("yolodeck::Diagnosis",
                                                                       "each image kept at imgsz")
                                         : cache);
        } else if (!stats.cacheRam) {
            text += QCoreApplication::translate(
                        "yolodeck::Diagnosis",
                        "cache=ram would not fit (%1). Fewer augmentations or a machine with more "
                        "cores would help.")
                        .arg(cache);
        } else if (stats.decodeMsPerImage >= 0) {
            // Images are still being decoded with cache=ram on: the cache is filling.
            text += QCoreApplication::translate(
                "yolodeck::Diagnosis",
                "cache=ram is on and still filling: each image is decoded once, in the first "
                "epoch, and the epochs after it skip the decoding.");
        } else {
            text += QCoreApplication::translate(
                "yolodeck::Diagnosis",
                "cache=ram is on, so the cost is augmentation: a machine with more cores, "
                "or fewer augmentations (mosaic=0), would help.");
        }
        return Finding{Finding::Rule::DataLoadingBottleneck, text};
    }
    if (cpuPercent >= 0 && stats.cores > 0 && stats.workers >= 0) {
        const int idle = qMax(0, int(std::floor(stats.cores * (1.0 - cpuPercent / 100.0))));
        if (stats.workers < stats.cores) {
            text +=
                QCoreApplication::translate(
                    "yolodeck::Diagnosis", "%1 of the %2 cores are idle (CPU %3%): try workers=%4.")
                    .arg(idle)
                    .arg(stats.cores)
                    .arg(cpuPercent, 0, 'f', 0)
                    .arg(qMin(stats.cores, qMax(2, stats.workers * 2)));
        } else {
            // As many workers as cores and still idle cores: they wait on something else.
            text += QCoreApplication::translate(
                        "yolodeck::Diagnosis",
                        "%1 of the %2 cores are idle (CPU %3%) although workers=%4 already uses "
                        "every core: the loader waits on the disk, not on the CPU.")
                        .arg(idle)
                        .arg(stats.cores)
                        .arg(cpuPercent, 0, 'f', 0)
                        .arg(stats.workers);
            if (!stats.cacheRam)
                text += QCoreApplication::translate("yolodeck::Diagnosis",
                                                    " cache=ram reads each image once.");
        }
        return Finding{Finding::Rule::DataLoadingBottleneck, text};
    }
    if (stats.workers >= 0 && !stats.cacheRam)
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "Try more loader workers (workers=%1) or cache=ram.")
                    .arg(qMax(2, stats.workers * 2));
    else if (stats.workers >= 0)
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "Try more loader workers (workers=%1).")
                    .arg(qMax(2, stats.workers * 2));
    else
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "Try more loader workers or cache=ram.");
    return Finding{Finding::Rule::DataLoadingBottleneck, text};
}

std::optional<Finding> moreWorkersThanCores(const ThroughputStats &stats)
{
    if (!stats.training || stats.cores <= 0 || stats.workers <= stats.cores)
        return std::nullopt;
    const QString text =
        QCoreApplication::translate(
            "yolodeck::Diagnosis",
            "workers=%1 on a machine with %2 CPU cores: loader threads beyond the cores only take "
            "turns on them and hold more images in memory. workers=%2 does the same work "
            "(Ultralytics caps workers at the core count for this reason).")
            .arg(stats.workers)
            .arg(stats.cores);
    return Finding{Finding::Rule::MoreWorkersThanCores, text};
}

std::optional<Finding> slowImageStore(const ThroughputStats &stats, const DiagnosisThresholds &t)
{
    if (!stats.training || stats.cacheRam)
        return std::nullopt;
    const bool slowReads =
        stats.readMsPerImage > t.slowReadMs &&
        stats.readMsPerImage > t.readOverDecode * qMax(0.0, stats.decodeMsPerImage);
    const bool network = !stats.imageStore.isEmpty();
    if (!slowReads && !(network && stats.dataWaitShare > t.dataWaitShare))
        return std::nullopt;
    QString text;
    if (slowReads)
        text = QCoreApplication::translate(
                   "yolodeck::Diagnosis",
                   "Reading the images is slow: %1 ms per image from storage against %2 ms to "
                   "decode it")
                   .arg(stats.readMsPerImage, 0, 'f', 1)
                   .arg(qMax(0.0, stats.decodeMsPerImage), 0, 'f', 1);
    else
        text = QCoreApplication::translate("yolodeck::Diagnosis",
                                           "The images are read over the network");
    if (network)
        text += QCoreApplication::translate("yolodeck::Diagnosis", " (the dataset is on %1)")
                    .arg(stats.imageStore);
    bool fits = true;
    const QString cache = cacheRamNote(stats, t, &fits);
    text +=
        QCoreApplication::translate("yolodeck::Diagnosis", ". Copy the dataset to a local disk");
    if (fits)
        text +=
            cache.isEmpty()
                ? QCoreApplication::translate("yolodeck::Diagnosis",
                                              ", or use cache=ram so each image is read once")
                : QCoreApplication::translate("yolodeck::Diagnosis",
                                              ", or use cache=ram (%1) so each image is read once")
                      .arg(cache);
    text += QLatin1Char('.');
    return Finding{Finding::Rule::SlowImageStore, text};
}

std::optional<Finding> gpuUnderused(const std::vector<SystemSample> &window,
                                    const ThroughputStats &stats, const DiagnosisThresholds &t,
                                    bool dataBound, double cpuPercent)
{
    if (!stats.training || !stats.onCuda)
        return std::nullopt;
    // The busiest GPU is the one training; on several GPUs (data-parallel) each should be busy,
    // but one process only sees its own throughput, so judge the busiest.
    struct Load
    {
        double sum = 0;
        int count = 0;
        QString name;
    };
    std::vector<Load> loads;
    for (const SystemSample &s : window) {
        for (const GpuSample &g : s.gpus) {
            if (!g.utilizationPercent)
                continue;
            if (int(loads.size()) <= g.index)
                loads.resize(size_t(g.index) + 1);
            loads[size_t(g.index)].sum += *g.utilizationPercent;
            ++loads[size_t(g.index)].count;
            loads[size_t(g.index)].name = g.name;
        }
    }
    const Load *busiest = nullptr;
    for (const Load &l : loads) {
        if (l.count >= t.minimumGpuSamples &&
            (!busiest || l.sum / l.count > busiest->sum / busiest->count))
            busiest = &l;
    }
    QString name;
    double average = 0, seconds = 0;
    qint64 memoryUsed = -1, memoryTotal = -1;
    if (busiest) {
        name = busiest->name;
        average = busiest->sum / busiest->count;
        seconds = window.size() >= 2
                      ? (window.back().timestampMs - window.front().timestampMs) / 1000.0
                      : 0.0;
        for (const GpuSample &g : window.back().gpus) {
            if (g.name == busiest->name && g.memoryUsedBytes && g.memoryTotalBytes) {
                memoryUsed = *g.memoryUsedBytes;
                memoryTotal = *g.memoryTotalBytes;
            }
        }
    } else if (stats.gpuSamples >= t.minimumGpuSamples && stats.gpuUtilizationPercent >= 0) {
        // No GPU among this machine's samples: the run's own recorded GPU (about 1 Hz).
        name = stats.gpuName;
        average = stats.gpuUtilizationPercent;
        seconds = stats.gpuSamples;
        memoryUsed = stats.gpuDeviceMemoryUsedBytes;
        memoryTotal = stats.gpuDeviceMemoryTotalBytes;
    } else {
        return std::nullopt;
    }
    if (average >= t.gpuUtilizationPercent)
        return std::nullopt;
    QString text =
        QCoreApplication::translate(
            "yolodeck::Diagnosis",
            "The GPU is under-used: %1 averaged %2% utilisation over the last "
            "%3 s. ")
            .arg(name, QString::number(average, 'f', 0), QString::number(seconds, 'f', 0));
    if (dataBound) {
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "Data loading (above) is the likely cause.");
    } else if (cpuPercent >= t.cpuSaturatedPercent) {
        // The GPU waits for a CPU that is busy with the step itself (host-side work, logging).
        text += QCoreApplication::translate(
                    "yolodeck::Diagnosis",
                    "The CPU is saturated (%1%): the GPU waits for the host, so the batch size "
                    "is not what limits it.")
                    .arg(cpuPercent, 0, 'f', 0);
    } else {
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "A larger batch or image size would use it better");
        if (memoryUsed >= 0 && memoryTotal > 0)
            text += QCoreApplication::translate("yolodeck::Diagnosis",
                                                ": %1 of its %2 GiB of memory are free")
                        .arg(gibibytes(memoryTotal - memoryUsed), gibibytes(memoryTotal));
        text += QLatin1Char('.');
    }
    return Finding{Finding::Rule::GpuUnderused, text};
}

std::optional<Finding> swapping(const std::vector<SystemSample> &window,
                                const DiagnosisThresholds &t)
{
    if (window.size() < 2)
        return std::nullopt;
    const SystemSample &first = window.front();
    const SystemSample &last = window.back();
    const qint64 growth = last.swapUsedBytes() - first.swapUsedBytes();
    const qint64 swappedIn =
        first.swapInPages && last.swapInPages ? *last.swapInPages - *first.swapInPages : 0;
    if (growth <= t.swapGrowthBytes && swappedIn <= t.swapInPages)
        return std::nullopt;
    const double seconds = (last.timestampMs - first.timestampMs) / 1000.0;
    QString text = QCoreApplication::translate("yolodeck::Diagnosis", "The system is swapping: ");
    if (growth > t.swapGrowthBytes)
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "swap use grew from %1 to %2 MiB in %3 s")
                    .arg(mebibytes(first.swapUsedBytes()), mebibytes(last.swapUsedBytes()),
                         QString::number(seconds, 'f', 0));
    else
        text += QCoreApplication::translate("yolodeck::Diagnosis",
                                            "%1 MiB were read back from swap in %2 s")
                    .arg(mebibytes(swappedIn * 4096), QString::number(seconds, 'f', 0));
    text += QCoreApplication::translate(
                "yolodeck::Diagnosis",
                " (RAM %1 of %2 GiB in use). Everything slows down; lower batch or "
                "workers, or turn off cache=ram.")
                .arg(gibibytes(last.memoryUsedBytes()), gibibytes(last.memoryTotalBytes));
    return Finding{Finding::Rule::Swapping, text};
}

std::optional<Finding> gpuMemory(const std::vector<SystemSample> &window,
                                 const ThroughputStats &stats, const DiagnosisThresholds &t)
{
    std::vector<GpuSample> gpus = window.empty() ? std::vector<GpuSample>{} : window.back().gpus;
    if (gpus.empty() && stats.gpuDeviceMemoryUsedBytes >= 0 &&
        stats.gpuDeviceMemoryTotalBytes > 0) {
        // No GPU among this machine's samples: the run's own recorded GPU.
        GpuSample recorded;
        recorded.name = stats.gpuName;
        recorded.memoryUsedBytes = stats.gpuDeviceMemoryUsedBytes;
        recorded.memoryTotalBytes = stats.gpuDeviceMemoryTotalBytes;
        gpus.push_back(recorded);
    }
    for (const GpuSample &g : gpus) {
        const auto share = g.memoryShare();
        if (!share || *share <= t.gpuMemoryShare)
            continue;
        const QString text =
            QCoreApplication::translate(
                "yolodeck::Diagnosis",
                "GPU memory is nearly full on %1: %2 of %3 GiB in use (%4%). A larger "
                "batch or image size will run out of memory.")
                .arg(g.name, gibibytes(*g.memoryUsedBytes), gibibytes(*g.memoryTotalBytes),
                     percent(*share));
        return Finding{Finding::Rule::GpuMemoryNearlyFull, text};
    }
    return std::nullopt;
}

std::optional<Finding> slowerSinceResume(const ThroughputStats &stats, const DiagnosisThresholds &t)
{
    if (stats.epochSecondsBeforeResume.empty() || stats.epochSecondsSinceResume.empty())
        return std::nullopt;
    const double before = mean(stats.epochSecondsBeforeResume);
    const double after = mean(stats.epochSecondsSinceResume);
    if (before <= 0 || after <= before * (1.0 + t.slowerSinceResume))
        return std::nullopt;
    const QString text =
        QCoreApplication::translate(
            "yolodeck::Diagnosis",
            "Epochs are slower since the resume: %1 s per epoch now against %2 s "
            "before (+%3%). Check the device, threads= and workers= of this session.")
            .arg(QString::number(after, 'f', 1), QString::number(before, 'f', 1),
                 percent(after / before - 1.0));
    return Finding{Finding::Rule::SlowerSinceResume, text};
}
} // namespace

double cpuBusyPercent(const std::vector<SystemSample> &window, const ThroughputStats &stats)
{
    double busy = stats.machineCpuPercent;
    if (busy < 0) {
        double sum = 0;
        int count = 0;
        for (const SystemSample &s : window) {
            if (s.cpuPercent) {
                sum += *s.cpuPercent;
                ++count;
            }
        }
        busy = count > 0 ? sum / count : -1;
    }
    if (stats.processCpuPercent >= 0 && stats.cores > 0)
        busy = std::max(busy, std::min(100.0, stats.processCpuPercent / stats.cores));
    return busy;
}

std::vector<Finding> diagnose(const std::vector<SystemSample> &window, const ThroughputStats &stats,
                              const DiagnosisThresholds &thresholds)
{
    std::vector<Finding> out;
    const double cpu = cpuBusyPercent(window, stats);
    const auto data = dataLoading(cpu, stats, thresholds);
    for (const auto &finding :
         {data, moreWorkersThanCores(stats), slowImageStore(stats, thresholds),
          gpuUnderused(window, stats, thresholds, data.has_value(), cpu),
          swapping(window, thresholds), gpuMemory(window, stats, thresholds),
          slowerSinceResume(stats, thresholds)}) {
        if (finding)
            out.push_back(*finding);
    }
    return out;
}

} // namespace yolodeck
