#pragma once

#include "core/common/result.h"

#include <QString>
#include <QStringList>

#include <cstdint>

namespace yolodeck {

struct SynthOptions
{
    QString dir;     // created if missing; images/, labels/ and data.yaml are written inside
    int train = 128; // training images
    int val = 32;    // validation images
    int imgsz = 96;  // square image side in pixels
    int classes = 3; // 1..40
    uint64_t seed = 0;
};

// Writes the built-in demo dataset: strongly coloured shapes, one shape and colour per class
// (0 red circle, 1 green square, 2 blue triangle, 3 yellow diamond, ...), 1 to 4 per image at
// 10-40% of the image side, on a low-saturation noisy gradient, with exact boxes. Images are jpg
// (quality 95) with every fourth one png. The same options always give the same files.
Status writeSynthDataset(const SynthOptions &options);

// Class names used for `classes` classes, e.g. "red circle".
QStringList synthClassNames(int classes);

} // namespace yolodeck
