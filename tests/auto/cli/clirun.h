#pragma once
// yolodeck-cli run in this process, for the CLI test programs.

#include "core/cli/commandline.h"

#include <QString>
#include <QStringList>
#include <QTextStream>

namespace yolodeck::testing {

struct CliRun
{
    int code = -1;
    QString out;
    QString err;
    bool crashed = false; // ended by a signal (or killed after the timeout): real processes only
};

// CommandLine::run(args) with its output and errors captured.
inline CliRun runCliInProcess(const QStringList &args)
{
    CliRun r;
    QTextStream out(&r.out);
    QTextStream err(&r.err);
    CommandLine cli(out, err);
    r.code = cli.run(args);
    out.flush();
    err.flush();
    return r;
}

} // namespace yolodeck::testing
