#pragma once

// Runs read_tfevents.py (python3-crc32c for the framing, protoc --decode_raw for the fields) on a
// TensorBoard file and returns its records, so tests check YoloDeck's files with a reader it did
// not write.

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>

#include <vector>

inline std::vector<QJsonObject> readTfEvents(const QString &path, QString *error)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            {QStringLiteral(YOLODECK_SOURCE_DIR "/tests/auto/runlog/read_tfevents.py"), path});
    p.waitForFinished(120000);
    std::vector<QJsonObject> out;
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        *error = QStringLiteral("read_tfevents.py failed (needs python3-crc32c and "
                                "protobuf-compiler): %1")
                     .arg(QString::fromUtf8(p.readAllStandardError()));
        return out;
    }
    for (const QByteArray &line : p.readAllStandardOutput().split('\n'))
        if (!line.trimmed().isEmpty())
            out.push_back(QJsonDocument::fromJson(line).object());
    return out;
}
