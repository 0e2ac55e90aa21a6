#pragma once

#include "core/compare/checkpointcomparer.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace yolodeck {

// Runs compareCheckpoints() off the GUI thread. Lives in a QThread owned by the ComparisonView;
// requests come in queued, progress and the result go back as queued signals. Each request
// carries a generation number that its reports repeat, so the view can drop the reports of a
// comparison it has since replaced. cancel() may be called from any thread: the comparison polls
// the flag between batches and stages, and a request still waiting in the queue is dropped.
class CompareWorker final : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    // Cancels every request up to and including `generation`, running or queued.
    void cancel(quint64 generation);

public Q_SLOTS:
    void run(const yolodeck::CompareRequest &request, quint64 generation);

Q_SIGNALS:
    void progress(const yolodeck::CompareProgress &progress, quint64 generation);
    void finished(const yolodeck::Comparison &comparison, quint64 generation);
    void failed(const QString &message, quint64 generation);
    void cancelled(quint64 generation);

private:
    std::atomic<bool> m_cancel{false};       // the running request's flag
    std::atomic<quint64> m_cancelledUpTo{0}; // requests up to this generation are cancelled
};

} // namespace yolodeck
