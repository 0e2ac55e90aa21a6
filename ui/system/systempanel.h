#pragma once

#include "core/monitor/diagnosis.h"
#include "core/monitor/runfigures.h"
#include "core/monitor/systemsample.h"

#include <QWidget>

#include <deque>
#include <vector>

class QGridLayout;
class QGroupBox;
class QLabel;

namespace yolodeck {

class Sparkline;
class SystemMonitor;

// A data-parallel run's processes as the System tab shows them (from RunStarted and BatchProgress,
// or from a followed run's events.jsonl).
struct ProcessStats
{
    int worldSize = 1;                       // training processes; 1 hides the rows
    std::vector<double> rankImagesPerSecond; // each rank's images/s, rank 0 first; empty: unknown
    double commShare = -1;                   // share of rank 0's step in all-reduce; < 0: unknown
};

// The System tab: one row per GPU (utilisation, memory, temperature, power), the machine (CPU,
// RAM, swap, this process), the trainer's throughput and data-wait share, each with a sparkline of
// the last minutes, the processes of a data-parallel run (each rank's images/s and the share of a
// step spent in all-reduce), and the diagnosis in plain words. Shows what the SystemMonitor
// reports; a value NVML did not give is shown as a dash.
class SystemPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit SystemPanel(QWidget *parent = nullptr);

    void setMonitor(SystemMonitor *monitor);

    void showSample(const SystemSample &sample);
    void showFindings(const std::vector<Finding> &findings);
    // The window sets it when a run starts and with each throughput update; a one-process run
    // hides the rows.
    void showProcesses(const ProcessStats &stats);
    // A run this window follows but does not train (File → Open Run on a live run): which process
    // and machine, what it costs there, and its throughput, all from its events.jsonl. A run on
    // another machine hides this machine's GPU and System rows, which would not be its own.
    void showWatchedRun(const RunFigures &figures);
    void clearWatchedRun();
    bool isWatching() const { return m_watching; }

    // Read-outs, for tests and the status bar.
    int gpuRowCount() const { return int(m_gpuRows.size()); }
    QString gpuRowText(int row) const; // the row's labels joined by " | "
    QString gpuStatusText() const;
    QString systemText() const;
    QString diagnosisText() const;
    // "2 · all-reduce 12% of each step | rank 0 512 img/s · rank 1 498 img/s"; empty when hidden.
    QString processesText() const;
    // "pid 4242 on node-3 (another machine) | 97% of 2 cores | 1.2 GiB | —"; empty when hidden.
    QString watchedText() const;
    QString throughputText() const; // "123.4 | 45% of each step"
    bool machineRowsShown() const;  // the GPU and System boxes

private:
    struct GpuRow
    {
        QLabel *name = nullptr;
        QLabel *utilization = nullptr;
        Sparkline *utilizationLine = nullptr;
        QLabel *memory = nullptr;
        Sparkline *memoryLine = nullptr;
        QLabel *temperature = nullptr;
        QLabel *power = nullptr;
    };
    void rebuildGpuRows(const SystemSample &sample);
    std::vector<double> historyOf(double (*get)(const SystemSample &, int), int index) const;

    SystemMonitor *m_monitor = nullptr;
    QGroupBox *m_gpuBox = nullptr;
    QGridLayout *m_gpuGrid = nullptr;
    QLabel *m_gpuStatus = nullptr;
    std::vector<GpuRow> m_gpuRows;
    QLabel *m_cpu = nullptr;
    Sparkline *m_cpuLine = nullptr;
    QLabel *m_ram = nullptr;
    Sparkline *m_ramLine = nullptr;
    QLabel *m_swap = nullptr;
    Sparkline *m_swapLine = nullptr;
    QLabel *m_process = nullptr;
    QLabel *m_imagesPerSecond = nullptr;
    Sparkline *m_imagesLine = nullptr;
    QLabel *m_dataWait = nullptr;
    Sparkline *m_dataWaitLine = nullptr;
    QLabel *m_processesName = nullptr;
    QLabel *m_processes = nullptr;
    QLabel *m_rankThroughputName = nullptr;
    QLabel *m_rankThroughput = nullptr;
    QLabel *m_diagnosis = nullptr;
    QGroupBox *m_systemBox = nullptr;
    QGroupBox *m_watchBox = nullptr;
    QLabel *m_watchProcess = nullptr;
    QLabel *m_watchCpu = nullptr;
    QLabel *m_watchMemory = nullptr;
    QLabel *m_watchGpuMemory = nullptr;
    bool m_watching = false;
    ProcessState m_watchState = ProcessState::Unknown;
    qint64 m_watchPid = 0;
    std::deque<std::pair<double, double>> m_throughputHistory; // images/s, wait share
    std::deque<SystemSample> m_localHistory; // when no monitor is attached (tests, replay)
};

} // namespace yolodeck
