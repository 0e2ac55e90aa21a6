#include "core/train/validator.h"

#include "core/eval/nms.h"
#include "core/train/autocastscope.h"

#include <QElapsedTimer>

#include <algorithm>

namespace yolodeck {

Validator::Validator(const Dataset &dataset, ValidationOptions options)
    : m_dataset(dataset)
    , m_options(options)
{
    LoaderOptions lo;
    lo.imgsz = options.imgsz;
    lo.batch = options.batch;
    lo.workers = options.workers;
    lo.augment = false;
    lo.shuffle = false;
    lo.rect = options.rect;
    m_loader = std::make_unique<BatchLoader>(dataset, lo);
}

Validator::~Validator() = default;

std::vector<Detection> toOriginalDetections(const torch::Tensor &dets, const Letterbox &lb)
{
    std::vector<Detection> out;
    const torch::Tensor d = dets.to(torch::kCPU, torch::kFloat32).contiguous();
    const float *p = d.data_ptr<float>();
    for (int64_t i = 0; i < d.size(0); ++i, p += 6) {
        auto unpad = [&](float v, float pad, int limit) {
            return std::clamp((v - pad) / lb.ratio, 0.0f, float(limit));
        };
        out.push_back({unpad(p[0], lb.padX, lb.origW), unpad(p[1], lb.padY, lb.origH),
                       unpad(p[2], lb.padX, lb.origW), unpad(p[3], lb.padY, lb.origH), p[4],
                       int(p[5])});
    }
    return out;
}

std::vector<GroundTruth> groundTruthOf(const ImageRecord &record)
{
    std::vector<GroundTruth> out;
    const float w = record.width;
    const float h = record.height;
    for (const LabelBox &b : record.boxes) {
        out.push_back({(b.cx - b.w / 2) * w, (b.cy - b.h / 2) * h, (b.cx + b.w / 2) * w,
                       (b.cy + b.h / 2) * h, b.cls});
    }
    return out;
}

ValidationOutput Validator::run(YoloModelImpl &model, const torch::Device &device,
                                const DetectionLoss *criterion, const Progress &progress,
                                const std::atomic<bool> *cancel, const ImageSink &sink)
{
    QElapsedTimer timer;
    timer.start();
    torch::NoGradGuard noGrad;
    const bool wasTraining = model.is_training();
    model.eval();

    MetricsAccumulator accumulator(m_dataset.nc());
    ValidationOutput out;
    torch::Tensor lossSum = torch::zeros({3}, torch::kFloat64);
    int batches = 0;
    const int total = m_loader->batchesPerEpoch();
    m_loader->startEpoch(0, false, 0);
    while (std::optional<Batch> batch = m_loader->next()) {
        if (cancel && cancel->load())
            break;
        const torch::Tensor images = batch->images.to(device, /*non_blocking=*/true);
        std::vector<torch::Tensor> feats;
        {
            const AutocastScope autocast(m_options.amp && device.is_cuda());
            feats = model.forward(images);
        }
        if (criterion) {
            const DetectionLoss::Output l =
                (*criterion)(feats, batch->targets.to(device), images.size(2), images.size(3));
            lossSum += l.items.to(torch::kCPU, torch::kFloat64);
        }
        const torch::Tensor pred = model.decode(feats);
        const std::vector<torch::Tensor> dets = nonMaxSuppression(
            pred, m_options.conf, m_options.iou, m_options.maxDet, m_options.labels);
        out.inputSizes.push_back({images.size(2), images.size(3)});
        for (size_t i = 0; i < dets.size(); ++i) {
            const ImageRecord &record = m_dataset.records()[batch->sampleIndices[i]];
            const std::vector<Detection> detections =
                toOriginalDetections(dets[i], batch->letterboxes[i]);
            const std::vector<GroundTruth> labels = groundTruthOf(record);
            accumulator.addImage(detections, labels);
            if (sink)
                sink(record, detections, labels);
            ++out.images;
            out.detections += dets[i].size(0);
        }
        ++batches;
        if (progress)
            progress(batches, total);
    }
    if (batches > 0) {
        lossSum /= double(batches);
        for (int k = 0; k < 3; ++k)
            out.loss[k] = lossSum[k].item<double>();
    }
    out.metrics = accumulator.compute(m_dataset.names());
    out.seconds = timer.nsecsElapsed() / 1e9;
    out.imagesPerSecond = out.seconds > 0 ? out.images / out.seconds : 0;
    if (wasTraining)
        model.train();
    return out;
}

} // namespace yolodeck
