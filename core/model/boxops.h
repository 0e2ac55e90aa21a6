#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace yolodeck {

// Box helpers shared by the model's decoder, the assigner and the loss. Boxes live in the last
// dimension (4 values) unless a function takes a dim. Definitions follow Ultralytics' ops and
// metrics so that numbers can be compared with it.

// (cx, cy, w, h) -> (x1, y1, x2, y2)
torch::Tensor xywh2xyxy(const torch::Tensor &boxes);
// (x1, y1, x2, y2) -> (cx, cy, w, h)
torch::Tensor xyxy2xywh(const torch::Tensor &boxes);

// IoU, or Complete-IoU when ciou is set (Zheng et al. 2020, "Distance-IoU loss"), of boxes that
// broadcast against each other. Returns shape broadcast(box1, box2)[..., 1], like Ultralytics'
// bbox_iou. eps 1e-7 (Ultralytics) keeps empty unions and zero heights finite. The CIoU
// aspect-ratio trade-off alpha is computed without gradient, as in the paper.
torch::Tensor bboxIou(const torch::Tensor &box1, const torch::Tensor &box2, bool xywh = true,
                      bool ciou = false, double eps = 1e-7);

// The anchor points of a set of feature maps: one per grid cell, at the cell centre (offset 0.5),
// in grid units of its level. points [A, 2] (x, y), strides [A, 1]; dtype and device of feats[0].
// A runs over the levels in order, each level row-major.
struct Anchors
{
    torch::Tensor points;
    torch::Tensor strides;
};
Anchors makeAnchors(const std::vector<torch::Tensor> &feats, const std::vector<int64_t> &strides,
                    double offset = 0.5);

// Distances (left, top, right, bottom) from anchor points -> boxes, xyxy (or xywh), along dim.
torch::Tensor dist2bbox(const torch::Tensor &distance, const torch::Tensor &anchorPoints,
                        bool xywh = false, int64_t dim = -1);

// xyxy boxes -> distances (left, top, right, bottom) from anchor points, clamped to
// [0, regMax - 1 - 0.01] so that both DFL target bins (floor and floor + 1) exist.
torch::Tensor bbox2dist(const torch::Tensor &anchorPoints, const torch::Tensor &boxes,
                        int64_t regMax);

} // namespace yolodeck
