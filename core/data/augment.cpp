#include "core/data/augment.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {

// Ultralytics fills every border and empty mosaic cell with this grey.
const cv::Scalar kFill(114, 114, 114);

} // namespace

double uniform01(std::mt19937_64 &rng)
{
    // The top 53 bits make an exactly representable double in [0, 1).
    return double(rng() >> 11) * 0x1.0p-53;
}

double uniform(std::mt19937_64 &rng, double lo, double hi)
{
    return lo + (hi - lo) * uniform01(rng);
}

uint64_t uniformIndex(std::mt19937_64 &rng, uint64_t n)
{
    if (n <= 1)
        return 0;
    // Rejection sampling keeps the draw unbiased for any n.
    const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % n);
    uint64_t x = rng();
    while (x >= limit)
        x = rng();
    return x % n;
}

uint64_t splitmix64(uint64_t x)
{
    // Steele, Lea, Flood: "Fast splittable pseudorandom number generators" (SplitMix64 finaliser).
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t mixSeed(uint64_t a, uint64_t b, uint64_t c)
{
    return splitmix64(splitmix64(splitmix64(a) ^ b) ^ c);
}

std::vector<PixelBox> toPixelBoxes(const std::vector<LabelBox> &boxes, int width, int height)
{
    std::vector<PixelBox> out;
    out.reserve(boxes.size());
    for (const LabelBox &b : boxes)
        out.push_back({b.cls, (b.cx - b.w / 2) * width, (b.cy - b.h / 2) * height,
                       (b.cx + b.w / 2) * width, (b.cy + b.h / 2) * height});
    return out;
}

std::vector<LabelBox> toLabelBoxes(const std::vector<PixelBox> &boxes, int width, int height)
{
    std::vector<LabelBox> out;
    out.reserve(boxes.size());
    for (const PixelBox &b : boxes)
        out.push_back({b.cls, (b.x1 + b.x2) / 2 / width, (b.y1 + b.y2) / 2 / height,
                       (b.x2 - b.x1) / width, (b.y2 - b.y1) / height});
    return out;
}

void clipBoxes(std::vector<PixelBox> &boxes, int width, int height)
{
    for (PixelBox &b : boxes) {
        b.x1 = std::clamp(b.x1, 0.0f, float(width));
        b.x2 = std::clamp(b.x2, 0.0f, float(width));
        b.y1 = std::clamp(b.y1, 0.0f, float(height));
        b.y2 = std::clamp(b.y2, 0.0f, float(height));
    }
}

cv::Mat resizeLongSide(const cv::Mat &image, int longSide, bool augment)
{
    const int w0 = image.cols, h0 = image.rows;
    const double r = double(longSide) / std::max(w0, h0);
    if (r == 1.0)
        return image;
    const int w = std::min(int(std::ceil(w0 * r)), longSide);
    const int h = std::min(int(std::ceil(h0 * r)), longSide);
    const int interp = (augment || r > 1) ? cv::INTER_LINEAR : cv::INTER_AREA;
    cv::Mat out;
    cv::resize(image, out, cv::Size(std::max(w, 1), std::max(h, 1)), 0, 0, interp);
    return out;
}

cv::Mat letterbox(const cv::Mat &image, int size, bool scaleUp, Letterbox *info,
                  std::vector<PixelBox> *boxes)
{
    return letterbox(image, cv::Size(size, size), scaleUp, info, boxes);
}

cv::Mat letterbox(const cv::Mat &image, cv::Size input, bool scaleUp, Letterbox *info,
                  std::vector<PixelBox> *boxes)
{
    const int w0 = image.cols, h0 = image.rows;
    double r = std::min(double(input.height) / h0, double(input.width) / w0);
    if (!scaleUp)
        r = std::min(r, 1.0);
    const int newW = int(std::lround(w0 * r)), newH = int(std::lround(h0 * r));
    cv::Mat resized = image;
    if (newW != w0 || newH != h0)
        cv::resize(image, resized, cv::Size(newW, newH), 0, 0, cv::INTER_LINEAR);
    const double dw = (input.width - newW) / 2.0, dh = (input.height - newH) / 2.0;
    // The +/-0.1 puts an odd pixel of padding on the bottom/right, as Ultralytics does.
    const int top = int(std::lround(dh - 0.1)), left = int(std::lround(dw - 0.1));
    cv::Mat out;
    cv::copyMakeBorder(resized, out, top, input.height - newH - top, left,
                       input.width - newW - left, cv::BORDER_CONSTANT, kFill);
    if (info)
        *info = {float(r), float(left), float(top), w0, h0};
    if (boxes) {
        const float sx = float(newW) / w0, sy = float(newH) / h0;
        for (PixelBox &b : *boxes) {
            b.x1 = b.x1 * sx + left;
            b.x2 = b.x2 * sx + left;
            b.y1 = b.y1 * sy + top;
            b.y2 = b.y2 * sy + top;
        }
    }
    return out;
}

cv::Mat mosaic4(const std::array<cv::Mat, 4> &images,
                const std::array<std::vector<PixelBox>, 4> &boxes, int size, std::mt19937_64 &rng,
                std::vector<PixelBox> *outBoxes)
{
    const int s = size, s2 = 2 * size;
    // Centre drawn from [S/2, 3S/2): the mosaic border of -S/2 on each side.
    const int yc = int(uniform(rng, s / 2.0, s2 - s / 2.0));
    const int xc = int(uniform(rng, s / 2.0, s2 - s / 2.0));
    cv::Mat canvas(s2, s2, CV_8UC3, kFill);
    std::vector<PixelBox> all;
    for (int i = 0; i < 4; ++i) {
        const cv::Mat &img = images[i];
        const int w = img.cols, h = img.rows;
        int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
        switch (i) {
        case 0: // top left
            x1a = std::max(xc - w, 0), y1a = std::max(yc - h, 0), x2a = xc, y2a = yc;
            x1b = w - (x2a - x1a), y1b = h - (y2a - y1a), x2b = w, y2b = h;
            break;
        case 1: // top right
            x1a = xc, y1a = std::max(yc - h, 0), x2a = std::min(xc + w, s2), y2a = yc;
            x1b = 0, y1b = h - (y2a - y1a), x2b = std::min(w, x2a - x1a), y2b = h;
            break;
        case 2: // bottom left
            x1a = std::max(xc - w, 0), y1a = yc, x2a = xc, y2a = std::min(s2, yc + h);
            x1b = w - (x2a - x1a), y1b = 0, x2b = w, y2b = std::min(y2a - y1a, h);
            break;
        default: // bottom right
            x1a = xc, y1a = yc, x2a = std::min(xc + w, s2), y2a = std::min(s2, yc + h);
            x1b = 0, y1b = 0, x2b = std::min(w, x2a - x1a), y2b = std::min(y2a - y1a, h);
            break;
        }
        if (x2a > x1a && y2a > y1a)
            img(cv::Rect(x1b, y1b, x2b - x1b, y2b - y1b))
                .copyTo(canvas(cv::Rect(x1a, y1a, x2a - x1a, y2a - y1a)));
        const float padW = float(x1a - x1b), padH = float(y1a - y1b);
        for (PixelBox b : boxes[i]) {
            b.x1 += padW, b.x2 += padW, b.y1 += padH, b.y2 += padH;
            all.push_back(b);
        }
    }
    clipBoxes(all, s2, s2);
    // Boxes of the parts of the four images that fell outside the canvas collapse to zero area.
    all.erase(std::remove_if(all.begin(), all.end(),
                             [](const PixelBox &b) { return b.x2 <= b.x1 || b.y2 <= b.y1; }),
              all.end());
    if (outBoxes)
        *outBoxes = std::move(all);
    return canvas;
}

bool boxCandidate(const PixelBox &reference, const PixelBox &transformed)
{
    // Ultralytics box_candidates(wh_thr=2, ar_thr=100, area_thr=0.1).
    constexpr double eps = 1e-16;
    const double w1 = reference.x2 - reference.x1, h1 = reference.y2 - reference.y1;
    const double w2 = transformed.x2 - transformed.x1, h2 = transformed.y2 - transformed.y1;
    const double ar = std::max(w2 / (h2 + eps), h2 / (w2 + eps));
    return w2 > 2 && h2 > 2 && w2 * h2 / (w1 * h1 + eps) > 0.1 && ar < 100;
}

cv::Mat randomAffine(const cv::Mat &image, std::vector<PixelBox> &boxes,
                     const AugmentParams &params, int border, std::mt19937_64 &rng)
{
    const int outW = image.cols - 2 * border, outH = image.rows - 2 * border;
    constexpr double kDegToRad = M_PI / 180.0;
    // Draw order follows Ultralytics: perspective, rotation/scale, shear, translation.
    cv::Matx33d C = cv::Matx33d::eye();
    C(0, 2) = -image.cols / 2.0;
    C(1, 2) = -image.rows / 2.0;
    cv::Matx33d P = cv::Matx33d::eye();
    P(2, 0) = uniform(rng, -params.perspective, params.perspective);
    P(2, 1) = uniform(rng, -params.perspective, params.perspective);
    const double angle = uniform(rng, -params.degrees, params.degrees);
    const double s = uniform(rng, 1 - params.scale, 1 + params.scale);
    // Same as cv::getRotationMatrix2D(centre (0,0), angle, s): positive angle = anticlockwise.
    const double ca = std::cos(angle * kDegToRad) * s, sa = std::sin(angle * kDegToRad) * s;
    cv::Matx33d R(ca, sa, 0, -sa, ca, 0, 0, 0, 1);
    cv::Matx33d S = cv::Matx33d::eye();
    S(0, 1) = std::tan(uniform(rng, -params.shear, params.shear) * kDegToRad);
    S(1, 0) = std::tan(uniform(rng, -params.shear, params.shear) * kDegToRad);
    cv::Matx33d T = cv::Matx33d::eye();
    T(0, 2) = uniform(rng, 0.5 - params.translate, 0.5 + params.translate) * outW;
    T(1, 2) = uniform(rng, 0.5 - params.translate, 0.5 + params.translate) * outH;
    const cv::Matx33d M = T * S * R * P * C;

    cv::Mat out;
    const bool perspective = params.perspective != 0.0;
    if (border != 0 || M != cv::Matx33d::eye()) {
        if (perspective)
            cv::warpPerspective(image, out, M, cv::Size(outW, outH), cv::INTER_LINEAR,
                                cv::BORDER_CONSTANT, kFill);
        else
            cv::warpAffine(image, out, cv::Matx23d(M.val), cv::Size(outW, outH), cv::INTER_LINEAR,
                           cv::BORDER_CONSTANT, kFill);
    } else {
        out = image.clone();
    }

    std::vector<PixelBox> kept;
    kept.reserve(boxes.size());
    for (const PixelBox &b : boxes) {
        const double xs[4] = {b.x1, b.x2, b.x1, b.x2};
        const double ys[4] = {b.y1, b.y1, b.y2, b.y2};
        double minX = 1e30, minY = 1e30, maxX = -1e30, maxY = -1e30;
        for (int k = 0; k < 4; ++k) {
            const cv::Vec3d p = M * cv::Vec3d(xs[k], ys[k], 1.0);
            const double z = perspective ? p[2] : 1.0;
            minX = std::min(minX, p[0] / z), maxX = std::max(maxX, p[0] / z);
            minY = std::min(minY, p[1] / z), maxY = std::max(maxY, p[1] / z);
        }
        PixelBox t{b.cls, float(std::clamp(minX, 0.0, double(outW))),
                   float(std::clamp(minY, 0.0, double(outH))),
                   float(std::clamp(maxX, 0.0, double(outW))),
                   float(std::clamp(maxY, 0.0, double(outH)))};
        // Reference: the original box scaled by the drawn gain (Ultralytics scales the
        // instances by s before comparing), so rotation does not shrink the threshold.
        const PixelBox reference{b.cls, 0, 0, float((b.x2 - b.x1) * s), float((b.y2 - b.y1) * s)};
        if (boxCandidate(reference, t))
            kept.push_back(t);
    }
    boxes = std::move(kept);
    return out;
}

void augmentHsv(cv::Mat &image, const AugmentParams &params, std::mt19937_64 &rng)
{
    if (params.hsv_h == 0 && params.hsv_s == 0 && params.hsv_v == 0)
        return;
    const double rh = uniform(rng, -1, 1) * params.hsv_h + 1;
    const double rs = uniform(rng, -1, 1) * params.hsv_s + 1;
    const double rv = uniform(rng, -1, 1) * params.hsv_v + 1;
    cv::Mat lut(1, 256, CV_8UC3);
    for (int x = 0; x < 256; ++x) {
        // OpenCV's 8-bit hue runs over 0..179.
        const double hue = std::fmod(x * rh, 180.0);
        lut.at<cv::Vec3b>(0, x) =
            cv::Vec3b(cv::saturate_cast<uchar>(int(hue < 0 ? hue + 180 : hue)),
                      cv::saturate_cast<uchar>(int(std::clamp(x * rs, 0.0, 255.0))),
                      cv::saturate_cast<uchar>(int(std::clamp(x * rv, 0.0, 255.0))));
    }
    cv::Mat hsv;
    cv::cvtColor(image, hsv, cv::COLOR_BGR2HSV);
    cv::LUT(hsv, lut, hsv);
    cv::cvtColor(hsv, image, cv::COLOR_HSV2BGR);
}

void randomFlip(cv::Mat &image, std::vector<PixelBox> &boxes, const AugmentParams &params,
                std::mt19937_64 &rng)
{
    // Both draws always happen, so the stream does not depend on the probabilities.
    const bool up = uniform01(rng) < params.flipud;
    const bool lr = uniform01(rng) < params.fliplr;
    if (up) {
        cv::flip(image, image, 0);
        const float h = float(image.rows);
        for (PixelBox &b : boxes) {
            const float y1 = h - b.y2, y2 = h - b.y1;
            b.y1 = y1, b.y2 = y2;
        }
    }
    if (lr) {
        cv::flip(image, image, 1);
        const float w = float(image.cols);
        for (PixelBox &b : boxes) {
            const float x1 = w - b.x2, x2 = w - b.x1;
            b.x1 = x1, b.x2 = x2;
        }
    }
}

} // namespace yolodeck
