#include "core/train/validator.h"

#include "core/dist/communicator.h"
#include "core/eval/nms.h"
#include "core/train/autocastscope.h"

#include <QDataStream>
#include <QElapsedTimer>
#include <QIODevice>

#include <algorithm>
#include <optional>

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
    lo.rank = options.rank;
    lo.worldSize = options.worldSize;
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

namespace {

// One validated batch, as a rank sends it to rank 0.
struct BatchResult
{
    int index = 0; // in the whole split
    std::array<double, 3> loss{};
    std::array<int64_t, 2> inputSize{};
    std::vector<int> records;
    std::vector<std::vector<Detection>> detections;
};

QByteArray serialize(const std::vector<BatchResult> &batches)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out << qint32(batches.size());
    for (const BatchResult &b : batches) {
        out << qint32(b.index) << b.loss[0] << b.loss[1] << b.loss[2] << qint64(b.inputSize[0])
            << qint64(b.inputSize[1]) << qint32(b.records.size());
        for (size_t i = 0; i < b.records.size(); ++i) {
            out << qint32(b.records[i]) << qint32(b.detections[i].size());
            for (const Detection &d : b.detections[i])
                out << d.x1 << d.y1 << d.x2 << d.y2 << d.conf << qint32(d.cls);
        }
    }
    return bytes;
}

void deserialize(const QByteArray &bytes, std::vector<BatchResult> *into)
{
    QDataStream in(bytes);
    qint32 count = 0;
    in >> count;
    for (qint32 k = 0; k < count && in.status() == QDataStream::Ok; ++k) {
        BatchResult b;
        qint32 index = 0, images = 0;
        qint64 h = 0, w = 0;
        in >> index >> b.loss[0] >> b.loss[1] >> b.loss[2] >> h >> w >> images;
        b.index = index;
        b.inputSize = {h, w};
        for (qint32 i = 0; i < images && in.status() == QDataStream::Ok; ++i) {
            qint32 record = 0, n = 0;
            in >> record >> n;
            std::vector<Detection> dets(size_t(std::max(n, 0)));
            for (Detection &d : dets) {
                qint32 cls = 0;
                in >> d.x1 >> d.y1 >> d.x2 >> d.y2 >> d.conf >> cls;
                d.cls = cls;
            }
            b.records.push_back(record);
            b.detections.push_back(std::move(dets));
        }
        into->push_back(std::move(b));
    }
}

} // namespace

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
                                const std::atomic<bool> *cancel, const ImageSink &sink,
                                dist::Communicator *comm)
{
    QElapsedTimer timer;
    timer.start();
    // Inference mode, not just no-grad: no version counters or autograd metadata on any tensor
    // made here. Nothing made here outlives run() but plain detections and numbers. The unfused
    // path is the earlier one (no-grad), kept as the baseline to compare with.
    const torch::NoGradGuard noGrad;
    std::optional<c10::InferenceMode> inference;
    if (m_options.fuse)
        inference.emplace();
    const bool wasTraining = model.is_training();
    YoloModel fused{nullptr};
    if (m_options.fuse)
        fused = inferenceCopy(model);
    else
        model.eval();
    YoloModelImpl &net = m_options.fuse ? *fused : model;

    ValidationOutput out;
    out.engine = m_options.fuse ? net.inferenceEngine() : QStringLiteral("LibTorch (not folded)");
    std::vector<BatchResult> results;
    const int total = m_loader->batchesPerEpoch();
    int done = 0;
    m_loader->startEpoch(0, false, 0);
    while (std::optional<Batch> batch = m_loader->next()) {
        if (cancel && cancel->load())
            break;
        BatchResult result;
        result.index = batch->batchIndex;
        const torch::Tensor images = batch->images.to(device, /*non_blocking=*/true);
        std::vector<torch::Tensor> feats;
        {
            const AutocastScope autocast(m_options.amp && device.is_cuda());
            feats = net.forward(images);
        }
        if (criterion) {
            const DetectionLoss::Output l =
                (*criterion)(feats, batch->targets.to(device), images.size(2), images.size(3));
            const torch::Tensor items = l.items.to(torch::kCPU, torch::kFloat64);
            for (int k = 0; k < 3; ++k)
                result.loss[k] = items[k].item<double>();
        }
        const torch::Tensor pred = net.decode(feats);
        const std::vector<torch::Tensor> dets = nonMaxSuppression(
            pred, m_options.conf, m_options.iou, m_options.maxDet, m_options.labels);
        result.inputSize = {images.size(2), images.size(3)};
        for (size_t i = 0; i < dets.size(); ++i) {
            result.records.push_back(batch->sampleIndices[i]);
            result.detections.push_back(toOriginalDetections(dets[i], batch->letterboxes[i]));
        }
        results.push_back(std::move(result));
        ++done;
        if (progress)
            progress(done, total);
    }
    if (comm && comm->isDistributed()) {
        // Gloo fills the gathered tensors on its own worker threads, which are not in inference
        // mode: tensors made under it here would be inference tensors, and that in-place write
        // fails ("Inplace update to inference tensor outside InferenceMode").
        inference.reset();
        const std::vector<QByteArray> all = comm->gatherBytes(serialize(results));
        if (!comm->isLead()) {
            out.seconds = timer.nsecsElapsed() / 1e9;
            if (wasTraining)
                model.train();
            return out;
        }
        results.clear();
        for (const QByteArray &bytes : all)
            deserialize(bytes, &results);
        std::sort(results.begin(), results.end(),
                  [](const BatchResult &a, const BatchResult &b) { return a.index < b.index; });
    }

    // Scored in batch order, as one process would: the same metrics to the last bit.
    MetricsAccumulator accumulator(m_dataset.nc());
    std::array<double, 3> lossSum{};
    for (const BatchResult &result : results) {
        for (int k = 0; k < 3; ++k)
            lossSum[k] += result.loss[k];
        out.inputSizes.push_back(result.inputSize);
        for (size_t i = 0; i < result.records.size(); ++i) {
            const ImageRecord &record = m_dataset.records()[size_t(result.records[i])];
            const std::vector<GroundTruth> labels = groundTruthOf(record);
            accumulator.addImage(result.detections[i], labels);
            if (sink)
                sink(record, result.detections[i], labels);
            ++out.images;
            out.detections += int64_t(result.detections[i].size());
        }
    }
    if (!results.empty())
        for (int k = 0; k < 3; ++k)
            out.loss[k] = lossSum[k] / double(results.size());
    out.metrics = accumulator.compute(m_dataset.names());
    out.seconds = timer.nsecsElapsed() / 1e9;
    out.imagesPerSecond = out.seconds > 0 ? out.images / out.seconds : 0;
    if (wasTraining)
        model.train();
    return out;
}

} // namespace yolodeck
