#include "core/checkpoint/checkpointfile.h"

#include "core/interop/picklereader.h"
#include "core/interop/ultralyticscheckpoint.h"

#include "core/common/textutil.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import.h>

#include <caffe2/serialize/inline_container.h>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace yolodeck {

namespace {

constexpr const char *kTensorsAttribute = "tensors";

QString fileError(const QString &path, const QString &problem)
{
    return QStringLiteral("%1: %2").arg(QDir::toNativeSeparators(path), problem);
}

// Torch messages carry a C++ backtrace after the first line; a user needs only the first.
QString firstLine(const char *what)
{
    return QString::fromLocal8Bit(what).section(QLatin1Char('\n'), 0, 0).trimmed();
}

// A detached CPU tensor that owns exactly its values: the archive stores whole storages, so saving
// a view of a large tensor as it is would write the whole base tensor.
torch::Tensor compact(const torch::Tensor &t)
{
    torch::Tensor c = t.detach();
    if (!c.device().is_cpu())
        c = c.to(torch::kCPU);
    const bool ownsExactly = c.is_contiguous() && c.storage_offset() == 0 &&
                             c.storage().nbytes() == size_t(c.numel()) * c.element_size();
    return ownsExactly ? c : c.contiguous().clone();
}

// Writes every byte or records why not. Torch's zip writer calls this for each piece of the
// archive; returning less than asked makes it fail the save.
// After the first failed write (disk full, EFBIG under a file-size limit, EIO) it swallows the
// rest and reports success: PyTorchStreamWriter checks the byte count again in its destructor,
// where a throw would terminate the process. The caller checks `error` once the archive is done.
struct FdWriter
{
    int fd = -1;
    int error = 0;
    size_t operator()(const void *data, size_t size)
    {
        if (error)
            return size;
        const char *p = static_cast<const char *>(data);
        size_t left = size;
        while (left > 0) {
            const ssize_t n = ::write(fd, p, left);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                error = errno;
                return size;
            }
            p += n;
            left -= size_t(n);
        }
        return size;
    }
};

std::atomic<int> tempCounter{0};

// PyTorch's zip reader does not check the zip CRCs, so a flipped bit in a tensor would load
// silently. The manifest (extra/tensors.json) records each tensor's dtype, shape and CRC-32, and
// loadCheckpoint() refuses a file whose tensors do not match it.
QJsonObject manifestEntry(const torch::Tensor &compactTensor)
{
    QJsonArray shape;
    for (const int64_t d : compactTensor.sizes())
        shape.append(qint64(d));
    const uLong crc = crc32_z(0, static_cast<const Bytef *>(compactTensor.data_ptr()),
                              size_t(compactTensor.numel()) * compactTensor.element_size());
    return QJsonObject{
        {QStringLiteral("dtype"), QLatin1String(c10::toString(compactTensor.scalar_type()))},
        {QStringLiteral("shape"), shape},
        {QStringLiteral("crc32"), qint64(crc)}};
}

// LibTorch compiles an archive's code/ records and unpickles its pickles when it loads one, and
// fuzzing found altered class source that crashes its parser (SEGV in ScriptTypeParser). A YoloDeck
// checkpoint holds one fixed class, so other code is refused before LibTorch reads it, and every
// pickle is first parsed by YoloDeck's own bounded, non-executing reader. Returns the problem, or
// an empty string.
QString unexpectedArchiveContent(caffe2::serialize::PyTorchStreamReader &reader)
{
    static const QSet<QByteArray> allowedLines{
        "class Checkpoint(Module):", "__parameters__ = []",
        "__buffers__ = []",          "tensors : Dict[str, Tensor]",
        "training : bool",           "_is_full_backward_hook : Optional[bool]"};
    const std::string source = "code/__torch__/yolodeck.py";
    bool hasSource = false;
    for (const std::string &name : reader.getAllRecords()) {
        const bool pickle =
            name == "data.pkl" || name == "constants.pkl" || name == source + ".debug_pkl";
        if (name.rfind("code/", 0) != 0 && !pickle)
            continue;
        if (name.rfind("code/", 0) == 0 && name != source && name != source + ".debug_pkl")
            return QStringLiteral(
                       "unexpected TorchScript code %1 (not a checkpoint YoloDeck wrote)")
                .arg(QString::fromStdString(name));
        at::DataPtr data;
        size_t size = 0;
        std::tie(data, size) = reader.getRecord(name);
        const std::string_view bytes(static_cast<const char *>(data.get()), size);
        if (pickle) {
            const Result<pickle::Document> parsed = pickle::parse(bytes);
            if (!parsed)
                return QStringLiteral("damaged record %1: %2")
                    .arg(QString::fromStdString(name), parsed.error());
            continue;
        }
        hasSource = true;
        for (const QByteArray &line : QByteArray(bytes.data(), qsizetype(bytes.size())).split('\n'))
            if (!line.trimmed().isEmpty() && !allowedLines.contains(line.trimmed()))
                return QStringLiteral("altered TorchScript code in %1: \"%2\"")
                    .arg(QString::fromStdString(name), QString::fromUtf8(line.trimmed().left(80)));
    }
    return hasSource ? QString() : QStringLiteral("damaged checkpoint: its class code is missing");
}

} // namespace

