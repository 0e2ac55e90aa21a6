#pragma once

#include "core/monitor/diagnosis.h"
#include "core/monitor/systemsample.h"

#include <QObject>
#include <QThread>

#include <deque>
#include <vector>

namespace yolodeck {

class SystemSamplingWorker;

// Samples the machine once a second on its own thread and keeps the last minutes on the GUI
// side, where it also runs the (pure, cheap) diagnosis over the last minute together with the
// trainer's throughput. Samples arrive through queued signals as values; nothing here blocks.
class SystemMonitor final : public QObject
{
    Q_OBJECT

public:
    static constexpr int kHistorySeconds = 300;  // what the sparklines show
    static constexpr int kDiagnosisSeconds = 60; // what the rules judge

    explicit SystemMonitor(QObject *parent = nullptr, int intervalMs = 1000);
    ~SystemMonitor() override;

    // Starts sampling (once per monitor); stop() ends the thread for good.
    void start();
    void stop();
    bool isRunning() const { return m_thread.isRunning(); }

    const std::deque<SystemSample> &history() const { return m_history; }
    const ThroughputStats &throughput() const { return m_throughput; }
    const std::vector<Finding> &findings() const { return m_findings; }

    // The trainer's side of the diagnosis, updated by the window from training progress or from
    // a watched run's events.jsonl. `onThisMachine` false (a run another machine trains): the
    // samples of this machine do not describe it and the rules leave them out.
    void setThroughput(const ThroughputStats &stats, bool onThisMachine = true);

Q_SIGNALS:
    void sampleReady(const yolodeck::SystemSample &sample);
    void findingsChanged(const std::vector<yolodeck::Finding> &findings);
    void requestStart();
    void requestStop();

private:
    void onSampled(const SystemSample &sample);
    void rediagnose();

    QThread m_thread;
    SystemSamplingWorker *m_worker = nullptr;
    std::deque<SystemSample> m_history;
    ThroughputStats m_throughput;
    std::vector<Finding> m_findings;
    bool m_reportedTraining = false;
    bool m_onThisMachine = true;
};

} // namespace yolodeck
