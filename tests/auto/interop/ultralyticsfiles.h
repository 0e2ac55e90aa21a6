#pragma once

// Runs tests/auto/interop/make_ultralytics_files.py into `dir`: Ultralytics-shaped .pt files, run
// folders, hostile files and manifest.json, made by Debian's python3-torch (`python3` on PATH may
// be a Python without torch). Returns an empty string, or why it failed.

#include <QProcess>
#include <QString>

inline QString makeUltralyticsFiles(const QString &dir)
{
    QProcess python;
    python.start(
        QStringLiteral("/usr/bin/python3"),
        {QStringLiteral(YOLODECK_SOURCE_DIR "/tests/auto/interop/make_ultralytics_files.py"), dir});
    if (!python.waitForFinished(180000))
        return QStringLiteral("/usr/bin/python3 did not finish: %1").arg(python.errorString());
    if (python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0)
        return QStringLiteral("/usr/bin/python3 with PyTorch (python3-torch) makes these files: %1")
            .arg(QString::fromLocal8Bit(python.readAllStandardError()));
    return {};
}
