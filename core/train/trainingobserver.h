#pragma once

#include "core/runlog/epochrecord.h"

#include <QJsonObject>
#include <QString>

#include <array>
#include <vector>

namespace yolodeck {

// What the trainer reports while it runs. Plain values: the window turns them into queued Qt
// signals, the CLI prints them. Callbacks run on the training thread, except checkpointSaved and
// the messages about checkpoint writes, which come from the checkpoint writer's thread. Each must
// return quickly; none is called while the trainer holds a lock.

enum class LogLevel
{
    Info,
    Warning,
    Error
};

struct RunStarted
{
    QString runDir;
    QString device;    // "cpu", "cuda:0 (NVIDIA H100)" ...
    QString modelName; // "YOLOv8n"
    qint64 parameters = 0;
    int nc = 0;
    int epochs = 0;
    int startEpoch = 0; // completed epochs before this session (0 for a new run)
    int startBatch = 0; // batch of the interrupted epoch where this session starts
    int batchesPerEpoch = 0;
    int trainImages = 0;
    int valImages = 0;
    int threads = 1;
    QString engine; // the training engine: "oneDNN" or "LibTorch" (YoloModelImpl::trainingEngine)
    int workers = 0;
    int worldSize = 1; // training processes (data-parallel ranks)
    QString mode;      // "new", "resume", "branch", "fine-tune"
    bool exact = true; // false for a forced resume
    History history;   // epochs already done (resume/branch): the charts start from these
    QJsonObject event; // the run_start line of events.jsonl, "type" and "wall" included
};

struct BatchProgress
{
    int epoch = 0; // 1-based epoch being trained
    int epochs = 0;
    int batch = 0; // 1-based batch just finished
    int batches = 0;
    qint64 globalStep = 0;            // batches done since the run began, across resumes
    std::array<double, 3> loss{};     // this batch: box, cls, dfl (gains applied)
    std::array<double, 3> meanLoss{}; // running mean over this epoch
    std::array<double, 3> lr{};
    int instances = 0;
    double imagesPerSecond = 0;
    double dataWaitShare = 0; // share of the step spent waiting for the loader, 0..1
    double stepMs = 0;
    double etaSeconds = 0; // to the end of the run
    bool skipped = false;  // non-finite loss: the step was skipped
    // Data-parallel runs: each rank's images/s over its previous step (rank 0 first), and the
    // share of this step rank 0 spent in collectives (gradient all-reduce and the step's flags).
    std::vector<double> rankImagesPerSecond;
    double commShare = 0;
    // The batch line of events.jsonl ("type" and "wall" included): with the host figures the
    // trainer samples about once a second (core/monitor/runfigures.h reads them).
    QJsonObject event;
};

struct ValidationProgress
{
    int epoch = 0;
    int batch = 0;
    int batches = 0;
};

struct EpochFinished
{
    EpochRecord record;
    int epochs = 0;
    bool isBest = false;
    double epochSeconds = 0;
    int patienceLeft = 0;
};

struct CheckpointSaved
{
    QString path;
    QString kind;  // full | weights
    int epoch = 0; // completed epochs
    int batch = 0; // batch within the next epoch (mid-epoch stop), else 0
    bool ok = true;
    QString error;
    double writeMs = 0;   // on the writer thread
    double blockedMs = 0; // time the training thread was held up
};

struct RunFinished
{
    QString runDir;
    int epochsDone = 0;
    bool stopped = false;      // the user stopped it (Stop / Ctrl+C)
    bool earlyStopped = false; // patience ran out
    bool failed = false;
    QString message; // the reason, for a failure; a summary otherwise
    double bestFitness = 0;
    int bestEpoch = 0;
};

class TrainingObserver
{
public:
    virtual ~TrainingObserver() = default;
    virtual void runStarted(const RunStarted &) {}
    virtual void batchFinished(const BatchProgress &) {}
    virtual void validationProgress(const ValidationProgress &) {}
    virtual void epochFinished(const EpochFinished &) {}
    virtual void checkpointSaved(const CheckpointSaved &) {}
    virtual void message(LogLevel, const QString &) {}
    virtual void runFinished(const RunFinished &) {}
};

} // namespace yolodeck
