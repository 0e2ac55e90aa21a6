#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/doctor/environmentreport.h"
#include "core/monitor/runfigures.h"

#include <QFileInfo>

namespace yolodeck {

namespace {
QString describeSpeed(const ThroughputStats &s)
{
    QStringList parts;
    if (s.imagesPerSecond >= 0)
        parts << QStringLiteral("%1 images/s").arg(s.imagesPerSecond, 0, 'f', 1)
              << QStringLiteral("%1% of each step waiting for data")
                     .arg(s.dataWaitShare * 100, 0, 'f', 0);
    if (s.machineCpuPercent >= 0)
        parts << (s.cores > 0 ? QStringLiteral("CPU %1% of %2 cores")
                                    .arg(s.machineCpuPercent, 0, 'f', 0)
                                    .arg(s.cores)
                              : QStringLiteral("CPU %1%").arg(s.machineCpuPercent, 0, 'f', 0));
    if (s.processCpuPercent >= 0)
        parts
            << QStringLiteral("trainer %1% (100% = one core)").arg(s.processCpuPercent, 0, 'f', 0);
    if (s.decodeMsPerImage >= 0)
        parts << QStringLiteral("%1 ms to read and %2 ms to decode an image")
                     .arg(s.readMsPerImage, 0, 'f', 1)
                     .arg(s.decodeMsPerImage, 0, 'f', 1);
    return parts.isEmpty() ? QStringLiteral("no batch recorded yet")
                           : parts.join(QStringLiteral(", "));
}
} // namespace

// doctor run=DIR: the diagnosis the window's System tab gives, for a run read from its
// events.jsonl (live or finished, on this machine or another). Exit 0 healthy, 1 findings.
int CommandLine::doctorRun(const QString &path)
{
    const QFileInfo given(path);
    const QString events = given.isDir()
                               ? given.absoluteFilePath() + QStringLiteral("/events.jsonl")
                               : given.absoluteFilePath();
    if (!QFileInfo::exists(events)) {
        m_err << QStringLiteral("ERROR %1 has no events.jsonl: not a YoloDeck run folder\n")
                     .arg(given.absoluteFilePath());
        return 2;
    }
    const RunFigures run = readRunFigures(events);
    if (!run.started) {
        m_err
            << QStringLiteral("ERROR %1 has no run_start line: nothing to diagnose\n").arg(events);
        return 2;
    }
    QString where = QStringLiteral("pid %1 on %2").arg(run.pid).arg(run.host);
    const ProcessState state = processState(run.pid, run.host);
    if (run.finished)
        where += QStringLiteral(", ended");
    else if (state == ProcessState::Running)
        where += QStringLiteral(", running on this machine");
    else if (state == ProcessState::Gone)
        where += QStringLiteral(", no longer running and never ended: crashed or killed");
    else
        where += QStringLiteral(", on another machine");
    m_out << QStringLiteral("Run %1 (%2, %3)\n")
                 .arg(QFileInfo(events).absolutePath(), run.device, where);
    m_out << QStringLiteral("  last %1 s: %2\n")
                 .arg(RunFiguresReader::kRecentSeconds, 0, 'f', 0)
                 .arg(describeSpeed(run.recent));
    m_out << QStringLiteral("  session:  %1\n").arg(describeSpeed(run.session));
    // A live run is judged on its recent steps, a finished one on its whole last session.
    ThroughputStats stats = run.finished || state == ProcessState::Gone ? run.session : run.recent;
    stats.training = true;
    const std::vector<Finding> findings = diagnose({}, stats);
    if (findings.empty())
        m_out << QStringLiteral("No problem found.\n");
    for (const Finding &f : findings)
        m_out << QStringLiteral("- %1\n").arg(f.text);
    m_out.flush();
    return findings.empty() ? 0 : 1;
}

// doctor [project=runs/detect] [data=DATA.yaml] [threads=0] [gemm_seconds=2]: what this machine
// brings to training, measured, and a fix for each finding that slows it. Exit code 0, or 1 when
// something was found. doctor run=DIR diagnoses a run instead (doctorRun).
int CommandLine::doctor(const QStringList &args)
{
    const Result<KeyValues> parsed = parseKeys(
        args, {QStringLiteral("project"), QStringLiteral("data"), QStringLiteral("threads"),
               QStringLiteral("gemm_seconds"), QStringLiteral("run")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (k.contains(QStringLiteral("run"))) {
        if (k.size() > 1) {
            m_err << QStringLiteral("ERROR doctor run=DIR takes no other key\n");
            return 2;
        }
        return doctorRun(k.value(QStringLiteral("run")));
    }
    EnvironmentOptions o;
    o.project = k.value(QStringLiteral("project"), o.project);
    o.data = k.value(QStringLiteral("data"));
    const Result<int> threads = intKey(k, QStringLiteral("threads"), 0, 0, 1024);
    const Result<double> gemm = doubleKey(k, QStringLiteral("gemm_seconds"), 2.0);
    if (!threads || !gemm || gemm.value() <= 0 || gemm.value() > 60) {
        m_err << QStringLiteral("ERROR %1\n")
                     .arg(!threads ? threads.error()
                                   : QStringLiteral("gemm_seconds must be in (0, 60]"));
        return 2;
    }
    o.threads = threads.value();
    o.gemmSeconds = gemm.value();
    const EnvironmentReport report = buildEnvironmentReport(o);
    m_out << report.toText();
    m_out.flush();
    return report.exitCode();
}

} // namespace yolodeck
