#include "core/checkpoint/retention.h"

#include "core/checkpoint/checkpointmeta.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <algorithm>
#include <utility>
#include <vector>

namespace yolodeck {

bool isKept(const QString &checkpointPath)
{
    return QFileInfo::exists(checkpointPath + QStringLiteral(".keep"));
}

Status setKept(const QString &checkpointPath, bool kept)
{
    const QString mark = checkpointPath + QStringLiteral(".keep");
    if (!kept) {
        if (QFileInfo::exists(mark) && !QFile::remove(mark))
            return Status::fail(QStringLiteral("%1: cannot remove the Keep mark").arg(mark));
        return okStatus();
    }
    QFile f(mark);
    if (!f.open(QIODevice::WriteOnly))
        return Status::fail(
            QStringLiteral("%1: cannot write the Keep mark: %2").arg(mark, f.errorString()));
    return okStatus();
}

QStringList checkpointsToPrune(const QString &weightsDir, int keep)
{
    if (keep <= 0)
        return {};
    static const QRegularExpression periodic(QStringLiteral("^epoch(\\d+)\\.pt$"));
    std::vector<std::pair<int, QString>> candidates;
    const QDir dir(weightsDir);
    for (const QString &name : dir.entryList({QStringLiteral("epoch*.pt")}, QDir::Files)) {
        const QRegularExpressionMatch m = periodic.match(name);
        if (!m.hasMatch())
            continue;
        const QString path = dir.filePath(name);
        if (isKept(path))
            continue;
        const Result<QJsonObject> meta = readCheckpointMeta(path, MetaHistory::Omit);
        if (meta && meta.value().value(QStringLiteral("final")).toBool())
            continue;
        candidates.emplace_back(m.captured(1).toInt(), path);
    }
    std::sort(candidates.begin(), candidates.end());
    QStringList out;
    for (size_t i = 0; i + size_t(keep) < candidates.size(); ++i)
        out << candidates[i].second;
    return out;
}

} // namespace yolodeck
