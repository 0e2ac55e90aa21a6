// Validation throughput through yolodeck::Validator: letterboxed loading in rect batches (a square
// 320 image is validated in a 352 x 352 input, as in Ultralytics), forward, decode, NMS at
// Ultralytics' validation thresholds (conf 0.001, iou 0.7, every class scored) and metric matching,
// on the val split of a generated dataset. The model is freshly initialised, so the number of boxes
// NMS keeps is printed too: a trained model sends different numbers, which changes what NMS and
// matching cost.
//
//   bench_val [scale=n] [imgsz=320] [images=64] [batch=16] [workers=2] [warmup=1] [runs=3] [fuse=1]
//
// fuse=1 (the product's path) validates an inference copy with BatchNorm folded into the
// convolutions, under inference mode, run by oneDNN directly (OneDnnForward: Conv+SiLU fused,
// blocked maps) where the build has it; YOLODECK_ONEDNN=0 runs the same copy through LibTorch.
// fuse=0 runs the model itself in eval mode, as YoloDeck did before: the baseline of issue 13's
// speed-up. The result line names the engine that ran.

#include "tests/benchmarks/benchmarksupport.h"

#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/validator.h"

#include <QDir>
#include <QTemporaryDir>

#include <cstdio>
#include <optional>

using namespace yolodeck;

int main(int argc, char **argv)
{
    QMap<QString, QString> args{{QStringLiteral("scale"), QStringLiteral("n")},
                                {QStringLiteral("imgsz"), QStringLiteral("320")},
                                {QStringLiteral("images"), QStringLiteral("64")},
                                {QStringLiteral("batch"), QStringLiteral("16")},
                                {QStringLiteral("workers"), QStringLiteral("2")},
                                {QStringLiteral("warmup"), QStringLiteral("1")},
                                {QStringLiteral("runs"), QStringLiteral("3")},
                                {QStringLiteral("fuse"), QStringLiteral("1")}};
    int imgsz = 0, images = 0, batch = 0, workers = 0, warmup = 0, runs = 0, fuse = 1;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("imgsz"), 32, &imgsz) ||
        !benchmark::intOption(args, QStringLiteral("images"), 1, &images) ||
        !benchmark::intOption(args, QStringLiteral("batch"), 1, &batch) ||
        !benchmark::intOption(args, QStringLiteral("workers"), 0, &workers) ||
        !benchmark::intOption(args, QStringLiteral("warmup"), 0, &warmup) ||
        !benchmark::intOption(args, QStringLiteral("runs"), 1, &runs) ||
        !benchmark::intOption(args, QStringLiteral("fuse"), 0, &fuse))
        return 2;
    const std::optional<ModelScale> scale = benchmark::modelOption(args, imgsz);
    if (!scale)
        return 2;

    const int threads = benchmark::useAllCores();
    QTemporaryDir tmp;
    if (!tmp.isValid()) {
        std::fprintf(stderr, "cannot create a temporary folder: %s\n",
                     qPrintable(tmp.errorString()));
        return 1;
    }
    SynthOptions synth;
    synth.dir = tmp.path();
    synth.train = 1;
    synth.val = images;
    synth.imgsz = imgsz;
    if (const Status st = writeSynthDataset(synth); !st) {
        std::fprintf(stderr, "%s\n", qPrintable(st.error()));
        return 1;
    }
    const Result<DatasetConfig> config =
        DatasetConfig::load(QDir(tmp.path()).filePath(QStringLiteral("data.yaml")));
    if (!config) {
        std::fprintf(stderr, "%s\n", qPrintable(config.error()));
        return 1;
    }
    const Result<Dataset> dataset = Dataset::scan(config.value(), Split::Val);
    if (!dataset) {
        std::fprintf(stderr, "%s\n", qPrintable(dataset.error()));
        return 1;
    }

    torch::manual_seed(0);
    YoloModel model(*scale, dataset.value().nc());
    ValidationOptions options;
    options.imgsz = imgsz;
    options.batch = batch;
    options.workers = workers;
    options.conf = 0.001f;
    options.iou = 0.7f;
    options.fuse = fuse != 0;
    std::fprintf(stderr, "YOLOv8%s nc=%d at %d, %d val images, %d threads\n",
                 qPrintable(scale->name), dataset.value().nc(), imgsz, images, threads);

    Validator validator(dataset.value(), options);
    const torch::Device cpu(torch::kCPU);
    std::vector<double> rates;
    double dets = 0; // per image, as NMS kept them
    QString engine;
    for (int i = 0; i < warmup + runs; ++i) {
        const ValidationOutput out = validator.run(*model, cpu, nullptr);
        dets = out.images > 0 ? double(out.detections) / out.images : 0;
        engine = out.engine;
        std::fprintf(stderr, "%s %d: %d images in %.2f s, %.2f images/s, mAP50-95 %.4f\n",
                     i < warmup ? "warm-up" : "run", i < warmup ? i + 1 : i - warmup + 1,
                     out.images, out.seconds, out.imagesPerSecond, out.metrics.map50_95);
        if (i >= warmup)
            rates.push_back(out.imagesPerSecond);
    }

    const double rate = benchmark::median(rates);
    std::printf("bench_val scale=%s imgsz=%d images=%d batch=%d workers=%d threads=%d fuse=%d "
                "engine=%s conf=0.001 iou=0.7 dets_per_image=%.1f images_per_s=%.2f "
                "ms_per_image=%.1f\n",
                qPrintable(scale->name), imgsz, images, batch, workers, threads, fuse != 0,
                qPrintable(engine.section(QLatin1Char(' '), 0, 0)), dets, rate,
                rate > 0 ? 1000.0 / rate : 0.0);
    return 0;
}
