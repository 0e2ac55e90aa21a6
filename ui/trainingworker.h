#pragma once

#include "core/train/trainconfig.h"
#include "core/train/trainingobserver.h"
#include "ui/resumerequest.h"
#include "ui/runreplay.h"

#include <QObject>

#include <mutex>

namespace yolodeck {

class Trainer;

// Runs the core trainer on the thread it was moved to (TrainingController owns that thread). The
// slots are called through queued connections; while train() or resume() is running, the thread
// is busy inside Trainer::run, so pause and stop come in through requestStop()/setPaused(), which
// are thread-safe and reach the trainer's atomic flags directly. Everything the trainer reports
// leaves as queued signals carrying plain values.
//
// When no run is in progress the same thread does the other slow jobs the window must not do:
// planning a resume (it scans the dataset) and reading a run folder back.
class TrainingWorker final : public QObject
{
    Q_OBJECT

public:
    explicit TrainingWorker(QObject *parent = nullptr);
    ~TrainingWorker() override;

    // Thread-safe. A stop before the trainer exists cancels the run as soon as it is created.
    void requestStop();
    void setPaused(bool paused);

public Q_SLOTS:
    // A new run (or a fine-tune: model= names a .pt). With createDemo, the demo dataset is
    // generated at config.data first when it is missing.
    void train(const yolodeck::TrainConfig &config, bool createDemo);
    // An exact resume (same folder or branch) from a full checkpoint; epochs > 0 extends the run.
    void resume(const QString &checkpoint, int epochs, const QString &data);
    void planResume(const QString &checkpoint, const QString &fallbackData);
    void loadRun(const QString &path);

Q_SIGNALS:
    void runStarted(const yolodeck::RunStarted &started);
    void batchFinished(const yolodeck::BatchProgress &progress);
    void validationProgress(const yolodeck::ValidationProgress &progress);
    void epochFinished(const yolodeck::EpochFinished &finished);
    void checkpointSaved(const yolodeck::CheckpointSaved &saved);
    void message(yolodeck::LogLevel level, const QString &text);
    void runFinished(const yolodeck::RunFinished &finished);
    void resumePlanned(const yolodeck::ResumeRequest &request);
    void runLoaded(const yolodeck::RunReplay &replay);

private:
    class Observer;
    void execute(Trainer &trainer);
    RunFinished failure(const QString &message) const;
    void finishWithoutRun(const RunFinished &done);

    std::mutex m_mutex; // guards m_trainer and the flags below; never held while emitting
    Trainer *m_trainer = nullptr;
    bool m_stopRequested = false;
    bool m_paused = false;
};

} // namespace yolodeck
