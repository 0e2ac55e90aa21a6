#pragma once

namespace yolodeck {

// One predicted box in image pixels (corners), as NMS returns it.
struct Detection
{
    float x1, y1, x2, y2;
    float conf;
    int cls;
};

// One labelled box in image pixels (corners).
struct GroundTruth
{
    float x1, y1, x2, y2;
    int cls;
};

} // namespace yolodeck
