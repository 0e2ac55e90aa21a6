#include "core/data/imageio.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <limits>

namespace yolodeck {

const QStringList &imageSuffixes()
{
    // The subset of Ultralytics' IMG_FORMATS that OpenCV 4.6 decodes.
    static const QStringList suffixes = {
        QStringLiteral("bmp"), QStringLiteral("jpeg"), QStringLiteral("jpg"), QStringLiteral("png"),
        QStringLiteral("tif"), QStringLiteral("tiff"), QStringLiteral("webp")};
    return suffixes;
}

bool hasImageSuffix(const QString &path)
{
    return imageSuffixes().contains(QFileInfo(path).suffix().toLower());
}

cv::Mat loadImage(const QString &path, QString *error, ImageLoadTiming *timing)
{
    auto fail = [&](const QString &reason) {
        if (error)
            *error = reason;
        return cv::Mat();
    };
    const QFileInfo info(path);
    if (!info.exists())
        return fail(QStringLiteral("image %1 does not exist").arg(path));
    if (!info.isFile() || !info.isReadable())
        return fail(QStringLiteral("image %1 is not a readable file").arg(path));
    if (info.size() == 0)
        return fail(QStringLiteral("image %1 is empty (0 bytes)").arg(path));

    if (info.size() > qint64(std::numeric_limits<int>::max()))
        return fail(
            QStringLiteral("image %1 is larger than 2 GiB: not a photo OpenCV decodes").arg(path));
    // The bytes are read first and decoded from memory, so the two costs are measured apart: a
    // network disk shows as read time, an oversized photo as decode time.
    QElapsedTimer clock;
    clock.start();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("image %1 cannot be opened: %2").arg(path, file.errorString()));
    const QByteArray bytes = file.readAll();
    file.close();
    const qint64 readNs = clock.nsecsElapsed();
    if (timing) {
        timing->readMs += readNs / 1e6;
        ++timing->images;
    }
    if (bytes.isEmpty())
        return fail(QStringLiteral("image %1 could not be read (0 bytes read)").arg(path));
    cv::Mat image;
    try {
        // IMREAD_COLOR (not IMREAD_UNCHANGED, which skips it) makes OpenCV apply the EXIF
        // orientation, expand gray, drop alpha and reduce 16-bit to 8-bit in the decoder itself.
        const cv::Mat encoded(1, int(bytes.size()), CV_8UC1, const_cast<char *>(bytes.constData()));
        image = cv::imdecode(encoded, cv::IMREAD_COLOR);
        if (timing)
            timing->decodeMs += (clock.nsecsElapsed() - readNs) / 1e6;
    } catch (const cv::Exception &e) {
        if (timing)
            timing->decodeMs += (clock.nsecsElapsed() - readNs) / 1e6;
        // OpenCV refuses a header that declares more than CV_IO_MAX_IMAGE_PIXELS (2^30) pixels or
        // 2^20 per side before allocating; its e.msg is a multi-line assertion with source lines.
        if (e.err.find("CV_IO_MAX_IMAGE") != std::string::npos)
            return fail(QStringLiteral("image %1 declares a size larger than OpenCV decodes (at "
                                       "most 2^30 pixels, 2^20 per side): damaged or not a photo")
                            .arg(path));
        return fail(
            QStringLiteral("cannot decode image %1: %2").arg(path, QString::fromStdString(e.err)));
    }
    if (image.empty())
        return fail(
            QStringLiteral("cannot decode image %1 (corrupt or unsupported format)").arg(path));
    // IMREAD_COLOR already gives CV_8UC3; the guard keeps the contract if a codec ever differs.
    if (image.depth() != CV_8U) {
        cv::Mat converted;
        const double scale = image.depth() == CV_16U ? 1.0 / 256.0 : 1.0;
        image.convertTo(converted, CV_8U, scale);
        image = converted;
    }
    if (image.channels() == 1)
        cv::cvtColor(image, image, cv::COLOR_GRAY2BGR);
    else if (image.channels() == 4)
        cv::cvtColor(image, image, cv::COLOR_BGRA2BGR);
    if (error)
        error->clear();
    return image;
}

} // namespace yolodeck
