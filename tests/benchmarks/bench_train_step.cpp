// One training step of the detector on the CPU: forward, DetectionLoss, backward and an SGD step,
// on random images and random targets so that image loading plays no part (bench_loader measures
// that). Prints the median step time.
//
//   bench_train_step [scale=n] [imgsz=320] [batch=8] [nc=80] [boxes=4] [warmup=2] [iters=8]
//                    [engine=onednn|libtorch]

#include "tests/benchmarks/benchmarksupport.h"
#include "tests/benchmarks/benchmarktraining.h"

#include "core/model/detectionloss.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/optimizer.h"

#include <cstdio>
#include <optional>

using namespace yolodeck;

int main(int argc, char **argv)
{
    benchmark::useMemoryPolicy();
    QMap<QString, QString> args = benchmark::stepDefaults(8);
    const std::optional<benchmark::StepOptions> options = benchmark::stepOptions(argc, argv, args);
    if (!options)
        return 2;
    const ModelScale &scale = options->scale;
    const int imgsz = options->imgsz, batch = options->batch, nc = options->nc;
    const int boxes = options->boxes, warmup = options->warmup, iters = options->iters;

    const int threads = benchmark::useAllCores();
    torch::manual_seed(0);
    YoloModel model(scale, nc);
    model->train();
    const QString engine = benchmark::useEngine(*model, *options);
    const DetectionLoss criterion(nc, model->strides(), {}, model->regMax());

    Optimizer optimizer = benchmark::ultralyticsSgd(*model);

    const torch::Tensor images = torch::rand({batch, 3, imgsz, imgsz});
    const torch::Tensor targets = benchmark::randomTargets(batch, boxes, nc);
    std::fprintf(stderr, "YOLOv8%s nc=%d: %lld parameters, %.2f GFLOPs at %d; %d threads\n",
                 qPrintable(scale.name), nc, static_cast<long long>(model->parameterCount()),
                 model->gflops(imgsz), imgsz, threads);

    std::vector<double> stepMs;
    for (int i = 0; i < warmup + iters; ++i) {
        QElapsedTimer timer;
        timer.start();
        optimizer.zeroGrad();
        const std::vector<torch::Tensor> feats = model->forward(images);
        const DetectionLoss::Output loss = criterion(feats, targets, imgsz);
        loss.total.backward();
        optimizer.step();
        const double ms = benchmark::elapsedMs(timer);
        std::fprintf(stderr, "%s %d/%d: %.1f ms, loss %.4f\n", i < warmup ? "warm-up" : "step",
                     i < warmup ? i + 1 : i - warmup + 1, i < warmup ? warmup : iters, ms,
                     loss.total.item<double>());
        if (i >= warmup)
            stepMs.push_back(ms);
    }

    const double ms = benchmark::median(stepMs);
    std::printf("bench_train_step scale=%s imgsz=%d batch=%d nc=%d threads=%d iters=%d engine=%s "
                "ms_per_step=%.1f images_per_s=%.2f\n",
                qPrintable(scale.name), imgsz, batch, nc, threads, iters, qPrintable(engine), ms,
                ms > 0 ? batch * 1000.0 / ms : 0.0);
    return 0;
}
