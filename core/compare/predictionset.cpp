#include "core/compare/predictionset.h"

#include "core/common/textutil.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QFile>
#include <QStandardPaths>

namespace yolodeck {

namespace {

// "YDPS": YoloDeck prediction set. Bump the version whenever the layout below changes; an old
// cache file is then refused (and recomputed), never misread.
constexpr quint32 kMagic = 0x59445053;
constexpr quint32 kVersion = 1;

QString number(float v)
{
    return QString::number(double(v), 'g', 6);
}

} // namespace

QString EvaluationSettings::describe() const
{
    return QStringLiteral("%1 split · imgsz %2 · %3 batches of %4 · conf %5 · NMS IoU %6 · "
                          "max_det %7")
        .arg(split)
        .arg(imgsz)
        .arg(rect ? QStringLiteral("rect") : QStringLiteral("square"))
        .arg(batch)
        .arg(number(conf), number(iou))
        .arg(maxDet);
}

QString EvaluationSettings::cacheKey() const
{
    // Batch size matters too: rect batches pad each batch to its own shape.
    return QStringLiteral("split=%1;imgsz=%2;batch=%3;conf=%4;iou=%5;max_det=%6;rect=%7")
        .arg(split)
        .arg(imgsz)
        .arg(batch)
        .arg(number(conf), number(iou))
        .arg(maxDet)
        .arg(rect ? 1 : 0);
}

Status writePredictionSet(const QString &path, const PredictionSet &set)
{
    QByteArray bytes;
    {
        QDataStream s(&bytes, QIODevice::WriteOnly);
        s.setVersion(QDataStream::Qt_6_4);
        s.setFloatingPointPrecision(QDataStream::SinglePrecision);
        s << kMagic << kVersion;
        s << set.checkpointPath << set.contentHash << set.weightsHash << set.dataFingerprint
          << set.names;
        const EvaluationSettings &e = set.settings;
        s << e.dataYaml << e.split << qint32(e.imgsz) << qint32(e.batch) << e.conf << e.iou
          << qint32(e.maxDet) << e.rect;
        s.setFloatingPointPrecision(QDataStream::DoublePrecision);
        s << set.loss[0] << set.loss[1] << set.loss[2] << set.seconds << set.msPerImage;
        s.setFloatingPointPrecision(QDataStream::SinglePrecision);
        s << quint32(set.images.size());
        for (const ImagePredictions &im : set.images) {
            s << im.imagePath << qint32(im.width) << qint32(im.height);
            s << quint32(im.labels.size());
            for (const GroundTruth &g : im.labels)
                s << g.x1 << g.y1 << g.x2 << g.y2 << qint32(g.cls);
            s << quint32(im.detections.size());
            for (const Detection &d : im.detections)
                s << d.x1 << d.y1 << d.x2 << d.y2 << d.conf << qint32(d.cls);
        }
    }
    QString error;
    if (!writeFileAtomically(path, bytes, &error))
        return Status::fail(error);
    return okStatus();
}

Result<PredictionSet> readPredictionSet(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Result<PredictionSet>::fail(
            QStringLiteral("%1: cannot be read (%2)").arg(path, file.errorString()));
    const QByteArray bytes = file.readAll();
    QDataStream s(bytes);
    s.setVersion(QDataStream::Qt_6_4);
    s.setFloatingPointPrecision(QDataStream::SinglePrecision);
    quint32 magic = 0, version = 0;
    s >> magic >> version;
    if (magic != kMagic)
        return Result<PredictionSet>::fail(
            QStringLiteral("%1: not a YoloDeck prediction set").arg(path));
    if (version != kVersion)
        return Result<PredictionSet>::fail(
            QStringLiteral("%1: prediction set version %2, this build reads %3")
                .arg(path)
                .arg(version)
                .arg(kVersion));
    PredictionSet set;
    s >> set.checkpointPath >> set.contentHash >> set.weightsHash >> set.dataFingerprint >>
        set.names;
    EvaluationSettings &e = set.settings;
    qint32 imgsz = 0, batch = 0, maxDet = 0;
    s >> e.dataYaml >> e.split >> imgsz >> batch >> e.conf >> e.iou >> maxDet >> e.rect;
    e.imgsz = imgsz;
    e.batch = batch;
    e.maxDet = maxDet;
    s.setFloatingPointPrecision(QDataStream::DoublePrecision);
    s >> set.loss[0] >> set.loss[1] >> set.loss[2] >> set.seconds >> set.msPerImage;
    s.setFloatingPointPrecision(QDataStream::SinglePrecision);
    // Counts are checked against the bytes left, so a damaged count cannot ask for gigabytes.
    const auto fits = [&](quint32 count, int bytesEach) {
        return s.status() == QDataStream::Ok &&
               qint64(count) * bytesEach <= bytes.size() - s.device()->pos();
    };
    quint32 images = 0;
    s >> images;
    if (!fits(images, 12))
        return Result<PredictionSet>::fail(QStringLiteral("%1: truncated or damaged").arg(path));
    set.images.resize(images);
    for (ImagePredictions &im : set.images) {
        qint32 w = 0, h = 0;
        quint32 n = 0;
        s >> im.imagePath >> w >> h >> n;
        im.width = w;
        im.height = h;
        if (!fits(n, 20))
            return Result<PredictionSet>::fail(
                QStringLiteral("%1: truncated or damaged").arg(path));
        im.labels.resize(n);
        for (GroundTruth &g : im.labels) {
            qint32 c = 0;
            s >> g.x1 >> g.y1 >> g.x2 >> g.y2 >> c;
            g.cls = c;
        }
        s >> n;
        if (!fits(n, 24))
            return Result<PredictionSet>::fail(
                QStringLiteral("%1: truncated or damaged").arg(path));
        im.detections.resize(n);
        for (Detection &d : im.detections) {
            qint32 c = 0;
            s >> d.x1 >> d.y1 >> d.x2 >> d.y2 >> d.conf >> c;
            d.cls = c;
        }
    }
    if (s.status() != QDataStream::Ok || !s.atEnd())
        return Result<PredictionSet>::fail(QStringLiteral("%1: truncated or damaged").arg(path));
    set.fromCache = true;
    return Result<PredictionSet>::ok(std::move(set));
}

QString predictionCacheDir()
{
    const QByteArray env = qgetenv("YOLODECK_CACHE_DIR");
    if (!env.isEmpty())
        return QString::fromLocal8Bit(env);
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/yolodeck/predictions");
}

QString predictionCachePath(const QString &contentHash, const QString &dataFingerprint,
                            const EvaluationSettings &settings)
{
    const QByteArray key =
        (contentHash + QLatin1Char('|') + dataFingerprint + QLatin1Char('|') + settings.cacheKey())
            .toUtf8();
    const QString name =
        QString::fromLatin1(QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex());
    return predictionCacheDir() + QLatin1Char('/') + name + QStringLiteral(".preds");
}

} // namespace yolodeck
