#include "core/data/batchloader.h"

#include "core/data/imageio.h"

#include <QElapsedTimer>

#include <opencv2/imgproc.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace yolodeck {

namespace {

// Distinguishes the epoch-order stream from the per-sample streams, whose third seed part is a
// record index and can never be this large.
constexpr uint64_t kOrderStream = ~uint64_t(0);

struct EpochPlan
{
    uint64_t generation = 0;
    int epoch = 0;
    bool mosaic = false;
    std::vector<int> shard;  // record indices of this rank, in epoch order
    std::vector<int> begins; // batch b is shard[begins[b], begins[b + 1])
    int numBatches = 0;
    std::vector<int> globalBatch; // the index of each of this rank's batches in the whole epoch
    std::vector<cv::Size> shapes; // rect validation: the input size of each batch
};

// An image ready for augmentation: long side resized to imgsz, with its boxes in its pixels.
struct LoadedImage
{
    cv::Mat image;
    std::vector<PixelBox> boxes;
    int record = 0; // the record actually used (differs when the requested one failed to decode)
    int origW = 0, origH = 0;
};

struct Sample
{
    cv::Mat image; // the batch's input size (S x S unless rect), BGR
    std::vector<LabelBox> boxes;
    Letterbox letterbox;
    int record = 0;
};

} // namespace

class BatchLoader::Impl
{
public:
    Impl(const Dataset &dataset, LoaderOptions opts)
        : records(dataset.records())
        , options(std::move(opts))
    {
        options.imgsz = std::max(options.imgsz, 32);
        options.batch = std::max(options.batch, 1);
        options.workers = std::max(options.workers, 0);
        options.worldSize = std::max(options.worldSize, 1);
        options.rank = std::clamp(options.rank, 0, options.worldSize - 1);
        options.rect = options.rect && !options.augment;
        const int n = int(records.size());
        if (options.rect) {
            rectOrder.resize(records.size());
            for (int i = 0; i < n; ++i)
                rectOrder[i] = i;
            std::stable_sort(rectOrder.begin(), rectOrder.end(),
                             [this](int a, int b) { return aspectRatio(a) < aspectRatio(b); });
        }
        const int w = options.worldSize;
        if (options.rect && w > 1) {
            // Validation: whole batches (rect shapes depend on a batch's images), b = rank mod w.
            const int global = (n + options.batch - 1) / options.batch;
            for (int b = options.rank; b < global; b += w) {
                ++numBatches;
                shardSize += std::min(options.batch, n - b * options.batch);
            }
        } else {
            shardSize = std::max(0, (n - options.rank + w - 1) / w);
            numBatches = (n + options.batch * w - 1) / (options.batch * w);
        }
        failed.assign(records.size(), 0);
        if (options.cacheRam)
            cache.resize(records.size());
        for (int i = 0; i < options.workers; ++i)
            threads.emplace_back([this] { workerLoop(); });
    }

    ~Impl()
    {
        {
            std::lock_guard<std::mutex> lock(mutex);
            stopping = true;
            ++currentGeneration;
        }
        workCv.notify_all();
        for (std::thread &t : threads)
            t.join();
    }

    // Height over width of a record's image (1 when its size is unknown).
    double aspectRatio(int record) const
    {
        const ImageRecord &r = records[record];
        return r.width > 0 && r.height > 0 ? double(r.height) / r.width : 1.0;
    }

    // Ultralytics' rect shape of a batch: [1, 1] scaled by the batch's ratio when all its images
    // are wider (or all taller) than square, times imgsz / stride + 0.5, rounded up, times stride.
    cv::Size rectShape(const std::vector<int> &shard, int begin, int end) const
    {
        double lo = 1e30, hi = 0;
        for (int i = begin; i < end; ++i) {
            lo = std::min(lo, aspectRatio(shard[i]));
            hi = std::max(hi, aspectRatio(shard[i]));
        }
        double h = 1, w = 1;
        if (hi < 1)
            h = hi;
        else if (lo > 1)
            w = 1 / lo;
        const auto side = [this](double f) {
            return int(std::ceil(f * options.imgsz / kRectStride + 0.5)) * kRectStride;
        };
        return cv::Size(side(w), side(h));
    }

    // The whole epoch's order, every rank's samples.
    std::vector<int> fullOrder(int epoch) const
    {
        const int n = int(records.size());
        std::vector<int> order(n);
        for (int i = 0; i < n; ++i)
            order[i] = options.rect ? rectOrder[i] : i;
        if (options.shuffle && !options.rect) {
            std::mt19937_64 rng(mixSeed(options.seed, uint64_t(epoch), kOrderStream));
            // Fisher-Yates with our own index draw: std::shuffle differs between libraries.
            for (int i = n - 1; i > 0; --i)
                std::swap(order[i], order[int(uniformIndex(rng, uint64_t(i) + 1))]);
        }
        return order;
    }

