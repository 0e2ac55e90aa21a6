#pragma once

#include <QByteArray>
#include <QString>

namespace yolodeck {

// printf("%.6g"): how Ultralytics writes numbers in results.csv.
QString formatG6(double value);

// Writes data to path atomically: a temporary file in the same folder, flush, fsync, rename, fsync
// of the folder. A crash at any instant leaves either the old file or the new one, never a mix.
bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error);

// fsync() of a folder, so that a rename inside it survives power loss.
bool syncDirectory(const QString &dirPath);

} // namespace yolodeck
