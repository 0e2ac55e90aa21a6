#include "ui/compare/compareworker.h"

#include <exception>

namespace yolodeck {

void CompareWorker::cancel(quint64 generation)
{
    quint64 previous = m_cancelledUpTo.load();
    while (previous < generation && !m_cancelledUpTo.compare_exchange_weak(previous, generation)) {
    }
    m_cancel.store(true);
}

void CompareWorker::run(const CompareRequest &request, quint64 generation)
{
    m_cancel.store(false);
    // A cancel that came while this request waited in the queue (re-checked after the reset, as
    // cancel() may have run in between).
    if (generation <= m_cancelledUpTo.load()) {
        Q_EMIT cancelled(generation);
        return;
    }
    // The worker boundary: whatever the evaluation throws becomes a failure with its message
    // (STYLE.md habit 5), never a crash of the window.
    try {
        Result<Comparison> result = compareCheckpoints(
            request,
            [this, generation](const CompareProgress &p) { Q_EMIT progress(p, generation); },
            &m_cancel);
        if (m_cancel.load() || generation <= m_cancelledUpTo.load())
            Q_EMIT cancelled(generation);
        else if (!result)
            Q_EMIT failed(result.error(), generation);
        else
            Q_EMIT finished(result.value(), generation);
    } catch (const std::exception &e) {
        Q_EMIT failed(tr("The comparison failed: %1").arg(QString::fromLocal8Bit(e.what())),
                      generation);
    }
}

} // namespace yolodeck
