#include "ui/trainingworker.h"

#include "core/data/synthdataset.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "ui/metatypes.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <exception>

namespace yolodeck {

// Turns the trainer's callbacks (on this thread) into the worker's signals. Emitting from the
// worker thread to receivers on the GUI thread queues a copy of each value.
class TrainingWorker::Observer final : public TrainingObserver
{
public:
    explicit Observer(TrainingWorker *worker)
        : m_worker(worker)
    {}
    void runStarted(const RunStarted &v) override { Q_EMIT m_worker->runStarted(v); }
    void batchFinished(const BatchProgress &v) override { Q_EMIT m_worker->batchFinished(v); }
    void validationProgress(const ValidationProgress &v) override
    {
        Q_EMIT m_worker->validationProgress(v);
    }
    void epochFinished(const EpochFinished &v) override { Q_EMIT m_worker->epochFinished(v); }
    void checkpointSaved(const CheckpointSaved &v) override { Q_EMIT m_worker->checkpointSaved(v); }
    void message(LogLevel level, const QString &text) override
    {
        Q_EMIT m_worker->message(level, text);
    }
    // runFinished is emitted by execute() from run()'s return value, exactly once, also when
    // the trainer fails before it could call back.
    void runFinished(const RunFinished &) override {}

private:
    TrainingWorker *m_worker;
};

TrainingWorker::TrainingWorker(QObject *parent)
    : QObject(parent)
{
    registerMetaTypes();
}

TrainingWorker::~TrainingWorker() = default;

void TrainingWorker::requestStop()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopRequested = true;
    if (m_trainer)
        m_trainer->requestStop();
}

void TrainingWorker::setPaused(bool paused)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_paused = paused;
    if (m_trainer)
        m_trainer->setPaused(paused);
}

RunFinished TrainingWorker::failure(const QString &message) const
{
    RunFinished done;
    done.failed = true;
    done.message = message;
    return done;
}

void TrainingWorker::finishWithoutRun(const RunFinished &done)
{
    {
        // A stop that was meant for this run must not cancel the next one.
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopRequested = false;
        m_paused = false;
    }
    Q_EMIT runFinished(done);
}

void TrainingWorker::execute(Trainer &trainer)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_trainer = &trainer;
        if (m_stopRequested)
            trainer.requestStop();
        trainer.setPaused(m_paused);
    }
    Observer observer(this);
    RunFinished done;
    // The worker boundary: whatever escapes the trainer becomes a failure with a message, never
    // an abort of the window (STYLE.md habit 5).
    try {
        done = trainer.run(&observer);
    } catch (const std::exception &e) {
        done = failure(QCoreApplication::translate("yolodeck::TrainingWorker",
                                                   "Training stopped by an internal error: %1")
                           .arg(QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0)));
    } catch (...) {
        done = failure(QCoreApplication::translate(
            "yolodeck::TrainingWorker", "Training stopped by an unknown internal error."));
    }
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_trainer = nullptr;
        m_stopRequested = false;
        m_paused = false;
    }
    Q_EMIT runFinished(done);
}

void TrainingWorker::train(const TrainConfig &config, bool createDemo)
{
    if (createDemo && !QFileInfo::exists(config.data)) {
        Q_EMIT message(LogLevel::Info,
                       QCoreApplication::translate("yolodeck::TrainingWorker",
                                                   "Writing the demo dataset to %1…")
                           .arg(QFileInfo(config.data).absolutePath()));
        SynthOptions options;
        options.dir = QFileInfo(config.data).absolutePath();
        const Status written = writeSynthDataset(options);
        if (!written) {
            finishWithoutRun(failure(written.error()));
            return;
        }
    }
    try {
        Trainer trainer(config);
        execute(trainer);
    } catch (const std::exception &e) {
        finishWithoutRun(failure(QString::fromLocal8Bit(e.what())));
    }
}

