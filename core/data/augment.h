#pragma once

#include "core/data/labelbox.h"

#include <opencv2/core/mat.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace yolodeck {

// Training augmentation. Defaults are Ultralytics' (default.yaml); mixup and copy-paste, which are
// off there by default, are not implemented.
struct AugmentParams
{
    double hsv_h = 0.015;     // hue gain (fraction of the hue circle)
    double hsv_s = 0.7;       // saturation gain
    double hsv_v = 0.4;       // value gain
    double degrees = 0.0;     // rotation, +/- degrees
    double translate = 0.1;   // translation, +/- fraction of the output size
    double scale = 0.5;       // scale gain drawn from [1 - scale, 1 + scale]
    double shear = 0.0;       // shear, +/- degrees
    double perspective = 0.0; // perspective, +/- fraction (0 - 0.001 is the useful range)
    double flipud = 0.0;      // probability of an up-down flip
    double fliplr = 0.5;      // probability of a left-right flip
    double mosaic = 1.0;      // probability of a 4-image mosaic
};

// A box in pixels of the image it belongs to.
struct PixelBox
{
    int cls = 0;
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// How an original image was placed into the S x S network input: original pixel
// = (input pixel - pad) / ratio.
struct Letterbox
{
    float ratio = 1;
    float padX = 0, padY = 0;
    int origW = 0, origH = 0;
};

// Random numbers that do not depend on the standard library's distributions (which differ between
// implementations), so a seed means the same augmentation everywhere.
double uniform01(std::mt19937_64 &rng);                     // [0, 1)
double uniform(std::mt19937_64 &rng, double lo, double hi); // [lo, hi)
uint64_t uniformIndex(std::mt19937_64 &rng, uint64_t n);    // [0, n)
uint64_t splitmix64(uint64_t x);                            // a strong 64-bit mixer
uint64_t mixSeed(uint64_t a, uint64_t b, uint64_t c = 0);   // combine seeds, order matters

std::vector<PixelBox> toPixelBoxes(const std::vector<LabelBox> &boxes, int width, int height);
std::vector<LabelBox> toLabelBoxes(const std::vector<PixelBox> &boxes, int width, int height);

// Resizes so that the long side is longSide (Ultralytics' load_image): linear interpolation when
// augmenting or enlarging, area interpolation when shrinking for validation.
cv::Mat resizeLongSide(const cv::Mat &image, int longSide, bool augment);

// Scales image to fit a width x height input keeping its ratio (never enlarging when scaleUp is
// false) and pads it centred with grey 114. Always returns a new buffer. Boxes are mapped when
// given.
cv::Mat letterbox(const cv::Mat &image, cv::Size input, bool scaleUp, Letterbox *info,
                  std::vector<PixelBox> *boxes = nullptr);
// The same into a size x size input.
cv::Mat letterbox(const cv::Mat &image, int size, bool scaleUp, Letterbox *info,
                  std::vector<PixelBox> *boxes = nullptr);

// Four images around a random centre of a 2S x 2S canvas filled with 114 (Ultralytics
// Mosaic, n=4). The images should already have their long side resized to S.
cv::Mat mosaic4(const std::array<cv::Mat, 4> &images,
                const std::array<std::vector<PixelBox>, 4> &boxes, int size, std::mt19937_64 &rng,
                std::vector<PixelBox> *outBoxes);

// Ultralytics RandomPerspective: perspective, rotation + scale, shear and translation composed
// about the image centre, output (input - 2*border) square, fill 114; boxes transformed, clipped
// and filtered with boxCandidates. border is S/2 after a mosaic, 0 otherwise.
cv::Mat randomAffine(const cv::Mat &image, std::vector<PixelBox> &boxes,
                     const AugmentParams &params, int border, std::mt19937_64 &rng);

// Ultralytics box_candidates: keeps a transformed (clipped) box when both sides exceed 2 px, its
// area is above 10% of the reference box and its aspect ratio is below 100.
bool boxCandidate(const PixelBox &reference, const PixelBox &transformed);

// Random gains on hue, saturation and value applied through lookup tables (in place, BGR).
void augmentHsv(cv::Mat &image, const AugmentParams &params, std::mt19937_64 &rng);

// Left-right flip with probability fliplr and up-down flip with probability flipud (in place).
void randomFlip(cv::Mat &image, std::vector<PixelBox> &boxes, const AugmentParams &params,
                std::mt19937_64 &rng);

// Clips boxes to [0, width] x [0, height].
void clipBoxes(std::vector<PixelBox> &boxes, int width, int height);

} // namespace yolodeck
