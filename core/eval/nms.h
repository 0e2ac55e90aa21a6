#pragma once

#include <torch/torch.h>

#include <vector>

namespace yolodeck {

// Ultralytics' default cap on boxes that enter NMS (max_nms): beyond it the lowest-scoring ones
// are dropped first, which bounds the quadratic greedy loop on a badly trained model.
constexpr int64_t kMaxNmsCandidates = 30000;
// Ultralytics' max_wh: boxes are shifted by class × this many pixels so that one class-agnostic
// NMS pass never lets boxes of different classes suppress each other.
constexpr float kClassOffsetPixels = 7680.0f;

// How candidate boxes get their class before NMS.
enum class NmsLabels
{
    // Each anchor once, with its best class, if that score is > conf (Ultralytics'
    // multi_label=False: what predict uses).
    Best,
    // Each (anchor, class) pair whose score is > conf is a candidate of its own (Ultralytics'
    // multi_label=True: what its validator uses, and so what mAP is measured with). A class that is
    // never an anchor's best still gets its boxes scored.
    Multi,
};

// Class-aware non-maximum suppression of decoded predictions, with Ultralytics' semantics
// (agnostic false).
//
// pred: [B, A, 4 + nc], boxes as x1, y1, x2, y2 in input pixels followed by class scores; any
// floating dtype, CPU or CUDA. For each image: take the candidates as `labels` says, keep at most
// kMaxNmsCandidates by score, then greedily keep the highest-scoring box and drop every remaining
// box of the same class whose IoU with it is > iou, until maxDet boxes are kept.
//
// Returns B float32 tensors [n, 6] (x1, y1, x2, y2, conf, cls) on pred's device, sorted by
// descending confidence. The greedy pass itself runs on the CPU: it is sequential by nature and
// sees at most kMaxNmsCandidates boxes.
std::vector<torch::Tensor> nonMaxSuppression(const torch::Tensor &pred, float conf = 0.001f,
                                             float iou = 0.7f, int maxDet = 300,
                                             NmsLabels labels = NmsLabels::Best);

} // namespace yolodeck
