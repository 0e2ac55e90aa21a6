#include "core/checkpoint/checkpointwriter.h"

#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace yolodeck {

CheckpointWriter::CheckpointWriter()
    : m_thread([this] { run(); })
{}

CheckpointWriter::~CheckpointWriter()
{
    flush();
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

double CheckpointWriter::submit(const QString &path, const CheckpointData &data)
{
    return submit(QStringList{path}, data);
}

namespace {
// A spare set of buffers fits a state when it holds the same keys with the same shapes and dtypes.
bool fits(const std::map<std::string, torch::Tensor> &spare,
          const std::map<std::string, torch::Tensor> &state)
{
    if (spare.size() != state.size())
        return false;
    auto a = spare.begin();
    for (auto b = state.begin(); b != state.end(); ++a, ++b) {
        if (a->first != b->first || !b->second.defined() || !a->second.defined() ||
            a->second.sizes() != b->second.sizes() ||
            a->second.scalar_type() != b->second.scalar_type())
            return false;
    }
    return true;
}
} // namespace

double CheckpointWriter::submit(const QStringList &paths, const CheckpointData &data)
{
    QElapsedTimer timer;
    timer.start();
    CheckpointData copy;
    copy.meta = data.meta;
    copy.historyJson = data.historyJson;
    {
        // Copying into the buffers of a checkpoint already written avoids fresh allocations,
        // whose page faults cost more than the copy itself (bench_checkpoint).
        std::lock_guard lock(m_mutex);
        for (auto it = m_spare.begin(); it != m_spare.end(); ++it) {
            if (fits(*it, data.tensors)) {
                copy.tensors = std::move(*it);
                m_spare.erase(it);
                break;
            }
        }
    }
    try {
        if (!copy.tensors.empty()) {
            torch::NoGradGuard noGrad;
            for (const auto &[name, tensor] : data.tensors)
                copy.tensors[name].copy_(tensor.detach());
        } else {
            for (const auto &[name, tensor] : data.tensors) {
                // A real copy even on the CPU: the trainer updates its parameters in place
                // right after.
                copy.tensors.emplace(
                    name, tensor.defined()
                              ? tensor.detach().to(torch::kCPU, tensor.scalar_type(),
                                                   /*non_blocking=*/false,
                                                   /*copy=*/true, at::MemoryFormat::Contiguous)
                              : tensor);
            }
        }
    } catch (const std::exception &e) {
        const QString key = QFileInfo(paths.value(0)).absoluteFilePath();
        // Out of memory, most likely: nothing is queued, the previous file stays as it is.
        ErrorHandler onError;
        {
            std::lock_guard lock(m_mutex);
            m_stats.submitted += int(paths.size());
            m_stats.failed += int(paths.size());
            onError = m_onError;
        }
        if (onError)
            onError(key, QStringLiteral("%1: cannot copy the state for saving (%2)")
                             .arg(key, QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'),
                                                                                0, 0)));
        return double(timer.nsecsElapsed()) / 1e6;
    }
    const double ms = double(timer.nsecsElapsed()) / 1e6;
    {
        std::lock_guard lock(m_mutex);
        // One copy serves every path (last.pt, best.pt, epochN.pt of the same epoch): the queued
        // entries share the copied tensors.
        for (const QString &path : paths) {
            const QString key = QFileInfo(path).absoluteFilePath();
            auto queued = m_queued.find(key);
            if (queued != m_queued.end()) {
                queued->second = copy;
                ++m_stats.coalesced;
            } else {
                m_queued.emplace(key, copy);
                m_order.push_back(key);
            }
            ++m_stats.submitted;
        }
        m_stats.submitMsTotal += ms;
        m_stats.submitMsMax = std::max(m_stats.submitMsMax, ms);
    }
    m_wake.notify_one();
    return ms;
}

void CheckpointWriter::flush()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return m_order.empty() && m_writing.isEmpty(); });
}

void CheckpointWriter::setErrorHandler(ErrorHandler handler)
{
    std::lock_guard lock(m_mutex);
    m_onError = std::move(handler);
}

void CheckpointWriter::setCompletionHandler(CompletionHandler handler)
{
    std::lock_guard lock(m_mutex);
    m_onComplete = std::move(handler);
}

CheckpointWriter::Stats CheckpointWriter::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void CheckpointWriter::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stop || !m_order.empty(); });
        if (m_order.empty())
            return; // stop requested and nothing left
        const QString path = m_order.front();
        m_order.pop_front();
        auto node = m_queued.extract(path);
        m_writing = path;
        const int inFlight = ++m_inFlight[path];
        m_stats.maxConcurrentWrites = std::max(m_stats.maxConcurrentWrites, inFlight);
        lock.unlock();

        QElapsedTimer timer;
        timer.start();
        const Status saved = saveCheckpointAtomically(path, node.mapped());
        const double ms = double(timer.nsecsElapsed()) / 1e6;
        std::map<std::string, torch::Tensor> buffers = std::move(node.mapped().tensors);
        node = {};

        lock.lock();
        // Keep the buffers for the next submit when no other queued entry shares them (the
        // use count is 1 per map that holds the tensor); at most two spare sets, to bound memory.
        const bool shared = !buffers.empty() && buffers.begin()->second.defined() &&
                            buffers.begin()->second.use_count() > 1;
        if (!shared && !buffers.empty() && m_spare.size() < 2)
            m_spare.push_back(std::move(buffers));
        buffers.clear();
        --m_inFlight[path];
        if (saved) {
            ++m_stats.written;
            m_stats.writeMsTotal += ms;
            m_stats.writeMsMax = std::max(m_stats.writeMsMax, ms);
        } else {
            ++m_stats.failed;
        }
        const ErrorHandler onError = m_onError;
        const CompletionHandler onComplete = m_onComplete;
        // Handlers run without the lock so that they may submit() again.
        lock.unlock();
        if (saved && onComplete)
            onComplete(path, ms);
        else if (!saved && onError)
            onError(path, saved.error());
#if defined(__GLIBC__)
        // A write's buffers (the archive's records, meta.json with the run's history) are freed
        // by now, but glibc keeps the freed pages in this thread's heap. The window also trims
        // once an epoch, on its own thread at the epoch's end; this one runs right after the
        // writer's peak, in every program (the CLI too). Its separate share of the soak's result
        // (make soak) was not measured.
        malloc_trim(0);
#endif
        lock.lock();
        m_writing.clear();
        if (m_order.empty())
            m_idle.notify_all();
    }
}

} // namespace yolodeck
