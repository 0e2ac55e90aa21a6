#pragma once

#include "core/model/taskalignedassigner.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace yolodeck {

// Ultralytics' default loss gains (hyperparameters box, cls, dfl).
struct LossGains
{
    double box = 7.5;
    double cls = 0.5;
    double dfl = 1.5;
};

// YOLOv8 detection loss (Ultralytics' v8DetectionLoss): task-aligned assignment, BCE on class
// logits, CIoU and Distribution Focal Loss on the boxes of positive anchors. Computed in float32
// whatever the maps' dtype, so it is safe under CUDA autocast.
class DetectionLoss
{
public:
    DetectionLoss(int nc, std::vector<int64_t> strides, LossGains gains = {}, int regMax = 16);

    struct Output
    {
        torch::Tensor total; // scalar: sum(items) * batch size, what to backward (as Ultralytics)
        torch::Tensor items; // [3] box, cls, dfl, gains applied, detached
    };

    // feats: YoloModel::forward's maps [B, 4 * regMax + nc, H, W]; targets [N, 6]
    // (index in batch, class, cx, cy, w, h), normalised to the inputWidth x inputHeight input
    // the maps were computed from (checked).
    Output operator()(const std::vector<torch::Tensor> &feats, const torch::Tensor &targets,
                      int64_t inputHeight, int64_t inputWidth) const;
    // The loss in two halves, for data-parallel training (DESIGN.md §9): the sums over this
    // process's images, not yet divided by the target-score sum, then the division by the
    // normaliser of the whole step. With the normaliser and the multiplier of all ranks' images,
    // the ranks' gradients add up to the one-process gradient of the global batch.
    struct Parts
    {
        std::array<torch::Tensor, 3> sums; // box, cls, dfl: attached, gains not applied
        torch::Tensor targetScoreSum;      // scalar, detached
        int64_t batch = 0;
    };
    Parts parts(const std::vector<torch::Tensor> &feats, const torch::Tensor &targets,
                int64_t inputHeight, int64_t inputWidth) const;
    // normaliser: max(target-score sum of the step, 1); multiplier: images in the step.
    Output finish(const Parts &parts, const torch::Tensor &normaliser, double multiplier) const;

    // The same for a square imgsz x imgsz input.
    Output operator()(const std::vector<torch::Tensor> &feats, const torch::Tensor &targets,
                      int64_t imgsz) const
    {
        return (*this)(feats, targets, imgsz, imgsz);
    }

private:
    // [N, 6] -> [B, M, 5] (class, x1, y1, x2, y2 in pixels), zero-padded to the largest count M.
    torch::Tensor batchTargets(const torch::Tensor &targets, int64_t batchSize, int64_t height,
                               int64_t width, const torch::Device &device) const;

    int m_nc;
    std::vector<int64_t> m_strides;
    LossGains m_gains;
    int m_regMax;
    TaskAlignedAssigner m_assigner;
};

} // namespace yolodeck
