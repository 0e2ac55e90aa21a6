#pragma once

#include <QString>
#include <QStringList>

#include <opencv2/core/mat.hpp>

namespace yolodeck {

// Decodes an image file into 8-bit, 3-channel BGR, as the loader and the checks expect.
// jpg/jpeg/png/bmp/webp/tif/tiff are read; EXIF orientation is applied (a phone photo taken in
// portrait comes out portrait); grayscale is expanded to 3 channels, the alpha channel of RGBA is
// dropped and 16-bit samples are reduced to their high byte. On failure: an empty Mat and, when
// error is given, a one-line reason.
// With `timing`, the time spent reading the file's bytes and decoding them is added to it, so the
// loader can tell a slow disk from a slow decoder.
struct ImageLoadTiming
{
    double readMs = 0;
    double decodeMs = 0;
    int images = 0; // files read and decoded (failures included)
};
cv::Mat loadImage(const QString &path, QString *error, ImageLoadTiming *timing = nullptr);

// Lower-case file suffixes (without the dot) that count as images when a folder is scanned.
const QStringList &imageSuffixes();
bool hasImageSuffix(const QString &path);

} // namespace yolodeck