    // This rank's samples and where its batches begin (DESIGN.md §9). Training: rank r takes
    // positions r, r + w, r + 2w, ... of the epoch, so its batch b holds its share of the
    // single-process batch b (global batch = w x batch) and the union over the ranks is exactly
    // the single-process epoch; every rank runs ceil(n / (w x batch)) batches, the last ones
    // possibly short or empty. Rect validation: whole batches b = r, r + w, ...
    std::shared_ptr<EpochPlan> plan(int epoch) const
    {
        auto p = std::make_shared<EpochPlan>();
        p->epoch = epoch;
        p->numBatches = numBatches;
        const std::vector<int> order = fullOrder(epoch);
        const int n = int(order.size());
        const int w = options.worldSize;
        if (options.rect && w > 1) {
            for (int b = options.rank; p->globalBatch.size() < size_t(numBatches); b += w) {
                const int begin = b * options.batch;
                const int end = std::min(begin + options.batch, n);
                p->begins.push_back(int(p->shard.size()));
                p->shard.insert(p->shard.end(), order.begin() + begin, order.begin() + end);
                p->globalBatch.push_back(b);
                p->shapes.push_back(rectShape(order, begin, end));
            }
            p->begins.push_back(int(p->shard.size()));
            return p;
        }
        for (int pos = options.rank; pos < n; pos += w)
            p->shard.push_back(order[pos]);
        const int count = int(p->shard.size());
        for (int b = 0; b <= numBatches; ++b)
            p->begins.push_back(std::min(b * options.batch, count));
        for (int b = 0; b < numBatches; ++b) {
            p->globalBatch.push_back(b);
            if (options.rect)
                p->shapes.push_back(rectShape(p->shard, p->begins[b], p->begins[b + 1]));
        }
        return p;
    }

    std::vector<int> epochOrder(int epoch) const { return plan(epoch)->shard; }

    void startEpoch(int epoch, bool mosaic, int firstBatch)
    {
        std::shared_ptr<EpochPlan> plan = this->plan(epoch);
        plan->mosaic = mosaic;
        {
            std::lock_guard<std::mutex> lock(mutex);
            plan->generation = ++currentGeneration;
            current = plan;
            ready.clear();
            nextClaim = nextDeliver = std::clamp(firstBatch, 0, plan->numBatches);
        }
        workCv.notify_all();
    }

    int batchesPerEpoch() const { return numBatches; }

    std::optional<Batch> next()
    {
        const auto t0 = std::chrono::steady_clock::now();
        auto elapsedMs = [&] {
            return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        };
        if (options.workers == 0) {
            std::shared_ptr<const EpochPlan> plan;
            int index = 0;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (!current || nextDeliver >= current->numBatches)
                    return std::nullopt;
                plan = current;
                index = nextDeliver++;
            }
            std::optional<Batch> batch = buildBatch(*plan, index);
            if (batch)
                batch->waitMs = elapsedMs();
            return batch;
        }
        std::unique_lock<std::mutex> lock(mutex);
        if (!current || nextDeliver >= current->numBatches)
            return std::nullopt;
        const int index = nextDeliver;
        readyCv.wait(lock, [&] { return ready.count(index) > 0; });
        Slot slot = std::move(ready.at(index));
        ready.erase(index);
        ++nextDeliver;
        lock.unlock();
        workCv.notify_all();
        if (slot.error)
            std::rethrow_exception(slot.error);
        slot.batch.waitMs = elapsedMs();
        return std::move(slot.batch);
    }

    std::vector<DataIssue> issuesCopy() const
    {
        std::lock_guard<std::mutex> lock(issueMutex);
        return issues;
    }

    const std::vector<ImageRecord> records;
    LoaderOptions options;
    int shardSize = 0;
    int numBatches = 0;

