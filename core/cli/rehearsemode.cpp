#include "core/cli/commandline.h"
#include "core/train/rehearsal.h"

namespace yolodeck {

// rehearse FILE [batches=10] [key=value ...]: the resume of FILE tried for real in a scratch
// folder, with its speed and whether it reproduces the run bit for bit (core/train/rehearsal.h).
// Other keys are the overrides `train resume=FILE` would take. Exit code 0 when the rehearsal ran
// and nothing it compared differs, 1 otherwise, 2 for bad arguments.
int CommandLine::rehearse(const QStringList &args)
{
    RehearsalOptions o;
    for (const QString &a : args) {
        const int eq = a.indexOf(QLatin1Char('='));
        if (eq < 0) {
            if (!o.checkpoint.isEmpty()) {
                m_err << QStringLiteral("ERROR rehearse takes one checkpoint, got %1 and %2\n")
                             .arg(o.checkpoint, a);
                return 2;
            }
            o.checkpoint = a;
            continue;
        }
        const QString key = a.left(eq).trimmed();
        const QString value = a.mid(eq + 1).trimmed();
        if (key == QLatin1String("batches")) {
            bool ok = false;
            o.batches = value.toInt(&ok);
            if (!ok || o.batches < 1) {
                m_err << QStringLiteral("ERROR batches=%1 is not valid: expected a whole number "
                                        "of at least 1\n")
                             .arg(value);
                return 2;
            }
        } else {
            const Status known = TrainConfig().set(key, value);
            if (!known) {
                m_err << QStringLiteral("ERROR %1\n").arg(known.error());
                return 2;
            }
            o.overrides.insert(key, value);
        }
    }
    if (o.checkpoint.isEmpty()) {
        m_err << QStringLiteral("ERROR rehearse needs a checkpoint: rehearse FILE [batches=10]\n");
        return 2;
    }
    o.progress = [this](const BatchProgress &p) {
        m_out << QStringLiteral("  rehearsing epoch %1 batch %2/%3\n")
                     .arg(p.epoch)
                     .arg(p.batch)
                     .arg(p.batches);
        m_out.flush();
    };
    const RehearsalReport report = yolodeck::rehearse(o);
    if (!report.ok) {
        m_err << QStringLiteral("ERROR %1\n").arg(report.error);
        return 1;
    }
    m_out << report.toText();
    m_out.flush();
    return report.firstDifferent < 0 ? 0 : 1;
}

} // namespace yolodeck
