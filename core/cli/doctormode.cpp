#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/doctor/environmentreport.h"

namespace yolodeck {

// doctor [project=runs/detect] [data=DATA.yaml] [threads=0] [gemm_seconds=2]: what this machine
// brings to training, measured, and a fix for each finding that slows it. Exit code 0, or 1 when
// something was found.
int CommandLine::doctor(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("project"), QStringLiteral("data"),
                         QStringLiteral("threads"), QStringLiteral("gemm_seconds")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
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
