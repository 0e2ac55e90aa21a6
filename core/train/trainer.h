#pragma once

#include "core/common/result.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainconfig.h"
#include "core/train/trainingobserver.h"

#include <QtGlobal>

#include <atomic>
#include <functional>
#include <memory>

namespace yolodeck {

// Runs one training session: a new run, an exact resume, a branch from an older checkpoint, or a
// fine-tune (see DESIGN.md §4). No torch types here, so the window can own a Trainer.
// run() blocks the calling thread (the window's worker thread, or the CLI's main thread);
// requestStop() and setPaused() may be called from any thread and act between batches.
class Trainer
{
public:
    // A new run (model= a scale), or a fine-tune (model= a .pt file).
    explicit Trainer(TrainConfig config);
    // A resume planned by ResumePlanner (Continue or Branch; FineTune starts a new run).
    explicit Trainer(ResumePlan plan);
    ~Trainer();
    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    // Trains until the last epoch, early stopping, a stop request or a failure. Every expected
    // failure (bad data, incompatible checkpoint, ...) comes back as RunFinished::failed with a
    // message; exceptions never escape.
    RunFinished run(TrainingObserver *observer);

    // Stop at the next batch boundary: last.pt is saved at that batch, then run() returns.
    void requestStop();
    void setPaused(bool paused);
    bool isPaused() const;

    // Fault injection for tests: when the predicate returns true for (epoch, batch), both 1-based,
    // that batch's loss is made NaN, as a diverging run or a corrupt sample would.
    void setNonFiniteLossInjector(std::function<bool(int epoch, int batch)> predicate);
    // For tests that compare batch splits (one process vs a job of several): BatchNorm layers
    // train on their running statistics, so an image's forward pass does not depend on the other
    // images of its batch. Reaches every rank of a job.
    void setBatchNormFrozen(bool frozen);
    // For tests: the free bytes of the folder checkpoints are saved in (default: the file
    // system's), so a nearly full disk can be simulated.
    void setFreeSpaceProbe(std::function<qint64(const QString &folder)> probe);

private:
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace yolodeck
