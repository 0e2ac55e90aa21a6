#include "core/checkpoint/checkpointmeta.h"

#include "core/common/textutil.h"
#include "core/interop/ultralyticscheckpoint.h"

#include <caffe2/serialize/inline_container.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <exception>
#include <memory>

namespace yolodeck {

namespace {

QString fileError(const QString &path, const QString &problem)
{
    return QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(path), problem);
}

// A zip archive ends with an "end of central directory" record (signature PK\5\6) within the last
// 64 KiB + 22 bytes. A file that starts like a zip but lacks it was cut off while being written.
bool hasZipEnd(QFile &file)
{
    const qint64 tail = std::min<qint64>(file.size(), 65535 + 22);
    if (!file.seek(file.size() - tail))
        return false;
    return file.read(tail).contains(QByteArrayLiteral("PK\x05\x06"));
}

// Checks what can be told from the bytes alone, so that torch's reader only ever sees a file that
// looks like a complete zip archive and every failure gets a reason a user understands.
QString precheck(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return QStringLiteral("no such file");
    if (info.isDir()) {
        const QString last = QDir(path).filePath(QStringLiteral("weights/last.pt"));
        if (QFileInfo(last).isFile())
            return QStringLiteral("a run folder, not a checkpoint file (its newest state is %1)")
                .arg(QDir::toNativeSeparators(last));
        return QStringLiteral("a folder, not a checkpoint file");
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("cannot open (%1)").arg(file.errorString());
    if (file.size() == 0)
        return QStringLiteral("empty file (nothing was written; the save was interrupted?)");
    const QByteArray head = file.read(4);
    if (!head.startsWith(QByteArrayLiteral("PK\x03\x04"))) {
        // torch.save() before PyTorch 1.6 wrote a bare pickle stream (protocol 2: 0x80 0x02).
        if (head.size() >= 2 && quint8(head[0]) == 0x80 && quint8(head[1]) <= 5)
            return QStringLiteral(
                "an old-style PyTorch pickle file, not a YoloDeck checkpoint (not a zip archive)");
        return QStringLiteral("not a PyTorch zip archive (truncated or foreign file)");
    }
    if (!hasZipEnd(file))
        return QStringLiteral("truncated zip archive: its central directory is missing (the file "
                              "was cut off while being written)");
    return {};
}

// Copies one record out of the archive; torch errors propagate to the caller's catch.
QByteArray readRecord(caffe2::serialize::PyTorchStreamReader &reader, const std::string &name)
{
    at::DataPtr data;
    size_t size = 0;
    std::tie(data, size) = reader.getRecord(name);
    return QByteArray(static_cast<const char *>(data.get()), qsizetype(size));
}

double metricOr(const QJsonObject &metrics, const char *key)
{
    const QJsonValue v = metrics.value(QLatin1String(key));
    return v.isDouble() ? v.toDouble() : qQNaN();
}

} // namespace

Result<QJsonObject> readCheckpointMeta(const QString &path, MetaHistory history)
{
    const QString problem = precheck(path);
    if (!problem.isEmpty())
        return Result<QJsonObject>::fail(fileError(path, problem));

    QByteArray json;
    try {
        caffe2::serialize::PyTorchStreamReader reader(QFile::encodeName(path).toStdString());
        if (!reader.hasRecord(kCheckpointMetaRecord)) {
            if (reader.hasRecord("constants.pkl"))
                return Result<QJsonObject>::fail(
                    fileError(path, QStringLiteral("a TorchScript model without YoloDeck metadata "
                                                   "(an exported model, not a checkpoint)")));
            // torch.save() pickles: Ultralytics checkpoints, read by core/interop.
            if (reader.hasRecord("data.pkl")) {
                Result<QJsonObject> foreign = readUltralyticsMeta(path);
                if (foreign && history == MetaHistory::Omit)
                    foreign.value().remove(QStringLiteral("history"));
                return foreign;
            }
            return Result<QJsonObject>::fail(
                fileError(path, QStringLiteral("a zip archive without YoloDeck metadata")));
        }
        json = readRecord(reader, kCheckpointMetaRecord);
    } catch (const c10::Error &) {
        // Torch's message is several lines with a C++ backtrace: useless to a user.
        return Result<QJsonObject>::fail(fileError(
            path, QStringLiteral("a zip archive that is not a PyTorch file, or a damaged one")));
    } catch (const std::exception &e) {
        return Result<QJsonObject>::fail(fileError(
            path, QStringLiteral("cannot read the archive (%1)")
                      .arg(QString::fromLocal8Bit(e.what()).section(QLatin1Char('\n'), 0, 0))));
    }

    QJsonParseError parseError;
    QJsonDocument doc;
    if (history == MetaHistory::Omit) {
        // Damage inside the history goes unnoticed here; loading the file reads it whole.
        const QByteArray rest = withoutTopLevelMember(json, QLatin1StringView("history"));
        if (!rest.isNull())
            doc = QJsonDocument::fromJson(rest, &parseError);
    }
    if (doc.isNull()) // not cut, or the cut text is damaged: the whole text, for its error
        doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error == QJsonParseError::NoError && history == MetaHistory::Omit &&
        doc.isObject() && doc.object().contains(QStringLiteral("history"))) {
        // A member the scan could not cut (its name written with escapes, or given twice).
        QJsonObject object = doc.object();
        object.remove(QStringLiteral("history"));
        doc.setObject(object);
    }
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return Result<QJsonObject>::fail(
            fileError(path, QStringLiteral("damaged metadata: meta.json is not a JSON object (%1)")
                                .arg(parseError.error != QJsonParseError::NoError
                                         ? parseError.errorString()
                                         : QStringLiteral("array"))));
    return Result<QJsonObject>::ok(doc.object());
}

