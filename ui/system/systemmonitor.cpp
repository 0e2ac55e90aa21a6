#include "ui/system/systemmonitor.h"

#include "ui/metatypes.h"
#include "ui/system/systemsamplingworker.h"

namespace yolodeck {

SystemMonitor::SystemMonitor(QObject *parent, int intervalMs)
    : QObject(parent)
    , m_worker(new SystemSamplingWorker(intervalMs))
{
    registerMetaTypes();
    m_thread.setObjectName(QStringLiteral("SystemMonitor"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &SystemMonitor::requestStart, m_worker, &SystemSamplingWorker::start);
    connect(this, &SystemMonitor::requestStop, m_worker, &SystemSamplingWorker::stop);
    connect(m_worker, &SystemSamplingWorker::sampled, this, &SystemMonitor::onSampled);
}

SystemMonitor::~SystemMonitor()
{
    if (m_thread.isRunning())
        stop();
    else
        delete m_worker; // never started: it owns nothing yet
}

void SystemMonitor::start()
{
    if (!m_thread.isRunning())
        m_thread.start(QThread::LowPriority);
    Q_EMIT requestStart();
}

void SystemMonitor::stop()
{
    if (!m_thread.isRunning())
        return;
    // Queued after any pending sample: NVML is shut down on the thread that opened it, then the
    // thread ends and deletes the worker.
    Q_EMIT requestStop();
    m_thread.quit();
    m_thread.wait();
    m_worker = nullptr;
}

void SystemMonitor::setThroughput(const ThroughputStats &stats, bool onThisMachine)
{
    m_throughput = stats;
    m_onThisMachine = onThisMachine;
    rediagnose();
}

void SystemMonitor::onSampled(const SystemSample &sample)
{
    m_history.push_back(sample);
    while (!m_history.empty() &&
           sample.timestampMs - m_history.front().timestampMs > kHistorySeconds * 1000)
        m_history.pop_front();
    Q_EMIT sampleReady(sample);
    rediagnose();
}

void SystemMonitor::rediagnose()
{
    std::vector<SystemSample> window;
    const qint64 newest = m_history.empty() ? 0 : m_history.back().timestampMs;
    for (const SystemSample &s : m_history) {
        if (m_onThisMachine && newest - s.timestampMs <= kDiagnosisSeconds * 1000)
            window.push_back(s);
    }
    std::vector<Finding> findings = diagnose(window, m_throughput);
    auto same = [](const std::vector<Finding> &a, const std::vector<Finding> &b) {
        if (a.size() != b.size())
            return false;
        for (size_t i = 0; i < a.size(); ++i) {
            if (a[i].rule != b[i].rule || a[i].text != b[i].text)
                return false;
        }
        return true;
    };
    // The panel's text also depends on whether training runs ("healthy" vs "starts when
    // training runs"), so a change of that state is news even with no finding either way.
    if (same(findings, m_findings) && m_reportedTraining == m_throughput.training)
        return;
    m_reportedTraining = m_throughput.training;
    m_findings = std::move(findings);
    Q_EMIT findingsChanged(m_findings);
}

} // namespace yolodeck
