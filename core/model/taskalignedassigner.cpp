#include "core/model/taskalignedassigner.h"

#include "core/model/boxops.h"

#include <ATen/record_function.h>

#include <algorithm>

namespace yolodeck {

using torch::indexing::Slice;

TaskAlignedAssigner::TaskAlignedAssigner(int nc, int topk, double alpha, double beta, double eps)
    : m_nc(nc)
    , m_topk(topk)
    , m_alpha(alpha)
    , m_beta(beta)
    , m_eps(eps)
{
    TORCH_CHECK(nc > 0 && topk > 0, "TaskAlignedAssigner: nc and topk must be positive");
}

torch::Tensor TaskAlignedAssigner::candidatesInBoxes(const torch::Tensor &anchorPoints,
                                                     const torch::Tensor &gtBoxes, double eps)
{
    const int64_t b = gtBoxes.size(0);
    const int64_t m = gtBoxes.size(1);
    const int64_t a = anchorPoints.size(0);
    const auto boxes = gtBoxes.view({b, m, 1, 4});
    const auto points = anchorPoints.view({1, 1, a, 2});
    const auto deltas =
        torch::cat({points - boxes.narrow(-1, 0, 2), boxes.narrow(-1, 2, 2) - points}, -1);
    return std::get<0>(deltas.min(-1)).gt(eps);
}

AssignResult
TaskAlignedAssigner::operator()(const torch::Tensor &pdScores, const torch::Tensor &pdBoxes,
                                const torch::Tensor &anchorPoints, const torch::Tensor &gtLabels,
                                const torch::Tensor &gtBoxes, const torch::Tensor &maskGt) const
{
    // A named range for LibTorch's profiler (bench_step_profile); free when no profiler runs.
    RECORD_USER_SCOPE("yolodeck::assign");
    torch::NoGradGuard noGrad;
    TORCH_CHECK(pdScores.dim() == 3 && pdScores.size(2) == m_nc,
                "TaskAlignedAssigner: pdScores must be [B, A, ", m_nc, "], got ", pdScores.sizes());
    const int64_t b = pdScores.size(0);
    const int64_t a = pdScores.size(1);
    const int64_t m = gtBoxes.size(1);

    if (m == 0) {
        // No box anywhere in the batch: everything is background.
        return {torch::zeros({b, a}, pdScores.options().dtype(torch::kLong)),
                torch::zeros_like(pdBoxes), torch::zeros_like(pdScores),
                torch::zeros({b, a}, pdScores.options().dtype(torch::kBool)),
                torch::zeros({b, a}, pdScores.options().dtype(torch::kLong))};
    }

    const auto labels = gtLabels.view({b, m}).to(torch::kLong).clamp_min(0);
    const auto realBox = maskGt.view({b, m, 1}).gt(0); // [B, M, 1]
    const auto inBoxes = candidatesInBoxes(anchorPoints, gtBoxes, m_eps);
    const auto candidate = inBoxes.logical_and(realBox); // [B, M, A]

    // Alignment metric, only where an anchor is a candidate of a real box.
    const auto classScores =
        pdScores.transpose(1, 2).gather(1, labels.unsqueeze(-1).expand({b, m, a})); // [B, M, A]
    const auto boxScores = torch::where(candidate, classScores, torch::zeros_like(classScores));
    auto overlaps = torch::zeros({b, m, a}, pdBoxes.options());
    {
        const auto pd = pdBoxes.unsqueeze(1).expand({b, m, a, 4}).index({candidate});
        const auto gt =
            gtBoxes.to(pdBoxes.dtype()).unsqueeze(2).expand({b, m, a, 4}).index({candidate});
        overlaps.index_put_({candidate}, bboxIou(gt, pd, false, true).squeeze(-1).clamp_min(0));
    }
    const auto alignMetric = boxScores.pow(m_alpha) * overlaps.pow(m_beta);

    // Top-k anchors per box. Padded boxes point all k picks at anchor 0, so the duplicate count
    // below erases them.
    const int64_t k = std::min<int64_t>(m_topk, a);
    auto topkIdx = std::get<1>(alignMetric.topk(k, -1, true, true)); // [B, M, k]
    topkIdx = topkIdx.masked_fill(realBox.logical_not().expand({b, m, k}), 0);
    auto inTopk = torch::zeros({b, m, a}, alignMetric.options());
    inTopk.scatter_add_(-1, topkIdx, torch::ones({b, m, k}, alignMetric.options()));
    inTopk.masked_fill_(inTopk.gt(1), 0);
    auto maskPos = inTopk * candidate.to(alignMetric.dtype()); // [B, M, A]

    // An anchor claimed by several boxes keeps only the box it overlaps most.
    auto fgCount = maskPos.sum(1); // [B, A]
    if (fgCount.max().item<double>() > 1) {
        const auto multi = fgCount.unsqueeze(1).gt(1).expand({b, m, a});
        const auto best = overlaps.argmax(1, true); // [B, 1, A]
        const auto isBest = torch::zeros_like(maskPos).scatter_(1, best, 1.0);
        maskPos = torch::where(multi, isBest, maskPos);
        fgCount = maskPos.sum(1);
    }
    const auto fgMask = fgCount.gt(0);
    // The box of each positive: each anchor has at most one 1 in maskPos now, so the index-weighted
    // sum is argmax(1) (0 for the background, as argmax gives), without argmax's slow reduction
    // over the short box dimension.
    const auto targetGtIdx =
        (maskPos * torch::arange(m, maskPos.options()).view({1, m, 1})).sum(1).to(torch::kLong);

    // Targets gathered from the assigned boxes.
    const auto flatIdx =
        targetGtIdx + torch::arange(b, targetGtIdx.options()).unsqueeze(1) * m; // [B, A]
    const auto targetLabels = labels.flatten().index({flatIdx});
    const auto targetBoxes = gtBoxes.reshape({-1, 4}).index({flatIdx}).to(pdBoxes.dtype());

    // Normalise: per box, scale its anchors' alignment so that the best one equals the box's
    // best CIoU among its positives; each anchor takes the value of its (single) box.
    const auto posAlign = alignMetric * maskPos;
    const auto maxAlign = std::get<0>(posAlign.max(-1, true));                          // [B, M, 1]
    const auto maxOverlap = std::get<0>((overlaps * maskPos).max(-1, true));            // [B, M, 1]
    const auto norm = std::get<0>((posAlign * maxOverlap / (maxAlign + m_eps)).max(1)); // [B, A]
    // Target scores: the one-hot class times that value on the positives, 0 elsewhere. Scattered
    // into zeros: one pass over the [B, A, nc] tensor instead of four (one_hot, its conversion,
    // the two products), with the same values (1 * 1 * norm).
    const auto targetScores = torch::zeros({b, a, m_nc}, pdScores.options())
                                  .scatter_(2, targetLabels.unsqueeze(-1),
                                            (norm * fgMask.to(norm.dtype())).unsqueeze(-1));

    return {targetLabels, targetBoxes, targetScores, fgMask, targetGtIdx};
}

} // namespace yolodeck
