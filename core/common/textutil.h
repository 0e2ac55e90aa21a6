#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace yolodeck {

// printf("%.6g"): how Ultralytics writes numbers in results.csv.
QString formatG6(double value);

// Writes data to path atomically: a temporary file in the same folder, flush, fsync, rename, fsync
// of the folder. A crash at any instant leaves either the old file or the new one, never a mix.
bool writeFileAtomically(const QString &path, const QByteArray &data, QString *error);

// The choice a mistyped word most likely meant: the nearest by edit distance (a swap of two
// neighbours counts as one edit), if it is at most 2 edits away and closer than half the word;
// empty when nothing is that close. "modle" -> "model", "epoch" -> "epochs".
QString closestMatch(const QString &word, const QStringList &choices);
// "unknown key 'modle' (did you mean 'model'?); valid keys: ..." (the hint only when one fits).
QString unknownKeyMessage(const QString &key, const QStringList &validKeys);

// The JSON text of an object without its top-level member `key`, cut out of the text without
// building a tree: a checkpoint's meta.json carries a history that grows with the run, and readers
// that need only its other fields should not parse it. Returns a null QByteArray when json is not
// an object this scan can delimit or has no such member; the caller then parses the whole text
// (which also reports what is wrong with it).
QByteArray withoutTopLevelMember(const QByteArray &json, QLatin1StringView key);

// fsync() of a folder, so that a rename inside it survives power loss.
bool syncDirectory(const QString &dirPath);

} // namespace yolodeck
