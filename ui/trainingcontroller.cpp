#include "ui/trainingcontroller.h"

#include "ui/metatypes.h"
#include "ui/trainingworker.h"

namespace yolodeck {

TrainingController::TrainingController(QObject *parent)
    : QObject(parent)
    , m_worker(new TrainingWorker)
{
    registerMetaTypes();
    m_thread.setObjectName(QStringLiteral("Training"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);

    connect(this, &TrainingController::requestTrain, m_worker, &TrainingWorker::train);
    connect(this, &TrainingController::requestResume, m_worker, &TrainingWorker::resume);
    connect(this, &TrainingController::requestPlanResume, m_worker, &TrainingWorker::planResume);
    connect(this, &TrainingController::requestLoadRun, m_worker, &TrainingWorker::loadRun);

    connect(m_worker, &TrainingWorker::runStarted, this, [this](const RunStarted &started) {
        if (m_state == State::Starting)
            setState(State::Running);
        Q_EMIT runStarted(started);
    });
    connect(m_worker, &TrainingWorker::batchFinished, this, &TrainingController::batchFinished);
    connect(m_worker, &TrainingWorker::validationProgress, this,
            &TrainingController::validationProgress);
    connect(m_worker, &TrainingWorker::epochFinished, this, &TrainingController::epochFinished);
    connect(m_worker, &TrainingWorker::checkpointSaved, this, &TrainingController::checkpointSaved);
    connect(m_worker, &TrainingWorker::message, this, &TrainingController::message);
    connect(m_worker, &TrainingWorker::runFinished, this, [this](const RunFinished &finished) {
        setState(State::Idle);
        Q_EMIT runFinished(finished);
    });
    connect(m_worker, &TrainingWorker::resumePlanned, this, [this](const ResumeRequest &r) {
        m_helperJob = false;
        Q_EMIT resumePlanned(r);
    });
    connect(m_worker, &TrainingWorker::runLoaded, this, [this](const RunReplay &r) {
        m_helperJob = false;
        Q_EMIT runLoaded(r);
    });
    m_thread.start();
}

TrainingController::~TrainingController()
{
    shutdown();
}

void TrainingController::shutdown()
{
    if (!m_thread.isRunning())
        return;
    // Ask first (last.pt is written at the current batch), then let the thread's event loop end
    // after run() has returned.
    m_worker->setPaused(false);
    m_worker->requestStop();
    m_thread.quit();
    m_thread.wait();
}

void TrainingController::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void TrainingController::start(const TrainConfig &config, bool createDemo)
{
    if (isBusy() || m_helperJob)
        return;
    setState(State::Starting);
    Q_EMIT requestTrain(config, createDemo);
}

void TrainingController::resume(const QString &checkpoint, int epochs, const QString &data)
{
    if (isBusy() || m_helperJob)
        return;
    setState(State::Starting);
    Q_EMIT requestResume(checkpoint, epochs, data);
}

void TrainingController::setPaused(bool paused)
{
    if (m_state != State::Running && m_state != State::Paused)
        return;
    m_worker->setPaused(paused);
    setState(paused ? State::Paused : State::Running);
}

void TrainingController::stop()
{
    if (!isBusy())
        return;
    m_worker->setPaused(false);
    m_worker->requestStop();
    setState(State::Stopping);
}

bool TrainingController::planResume(const QString &checkpoint, const QString &fallbackData)
{
    if (isBusy() || m_helperJob)
        return false;
    m_helperJob = true;
    Q_EMIT requestPlanResume(checkpoint, fallbackData);
    return true;
}

bool TrainingController::loadRun(const QString &path)
{
    if (isBusy() || m_helperJob)
        return false;
    m_helperJob = true;
    Q_EMIT requestLoadRun(path);
    return true;
}

} // namespace yolodeck
