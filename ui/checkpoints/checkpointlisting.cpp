#include "ui/checkpoints/checkpointlisting.h"

#include "core/checkpoint/retention.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace yolodeck {

namespace {
// The folder that holds the .pt files, as listCheckpoints() picks it: `dir`/weights when there is
// one, `dir` itself otherwise.
QString weightsFolderOf(const QString &dir)
{
    const QString weights = QDir(dir).filePath(QStringLiteral("weights"));
    return QFileInfo(weights).isDir() ? weights : dir;
}
} // namespace

int runKeepSetting(const QString &dir)
{
    if (dir.isEmpty())
        return 0;
    // args.yaml sits in the run folder, beside weights/: `dir` may be either of the two.
    const QFileInfo given(QDir::cleanPath(dir));
    const bool weightsFolder = given.fileName() == QLatin1String("weights") &&
                               weightsFolderOf(given.filePath()) == given.filePath();
    const QString runDir = weightsFolder ? given.absolutePath() : given.filePath();
    QFile args(QDir(runDir).filePath(QStringLiteral("args.yaml")));
    if (!args.open(QIODevice::ReadOnly | QIODevice::Text))
        return 0;
    // TrainConfig::toYaml() writes one `key: value` line per key; a hand-edited file may quote
    // the number or add a comment.
    static const QRegularExpression line(QStringLiteral("^keep:\\s*(['\"]?)(\\d+)\\1\\s*(#.*)?$"),
                                         QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = line.match(QString::fromUtf8(args.readAll()));
    return m.hasMatch() ? m.captured(2).toInt() : 0;
}

CheckpointListing listRunCheckpoints(const QString &dir)
{
    CheckpointListing listing;
    if (dir.isEmpty())
        return listing;
    listing.checkpoints = listCheckpoints(dir);
    for (const CheckpointInfo &c : listing.checkpoints) {
        if (isKept(c.path))
            listing.kept.insert(QFileInfo(c.path).absoluteFilePath());
    }
    listing.keep = runKeepSetting(dir);
    const QString weights = QFileInfo(weightsFolderOf(dir)).absoluteFilePath();
    for (const QString &path : checkpointsToPrune(weights, listing.keep))
        listing.toPrune.insert(QFileInfo(path).absoluteFilePath());
    return listing;
}

} // namespace yolodeck
