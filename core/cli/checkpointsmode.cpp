#include "core/checkpoint/checkpointmeta.h"
#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/interop/ultralyticsrun.h"

#include <QFileInfo>

namespace yolodeck {

void CommandLine::printCheckpointTable(const QString &dir)
{
    const std::vector<CheckpointInfo> list = listCheckpoints(dir);
    m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                 .arg(QStringLiteral("file"), -14)
                 .arg(QStringLiteral("kind"), -8)
                 .arg(QStringLiteral("epoch"), 5)
                 .arg(QStringLiteral("batch"), 5)
                 .arg(QStringLiteral("mAP50"), 7)
                 .arg(QStringLiteral("mAP50-95"), 8)
                 .arg(QStringLiteral("fitness"), 7)
                 .arg(QStringLiteral("size"), 9)
                 .arg(QStringLiteral("time"));
    for (const CheckpointInfo &c : list) {
        const QString file = QFileInfo(c.path).fileName();
        if (!c.isValid()) {
            m_out << QStringLiteral("%1 unreadable: %2\n").arg(file, -14).arg(c.error);
            continue;
        }
        m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                     .arg(file, -14)
                     .arg(c.kind, -8)
                     .arg(c.epoch, 5)
                     .arg(c.batch, 5)
                     .arg(formatMetric(c.map50), 7)
                     .arg(formatMetric(c.map50_95), 8)
                     .arg(formatMetric(c.fitness), 7)
                     .arg(QStringLiteral("%1 MB").arg(c.size / 1e6, 0, 'f', 1), 9)
                     .arg(c.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")));
    }
    if (list.empty())
        m_out << QStringLiteral("(no checkpoints in %1)\n").arg(dir);
}

int CommandLine::checkpoints(const QStringList &args)
{
    if (args.size() != 1) {
        m_err << QStringLiteral("ERROR usage: yolodeck-cli checkpoints RUN_DIR\n");
        return 2;
    }
    if (!QFileInfo(args[0]).isDir()) {
        m_err << QStringLiteral("ERROR %1: no such folder\n").arg(args[0]);
        return 2;
    }
    printCheckpointTable(args[0]);
    // What results.csv adds for a run Ultralytics writes: its files carry no YoloDeck history.
    if (isUltralyticsRunFolder(args[0])) {
        const Result<UltralyticsRunInfo> run = readUltralyticsRun(args[0]);
        if (!run) {
            m_out << QStringLiteral("Ultralytics run: %1\n").arg(run.error());
        } else {
            const UltralyticsRunInfo &r = run.value();
            QString line =
                QStringLiteral("Ultralytics run: %1 epochs in results.csv")
                    .arg(r.plannedEpochs > 0
                             ? QStringLiteral("%1/%2").arg(r.epochsDone()).arg(r.plannedEpochs)
                             : QString::number(r.epochsDone()));
            if (r.bestEpoch > 0)
                line += QStringLiteral(", best epoch %1 (fitness %2)")
                            .arg(r.bestEpoch)
                            .arg(formatMetric(r.bestFitness));
            m_out << line << QLatin1Char('\n');
        }
    }
    return 0;
}

} // namespace yolodeck
