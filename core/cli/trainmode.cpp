#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/cli/terminalreporter.h"
#include "core/dist/distsettings.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"

#include <QProcessEnvironment>

#include <atomic>
#include <unistd.h>

namespace yolodeck {

namespace {
// The training that Ctrl+C stops; set only while train() runs.
std::atomic<Trainer *> g_activeTrainer{nullptr};

// Ranks > 0 of a job: rank 0 speaks for the run; these only say why they fail.
class WorkerReporter final : public TrainingObserver
{
public:
    WorkerReporter(QTextStream &err, int rank)
        : m_err(err)
        , m_rank(rank)
    {}
    void message(LogLevel level, const QString &text) override
    {
        if (level == LogLevel::Error)
            m_err << QStringLiteral("[rank %1] ERROR %2\n").arg(m_rank).arg(text);
        m_err.flush();
    }
    void runFinished(const RunFinished &done) override
    {
        if (done.failed)
            m_err << QStringLiteral("[rank %1] ERROR %2\n").arg(m_rank).arg(done.message);
        m_err.flush();
    }

private:
    QTextStream &m_err;
    int m_rank;
};
} // namespace

void CommandLine::requestStop()
{
    if (Trainer *t = g_activeTrainer.load())
        t->requestStop();
}

int CommandLine::train(const QStringList &args)
{
    const Result<dist::DistSettings> job =
        dist::DistSettings::fromEnvironment(QProcessEnvironment::systemEnvironment());
    if (!job) {
        m_err << QStringLiteral("ERROR %1\n").arg(job.error());
        return 2;
    }
    if (job.value().rank > 0) {
        // A rank > 0 of a job (nproc=, torchrun, Slurm): the configuration, the resume plan and
        // the starting state come from rank 0; its own arguments only matter until it connects.
        Result<TrainConfig> own = TrainConfig::fromArguments(args);
        TrainConfig config = own ? own.take() : TrainConfig();
        config.resume = QStringLiteral("false");
        WorkerReporter reporter(m_err, job.value().rank);
        Trainer trainer(config);
        g_activeTrainer.store(&trainer);
        const RunFinished done = trainer.run(&reporter);
        g_activeTrainer.store(nullptr);
        if (done.failed)
            return 1;
        return done.stopped ? 130 : 0;
    }
    Result<TrainConfig> parsed = TrainConfig::fromArguments(args);
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    TrainConfig config = parsed.take();
    TerminalReporter reporter(m_out, m_err, isatty(STDOUT_FILENO));

    std::unique_ptr<Trainer> trainer;
    const QString resume = config.resume;
    if (resume.compare(QLatin1String("false"), Qt::CaseInsensitive) != 0) {
        QString path = resume;
        if (resume.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0) {
            const Result<QString> newest = ResumePlanner::newestLastCheckpoint(config.project);
            if (!newest) {
                m_err << QStringLiteral("ERROR %1\n").arg(newest.error());
                return 2;
            }
            path = newest.value();
        }
        QMap<QString, QString> overrides;
        for (const QString &a : args) {
            const int eq = a.indexOf(QLatin1Char('='));
            overrides.insert(a.left(eq).trimmed(), a.mid(eq + 1).trimmed());
        }
        ResumePlan plan = ResumePlanner::plan(path, overrides);
        for (const QString &c : plan.checks)
            m_out << QStringLiteral("  ok  %1\n").arg(c);
        for (const QString &w : plan.warnings)
            m_err << QStringLiteral("WARNING %1\n").arg(w);
        if (plan.mode != ResumePlan::Mode::Continue && plan.mode != ResumePlan::Mode::Branch) {
            m_err << QStringLiteral("ERROR %1\n").arg(plan.summary());
            return 2;
        }
        m_out << plan.summary() << '\n';
        m_out.flush();
        trainer = std::make_unique<Trainer>(std::move(plan));
    } else {
        trainer = std::make_unique<Trainer>(config);
    }
    g_activeTrainer.store(trainer.get());
    const RunFinished done = trainer->run(&reporter);
    g_activeTrainer.store(nullptr);
    if (done.failed)
        return 1;
    return done.stopped ? 130 : 0;
}

} // namespace yolodeck