void TrainingWorker::resume(const QString &checkpoint, int epochs, const QString &data)
{
    QMap<QString, QString> overrides;
    if (epochs > 0)
        overrides.insert(QStringLiteral("epochs"), QString::number(epochs));
    if (!data.isEmpty())
        overrides.insert(QStringLiteral("data"), data);
    ResumePlan plan;
    try {
        plan = ResumePlanner::plan(checkpoint, overrides);
    } catch (const std::exception &e) {
        finishWithoutRun(failure(QString::fromLocal8Bit(e.what())));
        return;
    }
    if (plan.mode != ResumePlan::Mode::Continue && plan.mode != ResumePlan::Mode::Branch) {
        finishWithoutRun(failure(plan.summary()));
        return;
    }
    try {
        Trainer trainer(plan);
        execute(trainer);
    } catch (const std::exception &e) {
        finishWithoutRun(failure(QString::fromLocal8Bit(e.what())));
    }
}

void TrainingWorker::planResume(const QString &checkpoint, const QString &fallbackData)
{
    // ---- Hook: core ResumePlanner → the dialog's plain ResumeRequest. ----
    // The dialog knows nothing of the planner; if the planner's API changes, only this block
    // changes.
    ResumeRequest request;
    request.checkpoint = QFileInfo(checkpoint).absoluteFilePath();
    try {
        ResumePlan plan = ResumePlanner::plan(checkpoint, {});
        // Another tool's run (an Ultralytics last.pt) names a data.yaml that may only exist on
        // the machine it trained on: the Dataset field stands in for it, and the dialog says so.
        if (plan.mode == ResumePlan::Mode::Refused &&
            plan.info.source != QLatin1String("yolodeck") && plan.info.isResumable() &&
            !fallbackData.isEmpty()) {
            ResumePlan withData =
                ResumePlanner::plan(checkpoint, {{QStringLiteral("data"), fallbackData}});
            if (withData.mode == ResumePlan::Mode::Branch) {
                withData.warnings.prepend(
                    tr("the run's own data.yaml cannot be used here; the Dataset field's %1 "
                       "takes its place")
                        .arg(QDir::toNativeSeparators(fallbackData)));
                plan = withData;
                request.dataOverride = fallbackData;
            }
        }
        // A finished run's final epochN.pt is refused only because there is nothing left to
        // train: offer it with one more epoch, and the dialog lets the user raise the total.
        if (plan.mode == ResumePlan::Mode::Refused && plan.info.isResumable() &&
            plan.info.batch == 0 && plan.info.epoch >= plan.epochs && plan.epochs > 0) {
            const ResumePlan extended = ResumePlanner::plan(
                checkpoint, {{QStringLiteral("epochs"), QString::number(plan.info.epoch + 1)}});
            if (extended.mode == ResumePlan::Mode::Continue ||
                extended.mode == ResumePlan::Mode::Branch)
                plan = extended;
        }
        switch (plan.mode) {
        case ResumePlan::Mode::Continue:
            request.action = ResumeRequest::Action::Continue;
            break;
        case ResumePlan::Mode::Branch:
            request.action = ResumeRequest::Action::Branch;
            break;
        case ResumePlan::Mode::FineTune:
            request.action = ResumeRequest::Action::FineTune;
            break;
        case ResumePlan::Mode::Refused:
            request.action = ResumeRequest::Action::Refused;
            break;
        }
        request.runDir = plan.runDir;
        request.completedEpochs = plan.info.epoch;
        request.completedBatch = plan.info.batch;
        request.epochs = plan.epochs;
        request.exact = plan.exact;
        request.foreign = plan.info.source == QLatin1String("ultralytics");
        request.canFineTune = plan.info.isValid();
        request.summary = plan.summary();
        request.checks = plan.checks;
        request.warnings = plan.warnings;
        request.problems = plan.problems;
    } catch (const std::exception &e) {
        request.action = ResumeRequest::Action::Refused;
        request.problems << QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0);
    }
    // ---- end of hook ----
    Q_EMIT resumePlanned(request);
}

void TrainingWorker::loadRun(const QString &path)
{
    Q_EMIT runLoaded(loadRunReplay(path));
}

} // namespace yolodeck
