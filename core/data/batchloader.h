#pragma once

#include "core/data/augment.h"
#include "core/data/dataset.h"
#include "core/data/imageio.h"

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace yolodeck {

// Rect batch shapes are multiples of the model's largest stride.
constexpr int kRectStride = 32;

struct LoaderOptions
{
    int imgsz = 640;  // square network input S
    int batch = 16;   // images per batch (the last batch of an epoch may be smaller)
    int workers = 8;  // loader threads; 0 = build each batch in the thread that calls next()
    int prefetch = 4; // batches kept ready ahead of the consumer (at least one per worker)
    uint64_t seed = 0;
    bool augment = true; // false: letterbox only (validation)
    bool shuffle = true;
    // Validation only (augment false): Ultralytics' rectangular batches. Images are ordered by
    // aspect ratio (h / w) instead of shuffled, and each batch gets its own input shape, the
    // batch's extreme ratio scaled to imgsz plus half a stride of padding, rounded up to a multiple
    // of kRectStride; images are centred in it without being enlarged. A square image at imgsz 640
    // is validated in a 672 x 672 input, as Ultralytics does.
    bool rect = false;
    AugmentParams aug;
    bool cacheRam = false; // keep decoded images (long side resized to imgsz) in memory
    int rank = 0;          // this process's shard of every epoch ...
    int worldSize = 1;     // ... out of worldSize shards (batch is then per rank)
};

struct Batch
{
    torch::Tensor images;               // [B,3,H,W] float32 in [0,1], RGB, contiguous; H = W = S
                                        // except for rect batches
    torch::Tensor targets;              // [N,6] float32: (index in batch, cls, cx, cy, w, h),
                                        // normalised to W and H
    std::vector<int> sampleIndices;     // indices into Dataset::records()
    std::vector<Letterbox> letterboxes; // validation (augment=false): maps back to the original
    int batchIndex = 0; // in the whole epoch (differs from the rank's count for rect shards)
    double waitMs = 0;  // time the consumer blocked in next()
    // What building it cost its worker: reading image files, decoding them (images taken from
    // cache=ram count in neither), and the whole batch (decode, augmentation, conversion).
    double readMs = 0;
    double decodeMs = 0;
    int imagesDecoded = 0;
    double buildMs = 0;
};

// Turns a Dataset into batches on worker threads. What a batch holds depends only on
// (seed, epoch, batch index, mosaic on/off): the epoch's order is a permutation drawn from
// (seed, epoch), each sample's augmentation draws from a generator seeded by (seed, epoch, sample
// index), so neither the worker count nor thread timing changes a bit of it, and a run resumed at
// batch k sees exactly the batches k.. of the uninterrupted epoch.
//
// With worldSize > 1 rank r takes every worldSize-th sample of the epoch from position r (as
// torch's DistributedSampler, but without padding): its batch b is its share of the one-process
// batch b of worldSize x batch images, the union of the shards is exactly the one-process epoch,
// and every rank runs the same number of batches (the last may be short, or empty on some ranks).
// Rect validation shards whole batches instead (batch b goes to rank b mod worldSize), because a
// rect batch's input shape depends on all of its images.
class BatchLoader
{
public:
    BatchLoader(const Dataset &dataset, LoaderOptions options);
    ~BatchLoader();
    BatchLoader(const BatchLoader &) = delete;
    BatchLoader &operator=(const BatchLoader &) = delete;

    int batchesPerEpoch() const; // the same on every rank
    int shardSize() const;       // samples per epoch of this rank
    const LoaderOptions &options() const;

    // Starts (or restarts) epoch `epoch` (0-based) at batch firstBatch. Batches of a previous
    // epoch still being built are abandoned.
    void startEpoch(int epoch, bool mosaic, int firstBatch = 0);

    // The next batch of the current epoch in batch order; std::nullopt at the end of the epoch
    // (or before the first startEpoch). Rethrows an unexpected error raised while building it.
    std::optional<Batch> next();

    // Images that failed to decode while loading, each reported once. A copy, because worker
    // threads may add to it at any time.
    std::vector<DataIssue> issues() const;

    // The sample order of an epoch for this rank (indices into Dataset::records()).
    std::vector<int> epochOrder(int epoch) const;

private:
    class Impl;
    std::unique_ptr<Impl> d;
};

} // namespace yolodeck
