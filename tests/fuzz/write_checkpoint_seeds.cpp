// Writes the seed corpus of fuzz_checkpoint through the product's own checkpoint writer
// (saveCheckpointAtomically): a small but complete checkpoint (meta.json with the fields the
// browser reads, a few tiny tensors of the dtypes a run stores) and slightly broken copies of it.
// Seeds named bad-* must be refused (tests/auto/fuzz checks each one's message).
//
// Usage: write_checkpoint_seeds OUTDIR   (run when the checkpoint format changes)

#include "core/checkpoint/checkpointfile.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>

#include <cstdio>

using namespace yolodeck;

namespace {

QJsonObject smallMeta(const QString &kind, int format)
{
    return QJsonObject{
        {QStringLiteral("format"), format},
        {QStringLiteral("kind"), kind},
        {QStringLiteral("epoch"), 2},
        {QStringLiteral("batch"), 0},
        {QStringLiteral("global_step"), 8},
        {QStringLiteral("model"), QJsonObject{{QStringLiteral("scale"), QStringLiteral("tiny")},
                                              {QStringLiteral("nc"), 2},
                                              {QStringLiteral("imgsz"), 64}}},
        {QStringLiteral("names"), QJsonArray{QStringLiteral("a"), QStringLiteral("b")}},
        {QStringLiteral("metrics"), QJsonObject{{QStringLiteral("metrics/mAP50(B)"), 0.25},
                                                {QStringLiteral("metrics/mAP50-95(B)"), 0.125}}},
        {QStringLiteral("fitness"), 0.1375},
        {QStringLiteral("created"), QStringLiteral("2024-05-01T12:00:00.000Z")}};
}

CheckpointData smallState(const QString &kind, int format)
{
    CheckpointData data;
    data.meta = smallMeta(kind, format);
    data.tensors["model.0.conv.weight"] = torch::arange(12, torch::kFloat).reshape({2, 2, 3});
    data.tensors["model.0.bn.running_mean"] = torch::full({2}, 0.5, torch::kFloat);
    data.tensors["ema.0.conv.weight"] =
        torch::arange(12, torch::kFloat).reshape({2, 2, 3}).to(torch::kHalf);
    data.tensors["optim.step"] = torch::tensor(int64_t(8));
    data.tensors["rng.cpu"] = torch::arange(16, torch::kByte);
    return data;
}

bool writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(bytes) == bytes.size();
}

QByteArray readBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const QDir out(QString::fromLocal8Bit(argv[1]));
    if (!QDir().mkpath(out.path()))
        return 1;
    const struct
    {
        const char *file;
        const char *kind;
        int format;
    } saved[] = {{"full.pt", "full", 1},
                 {"weights.pt", "weights", 1},
                 {"bad-newer-format.pt", "full", 99},
                 {"bad-unknown-kind.pt", "partial", 1}};
    for (const auto &s : saved) {
        const QString path = out.filePath(QLatin1String(s.file));
        const Status status =
            saveCheckpointAtomically(path, smallState(QLatin1String(s.kind), s.format));
        if (!status) {
            std::fprintf(stderr, "%s\n", qPrintable(status.error()));
            return 1;
        }
    }

    // Broken copies of full.pt: cut off, a changed tensor byte (the manifest's CRC catches it), and
    // damaged meta.json.
    const QByteArray full = readBytes(out.filePath(QStringLiteral("full.pt")));
    QByteArray flipped = full;
    // rng.cpu holds the bytes 0..15: change one of them.
    const qsizetype rng = flipped.indexOf(QByteArray::fromHex("000102030405060708090a0b0c0d0e0f"));
    QByteArray badMeta = full;
    const qsizetype format = badMeta.indexOf("\"format\"");
    if (rng < 0 || format < 0) {
        std::fprintf(stderr, "unexpected archive layout\n");
        return 1;
    }
    flipped[rng + 5] = char(0x55);
    badMeta[format] = '{';
    const bool ok =
        writeBytes(out.filePath(QStringLiteral("bad-truncated.pt")), full.left(full.size() / 2)) &&
        writeBytes(out.filePath(QStringLiteral("bad-crc-mismatch.pt")), flipped) &&
        writeBytes(out.filePath(QStringLiteral("bad-meta-json.pt")), badMeta);
    return ok ? 0 : 1;
}
