// The YOLOv8 loss alone: DetectionLoss (task-aligned assignment, BCE, CIoU, DFL) forward and
// backward on head-shaped random maps, as one training step computes it after the network's
// forward pass. Prints the median of each half; five more passes run under LibTorch's profiler,
// which gives the assignment's time within the forward and the most costly operators (on stderr,
// per pass).
//
//   bench_loss [imgsz=320] [batch=8] [nc=80] [boxes=4] [threads=2] [warmup=3] [iters=20]
//              [maps=random|model] [scale=n]
//
// Maps of [batch, 64 + nc, imgsz / s, imgsz / s] for the strides 8, 16 and 32, drawn from a
// normal distribution; targets as the training benchmarks draw them (benchmark::randomTargets).

#include "tests/benchmarks/benchmarkprofile.h"
#include "tests/benchmarks/benchmarksupport.h"
#include "tests/benchmarks/benchmarktraining.h"

#include "core/model/detectionloss.h"
#include "core/model/modelscale.h"
#include "core/model/taskalignedassigner.h"
#include "core/model/yolomodel.h"

#include <cstdio>
#include <vector>

using namespace yolodeck;

int main(int argc, char **argv)
{
    benchmark::useMemoryPolicy();
    // The training benchmarks' options (scale= is the model of maps=model), 3 warm-up passes.
    QMap<QString, QString> args = benchmark::stepDefaults(20);
    args.insert(QStringLiteral("warmup"), QStringLiteral("3"));
    args.insert(QStringLiteral("threads"), QStringLiteral("2"));
    args.insert(QStringLiteral("maps"), QStringLiteral("random"));
    const std::optional<benchmark::StepOptions> options = benchmark::stepOptions(argc, argv, args);
    int threads = 0;
    if (!options || !benchmark::intOption(args, QStringLiteral("threads"), 1, &threads))
        return 2;
    const int imgsz = options->imgsz, batch = options->batch, nc = options->nc;
    const int boxes = options->boxes, warmup = options->warmup, iters = options->iters;
    const QString mapsFrom = args.value(QStringLiteral("maps"));
    if (mapsFrom != QLatin1String("random") && mapsFrom != QLatin1String("model")) {
        std::fprintf(stderr, "maps=%s: expected random or model\n", qPrintable(mapsFrom));
        return 2;
    }
    torch::set_num_threads(threads);

    const int regMax = 16;
    const std::vector<int64_t> strides{8, 16, 32};
    torch::manual_seed(0);
    std::vector<torch::Tensor> maps;
    if (mapsFrom == QLatin1String("model")) {
        // What a fresh head gives on random images (box logits near their bias of 1, class
        // logits near their prior), taken as leaves.
        YoloModel model(options->scale, nc);
        model->train();
        torch::NoGradGuard noGrad;
        for (const torch::Tensor &m : model->forward(torch::rand({batch, 3, imgsz, imgsz})))
            maps.push_back(m.detach().clone().requires_grad_(true));
    } else {
        for (const int64_t s : strides)
            maps.push_back(
                torch::randn({batch, 4 * regMax + nc, imgsz / s, imgsz / s}).requires_grad_(true));
    }
    const torch::Tensor targets = benchmark::randomTargets(batch, boxes, nc);
    const DetectionLoss criterion(nc, strides, {}, regMax);

    std::vector<double> forwardMs, backwardMs;
    double value = 0;
    for (int i = 0; i < warmup + iters; ++i) {
        for (torch::Tensor &m : maps)
            m.mutable_grad() = torch::Tensor();
        QElapsedTimer timer;
        timer.start();
        const DetectionLoss::Output loss = criterion(maps, targets, imgsz);
        const double forward = benchmark::elapsedMs(timer);
        loss.total.backward();
        const double backward = benchmark::elapsedMs(timer) - forward;
        value = loss.total.item<double>();
        if (i >= warmup) {
            forwardMs.push_back(forward);
            backwardMs.push_back(backward);
        }
    }

    namespace prof = torch::autograd::profiler;
    prof::enableProfilerLegacy(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    constexpr int kProfiled = 5; // passes, so that one slow moment of the machine weighs less
    for (int i = 0; i < kProfiled; ++i)
        criterion(maps, targets, imgsz).total.backward();
    benchmark::OperatorTimes ops = benchmark::operatorTimes(prof::disableProfilerLegacy());
    ops.scale(1.0 / kProfiled);
    const double assignUs =
        ops.inclusiveUs.count("yolodeck::assign") ? ops.inclusiveUs.at("yolodeck::assign") : 0.0;
    std::fprintf(stderr,
                 "profiled passes: %.1f ms of operators per pass, assignment %.1f ms; most self "
                 "time:\n",
                 ops.totalSelfUs / 1000, assignUs / 1000);
    benchmark::printTopOperators(ops, 15);

    // assign_ms: the assignment in the profiled passes (its few dozen operators cost the profiler
    // little).
    std::printf("bench_loss imgsz=%d batch=%d nc=%d boxes=%d threads=%d iters=%d forward_ms=%.2f "
                "assign_ms=%.2f backward_ms=%.2f loss=%.6f\n",
                imgsz, batch, nc, boxes, threads, iters, benchmark::median(forwardMs),
                assignUs / 1000, benchmark::median(backwardMs), value);
    return 0;
}
