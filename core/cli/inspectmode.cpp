#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/common/textutil.h"
#include "core/interop/ultralyticsrun.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {
QString g6(double v)
{
    return std::isfinite(v) ? formatG6(v) : QStringLiteral("-");
}
} // namespace

// A folder Ultralytics trains into (runs/detect/trainN): what its files say, for a user who wants
// to know how far it got and which weights to take.
int CommandLine::inspectUltralyticsRun(const QString &dir)
{
    const Result<UltralyticsRunInfo> read = readUltralyticsRun(dir);
    if (!read) {
        m_err << QStringLiteral("ERROR %1\n").arg(read.error());
        return 2;
    }
    const UltralyticsRunInfo &run = read.value();
    m_out << QStringLiteral("Ultralytics run: %1\n").arg(QDir::toNativeSeparators(run.runDir));
    if (!run.argsError.isEmpty()) {
        m_out << QStringLiteral("args.yaml: unreadable: %1\n").arg(run.argsError);
    } else if (!run.args.isEmpty()) {
        QStringList shown;
        for (const char *key : {"model", "data", "epochs", "imgsz", "batch"}) {
            const QVariant v = run.args.value(QLatin1String(key));
            if (v.isValid())
                shown << QStringLiteral("%1=%2").arg(QLatin1String(key), v.toString());
        }
        m_out << QStringLiteral("args.yaml: %1\n").arg(shown.join(QLatin1Char(' ')));
    } else {
        m_out << QStringLiteral("args.yaml: none\n");
    }

    const QString done = run.plannedEpochs > 0
                             ? QStringLiteral("%1/%2").arg(run.epochsDone()).arg(run.plannedEpochs)
                             : QString::number(run.epochsDone());
    m_out << QStringLiteral("epochs: %1 %2\n")
                 .arg(done, run.finished ? QStringLiteral("(finished)")
                                         : QStringLiteral("(not finished: training, or stopped)"));
    if (!run.results.resumedAfter.empty()) {
        QStringList after;
        for (int e : run.results.resumedAfter)
            after << QString::number(e);
        m_out << QStringLiteral("resumed after epoch: %1\n").arg(after.join(QStringLiteral(", ")));
    }
    if (run.results.history.empty()) {
        m_out << QStringLiteral("results.csv: no epoch finished yet\n");
    } else {
        const History &h = run.results.history;
        const auto best = std::find_if(
            h.begin(), h.end(), [&](const EpochRecord &r) { return r.epoch == run.bestEpoch; });
        if (best != h.end()) {
            m_out << QStringLiteral("best: epoch %1, fitness %2, mAP50 %3, mAP50-95 %4\n")
                         .arg(best->epoch)
                         .arg(formatMetric(best->fitness), formatMetric(best->map50),
                              formatMetric(best->map50_95));
        }
        const EpochRecord &last = h.back();
        m_out << QStringLiteral("last: epoch %1, time %2, precision %3, recall %4, mAP50 %5, "
                                "mAP50-95 %6, fitness %7\n")
                     .arg(last.epoch)
                     .arg(std::isfinite(last.time) ? formatDuration(last.time)
                                                   : QStringLiteral("-"),
                          formatMetric(last.precision), formatMetric(last.recall),
                          formatMetric(last.map50), formatMetric(last.map50_95),
                          formatMetric(last.fitness));
        m_out << QStringLiteral("last losses: train box %1 cls %2 dfl %3, val box %4 cls %5 "
                                "dfl %6\n")
                     .arg(formatMetric(last.trainLoss[0]), formatMetric(last.trainLoss[1]),
                          formatMetric(last.trainLoss[2]), formatMetric(last.valLoss[0]),
                          formatMetric(last.valLoss[1]), formatMetric(last.valLoss[2]));
        m_out << QStringLiteral("last lr: pg0 %1 pg1 %2 pg2 %3\n")
                     .arg(g6(last.lr[0]), g6(last.lr[1]), g6(last.lr[2]));
    }
    m_out << QStringLiteral("weights: %1\n").arg(QDir::toNativeSeparators(run.weightsDir));
    printCheckpointTable(run.runDir);
    return 0;
}

int CommandLine::inspect(const QStringList &args)
{
    QString file;
    bool hash = false;
    for (const QString &a : args) {
        if (a.startsWith(QLatin1String("hash=")))
            hash = a.mid(5).toLower() == QLatin1String("true");
        else if (file.isEmpty())
            file = a;
        else {
            m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true] | "
                                    "inspect RUN_DIR\n");
            return 2;
        }
    }
    if (file.isEmpty()) {
        m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true] | "
                                "inspect RUN_DIR\n");
        return 2;
    }
    if (QFileInfo(file).isDir()) {
        if (isUltralyticsRunFolder(file))
            return inspectUltralyticsRun(file);
        m_err << QStringLiteral("ERROR %1 is a folder, not an Ultralytics run folder: inspect "
                                "takes a checkpoint FILE or an Ultralytics RUN_DIR "
                                "(`yolodeck-cli checkpoints %1` lists a YoloDeck run's "
                                "checkpoints)\n")
                     .arg(file);
        return 2;
    }
    const Result<QJsonObject> meta = readCheckpointMeta(file);
    if (!meta) {
        m_err << QStringLiteral("ERROR %1\n").arg(meta.error());
        return 2;
    }
    QJsonObject shown = meta.value();
    shown.remove(QStringLiteral("history")); // long; results.csv holds it
    m_out << QJsonDocument(shown).toJson(QJsonDocument::Indented);
    m_out << QStringLiteral("history: %1 epochs\n")
                 .arg(meta.value().value(QStringLiteral("history")).toArray().size());
    // Verifying the archive means reading every tensor record.
    const Result<CheckpointData> data = loadCheckpoint(file);
    if (!data) {
        m_err << QStringLiteral("ERROR %1\n").arg(data.error());
        return 2;
    }
    qint64 bytes = 0;
    for (const auto &[key, t] : data.value().tensors)
        bytes += qint64(t.numel() * t.element_size());
    m_out << QStringLiteral("archive ok: %1 tensors, %2 MB of tensor data\n")
                 .arg(data.value().tensors.size())
                 .arg(bytes / 1e6, 0, 'f', 2);
    if (hash) {
        for (const char *prefix : {"model.", "ema."}) {
            const Result<QString> h = tensorsHash(data.value(), prefix);
            if (h)
                m_out << QStringLiteral("sha256(%1*) %2\n").arg(QLatin1String(prefix), h.value());
        }
    }
    return 0;
}

} // namespace yolodeck
