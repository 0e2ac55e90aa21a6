#pragma once

#include "core/monitor/diagnosis.h"

#include <QJsonObject>
#include <QString>

#include <deque>
#include <optional>
#include <vector>

namespace yolodeck {

// A run's speed and host figures read back from its events.jsonl: what the window shows for a run
// it only watches (one that yolodeck-cli or a job on a server trains), what `yolodeck-cli doctor
// run=DIR` judges, and what the trainer sums up at the end of a run. The trainer records every
// figure the diagnosis needs (core/train/trainer.cpp: run_start and batch lines), so these are
// diagnosed by the same rules as the window's own run.
struct RunFigures
{
    bool started = false;  // a run_start line was read
    bool finished = false; // the newest session wrote run_end
    qint64 pid = 0;        // the training process (run_start), 0 when not recorded
    QString host;          // its machine's host name
    QString device;        // "cpu", "cuda:0", ...
    double lastWall = 0;   // seconds since 1970 of the newest line
    // The trainer's own cost, from the newest batch line that carries it.
    std::optional<double> processCpuPercent; // 100 = one core
    std::optional<qint64> residentBytes;
    std::optional<qint64> gpuMemoryBytes;
    // The rules' input over the last kRecentSeconds of batches, and over the newest session.
    // Images/s and the waiting share are weighted by each step's length: the loader delivers in
    // bursts (a slow batch, then prefetched ones at once), and a plain mean of per-batch shares
    // would count a 2 s wait and a 0 ms wait alike.
    ThroughputStats recent;
    ThroughputStats session;
    // images/s and waiting share (0..100) of the newest batches, oldest first, for sparklines.
    struct Point
    {
        double wall = 0;
        double imagesPerSecond = 0;
        double waitPercent = 0;
    };
    std::vector<Point> points;
};

// Reads events one at a time, in file order; sessions (run_start lines) and resumes are followed
// as the charts follow them. A line a live run is still writing is simply not given.
class RunFiguresReader
{
public:
    static constexpr double kRecentSeconds = 30; // what "recent" covers, in the run's wall time
    static constexpr size_t kMaxPoints = 300;

    void add(const QJsonObject &event);
    RunFigures figures() const;

private:
    struct BatchFigures
    {
        double wall = 0;
        double ips = -1;
        double wait = -1;
        double weight = 1; // the step's length (step_ms) when recorded: shares are time-weighted
        double readMs = -1;
        double decodeMs = -1;
        double machineCpu = -1;
        double processCpu = -1;
        qint64 memoryAvailable = -1;
        qint64 gpuMemory = -1;
        double gpuUtil = -1;
        qint64 gpuUsed = -1;
        qint64 gpuTotal = -1;
    };
    static ThroughputStats averaged(ThroughputStats base, const std::deque<BatchFigures> &batches,
                                    size_t from);

    RunFigures m_run;
    ThroughputStats m_base;             // what run_start says, shared by both averages
    std::deque<BatchFigures> m_batches; // the newest session's batches (bounded, see add())
    struct Sum
    {
        double ips = 0, wait = 0, weight = 0;
        int count = 0;
        double readMs = 0, decodeMs = 0;
        int decodeCount = 0;
        double machineCpu = 0;
        int cpuCount = 0;
    } m_session;
    std::vector<std::pair<int, double>> m_epochs; // (epoch, seconds), later sessions replace
    int m_sessionStartEpoch = 0;
    bool m_resumed = false;
};

// Reads the whole events.jsonl at `path` (torn or foreign lines are skipped). Nothing started
// when the file is missing.
RunFigures readRunFigures(const QString &path);

// Whether `host` (run_start's "host") names this machine.
bool isThisMachine(const QString &host);

// Whether process `pid` still runs, asked only on this machine: Unknown for another host or no pid.
enum class ProcessState
{
    Unknown,
    Running,
    Gone,
};
ProcessState processState(qint64 pid, const QString &host);

} // namespace yolodeck
