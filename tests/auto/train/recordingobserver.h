#pragma once

#include "core/train/trainingobserver.h"

#include <QStringList>

#include <functional>
#include <mutex>
#include <vector>

// Test double for TrainingObserver: records what the trainer reported and can act on a batch
// (e.g. request a stop at a chosen position).
class RecordingObserver final : public yolodeck::TrainingObserver
{
public:
    std::function<void(const yolodeck::BatchProgress &)> onBatch;

    void runStarted(const yolodeck::RunStarted &s) override { started.push_back(s); }
    void batchFinished(const yolodeck::BatchProgress &p) override
    {
        batches.push_back(p);
        if (onBatch)
            onBatch(p);
    }
    void epochFinished(const yolodeck::EpochFinished &e) override { epochs.push_back(e); }
    void checkpointSaved(const yolodeck::CheckpointSaved &c) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        checkpoints.push_back(c);
    }
    void message(yolodeck::LogLevel level, const QString &text) override
    {
        std::lock_guard<std::mutex> lock(mutex);
        (level == yolodeck::LogLevel::Info ? infos : warnings) << text;
    }
    void runFinished(const yolodeck::RunFinished &f) override { finished.push_back(f); }

    std::vector<yolodeck::RunStarted> started;
    std::vector<yolodeck::BatchProgress> batches;
    std::vector<yolodeck::EpochFinished> epochs;
    std::vector<yolodeck::CheckpointSaved> checkpoints;
    std::vector<yolodeck::RunFinished> finished;
    QStringList infos;
    QStringList warnings;
    std::mutex mutex;
};
