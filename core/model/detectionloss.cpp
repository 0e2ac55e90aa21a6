#include "core/model/detectionloss.h"

#include "core/model/boxops.h"

#include <algorithm>

namespace yolodeck {

namespace F = torch::nn::functional;

namespace {

// The sum of BCE with logits over all of x's elements against targets t (no gradient for t):
// log(1 + e^x) - x t, its gradient (sigmoid(x) - t) times the incoming one. LibTorch 1.13's
// binary_cross_entropy_with_logits spends nine passes over the [B, A, nc] scores on its forward
// (bench_loss: 12 ms of a 35 ms loss at batch 8, nc 80); this takes three (softplus, its sum, and
// one dot product) and three in backward. softplus returns x above 20, where log(1 + e^-x) is
// below float's resolution of x.
struct BceWithLogitsSum : torch::autograd::Function<BceWithLogitsSum>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, const torch::Tensor &x,
                                 const torch::Tensor &t)
    {
        const torch::Tensor flatX = x.reshape({-1}), flatT = t.reshape({-1});
        ctx->save_for_backward({x, t});
        return torch::softplus(flatX).sum() - torch::dot(flatX, flatT);
    }

    static torch::autograd::tensor_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::tensor_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        return {torch::sigmoid(saved[0]).sub_(saved[1]).mul_(grads[0]), torch::Tensor()};
    }
};

} // namespace

DetectionLoss::DetectionLoss(int nc, std::vector<int64_t> strides, LossGains gains, int regMax)
    : m_nc(nc)
    , m_strides(std::move(strides))
    , m_gains(gains)
    , m_regMax(regMax)
    , m_assigner(nc)
{}

torch::Tensor DetectionLoss::batchTargets(const torch::Tensor &targets, int64_t batchSize,
                                          int64_t height, int64_t width,
                                          const torch::Device &device) const
{
    const auto cpu = targets.to(torch::kCPU, torch::kFloat).reshape({-1, 6});
    const int64_t n = cpu.size(0);
    std::vector<int64_t> counts(static_cast<size_t>(batchSize), 0);
    const auto imageIndex = cpu.select(1, 0).to(torch::kLong);
    const auto *idx = imageIndex.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        TORCH_CHECK(idx[i] >= 0 && idx[i] < batchSize, "DetectionLoss: target image index ", idx[i],
                    " outside the batch of ", batchSize);
        ++counts[static_cast<size_t>(idx[i])];
    }
    const int64_t maxCount = n == 0 ? 0 : *std::max_element(counts.begin(), counts.end());
    auto out = torch::zeros({batchSize, maxCount, 5}, torch::kFloat);
    for (int64_t j = 0; j < batchSize; ++j) {
        if (counts[static_cast<size_t>(j)] == 0)
            continue;
        const auto rows = cpu.index({imageIndex.eq(j)}).narrow(1, 1, 5);
        out[j].narrow(0, 0, rows.size(0)).copy_(rows);
    }
    const auto cls = out.narrow(2, 0, 1);
    const auto scale = torch::tensor({double(width), double(height), double(width), double(height)},
                                     torch::kFloat);
    const auto boxes = xywh2xyxy(out.narrow(2, 1, 4) * scale);
    return torch::cat({cls, boxes}, 2).to(device);
}

DetectionLoss::Output DetectionLoss::operator()(const std::vector<torch::Tensor> &feats,
                                                const torch::Tensor &targets, int64_t inputHeight,
                                                int64_t inputWidth) const
{
    const Parts p = parts(feats, targets, inputHeight, inputWidth);
    return finish(p, p.targetScoreSum.clamp_min(1.0), double(p.batch));
}

DetectionLoss::Output DetectionLoss::finish(const Parts &p, const torch::Tensor &normaliser,
                                            double multiplier) const
{
    const torch::Tensor n = normaliser.to(p.sums[0].device());
    const auto items = torch::stack(
        {p.sums[0] / n * m_gains.box, p.sums[1] / n * m_gains.cls, p.sums[2] / n * m_gains.dfl});
    return {items.sum() * multiplier, items.detach()};
}

