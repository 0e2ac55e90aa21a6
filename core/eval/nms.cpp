#include "core/eval/nms.h"

#include <algorithm>
#include <cstdint>

namespace yolodeck {

namespace {

// Greedy NMS over boxes already sorted by descending score (CPU, float32, contiguous [n, 4]).
// Returns the positions of the kept boxes, at most maxDet of them, in score order.
std::vector<int64_t> greedyNms(const torch::Tensor &sortedBoxes, float iouThreshold, int maxDet)
{
    const int64_t n = sortedBoxes.size(0);
    const float *b = sortedBoxes.data_ptr<float>();
    // Structure of arrays so that the inner loop below is a straight, vectorisable pass.
    std::vector<float> x1(n), y1(n), x2(n), y2(n), area(n);
    for (int64_t i = 0; i < n; ++i) {
        x1[i] = b[4 * i];
        y1[i] = b[4 * i + 1];
        x2[i] = b[4 * i + 2];
        y2[i] = b[4 * i + 3];
        area[i] = (x2[i] - x1[i]) * (y2[i] - y1[i]);
    }

    std::vector<uint8_t> suppressed(n, 0);
    std::vector<int64_t> kept;
    kept.reserve(std::min<int64_t>(n, maxDet));
    for (int64_t i = 0; i < n; ++i) {
        if (suppressed[i])
            continue;
        kept.push_back(i);
        // Boxes after the maxDet-th kept one would be cut anyway (Ultralytics keeps i[:max_det]).
        if (static_cast<int>(kept.size()) == maxDet)
            break;
        const float ix1 = x1[i], iy1 = y1[i], ix2 = x2[i], iy2 = y2[i], iArea = area[i];
        for (int64_t j = i + 1; j < n; ++j) {
            const float w = std::max(0.0f, std::min(ix2, x2[j]) - std::max(ix1, x1[j]));
            const float h = std::max(0.0f, std::min(iy2, y2[j]) - std::max(iy1, y1[j]));
            const float inter = w * h;
            const float overlap = inter / (iArea + area[j] - inter);
            // Strictly greater, as torchvision.ops.nms; NaN (two empty boxes) never suppresses.
            suppressed[j] |= static_cast<uint8_t>(overlap > iouThreshold);
        }
    }
    return kept;
}

} // namespace

std::vector<torch::Tensor> nonMaxSuppression(const torch::Tensor &pred, float conf, float iou,
                                             int maxDet, NmsLabels labels)
{
    TORCH_CHECK(pred.dim() == 3 && pred.size(2) > 4,
                "nonMaxSuppression expects predictions [B, A, 4 + nc], got ", pred.sizes());
    TORCH_CHECK(maxDet > 0, "nonMaxSuppression: maxDet must be positive, got ", maxDet);
    torch::NoGradGuard noGrad;

    const torch::Device device = pred.device();
    const torch::Tensor all = pred.detach().to(torch::kFloat);
    const auto cpuFloat = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCPU);

    std::vector<torch::Tensor> output;
    output.reserve(pred.size(0));
    for (int64_t b = 0; b < all.size(0); ++b) {
        const torch::Tensor image = all[b];
        const torch::Tensor scores = image.slice(1, 4);
        // Candidates as (anchor, score, class), in anchor-major order.
        torch::Tensor anchor, score, cls;
        if (labels == NmsLabels::Multi) {
            const torch::Tensor pairs = (scores > conf).nonzero();
            anchor = pairs.select(1, 0);
            cls = pairs.select(1, 1);
            score = scores.index({anchor, cls});
        } else {
            const auto [best, bestCls] = scores.max(1);
            anchor = (best > conf).nonzero().squeeze(1);
            score = best.index_select(0, anchor);
            cls = bestCls.index_select(0, anchor);
        }
        if (anchor.numel() == 0) {
            output.push_back(torch::zeros({0, 6}, cpuFloat).to(device));
            continue;
        }

        // Sort on the device (cheap there) and cut to the candidate cap before going to the CPU.
        torch::Tensor order =
            std::get<1>(score.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
        if (order.size(0) > kMaxNmsCandidates)
            order = order.slice(0, 0, kMaxNmsCandidates);

        torch::Tensor rows =
            torch::cat({image.index_select(0, anchor.index_select(0, order)).slice(1, 0, 4),
                        score.index_select(0, order).unsqueeze(1),
                        cls.index_select(0, order).unsqueeze(1).to(torch::kFloat)},
                       1)
                .to(torch::kCPU)
                .contiguous();
        const torch::Tensor shifted =
            (rows.slice(1, 0, 4) + rows.slice(1, 5, 6) * kClassOffsetPixels).contiguous();

        const std::vector<int64_t> kept = greedyNms(shifted, iou, maxDet);
        const torch::Tensor keptIndex =
            torch::from_blob(const_cast<int64_t *>(kept.data()),
                             {static_cast<int64_t>(kept.size())}, torch::kLong)
                .clone();
        output.push_back(rows.index_select(0, keptIndex).to(device));
    }
    return output;
}

} // namespace yolodeck
