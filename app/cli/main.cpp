// yolodeck-cli: the YoloDeck engine headless (see core/cli/commandline.h).
#include "core/cli/commandline.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>

namespace {
void onInterrupt(int)
{
    // Only an atomic store: the trainer stops at the next batch and saves last.pt there.
    yolodeck::CommandLine::requestStop();
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("yolodeck-cli"));
    std::signal(SIGINT, onInterrupt);
    std::signal(SIGTERM, onInterrupt);
    QTextStream out(stdout);
    QTextStream err(stderr);
    yolodeck::CommandLine cli(out, err);
    const int code = cli.run(app.arguments().mid(1));
    out.flush();
    err.flush();
    return code;
}