// Compact, since a long run's history makes it large; a history kept as text is spliced in as the
// last member.
std::string checkpointMetaJson(const CheckpointData &data)
{
    if (data.historyJson.isEmpty())
        return QJsonDocument(data.meta).toJson(QJsonDocument::Compact).toStdString();
    QJsonObject rest = data.meta;
    rest.remove(QStringLiteral("history"));
    const QByteArray head = QJsonDocument(rest).toJson(QJsonDocument::Compact);
    std::string json;
    json.reserve(size_t(head.size() + data.historyJson.size()) + 16);
    json.append(head.constData(), size_t(head.size() - 1)); // without the closing brace
    json += rest.isEmpty() ? "\"history\":" : ",\"history\":";
    json.append(data.historyJson.constData(), size_t(data.historyJson.size()));
    json += '}';
    return json;
}

Status saveCheckpointAtomically(const QString &path, const CheckpointData &data)
{
    const QFileInfo target(path);
    const QString tempPath = target.absoluteDir().filePath(QStringLiteral(".%1.tmp-%2-%3")
                                                               .arg(target.fileName())
                                                               .arg(::getpid())
                                                               .arg(tempCounter.fetch_add(1)));
    const QByteArray tempName = QFile::encodeName(tempPath);

    FdWriter writer;
    writer.fd = ::open(tempName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (writer.fd < 0)
        return Status::fail(fileError(
            path,
            QStringLiteral("cannot save (%1)").arg(QString::fromLocal8Bit(std::strerror(errno)))));

    auto failWith = [&](const QString &problem) {
        if (writer.fd >= 0)
            ::close(writer.fd);
        ::unlink(tempName.constData());
        return Status::fail(fileError(path, QStringLiteral("cannot save (%1)").arg(problem)));
    };

    try {
        c10::Dict<std::string, at::Tensor> tensors;
        tensors.reserve(data.tensors.size());
        QJsonObject manifest;
        for (const auto &[key, tensor] : data.tensors) {
            if (!tensor.defined())
                return failWith(
                    QStringLiteral("tensor \"%1\" is undefined").arg(QString::fromStdString(key)));
            const torch::Tensor stored = compact(tensor);
            manifest.insert(QString::fromStdString(key), manifestEntry(stored));
            tensors.insert(key, stored);
        }
        torch::jit::Module module(c10::QualifiedName("__torch__.yolodeck.Checkpoint"));
        module.register_attribute(
            kTensorsAttribute,
            c10::DictType::create(c10::StringType::get(), c10::TensorType::get()),
            c10::IValue(tensors));
        const QByteArray manifestJson = QJsonDocument(manifest).toJson(QJsonDocument::Compact);
        const torch::jit::ExtraFilesMap extra{{"meta.json", checkpointMetaJson(data)},
                                              {"tensors.json", manifestJson.toStdString()}};
        torch::jit::ExportModule(
            module, [&writer](const void *p, size_t n) { return writer(p, n); }, extra);
    } catch (const std::exception &e) {
        return failWith(writer.error ? QString::fromLocal8Bit(std::strerror(writer.error))
                                     : firstLine(e.what()));
    }
    if (writer.error)
        return failWith(QString::fromLocal8Bit(std::strerror(writer.error)));

    // The data must be on disk before the rename makes it the checkpoint, or a power loss could
    // leave a renamed but empty file (the ext4 zero-length-file problem).
    if (::fsync(writer.fd) != 0)
        return failWith(
            QStringLiteral("fsync: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    const int fd = writer.fd;
    writer.fd = -1;
    if (::close(fd) != 0)
        return failWith(
            QStringLiteral("close: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    if (::rename(tempName.constData(), QFile::encodeName(target.absoluteFilePath()).constData()) !=
        0)
        return failWith(
            QStringLiteral("rename: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    // Makes the rename itself durable; the new file is complete whether or not this succeeds.
    syncDirectory(target.absolutePath());
    return okStatus();
}

RemovedTemporaries removeStaleTemporaries(const QString &dir)
{
    // ".<name>.tmp-<pid>-<n>", as saveCheckpointAtomically names them.
    static const QRegularExpression temporary(QStringLiteral("^\\..+\\.tmp-(\\d+)-\\d+$"));
    RemovedTemporaries removed;
    const QFileInfoList files = QDir(dir).entryInfoList(QDir::Files | QDir::Hidden);
    for (const QFileInfo &file : files) {
        const QRegularExpressionMatch m = temporary.match(file.fileName());
        if (!m.hasMatch())
            continue;
        const pid_t pid = pid_t(m.captured(1).toLongLong());
        // A live process (ours, or one we may not signal) may still be writing it.
        if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM)
            continue;
        const qint64 size = file.size();
        if (QFile::remove(file.filePath())) {
            removed.names << file.fileName();
            removed.bytes += size;
        }
    }
    return removed;
}

Result<CheckpointData> loadCheckpoint(const QString &path)
{
    // The metadata read classifies empty, truncated and foreign files with a precise reason.
    Result<QJsonObject> meta = readCheckpointMeta(path);
    if (!meta)
        return Result<CheckpointData>::fail(meta.error());
    const CheckpointInfo info = checkpointInfoFromMeta(path, meta.value());
    if (!info.isValid())
        return Result<CheckpointData>::fail(info.error);

    if (info.source == QLatin1String("ultralytics")) {
        Result<ForeignCheckpoint> foreign = loadUltralyticsCheckpoint(path);
        if (!foreign)
            return Result<CheckpointData>::fail(foreign.error());
        CheckpointData data;
        data.meta = std::move(foreign.value().meta);
        data.tensors = std::move(foreign.value().tensors);
        return Result<CheckpointData>::ok(std::move(data));
    }

    CheckpointData data;
    data.meta = meta.take();
    try {
        caffe2::serialize::PyTorchStreamReader reader(QFile::encodeName(path).toStdString());
        const QString unexpected = unexpectedArchiveContent(reader);
        if (!unexpected.isEmpty())
            return Result<CheckpointData>::fail(fileError(path, unexpected));
        torch::jit::ExtraFilesMap extra{{"tensors.json", ""}};
        torch::jit::Module module = torch::jit::load(QFile::encodeName(path).toStdString(),
                                                     torch::Device(torch::kCPU), extra);
        const QJsonObject manifest =
            QJsonDocument::fromJson(QByteArray::fromStdString(extra["tensors.json"])).object();
        if (!module.hasattr(kTensorsAttribute) || !module.attr(kTensorsAttribute).isGenericDict())
            return Result<CheckpointData>::fail(
                fileError(path, QStringLiteral("damaged checkpoint: no tensor table")));
        for (const auto &entry : module.attr(kTensorsAttribute).toGenericDict()) {
            if (!entry.key().isString() || !entry.value().isTensor())
                return Result<CheckpointData>::fail(
                    fileError(path, QStringLiteral("damaged checkpoint: bad tensor table entry")));
            data.tensors.emplace(entry.key().toStringRef(), entry.value().toTensor());
        }
        if (manifest.size() != qsizetype(data.tensors.size()))
            return Result<CheckpointData>::fail(fileError(
                path, QStringLiteral("damaged checkpoint: the tensor list does not match its "
                                     "manifest")));
        for (const auto &[key, tensor] : data.tensors) {
            const QString name = QString::fromStdString(key);
            if (manifest.value(name).toObject() != manifestEntry(compact(tensor)))
                return Result<CheckpointData>::fail(fileError(
                    path, QStringLiteral("damaged checkpoint: tensor \"%1\" does not match its "
                                         "checksum (corrupted on disk or in transfer)")
                              .arg(name)));
        }
    } catch (const std::exception &e) {
        return Result<CheckpointData>::fail(
            fileError(path, QStringLiteral("damaged checkpoint, tensors unreadable (%1)")
                                .arg(firstLine(e.what()))));
    }
    return Result<CheckpointData>::ok(std::move(data));
}

Result<QString> tensorsHash(const CheckpointData &data, const std::string &prefix)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    int count = 0;
    try {
        for (auto it = data.tensors.lower_bound(prefix);
             it != data.tensors.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
            const torch::Tensor t = compact(it->second);
            std::string header = it->first;
            header += '\0';
            header += c10::toString(t.scalar_type());
            for (const int64_t d : t.sizes())
                header += ',' + std::to_string(d);
            header += '\0';
            hash.addData(QByteArrayView(header.data(), qsizetype(header.size())));
            hash.addData(QByteArrayView(static_cast<const char *>(t.data_ptr()),
                                        qsizetype(t.numel() * t.element_size())));
            ++count;
        }
    } catch (const std::exception &e) {
        return Result<QString>::fail(
            QStringLiteral("cannot hash tensors: %1").arg(firstLine(e.what())));
    }
    if (count == 0)
        return Result<QString>::fail(
            QStringLiteral("no tensor key starts with \"%1\"").arg(QString::fromStdString(prefix)));
    return Result<QString>::ok(QString::fromLatin1(hash.result().toHex()));
}

} // namespace yolodeck
