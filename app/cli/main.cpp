// yolodeck-cli: the YoloDeck engine headless (see core/cli/commandline.h).
#include "core/cli/commandline.h"
#include "core/common/memorypolicy.h"
#include "core/common/threadpolicy.h"
#include "core/dist/locallauncher.h"

#ifdef YOLODECK_WITH_UI
#include "ui/compare/comparisoncharts.h"

#include <QApplication>
#endif
#include <QCoreApplication>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>

namespace {
void onInterrupt(int)
{
    // Only an atomic store: the trainer stops at the next batch and saves last.pt there.
    yolodeck::CommandLine::requestStop();
}
} // namespace

int main(int argc, char *argv[])
{
    yolodeck::applyThreadPolicy(); // before any thread starts
    yolodeck::applyMemoryPolicy();
    std::unique_ptr<QCoreApplication> app;
#ifdef YOLODECK_WITH_UI
    // `compare` draws its report's charts with the window's QCustomPlot code, which needs a
    // QApplication; offscreen, so it runs on a server without a display.
    if (argc > 1 && std::strcmp(argv[1], "compare") == 0) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        app = std::make_unique<QApplication>(argc, argv);
    }
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("yolodeck-cli"));
    // train nproc=N starts ranks 1..N-1 as this very program (whatever its name or place).
    yolodeck::dist::setWorkerProgram(QCoreApplication::applicationFilePath());
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTextStream out(stdout);
    QTextStream err(stderr);
    yolodeck::CommandLine cli(out, err);
#ifdef YOLODECK_WITH_UI
    cli.setChartRenderer(&yolodeck::renderComparisonCharts);
#endif
    const int code = cli.run(QCoreApplication::arguments().mid(1));
    out.flush();
    err.flush();
    return code;
}
