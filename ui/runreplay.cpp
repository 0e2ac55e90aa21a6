#include "ui/runreplay.h"

#include "core/interop/ultralyticsrun.h"
#include "core/runlog/runlog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace yolodeck {

namespace {
std::array<double, 3> triple(const QJsonValue &value)
{
    const QJsonArray a = value.toArray();
    return {a.at(0).toDouble(qQNaN()), a.at(1).toDouble(qQNaN()), a.at(2).toDouble(qQNaN())};
}

// results.csv and args.yaml of a folder Ultralytics trains into: epoch rows, no batches.
RunReplay loadUltralyticsReplay(const QString &runDir)
{
    RunReplay replay;
    replay.runDir = runDir;
    replay.source = QStringLiteral("ultralytics");
    Result<UltralyticsRunInfo> run = readUltralyticsRun(runDir);
    if (!run) {
        replay.error = run.error();
        return replay;
    }
    UltralyticsRunInfo info = run.take();
    replay.runDir = info.runDir;
    replay.history = std::move(info.results.history);
    for (int epoch : info.results.resumedAfter)
        replay.resumeMarkers.push_back(epoch);
    replay.epochs = info.plannedEpochs;
    replay.bestEpoch = info.bestEpoch;
    replay.finished = info.finished;
    return replay;
}
} // namespace

RunReplay loadRunReplay(const QString &path)
{
    RunReplay replay;
    const QFileInfo info(path);
    replay.runDir = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    if (isUltralyticsRunFolder(replay.runDir))
        return loadUltralyticsReplay(replay.runDir);
    const QDir dir(replay.runDir);
    const QString csv = dir.filePath(QStringLiteral("results.csv"));
    const QString events = dir.filePath(QStringLiteral("events.jsonl"));
    if (!QFileInfo::exists(csv) && !QFileInfo::exists(events)) {
        replay.error = QCoreApplication::translate(
                           "yolodeck::RunReplay",
                           "%1 is not a run folder: it has neither results.csv nor events.jsonl.")
                           .arg(replay.runDir);
        return replay;
    }
    if (QFileInfo::exists(csv)) {
        Result<History> history = RunLog::readResults(csv);
        if (history)
            replay.history = history.take();
        else
            replay.error = history.error();
    }

    QFile file(events);
    RunFiguresReader figures;
    if (file.open(QIODevice::ReadOnly)) {
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (line.isEmpty())
                continue;
            // A line being written by a live run may be cut short: skip it.
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            const QString type = e.value(QStringLiteral("type")).toString();
            figures.add(e);
            if (type == QLatin1String("run_start") || type == QLatin1String("run_end"))
                replay.finished = type == QLatin1String("run_end");
            if (type == QLatin1String("run_start")) {
                replay.batchesPerEpoch = e.value(QStringLiteral("batches_per_epoch")).toInt();
                replay.epochs = e.value(QStringLiteral("epochs")).toInt();
                replay.worldSize = qMax(1, e.value(QStringLiteral("world_size")).toInt(1));
                const QString mode = e.value(QStringLiteral("mode")).toString();
                if (mode == QLatin1String("resume") || mode == QLatin1String("branch")) {
                    const int startEpoch = e.value(QStringLiteral("start_epoch")).toInt();
                    const int startBatch = e.value(QStringLiteral("start_batch")).toInt();
                    const double at =
                        startEpoch + (replay.batchesPerEpoch > 0
                                          ? double(startBatch) / replay.batchesPerEpoch
                                          : 0.0);
                    // What the interrupted session did after that point was replaced.
                    auto later = [&](const BatchProgress &b) {
                        // In double: epoch - 1 overflows int for a damaged event's INT_MIN.
                        return double(b.epoch) - 1 + double(b.batch) / qMax(1, b.batches) >
                               at + 1e-9;
                    };
                    replay.batches.erase(
                        std::remove_if(replay.batches.begin(), replay.batches.end(), later),
                        replay.batches.end());
                    replay.resumeMarkers.erase(
                        std::remove_if(replay.resumeMarkers.begin(), replay.resumeMarkers.end(),
                                       [at](double m) { return m > at + 1e-9; }),
                        replay.resumeMarkers.end());
                    replay.resumeMarkers.push_back(at);
                }
            } else if (type == QLatin1String("batch")) {
                BatchProgress b;
                b.epoch = e.value(QStringLiteral("epoch")).toInt();
                b.batch = e.value(QStringLiteral("batch")).toInt();
                b.batches = e.value(QStringLiteral("batches")).toInt();
                // 0 (unknown) unless a whole number that fits: converting 1e300 is undefined.
                b.globalStep = e.value(QStringLiteral("step")).toInteger();
                b.loss = triple(e.value(QStringLiteral("loss")));
                b.lr = triple(e.value(QStringLiteral("lr")));
                b.imagesPerSecond = e.value(QStringLiteral("ips")).toDouble();
                b.dataWaitShare = e.value(QStringLiteral("wait")).toDouble();
                // Data-parallel runs only: each rank's images/s and rank 0's all-reduce share.
                for (const QJsonValue &ips : e.value(QStringLiteral("rank_ips")).toArray())
                    b.rankImagesPerSecond.push_back(ips.toDouble());
                b.commShare = e.value(QStringLiteral("comm")).toDouble();
                if (b.batches > 0)
                    replay.batches.push_back(b);
            }
        }
    }
    replay.figures = figures.figures();
    double bestFitness = -1;
    for (const EpochRecord &r : replay.history) {
        // results.csv has no fitness column (Ultralytics' layout): use the default weights then.
        const double fitness = r.fitness > 0 ? r.fitness : 0.1 * r.map50 + 0.9 * r.map50_95;
        if (fitness > bestFitness) {
            bestFitness = fitness;
            replay.bestEpoch = r.epoch;
        }
    }
    return replay;
}

} // namespace yolodeck
