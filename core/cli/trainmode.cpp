#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/cli/terminalreporter.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"

#include <atomic>
#include <unistd.h>

namespace yolodeck {

namespace {
// The training that Ctrl+C stops; set only while train() runs.
std::atomic<Trainer *> g_activeTrainer{nullptr};
} // namespace

void CommandLine::requestStop()
{
    if (Trainer *t = g_activeTrainer.load())
        t->requestStop();
}

int CommandLine::train(const QStringList &args)
{
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
