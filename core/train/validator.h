#pragma once

#include "core/data/batchloader.h"
#include "core/data/dataset.h"
#include "core/eval/detectionmetrics.h"
#include "core/eval/nms.h"
#include "core/model/detectionloss.h"
#include "core/model/yolomodel.h"

#include <array>
#include <atomic>
#include <functional>
#include <memory>

namespace yolodeck {

namespace dist {
class Communicator;
}

struct ValidationOutput
{
    DetectionMetrics metrics;
    std::array<double, 3> loss{}; // mean over batches: box, cls, dfl (gains applied)
    int images = 0;
    int64_t detections = 0;                         // boxes NMS kept, over all images
    std::vector<std::array<int64_t, 2>> inputSizes; // height, width of each batch's input
    double seconds = 0;
    double imagesPerSecond = 0; // forward + decode + NMS + matching
    // What ran the network: YoloModelImpl::inferenceEngine() of the inference copy ("oneDNN" or
    // "LibTorch (oneDNN: <why not>)"), or "LibTorch (not folded)" without fuse.
    QString engine;
};

struct ValidationOptions
{
    int imgsz = 640;
    int batch = 16;
    int workers = 2;
    float conf = 0.001f; // Ultralytics' validation defaults (REFERENCE.md)
    float iou = 0.7f;
    int maxDet = 300;
    bool amp = false;
    // Ultralytics' rectangular validation batches (LoaderOptions::rect) and every class scored on
    // every box (NmsLabels::Multi): what its mAP is measured with, so the defaults.
    bool rect = true;
    NmsLabels labels = NmsLabels::Multi;
    // Data-parallel validation (DESIGN.md §9): this rank runs whole batches b = rank mod
    // worldSize, and run() merges every rank's batches on rank 0 in batch order, so rank 0's
    // output equals a one-process validation bit for bit. The other ranks get only `seconds`.
    int rank = 0;
    int worldSize = 1;
    // Validate an inference copy with BatchNorm folded into the convolutions (inferenceCopy()),
    // under inference mode, as Ultralytics validates a fused model. false runs the model itself
    // in eval mode under no-grad (the path before issue 13): the parity test and bench_val's
    // baseline compare the two.
    bool fuse = true;
};

// Runs a model over a split with letterboxed images, no augmentation: NMS, boxes mapped back to
// the original image, metrics as REFERENCE.md defines them, and the loss when a criterion is given.
class Validator
{
public:
    Validator(const Dataset &dataset, ValidationOptions options);
    ~Validator();

    using Progress = std::function<void(int batch, int batches)>;
    // Sees every image as the metrics do, in the order they are scored: the record, the kept
    // detections and the labels, in original-image pixels (a comparison keeps them).
    using ImageSink =
        std::function<void(const ImageRecord &record, const std::vector<Detection> &detections,
                           const std::vector<GroundTruth> &labels)>;
    // comm: the job's communicator when worldSize > 1 (every rank must call run()).
    ValidationOutput run(YoloModelImpl &model, const torch::Device &device,
                         const DetectionLoss *criterion, const Progress &progress = {},
                         const std::atomic<bool> *cancel = nullptr, const ImageSink &sink = {},
                         dist::Communicator *comm = nullptr);

private:
    const Dataset &m_dataset;
    ValidationOptions m_options;
    std::unique_ptr<BatchLoader> m_loader;
};

// Maps NMS output [n, 6] (letterboxed pixels) to detections in original-image pixels.
std::vector<Detection> toOriginalDetections(const torch::Tensor &dets, const Letterbox &letterbox);
std::vector<GroundTruth> groundTruthOf(const ImageRecord &record);

} // namespace yolodeck
