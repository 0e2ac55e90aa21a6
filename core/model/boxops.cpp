#include "core/model/boxops.h"

#include <cmath>

namespace yolodeck {

torch::Tensor xywh2xyxy(const torch::Tensor &boxes)
{
    TORCH_CHECK(boxes.size(-1) == 4, "xywh2xyxy: last dimension must be 4, got ", boxes.sizes());
    const auto xy = boxes.narrow(-1, 0, 2);
    const auto halfWh = boxes.narrow(-1, 2, 2) / 2;
    return torch::cat({xy - halfWh, xy + halfWh}, -1);
}

torch::Tensor xyxy2xywh(const torch::Tensor &boxes)
{
    TORCH_CHECK(boxes.size(-1) == 4, "xyxy2xywh: last dimension must be 4, got ", boxes.sizes());
    const auto p1 = boxes.narrow(-1, 0, 2);
    const auto p2 = boxes.narrow(-1, 2, 2);
    return torch::cat({(p1 + p2) / 2, p2 - p1}, -1);
}

torch::Tensor bboxIou(const torch::Tensor &box1, const torch::Tensor &box2, bool xywh, bool ciou,
                      double eps)
{
    TORCH_CHECK(box1.size(-1) == 4 && box2.size(-1) == 4, "bboxIou: boxes need 4 values");
    torch::Tensor b1x1, b1y1, b1x2, b1y2, b2x1, b2y1, b2x2, b2y2, w1, h1, w2, h2;
    if (xywh) {
        const auto a = box1.chunk(4, -1);
        const auto b = box2.chunk(4, -1);
        w1 = a[2];
        h1 = a[3];
        w2 = b[2];
        h2 = b[3];
        b1x1 = a[0] - w1 / 2;
        b1x2 = a[0] + w1 / 2;
        b1y1 = a[1] - h1 / 2;
        b1y2 = a[1] + h1 / 2;
        b2x1 = b[0] - w2 / 2;
        b2x2 = b[0] + w2 / 2;
        b2y1 = b[1] - h2 / 2;
        b2y2 = b[1] + h2 / 2;
    } else {
        const auto a = box1.chunk(4, -1);
        const auto b = box2.chunk(4, -1);
        b1x1 = a[0];
        b1y1 = a[1];
        b1x2 = a[2];
        b1y2 = a[3];
        b2x1 = b[0];
        b2y1 = b[1];
        b2x2 = b[2];
        b2y2 = b[3];
        // eps on the heights keeps atan(w / h) finite for degenerate boxes (Ultralytics).
        w1 = b1x2 - b1x1;
        h1 = b1y2 - b1y1 + eps;
        w2 = b2x2 - b2x1;
        h2 = b2y2 - b2y1 + eps;
    }

    const auto inter = (torch::min(b1x2, b2x2) - torch::max(b1x1, b2x1)).clamp_min(0) *
                       (torch::min(b1y2, b2y2) - torch::max(b1y1, b2y1)).clamp_min(0);
    const auto unionArea = w1 * h1 + w2 * h2 - inter + eps;
    const auto iou = inter / unionArea;
    if (!ciou)
        return iou;

    // Diagonal of the smallest enclosing box and distance between the centres.
    const auto cw = torch::max(b1x2, b2x2) - torch::min(b1x1, b2x1);
    const auto ch = torch::max(b1y2, b2y2) - torch::min(b1y1, b2y1);
    const auto c2 = cw.pow(2) + ch.pow(2) + eps;
    const auto rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) / 4;
    // Aspect-ratio consistency term v and its trade-off weight alpha (CIoU paper, eq. 9 and 11).
    const auto v = (4.0 / (M_PI * M_PI)) * (torch::atan(w2 / h2) - torch::atan(w1 / h1)).pow(2);
    torch::Tensor alpha;
    {
        torch::NoGradGuard noGrad;
        alpha = v / (v - iou + (1 + eps));
    }
    return iou - (rho2 / c2 + v * alpha);
}

Anchors makeAnchors(const std::vector<torch::Tensor> &feats, const std::vector<int64_t> &strides,
                    double offset)
{
    TORCH_CHECK(!feats.empty() && feats.size() == strides.size(),
                "makeAnchors: one stride per feature map needed");
    const auto options = feats.front().options();
    std::vector<torch::Tensor> points;
    std::vector<torch::Tensor> strideParts;
    for (size_t i = 0; i < feats.size(); ++i) {
        const int64_t h = feats[i].size(2);
        const int64_t w = feats[i].size(3);
        const auto sx = torch::arange(w, options) + offset;
        const auto sy = torch::arange(h, options) + offset;
        const auto grid = torch::meshgrid({sy, sx}, "ij");
        points.push_back(torch::stack({grid[1], grid[0]}, -1).view({-1, 2}));
        strideParts.push_back(torch::full({h * w, 1}, static_cast<double>(strides[i]), options));
    }
    return {torch::cat(points), torch::cat(strideParts)};
}

torch::Tensor dist2bbox(const torch::Tensor &distance, const torch::Tensor &anchorPoints, bool xywh,
                        int64_t dim)
{
    const auto parts = distance.chunk(2, dim);
    const auto p1 = anchorPoints - parts[0];
    const auto p2 = anchorPoints + parts[1];
    if (xywh)
        return torch::cat({(p1 + p2) / 2, p2 - p1}, dim);
    return torch::cat({p1, p2}, dim);
}

torch::Tensor bbox2dist(const torch::Tensor &anchorPoints, const torch::Tensor &boxes,
                        int64_t regMax)
{
    const auto parts = boxes.chunk(2, -1);
    // Ultralytics clamps to (reg_max - 1) - 0.01: the right DFL bin floor(d) + 1 must exist.
    return torch::cat({anchorPoints - parts[0], parts[1] - anchorPoints}, -1)
        .clamp(0, static_cast<double>(regMax - 1) - 0.01);
}

} // namespace yolodeck
