#pragma once

namespace yolodeck {

// One object of a YOLO label file: class id and a box as centre/size, normalised to [0,1] by the
// image's width and height (the `class cx cy w h` line format of Ultralytics).
struct LabelBox
{
    int cls = 0;
    float cx = 0, cy = 0, w = 0, h = 0;
};

} // namespace yolodeck
