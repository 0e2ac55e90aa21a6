#pragma once

#include "core/checkpoint/checkpointfile.h"

#include <QString>
#include <QStringList>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace yolodeck {

// Saves checkpoints on a background thread so that training never waits for the disk
// (DESIGN.md §4: "Saving runs off the training thread").
//
// submit() copies the tensors to the CPU and returns: the caller may then keep changing its own
// tensors. Files are written one at a time with saveCheckpointAtomically(), in submission order.
// A path is never written twice at once; a submission for a path that is still queued replaces
// the queued data (only the newest last.pt matters), while a write already running finishes first
// and the newer data is written after it.
//
// The handlers run on the writer thread (except for a failure to copy the tensors in submit(),
// which is reported on the caller's thread): they must be thread-safe and must not call flush().
class CheckpointWriter
{
public:
    using ErrorHandler = std::function<void(const QString &path, const QString &error)>;
    using CompletionHandler = std::function<void(const QString &path, double writeMs)>;

    struct Stats
    {
        int submitted = 0;
        int written = 0;
        int failed = 0;
        int coalesced = 0;           // queued submissions replaced by a newer one for the same path
        int maxConcurrentWrites = 0; // of one path; 1 by design, checked by the tests
        double submitMsTotal = 0;    // time callers spent inside submit() (copying tensors)
        double submitMsMax = 0;
        double writeMsTotal = 0;
        double writeMsMax = 0;
    };

    CheckpointWriter();
    // Writes everything still queued, then stops the thread.
    ~CheckpointWriter();
    CheckpointWriter(const CheckpointWriter &) = delete;
    CheckpointWriter &operator=(const CheckpointWriter &) = delete;

    // Queues data for path and returns the milliseconds the caller was held up (the tensor copy:
    // mostly first-touch page faults of the new buffers, ~0.2 s for 100 MB on a small machine).
    double submit(const QString &path, const CheckpointData &data);
    // The same state under several names (last.pt, best.pt, epochN.pt of one epoch): one copy.
    double submit(const QStringList &paths, const CheckpointData &data);

    // Blocks until every submitted checkpoint is written or has failed.
    void flush();

    void setErrorHandler(ErrorHandler handler);
    void setCompletionHandler(CompletionHandler handler);

    Stats stats() const;

private:
    void run();

    mutable std::mutex m_mutex;
    std::condition_variable m_wake; // work arrived or stop requested
    std::condition_variable m_idle; // the queue drained
    std::deque<QString> m_order;    // paths in submission order, each once
    std::map<QString, CheckpointData> m_queued;
    QString m_writing; // path being written now; empty when idle
    bool m_stop = false;
    ErrorHandler m_onError;
    CompletionHandler m_onComplete;
    Stats m_stats;
    std::map<QString, int> m_inFlight; // writes running per path, to check the invariant
    std::vector<std::map<std::string, torch::Tensor>> m_spare; // buffers of written checkpoints
    std::thread m_thread; // last: starts after every member above exists
};

} // namespace yolodeck