private:
    struct Slot
    {
        Batch batch;
        std::exception_ptr error;
    };

    void workerLoop()
    {
        std::unique_lock<std::mutex> lock(mutex);
        while (!stopping) {
            // Never run more than `window` batches ahead of the consumer: bounded memory.
            const int window = std::max({options.prefetch, options.workers, 1});
            if (current && nextClaim < current->numBatches && nextClaim < nextDeliver + window) {
                const std::shared_ptr<const EpochPlan> plan = current;
                const int index = nextClaim++;
                lock.unlock();
                Slot slot;
                try {
                    std::optional<Batch> batch = buildBatch(*plan, index);
                    if (batch)
                        slot.batch = std::move(*batch);
                } catch (...) {
                    slot.error = std::current_exception();
                }
                lock.lock();
                // A batch of an abandoned epoch is dropped here.
                if (plan->generation == currentGeneration) {
                    ready.emplace(index, std::move(slot));
                    readyCv.notify_all();
                }
                continue;
            }
            workCv.wait(lock);
        }
    }

    bool cancelled(const EpochPlan &plan) const { return plan.generation != currentGeneration; }

    // Decodes record `index` (or takes it from the RAM cache) with its long side resized to imgsz.
    // Returns an empty image when it cannot be decoded; the failure is reported once.
    LoadedImage loadOne(int index, ImageLoadTiming &timing)
    {
        LoadedImage out;
        out.record = index;
        {
            std::lock_guard<std::mutex> lock(issueMutex);
            if (failed[index])
                return out;
            if (options.cacheRam && !cache[index].image.empty()) {
                out.image = cache[index].image;
                out.origW = cache[index].origW;
                out.origH = cache[index].origH;
            }
        }
        if (out.image.empty()) {
            QString error;
            const cv::Mat decoded = loadImage(records[index].imagePath, &error, &timing);
            if (decoded.empty()) {
                std::lock_guard<std::mutex> lock(issueMutex);
                if (!failed[index]) {
                    failed[index] = 1;
                    issues.push_back({records[index].imagePath,
                                      error + QStringLiteral("; replaced by the next image")});
                }
                return out;
            }
            out.origW = decoded.cols;
            out.origH = decoded.rows;
            out.image = resizeLongSide(decoded, options.imgsz, options.augment);
            if (options.cacheRam) {
                std::lock_guard<std::mutex> lock(issueMutex);
                cache[index] = {out.image, out.origW, out.origH};
            }
        }
        out.boxes = toPixelBoxes(records[index].boxes, out.image.cols, out.image.rows);
        return out;
    }

    // loadOne, but a record that cannot be decoded is replaced by the next one that can (the same
    // replacement every time, so batches stay deterministic). Grey with no boxes if none can.
    LoadedImage load(int index, ImageLoadTiming &timing)
    {
        const int n = int(records.size());
        for (int k = 0; k < n; ++k) {
            LoadedImage img = loadOne((index + k) % n, timing);
            if (!img.image.empty())
                return img;
        }
        LoadedImage grey;
        grey.image = cv::Mat(options.imgsz, options.imgsz, CV_8UC3, cv::Scalar(114, 114, 114));
        grey.record = index;
        grey.origW = grey.origH = options.imgsz;
        return grey;
    }

    Sample trainSample(const EpochPlan &plan, int index, ImageLoadTiming &timing)
    {
        std::mt19937_64 rng(mixSeed(options.seed, uint64_t(plan.epoch), uint64_t(index)));
        const int s = options.imgsz;
        const AugmentParams &aug = options.aug;
        Sample sample;
        std::vector<PixelBox> boxes;
        cv::Mat image;
        if (plan.mosaic && uniform01(rng) < aug.mosaic) {
            // Partners come from the whole dataset, not this rank's shard (as in Ultralytics,
            // where every rank's dataset object holds all images).
            std::array<int, 4> picks = {index, 0, 0, 0};
            for (int k = 1; k < 4; ++k)
                picks[k] = int(uniformIndex(rng, records.size()));
            std::array<cv::Mat, 4> images;
            std::array<std::vector<PixelBox>, 4> parts;
            for (int k = 0; k < 4; ++k) {
                LoadedImage loaded = load(picks[k], timing);
                if (k == 0)
                    sample.record = loaded.record;
                images[k] = loaded.image;
                parts[k] = std::move(loaded.boxes);
            }
            const cv::Mat canvas = mosaic4(images, parts, s, rng, &boxes);
            image = randomAffine(canvas, boxes, aug, s / 2, rng);
        } else {
            LoadedImage loaded = load(index, timing);
            sample.record = loaded.record;
            boxes = std::move(loaded.boxes);
            const cv::Mat boxed = letterbox(loaded.image, s, true, nullptr, &boxes);
            image = randomAffine(boxed, boxes, aug, 0, rng);
        }
        augmentHsv(image, aug, rng);
        randomFlip(image, boxes, aug, rng);
        clipBoxes(boxes, s, s);
        sample.image = image;
        sample.boxes = toLabelBoxes(boxes, s, s);
        return sample;
    }

    Sample valSample(int index, cv::Size input, ImageLoadTiming &timing)
    {
        const int s = options.imgsz;
        LoadedImage loaded = load(index, timing);
        Sample sample;
        sample.record = loaded.record;
        std::vector<PixelBox> boxes = std::move(loaded.boxes);
        Letterbox box;
        sample.image = letterbox(loaded.image, input, false, &box, &boxes);
        clipBoxes(boxes, input.width, input.height);
        // Report the mapping from the original image, not from the resized one.
        const float resizeRatio = float(s) / float(std::max(loaded.origW, loaded.origH));
        sample.letterbox = {box.ratio * resizeRatio, box.padX, box.padY, loaded.origW,
                            loaded.origH};
        sample.boxes = toLabelBoxes(boxes, input.width, input.height);
        return sample;
    }

    std::optional<Batch> buildBatch(const EpochPlan &plan, int batchIndex)
    {
        QElapsedTimer clock;
        clock.start();
        ImageLoadTiming timing;
        const cv::Size input =
            options.rect ? plan.shapes[size_t(batchIndex)] : cv::Size(options.imgsz, options.imgsz);
        const int w = input.width, h = input.height;
        const int begin = plan.begins[size_t(batchIndex)];
        const int count = plan.begins[size_t(batchIndex) + 1] - begin;
        Batch batch;
        batch.batchIndex = plan.globalBatch[size_t(batchIndex)];
        batch.images = torch::empty({count, 3, h, w}, torch::kFloat32);
        float *pixels = batch.images.data_ptr<float>();
        std::vector<float> targets;
        for (int i = 0; i < count; ++i) {
            if (cancelled(plan))
                return std::nullopt;
            const int index = plan.shard[begin + i];
            const Sample sample = options.augment ? trainSample(plan, index, timing)
                                                  : valSample(index, input, timing);
            batch.sampleIndices.push_back(sample.record);
            if (!options.augment)
                batch.letterboxes.push_back(sample.letterbox);
            // BGR uint8 HWC -> RGB float CHW in [0,1].
            float *r = pixels + size_t(i) * 3 * h * w;
            float *g = r + size_t(h) * w;
            float *b = g + size_t(h) * w;
            for (int y = 0; y < h; ++y) {
                const uchar *row = sample.image.ptr<uchar>(y);
                for (int x = 0; x < w; ++x) {
                    const size_t at = size_t(y) * w + x;
                    b[at] = row[3 * x] / 255.0f;
                    g[at] = row[3 * x + 1] / 255.0f;
                    r[at] = row[3 * x + 2] / 255.0f;
                }
            }
            for (const LabelBox &box : sample.boxes)
                targets.insert(targets.end(),
                               {float(i), float(box.cls), box.cx, box.cy, box.w, box.h});
        }
        const int64_t n = int64_t(targets.size() / 6);
        batch.targets = torch::from_blob(targets.data(), {n, 6}, torch::kFloat32).clone();
        batch.readMs = timing.readMs;
        batch.decodeMs = timing.decodeMs;
        batch.imagesDecoded = timing.images;
        batch.buildMs = clock.nsecsElapsed() / 1e6;
        return batch;
    }

    std::vector<std::thread> threads;
    mutable std::mutex mutex; // guards the epoch state below
    std::condition_variable workCv, readyCv;
    std::shared_ptr<const EpochPlan> current;
    std::map<int, Slot> ready;
    int nextClaim = 0, nextDeliver = 0;
    std::atomic<uint64_t> currentGeneration{0};
    bool stopping = false;

    struct CachedImage
    {
        cv::Mat image;
        int origW = 0, origH = 0;
    };
    mutable std::mutex issueMutex; // guards issues, failed and cache
    std::vector<DataIssue> issues;
    std::vector<char> failed;
    std::vector<CachedImage> cache;
    std::vector<int> rectOrder; // rect validation: records by ascending aspect ratio
};

BatchLoader::BatchLoader(const Dataset &dataset, LoaderOptions options)
    : d(std::make_unique<Impl>(dataset, std::move(options)))
{}

BatchLoader::~BatchLoader() = default;

int BatchLoader::batchesPerEpoch() const
{
    return d->batchesPerEpoch();
}

int BatchLoader::shardSize() const
{
    return d->shardSize;
}

const LoaderOptions &BatchLoader::options() const
{
    return d->options;
}

void BatchLoader::startEpoch(int epoch, bool mosaic, int firstBatch)
{
    d->startEpoch(epoch, mosaic, firstBatch);
}

std::optional<Batch> BatchLoader::next()
{
    return d->next();
}

std::vector<DataIssue> BatchLoader::issues() const
{
    return d->issuesCopy();
}

std::vector<int> BatchLoader::epochOrder(int epoch) const
{
    return d->epochOrder(epoch);
}

} // namespace yolodeck
