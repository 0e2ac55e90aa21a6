#pragma once

#include "core/train/trainconfig.h"
#include "core/train/trainingobserver.h"
#include "ui/resumerequest.h"
#include "ui/runreplay.h"

#include <QObject>
#include <QThread>

namespace yolodeck {

class TrainingWorker;

// The window's handle on training: owns the worker thread and the TrainingWorker living on it,
// forwards requests to it (queued) and its reports back (queued, on the GUI thread), and tracks
// the run's state. The destructor asks a running trainer to stop (it saves last.pt at the current
// batch), then quits and joins the thread.
class TrainingController final : public QObject
{
    Q_OBJECT

public:
    enum class State
    {
        Idle,
        Starting,
        Running,
        Paused,
        Stopping
    };
    Q_ENUM(State)

    explicit TrainingController(QObject *parent = nullptr);
    ~TrainingController() override;

    State state() const { return m_state; }
    bool isBusy() const { return m_state != State::Idle; }

    void start(const TrainConfig &config, bool createDemo = false);
    // data: a data.yaml to use instead of the checkpoint's own (only for another tool's run,
    // whose data.yaml may not exist on this machine; empty otherwise).
    void resume(const QString &checkpoint, int epochs, const QString &data = QString());
    void setPaused(bool paused);
    void stop();
    // Jobs for the worker thread when no run is in progress; refused (false) while one is.
    // fallbackData: the Dataset field, used when the checkpoint is another tool's (an
    // Ultralytics last.pt) and its own data.yaml is not on this machine.
    bool planResume(const QString &checkpoint, const QString &fallbackData = QString());
    bool loadRun(const QString &path);
    // Stops a run and waits for the thread to finish (closing the window).
    void shutdown();

Q_SIGNALS:
    void stateChanged(yolodeck::TrainingController::State state);
    void runStarted(const yolodeck::RunStarted &started);
    void batchFinished(const yolodeck::BatchProgress &progress);
    void validationProgress(const yolodeck::ValidationProgress &progress);
    void epochFinished(const yolodeck::EpochFinished &finished);
    void checkpointSaved(const yolodeck::CheckpointSaved &saved);
    void message(yolodeck::LogLevel level, const QString &text);
    void runFinished(const yolodeck::RunFinished &finished);
    void resumePlanned(const yolodeck::ResumeRequest &request);
    void runLoaded(const yolodeck::RunReplay &replay);

    // To the worker (queued).
    void requestTrain(const yolodeck::TrainConfig &config, bool createDemo);
    void requestResume(const QString &checkpoint, int epochs, const QString &data);
    void requestPlanResume(const QString &checkpoint, const QString &fallbackData);
    void requestLoadRun(const QString &path);

private:
    void setState(State state);

    QThread m_thread;
    TrainingWorker *m_worker = nullptr;
    State m_state = State::Idle;
    bool m_helperJob = false; // a plan or load is running on the worker thread
};

} // namespace yolodeck
