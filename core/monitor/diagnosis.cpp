#include "core/monitor/diagnosis.h"

#include <QCoreApplication>

#include <algorithm>
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

double mean(const std::vector<double> &values)
{
    return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

std::optional<Finding> dataLoading(const ThroughputStats &stats, const DiagnosisThresholds &t)
{
    if (!stats.training || stats.dataWaitShare <= t.dataWaitShare)
        return std::nullopt;
    QString text = QCoreApplication::translate(
                       "yolodeck::Diagnosis",
                       "Data loading is the bottleneck: each training step waits %1% of "
                       "its time for images")
                       .arg(percent(stats.dataWaitShare));
    if (stats.imagesPerSecond >= 0)
        text += QCoreApplication::translate("yolodeck::Diagnosis", " (%1 images/s")
                    .arg(stats.imagesPerSecond, 0, 'f', 1);
    if (stats.workers >= 0)
        text += QCoreApplication::translate("yolodeck::Diagnosis", " with %1 loader workers")
                    .arg(stats.workers);
    if (stats.imagesPerSecond >= 0 || stats.workers >= 0)
        text += QLatin1Char(')');
    text += QLatin1String(". ");
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

std::optional<Finding> gpuUnderused(const std::vector<SystemSample> &window,
                                    const ThroughputStats &stats, const DiagnosisThresholds &t,
                                    bool dataBound)
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
    if (!busiest)
        return std::nullopt;
    const double average = busiest->sum / busiest->count;
    if (average >= t.gpuUtilizationPercent)
        return std::nullopt;
    const double seconds = window.size() >= 2
                               ? (window.back().timestampMs - window.front().timestampMs) / 1000.0
                               : 0.0;
    QString text =
        QCoreApplication::translate(
            "yolodeck::Diagnosis",
            "The GPU is under-used: %1 averaged %2% utilisation over the last "
            "%3 s. ")
            .arg(busiest->name, QString::number(average, 'f', 0), QString::number(seconds, 'f', 0));
    text += dataBound
                ? QCoreApplication::translate("yolodeck::Diagnosis",
                                              "Data loading (above) is the likely cause.")
                : QCoreApplication::translate("yolodeck::Diagnosis",
                                              "A larger batch or image size would use it better.");
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
                                 const DiagnosisThresholds &t)
{
    if (window.empty())
        return std::nullopt;
    for (const GpuSample &g : window.back().gpus) {
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

std::vector<Finding> diagnose(const std::vector<SystemSample> &window, const ThroughputStats &stats,
                              const DiagnosisThresholds &thresholds)
{
    std::vector<Finding> out;
    const auto data = dataLoading(stats, thresholds);
    for (const auto &finding : {data, gpuUnderused(window, stats, thresholds, data.has_value()),
                                swapping(window, thresholds), gpuMemory(window, thresholds),
                                slowerSinceResume(stats, thresholds)}) {
        if (finding)
            out.push_back(*finding);
    }
    return out;
}

} // namespace yolodeck
