#include "core/cli/terminalreporter.h"

#include "core/cli/modearguments.h"
#include "core/common/textutil.h"
#include "version.h"

namespace yolodeck {

void TerminalReporter::runStarted(const RunStarted &s)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << QStringLiteral("YoloDeck %1 · %2 · %3 classes · %4 parameters · %5 (%6 threads, %7 "
                            "workers, %8 training engine)\n")
                 .arg(QStringLiteral(YOLODECK_VERSION), s.modelName)
                 .arg(s.nc)
                 .arg(s.parameters)
                 .arg(s.device)
                 .arg(s.threads)
                 .arg(s.workers)
                 .arg(s.engine);
    if (s.worldSize > 1)
        m_out << QStringLiteral("data-parallel: %1 processes, each with the numbers above and "
                                "batch / %1 images per step\n")
                     .arg(s.worldSize);
    m_out << QStringLiteral("%1 run: %2 train / %3 val images, %4 batches per epoch, epochs "
                            "%5..%6 → %7\n")
                 .arg(s.mode)
                 .arg(s.trainImages)
                 .arg(s.valImages)
                 .arg(s.batchesPerEpoch)
                 .arg(s.startEpoch + 1)
                 .arg(s.epochs)
                 .arg(s.runDir);
    if (!s.exact)
        m_out << QStringLiteral("NOTE: this resume is not exact (forced overrides or another "
                                "number of processes)\n");
    m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                 .arg(QStringLiteral("Epoch"), 9)
                 .arg(QStringLiteral("box_loss"), 9)
                 .arg(QStringLiteral("cls_loss"), 9)
                 .arg(QStringLiteral("dfl_loss"), 9)
                 .arg(QStringLiteral("P"), 7)
                 .arg(QStringLiteral("R"), 7)
                 .arg(QStringLiteral("mAP50  mAP50-95  time"));
    m_out.flush();
}

void TerminalReporter::batchFinished(const BatchProgress &p)
{
    if (!m_interactive)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    constexpr int width = 20;
    const int filled = p.batches > 0 ? width * p.batch / p.batches : 0;
    const QString bar =
        QString(filled, QLatin1Char('#')) + QString(width - filled, QLatin1Char('.'));
    m_out << QStringLiteral("\r%1 %2 %3 %4 [%5] %6/%7 %8 img/s ETA %9   ")
                 .arg(QStringLiteral("%1/%2").arg(p.epoch).arg(p.epochs), 9)
                 .arg(p.meanLoss[0], 9, 'f', 4)
                 .arg(p.meanLoss[1], 9, 'f', 4)
                 .arg(p.meanLoss[2], 9, 'f', 4)
                 .arg(bar)
                 .arg(p.batch)
                 .arg(p.batches)
                 .arg(p.imagesPerSecond, 0, 'f', 1)
                 .arg(formatDuration(p.etaSeconds));
    m_out.flush();
    m_lineOpen = true;
}

void TerminalReporter::validationProgress(const ValidationProgress &v)
{
    if (!m_interactive)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    m_out << QStringLiteral("\r%1 validating %2/%3%4")
                 .arg(QString(), 9)
                 .arg(v.batch)
                 .arg(v.batches)
                 .arg(QString(60, QLatin1Char(' ')));
    m_out.flush();
    m_lineOpen = true;
}

void TerminalReporter::epochFinished(const EpochFinished &e)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    closeLine();
    const EpochRecord &r = e.record;
    m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
                 .arg(QStringLiteral("%1/%2").arg(r.epoch).arg(e.epochs), 9)
                 .arg(r.trainLoss[0], 9, 'f', 4)
                 .arg(r.trainLoss[1], 9, 'f', 4)
                 .arg(r.trainLoss[2], 9, 'f', 4)
                 .arg(r.precision, 7, 'f', 3)
                 .arg(r.recall, 7, 'f', 3)
                 .arg(r.map50, 6, 'f', 3)
                 .arg(r.map50_95, 9, 'f', 3)
                 .arg(QStringLiteral("%1s%2")
                          .arg(e.epochSeconds, 0, 'f', 1)
                          .arg(e.isBest ? QStringLiteral("  best") : QString()));
    m_out.flush();
}

void TerminalReporter::checkpointSaved(const CheckpointSaved &c)
{
    if (c.ok)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    closeLine();
    m_err << QStringLiteral("ERROR checkpoint %1 not saved: %2\n").arg(c.path, c.error);
    m_err.flush();
}

void TerminalReporter::message(LogLevel level, const QString &text)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    closeLine();
    if (level == LogLevel::Info) {
        m_out << text << '\n';
        m_out.flush();
    } else {
        m_err << (level == LogLevel::Warning ? QStringLiteral("WARNING ")
                                             : QStringLiteral("ERROR "))
              << text << '\n';
        m_err.flush();
    }
}

void TerminalReporter::runFinished(const RunFinished &f)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    closeLine();
    if (f.failed) {
        m_err << QStringLiteral("ERROR %1\n").arg(f.message);
        m_err.flush();
        return;
    }
    m_out << f.message << '\n';
    if (f.bestEpoch > 0)
        m_out << QStringLiteral("Best epoch %1 (fitness %2)\n")
                     .arg(f.bestEpoch)
                     .arg(formatG6(f.bestFitness));
    m_out.flush();
}

void TerminalReporter::closeLine()
{
    if (m_lineOpen) {
        m_out << '\r' << QString(110, QLatin1Char(' ')) << '\r';
        m_lineOpen = false;
    }
}

} // namespace yolodeck