DetectionLoss::Parts DetectionLoss::parts(const std::vector<torch::Tensor> &feats,
                                          const torch::Tensor &targets, int64_t inputHeight,
                                          int64_t inputWidth) const
{
    TORCH_CHECK(feats.size() == m_strides.size(), "DetectionLoss: expected ", m_strides.size(),
                " levels, got ", feats.size());
    const int64_t batch = feats[0].size(0);
    const int64_t no = 4 * m_regMax + m_nc;
    const auto device = feats[0].device();
    // Targets are normalised to the input; a wrong size would silently mis-scale every box.
    TORCH_CHECK(feats[0].size(2) * m_strides[0] == inputHeight &&
                    feats[0].size(3) * m_strides[0] == inputWidth,
                "DetectionLoss: maps of ", feats[0].sizes(), " at stride ", m_strides[0],
                " do not come from a ", inputWidth, " x ", inputHeight, " input");

    // Float32 throughout: under autocast the maps may be half precision.
    std::vector<torch::Tensor> floatFeats;
    std::vector<torch::Tensor> flat;
    for (const auto &f : feats) {
        TORCH_CHECK(f.dim() == 4 && f.size(1) == no, "DetectionLoss: expected [B, ", no,
                    ", H, W] maps, got ", f.sizes());
        floatFeats.push_back(f.to(torch::kFloat));
        flat.push_back(floatFeats.back().flatten(2).transpose(1, 2)); // [B, HW, no], a view
    }
    // One pass: cat writes the transposed views straight into [B, A, no] (concatenating first
    // and making the transpose contiguous after took two).
    const auto all = torch::cat(flat, 1);
    // One split rather than two narrows: its backward concatenates the two gradients, where each
    // narrow's would fill a zero tensor of all's size and the two would then be added.
    const std::vector<torch::Tensor> split = all.split_with_sizes({4 * m_regMax, m_nc}, 2);
    const auto &predDist = split[0];   // [B, A, 64]
    const auto &predScores = split[1]; // [B, A, nc]
    const int64_t a = all.size(1);

    const auto anchors = makeAnchors(floatFeats, m_strides, 0.5);
    const auto gt = batchTargets(targets, batch, inputHeight, inputWidth, device);
    const auto gtLabels = gt.narrow(2, 0, 1);
    const auto gtBoxes = gt.narrow(2, 1, 4);
    const auto maskGt = gtBoxes.sum(2, true).gt(0);

    // Boxes from the distributions, in grid units of each anchor's level.
    const auto proj = torch::arange(m_regMax, predDist.options());
    const auto dist = predDist.view({batch, a, 4, m_regMax}).softmax(3).matmul(proj);
    const auto predBoxes = dist2bbox(dist, anchors.points, false, -1); // [B, A, 4]

    const AssignResult assigned =
        m_assigner(predScores.detach().sigmoid(), predBoxes.detach() * anchors.strides,
                   anchors.points * anchors.strides, gtLabels, gtBoxes, maskGt);
    const auto cls = BceWithLogitsSum::apply(predScores, assigned.targetScores);

    torch::Tensor box, dfl;
    const auto fg = assigned.fgMask;
    if (fg.any().item<bool>()) {
        const auto targetBoxes = assigned.targetBoxes / anchors.strides;             // grid units
        const auto weight = assigned.targetScores.sum(-1).index({fg}).unsqueeze(-1); // [P, 1]
        const auto iou = bboxIou(predBoxes.index({fg}), targetBoxes.index({fg}), false, true);
        box = ((1.0 - iou) * weight).sum();

        // DFL: cross-entropy to the two bins around each target distance, weighted by closeness.
        const auto targetLtrb =
            bbox2dist(anchors.points, targetBoxes, m_regMax).index({fg}); // [P, 4]
        const auto logits = predDist.index({fg}).reshape({-1, m_regMax});
        const auto left = targetLtrb.to(torch::kLong);
        const auto right = left + 1;
        const auto wLeft = right.to(targetLtrb.dtype()) - targetLtrb;
        const auto wRight = 1.0 - wLeft;
        const auto ceOptions = F::CrossEntropyFuncOptions().reduction(torch::kNone);
        const auto ceLeft = F::cross_entropy(logits, left.flatten(), ceOptions).view(left.sizes());
        const auto ceRight =
            F::cross_entropy(logits, right.flatten(), ceOptions).view(left.sizes());
        const auto perAnchor = (ceLeft * wLeft + ceRight * wRight).mean(-1, true); // [P, 1]
        dfl = (perAnchor * weight).sum();
    } else {
        // No positive anchor: box and DFL are exactly zero, but stay attached to the graph so
        // every head parameter still receives a (zero) gradient, which data-parallel
        // all-reduce expects.
        box = predDist.sum() * 0.0;
        dfl = predDist.sum() * 0.0;
    }

    return {{box, cls, dfl}, assigned.targetScores.sum().detach(), batch};
}

} // namespace yolodeck
