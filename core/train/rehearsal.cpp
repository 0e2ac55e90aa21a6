#include "core/train/rehearsal.h"

#include "core/monitor/nvmllibrary.h"
#include "core/train/trainer.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <map>

#include <sys/resource.h>
#include <unistd.h>

namespace yolodeck {

namespace {

class RehearsalObserver final : public TrainingObserver
{
public:
    RehearsalObserver(Trainer &trainer, const RehearsalOptions &o)
        : m_trainer(trainer)
        , m_options(o)
    {}
    void runStarted(const RunStarted &s) override { device = s.device; }
    void batchFinished(const BatchProgress &p) override
    {
        steps.push_back(p);
        // What nvidia-smi would list for this process, CUDA context included: the figure that
        // decides whether a batch size fits the card.
        if (const std::optional<qint64> bytes = m_nvml.processMemoryBytes(qint64(getpid())))
            gpuPeakBytes = std::max(gpuPeakBytes, *bytes);
        if (m_options.progress)
            m_options.progress(p);
        if ((m_options.cancel && m_options.cancel->load()) ||
            int(steps.size()) >= m_options.batches)
            m_trainer.requestStop();
    }
    void message(LogLevel level, const QString &text) override
    {
        if (level != LogLevel::Info)
            warnings << text;
    }
    std::vector<BatchProgress> steps;
    QStringList warnings;
    QString device;
    qint64 gpuPeakBytes = -1;

private:
    Trainer &m_trainer;
    const RehearsalOptions &m_options;
    NvmlLibrary m_nvml; // used on the training thread only, as NVML requires
};

// (epoch, batch) -> recorded losses, from the run's events.jsonl; later sessions overwrite earlier
// ones, as the run's results do. Also the thread count and device of the session that wrote them.
struct Recorded
{
    std::map<std::pair<int, int>, std::array<double, 3>> losses;
    int threads = 0;
    QString device;
};

Recorded readRecorded(const QString &runDir)
{
    Recorded out;
    QFile f(runDir + QStringLiteral("/events.jsonl"));
    if (!f.open(QIODevice::ReadOnly))
        return out;
    while (!f.atEnd()) {
        const QJsonObject e = QJsonDocument::fromJson(f.readLine()).object();
        const QString type = e.value(QStringLiteral("type")).toString();
        if (type == QLatin1String("run_start")) {
            out.threads = e.value(QStringLiteral("threads")).toInt(out.threads);
            out.device = e.value(QStringLiteral("device")).toString(out.device);
        } else if (type == QLatin1String("batch")) {
            const QJsonArray l = e.value(QStringLiteral("loss")).toArray();
            if (l.size() == 3)
                out.losses[{e.value(QStringLiteral("epoch")).toInt(),
                            e.value(QStringLiteral("batch")).toInt()}] = {
                    l[0].toDouble(), l[1].toDouble(), l[2].toDouble()};
        }
    }
    return out;
}

} // namespace

QString RehearsalReport::toText() const
{
    if (!ok)
        return QStringLiteral("Rehearsal failed: %1\n").arg(error);
    QString out;
    for (const QString &c : plan.checks)
        out += QStringLiteral("  ok  %1\n").arg(c);
    for (const QString &w : plan.warnings)
        out += QStringLiteral("  !!  %1\n").arg(w);
    out += QStringLiteral("Rehearsed %1 %2%3 in a scratch folder (removed)\n")
               .arg(batches)
               .arg(batches == 1 ? QStringLiteral("batch") : QStringLiteral("batches"))
               .arg(cancelled ? QStringLiteral(" before Cancel") : QString());
    out += QStringLiteral("  %1 s per batch, %2 images/s, %3% of each step waiting for data\n")
               .arg(secondsPerBatch, 0, 'f', 3)
               .arg(imagesPerSecond, 0, 'f', 1)
               .arg(dataWaitShare * 100, 0, 'f', 0);
    out += QStringLiteral("  peak memory %1 MB; GPU memory %2\n")
               .arg(peakRssMb, 0, 'f', 0)
               .arg(gpuMemory);
    for (const BatchProgress &s : steps)
        out += QStringLiteral("  epoch %1 batch %2: box %3 cls %4 dfl %5\n")
                   .arg(s.epoch)
                   .arg(s.batch)
                   .arg(s.loss[0], 0, 'g', 9)
                   .arg(s.loss[1], 0, 'g', 9)
                   .arg(s.loss[2], 0, 'g', 9);
    out += verdict + QLatin1Char('\n');
    return out;
}

RehearsalReport rehearse(const RehearsalOptions &o)
{
    RehearsalReport r;
    r.plan = ResumePlanner::plan(o.checkpoint, o.overrides);
    if (r.plan.mode != ResumePlan::Mode::Continue && r.plan.mode != ResumePlan::Mode::Branch) {
        r.error = r.plan.summary();
        return r;
    }
    // Never the run folder: a private temporary one, removed whatever happens.
    QTemporaryDir scratch(QDir::tempPath() + QStringLiteral("/yolodeck-rehearsal-XXXXXX"));
    if (!scratch.isValid()) {
        r.error = QStringLiteral("cannot create a scratch folder in %1: %2")
                      .arg(QDir::tempPath(), scratch.errorString());
        return r;
    }
    r.scratchDir = scratch.path();
    const QString originalRun =
        QFileInfo(QFileInfo(r.plan.checkpoint).absolutePath()).fileName() ==
                QLatin1String("weights")
            ? QFileInfo(QFileInfo(r.plan.checkpoint).absolutePath()).absolutePath()
            : r.plan.info.meta.value(QStringLiteral("run_dir")).toString();
    ResumePlan plan = r.plan;
    plan.runDir = scratch.filePath(QStringLiteral("run"));
    plan.config.tensorboard = false;
    const int startEpoch = plan.info.meta.value(QStringLiteral("epoch")).toInt();
    const int startBatch = plan.info.meta.value(QStringLiteral("batch")).toInt();
    const int nb = plan.info.meta.value(QStringLiteral("batches_per_epoch")).toInt();
    RehearsalOptions limited = o;
    // To the end of the epoch at most: validation is not what a rehearsal measures.
    if (nb > 0)
        limited.batches = std::max(1, std::min(o.batches, nb - startBatch));
    {
        Trainer trainer(plan);
        RehearsalObserver observer(trainer, limited);
        if (o.cancel && o.cancel->load())
            trainer.requestStop();
        const RunFinished done = trainer.run(&observer);
        if (done.failed) {
            r.error = done.message;
            return r;
        }
        r.steps = observer.steps;
        if (observer.gpuPeakBytes >= 0)
            r.gpuMemory = QStringLiteral("%1 MB peak on the GPU (NVML, CUDA context included)")
                              .arg(observer.gpuPeakBytes / 1048576);
        else if (observer.device.startsWith(QLatin1String("cuda")))
            r.gpuMemory = QStringLiteral("not reported by the driver (%1)").arg(observer.device);
        else
            r.gpuMemory = QStringLiteral("n/a (%1)").arg(observer.device.toUpper());
    }
    r.ok = true;
    r.cancelled = o.cancel && o.cancel->load();
    r.batches = int(r.steps.size());
    double seconds = 0, wait = 0, ips = 0;
    for (const BatchProgress &s : r.steps) {
        seconds += s.stepMs / 1000.0;
        wait += s.dataWaitShare;
        ips += s.imagesPerSecond;
    }
    if (r.batches > 0) {
        r.secondsPerBatch = seconds / r.batches;
        r.dataWaitShare = wait / r.batches;
        r.imagesPerSecond = ips / r.batches;
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    r.peakRssMb = usage.ru_maxrss / 1024.0;

    // Compare with what the run recorded after the checkpoint's position.
    const Recorded recorded = readRecorded(originalRun);
    for (size_t i = 0; i < r.steps.size(); ++i) {
        const BatchProgress &s = r.steps[i];
        const auto it = recorded.losses.find({s.epoch, s.batch});
        if (it == recorded.losses.end())
            break;
        ++r.compared;
        if (it->second != s.loss && r.firstDifferent < 0) {
            r.firstDifferent = int(i);
            r.difference = QStringLiteral("epoch %1 batch %2: box %3 vs %4 recorded")
                               .arg(s.epoch)
                               .arg(s.batch)
                               .arg(s.loss[0], 0, 'g', 17)
                               .arg(it->second[0], 0, 'g', 17);
        }
    }
    const int threadsThen = r.plan.info.meta.value(QStringLiteral("threads")).toInt();
    const int threadsNow = plan.config.threads;
    QStringList causes;
    if (threadsThen > 0 && threadsNow > 0 && threadsThen != threadsNow)
        causes << QStringLiteral("thread count %1 -> %2").arg(threadsThen).arg(threadsNow);
    const QString torchThen = r.plan.info.meta.value(QStringLiteral("torch_version")).toString();
    for (const QString &w : r.plan.warnings) {
        if (w.startsWith(QLatin1String("OpenBLAS threads")))
            causes << w.section(QLatin1Char(':'), 0, 0);
        else if (w.startsWith(QLatin1String("LibTorch")))
            causes << QStringLiteral("LibTorch version (%1)").arg(torchThen);
    }
    const QString deviceThen = r.plan.info.meta.value(QStringLiteral("device")).toString();
    if (!plan.config.device.isEmpty() && !deviceThen.isEmpty() &&
        !deviceThen.startsWith(plan.config.device))
        causes << QStringLiteral("device %1 -> %2").arg(deviceThen, plan.config.device);
    if (!r.plan.overridden.isEmpty())
        causes << QStringLiteral("forced overrides (%1)")
                      .arg(r.plan.overridden.join(QStringLiteral(", ")));
    if (r.plan.worldSizeChanged)
        causes << QStringLiteral("another number of training processes");
    r.likelyCause = causes.isEmpty()
                        ? QStringLiteral("unknown (nondeterministic kernels? device=cuda "
                                         "needs deterministic=true)")
                        : causes.join(QStringLiteral("; "));
    if (r.compared == 0)
        r.verdict =
            QStringLiteral("not compared: the run recorded no batch after epoch %1 batch %2; "
                           "the plan says the resume is %3")
                .arg(startEpoch + (startBatch > 0 ? 1 : 0))
                .arg(startBatch)
                .arg(r.plan.exact ? QStringLiteral("exact") : QStringLiteral("NOT exact"));
    else if (r.firstDifferent < 0)
        r.verdict =
            r.compared == 1
                ? QStringLiteral("exact: the first batch matches the original run bit for bit")
                : QStringLiteral("exact: the first %1 batches match the original run bit for bit")
                      .arg(r.compared);
    else
        r.verdict = QStringLiteral("NOT exact: %1 (batch %2 of %3 compared); likely cause: %4")
                        .arg(r.difference)
                        .arg(r.firstDifferent + 1)
                        .arg(r.compared)
                        .arg(r.likelyCause);
    return r;
}

} // namespace yolodeck
