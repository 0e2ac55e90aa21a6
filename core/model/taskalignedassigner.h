#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace yolodeck {

// What the assigner decided for every anchor of a batch.
struct AssignResult
{
    // Labels, boxes and indices are meaningful only where fgMask is set.
    torch::Tensor targetLabels; // [B, A] int64, class of the assigned box
    torch::Tensor targetBoxes;  // [B, A, 4] xyxy of the assigned box, same units as gtBoxes
    torch::Tensor targetScores; // [B, A, nc] one-hot x normalised alignment, 0 for background
    torch::Tensor fgMask;       // [B, A] bool, anchor is a positive
    torch::Tensor targetGtIdx;  // [B, A] int64, index of the assigned box in its image
};

// Task-aligned label assignment (Feng et al. 2021, "TOOD"), as in Ultralytics YOLOv8:
// candidates are anchors whose centre lies inside a ground-truth box; each box keeps the topk
// candidates by alignment metric score^alpha * CIoU^beta; an anchor claimed by several boxes goes
// to the one it overlaps most (CIoU); target scores are the one-hot class scaled, per box, so that
// its best-aligned anchor gets that box's largest CIoU. Runs without gradient.
class TaskAlignedAssigner
{
public:
    // Ultralytics' v8 defaults: topk 10, alpha 0.5, beta 6.0, eps 1e-9.
    explicit TaskAlignedAssigner(int nc, int topk = 10, double alpha = 0.5, double beta = 6.0,
                                 double eps = 1e-9);

    // pdScores [B, A, nc] probabilities (after sigmoid); pdBoxes [B, A, 4] xyxy; anchorPoints
    // [A, 2], all in pixels. gtLabels [B, M, 1], gtBoxes [B, M, 4] xyxy pixels, maskGt [B, M, 1]
    // (1 for real boxes, 0 for padding; M is the largest box count of the batch, may be 0).
    AssignResult operator()(const torch::Tensor &pdScores, const torch::Tensor &pdBoxes,
                            const torch::Tensor &anchorPoints, const torch::Tensor &gtLabels,
                            const torch::Tensor &gtBoxes, const torch::Tensor &maskGt) const;

    // [B, M, A] bool: anchor centre strictly inside the box (by more than eps).
    static torch::Tensor candidatesInBoxes(const torch::Tensor &anchorPoints,
                                           const torch::Tensor &gtBoxes, double eps = 1e-9);

private:
    int m_nc;
    int m_topk;
    double m_alpha;
    double m_beta;
    double m_eps;
};

} // namespace yolodeck
