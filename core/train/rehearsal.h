#pragma once

#include "core/train/resumeplanner.h"
#include "core/train/trainingobserver.h"

#include <QMap>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace yolodeck {

// A resume tried for real before trusting it with a long run (the resume checklist): the resume
// is planned with every usual check, then trained for a few batches in a scratch folder that is
// never the run folder and is always removed, and compared with what the run recorded.
struct RehearsalOptions
{
    QString checkpoint;
    QMap<QString, QString> overrides; // as train resume=FILE takes them (threads=1 force=true ...)
    int batches = 10;                 // or to the end of the epoch, whichever comes first
    const std::atomic<bool> *cancel = nullptr;
    std::function<void(const BatchProgress &)> progress; // each rehearsed batch
};

struct RehearsalReport
{
    bool ok = false; // planned and trained (even if it is not exact)
    QString error;   // why not
    ResumePlan plan; // the checks and warnings a real resume would show
    bool cancelled = false;
    int batches = 0; // rehearsed
    double secondsPerBatch = 0;
    double imagesPerSecond = 0;
    double dataWaitShare = 0; // mean share of the step spent waiting for data
    double peakRssMb = 0;
    QString gpuMemory;                // "n/a (CPU)", or the peak NVML saw for this process
    std::vector<BatchProgress> steps; // the rehearsed batches, losses included
    // Against events.jsonl: batches the run recorded after the checkpoint's position.
    int compared = 0;
    int firstDifferent = -1; // index into steps, -1 when all compared batches are equal
    QString difference;      // "epoch 2 batch 3: box 1.2345678 vs 1.2345679"
    QString likelyCause;     // when different
    QString verdict;         // one line: "exact: ...", "NOT exact: ...", "not compared: ..."
    QString scratchDir;      // where it trained (removed before rehearse() returns)

    QString toText() const;
};

RehearsalReport rehearse(const RehearsalOptions &options);

} // namespace yolodeck
