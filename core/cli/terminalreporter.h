#pragma once

#include "core/train/trainingobserver.h"

#include <QTextStream>

#include <mutex>

namespace yolodeck {

// Prints a run: a live progress line per batch on a terminal, one line per epoch otherwise.
class TerminalReporter final : public TrainingObserver
{
public:
    TerminalReporter(QTextStream &out, QTextStream &err, bool interactive)
        : m_out(out)
        , m_err(err)
        , m_interactive(interactive)
    {}

    void runStarted(const RunStarted &s) override;
    void batchFinished(const BatchProgress &p) override;
    void validationProgress(const ValidationProgress &v) override;
    void epochFinished(const EpochFinished &e) override;
    void checkpointSaved(const CheckpointSaved &c) override;
    void message(LogLevel level, const QString &text) override;
    void runFinished(const RunFinished &f) override;

private:
    void closeLine();

    QTextStream &m_out;
    QTextStream &m_err;
    bool m_interactive;
    bool m_lineOpen = false;
    std::mutex m_mutex;
};

} // namespace yolodeck