CheckpointInfo checkpointInfoFromMeta(const QString &path, const QJsonObject &meta)
{
    CheckpointInfo info;
    const QFileInfo file(path);
    info.path = file.absoluteFilePath();
    info.size = file.size();
    info.meta = meta;
    info.kind = meta.value(QLatin1String("kind")).toString();
    info.source = meta.value(QLatin1String("source")).toString(QStringLiteral("yolodeck"));
    info.epoch = meta.value(QLatin1String("epoch")).toInt(-1);
    info.batch = meta.value(QLatin1String("batch")).toInt(0);
    const QJsonObject metrics = meta.value(QLatin1String("metrics")).toObject();
    // Ultralytics' metric names, as they appear in results.csv.
    info.map50 = metricOr(metrics, "metrics/mAP50(B)");
    info.map50_95 = metricOr(metrics, "metrics/mAP50-95(B)");
    info.fitness = metricOr(meta, "fitness");
    const QString created = meta.value(QLatin1String("created")).toString();
    info.created = QDateTime::fromString(created, Qt::ISODateWithMs);
    if (!info.created.isValid())
        info.created = file.lastModified();

    const int format = meta.value(QLatin1String("format")).toInt(0);
    if (format > kCheckpointFormatVersion)
        info.error = fileError(path, QStringLiteral("written by a newer YoloDeck (checkpoint "
                                                    "format %1; this build reads up to %2)")
                                         .arg(format)
                                         .arg(kCheckpointFormatVersion));
    else if (info.kind != QLatin1String("full") && info.kind != QLatin1String("weights"))
        info.error =
            fileError(path, QStringLiteral("unknown checkpoint kind \"%1\"").arg(info.kind));
    return info;
}

CheckpointInfo readCheckpointInfo(const QString &path, MetaHistory history)
{
    const Result<QJsonObject> meta = readCheckpointMeta(path, history);
    if (meta)
        return checkpointInfoFromMeta(path, meta.value());
    CheckpointInfo info;
    const QFileInfo file(path);
    info.path = file.absoluteFilePath();
    info.size = file.size();
    info.created = file.lastModified();
    info.error = meta.error();
    return info;
}

std::vector<CheckpointInfo> listCheckpoints(const QString &dir)
{
    QDir folder(dir);
    if (folder.exists(QStringLiteral("weights")) &&
        QFileInfo(folder.filePath(QStringLiteral("weights"))).isDir())
        folder.cd(QStringLiteral("weights"));

    std::vector<CheckpointInfo> list;
    // Hidden files are excluded by default, which skips the writer's ".<name>.tmp-*" files.
    const QStringList names = folder.entryList({QStringLiteral("*.pt")}, QDir::Files);
    list.reserve(size_t(names.size()));
    for (const QString &name : names)
        list.push_back(readCheckpointInfo(folder.filePath(name), MetaHistory::Omit));

    std::sort(list.begin(), list.end(), [](const CheckpointInfo &a, const CheckpointInfo &b) {
        if (a.isValid() != b.isValid())
            return a.isValid();
        if (a.isValid() && (a.epoch != b.epoch || a.batch != b.batch))
            return a.epoch != b.epoch ? a.epoch < b.epoch : a.batch < b.batch;
        return QFileInfo(a.path).fileName() < QFileInfo(b.path).fileName();
    });
    return list;
}

} // namespace yolodeck
