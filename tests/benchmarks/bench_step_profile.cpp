// Where one training step's time goes. Runs the trainer's step on random images and targets (as
// bench_train_step): forward, DetectionLoss with the task-aligned assignment, backward, the
// optimizer phase as the trainer runs it (unscale, gradient clipping at 10, SGD, zero_grad) and the
// EMA update, and times each phase. One more step runs under LibTorch's profiler, which splits the
// loss into assignment and the rest and attributes the time to operators, so the convolution
// kernels' share can be set against the machine's GEMM peak (a 1024 x 1024 matrix product on the
// same threads: OpenBLAS is given the intra-op thread count for it, whatever the thread policy).
//
//   bench_step_profile [scale=n] [imgsz=320] [batch=8] [nc=80] [boxes=4] [warmup=2] [iters=6]
//                      [threads=0] [engine=onednn|libtorch]
//
// The result line gives the median milliseconds of each phase; stderr lists the 12 operators with
// the most self time in the profiled step.

#include "tests/benchmarks/benchmarkprofile.h"
#include "tests/benchmarks/benchmarksupport.h"
#include "tests/benchmarks/benchmarktraining.h"

#include "core/common/threadpolicy.h"
#include "core/model/detectionloss.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/gradscaler.h"
#include "core/train/modelema.h"
#include "core/train/optimizer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <dlfcn.h>
#include <map>
#include <optional>
#include <string>

using namespace yolodeck;

namespace {

constexpr double kMaxGradNorm = 10.0; // the trainer's clip

struct PhaseMs
{
    double forward = 0, loss = 0, backward = 0, optimizer = 0, ema = 0;
    double total() const { return forward + loss + backward + optimizer + ema; }
};

bool isConvolution(std::string name)
{
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    return name.find("conv") != std::string::npos;
}

// GFLOP/s of a square float matrix product on the current threads: the machine's practical peak
// for the kernels the model uses.
// OpenBLAS runs on one thread by the thread policy, while the convolutions use every intra-op
// thread: the product is timed with OpenBLAS on `threads` threads (as many as the convolutions
// get), then OpenBLAS goes back to its count.
double gemmPeakGflops(int threads)
{
    using SetThreads = void (*)(int);
    const auto setBlasThreads =
        reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    const int blasBefore = openBlasThreads();
    if (setBlasThreads)
        setBlasThreads(threads);
    const int64_t n = 1024;
    const torch::Tensor a = torch::rand({n, n});
    const torch::Tensor b = torch::rand({n, n});
    torch::Tensor c = torch::mm(a, b);
    std::vector<double> gflops;
    for (int i = 0; i < 7; ++i) {
        QElapsedTimer timer;
        timer.start();
        torch::mm_out(c, a, b);
        gflops.push_back(2.0 * double(n) * n * n / (benchmark::elapsedMs(timer) * 1e6));
    }
    if (setBlasThreads && blasBefore > 0)
        setBlasThreads(blasBefore);
    return benchmark::median(gflops);
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::useMemoryPolicy();
    QMap<QString, QString> args = benchmark::stepDefaults(6);
    args.insert(QStringLiteral("threads"), QStringLiteral("0"));
    const std::optional<benchmark::StepOptions> options = benchmark::stepOptions(argc, argv, args);
    int threads = 0;
    if (!options || !benchmark::intOption(args, QStringLiteral("threads"), 0, &threads))
        return 2;
    const ModelScale &scale = options->scale;
    const int imgsz = options->imgsz, batch = options->batch, nc = options->nc;
    const int boxes = options->boxes, warmup = options->warmup, iters = options->iters;
    if (threads > 0)
        torch::set_num_threads(threads);
    else
        threads = benchmark::useAllCores();

    torch::manual_seed(0);
    YoloModel model(scale, nc);
    model->train();
    const QString engine = benchmark::useEngine(*model, *options);
    const DetectionLoss criterion(nc, model->strides(), {}, model->regMax());
    Optimizer optimizer = benchmark::ultralyticsSgd(*model);
    GradScaler scaler(false); // the CPU trainer's: disabled, but its finiteness check runs
    ModelEma ema(std::make_shared<YoloModelImpl>(scale, nc));
    ema.copyFrom(*model);
    std::vector<torch::Tensor> trainable;
    for (const torch::Tensor &p : model->parameters())
        if (p.requires_grad())
            trainable.push_back(p);

    const torch::Tensor images = torch::rand({batch, 3, imgsz, imgsz});
    const torch::Tensor targets = benchmark::randomTargets(batch, boxes, nc);
    const double gflopsPerImage = model->gflops(imgsz);
    std::fprintf(stderr, "YOLOv8%s nc=%d: %lld parameters, %.2f GFLOPs at %d; %d threads\n",
                 qPrintable(scale.name), nc, static_cast<long long>(model->parameterCount()),
                 gflopsPerImage, imgsz, threads);

    // The trainer's step, phase by phase.
    const auto step = [&](PhaseMs *ms) {
        QElapsedTimer timer;
        timer.start();
        double mark = 0;
        const auto lap = [&](double *into) {
            const double now = benchmark::elapsedMs(timer);
            *into = now - mark;
            mark = now;
        };
        const std::vector<torch::Tensor> feats = model->forward(images);
        lap(&ms->forward);
        const DetectionLoss::Output loss = criterion(feats, targets, imgsz);
        lap(&ms->loss);
        loss.total.backward();
        lap(&ms->backward);
        const bool finite = scaler.unscaleAndCheck(trainable);
        if (finite) {
            torch::nn::utils::clip_grad_norm_(trainable, kMaxGradNorm);
            optimizer.step();
        }
        scaler.update(finite);
        optimizer.zeroGrad();
        lap(&ms->optimizer);
        ema.update(*model);
        lap(&ms->ema);
    };

    std::vector<double> forward, loss, backward, opt, emaMs, total;
    for (int i = 0; i < warmup + iters; ++i) {
        PhaseMs ms;
        step(&ms);
        std::fprintf(stderr,
                     "%s %d: %.1f ms (forward %.1f, loss %.1f, backward %.1f, optimizer %.1f, "
                     "EMA %.1f)\n",
                     i < warmup ? "warm-up" : "step", i < warmup ? i + 1 : i - warmup + 1,
                     ms.total(), ms.forward, ms.loss, ms.backward, ms.optimizer, ms.ema);
        if (i < warmup)
            continue;
        forward.push_back(ms.forward);
        loss.push_back(ms.loss);
        backward.push_back(ms.backward);
        opt.push_back(ms.optimizer);
        emaMs.push_back(ms.ema);
        total.push_back(ms.total());
    }

    // One step under the profiler: the assignment's share of the loss, and the operators.
    namespace prof = torch::autograd::profiler;
    prof::enableProfilerLegacy(
        torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    PhaseMs profiled;
    step(&profiled);
    const benchmark::OperatorTimes ops = benchmark::operatorTimes(prof::disableProfilerLegacy());

    const double assignUs =
        ops.inclusiveUs.count("yolodeck::assign") ? ops.inclusiveUs.at("yolodeck::assign") : 0.0;
    double convUs = 0;
    for (const auto &[name, us] : ops.selfUs)
        if (isConvolution(name))
            convUs += us;
    std::fprintf(stderr, "profiled step: %.1f ms of operators (%.1f ms wall); most self time:\n",
                 ops.totalSelfUs / 1000, profiled.total());
    benchmark::printTopOperators(ops, 12);

    const double stepMs = benchmark::median(total);
    const double lossMs = benchmark::median(loss);
    // The assignment's share of the profiled loss, applied to the unprofiled loss time.
    const double assignMs = profiled.loss > 0 ? lossMs * (assignUs / 1000) / profiled.loss : 0;
    const double convShare = ops.totalSelfUs > 0 ? convUs / ops.totalSelfUs : 0;
    // Backward of a convolution costs about twice its forward (input and weight gradients).
    const double convGflop = 3.0 * gflopsPerImage * batch;
    const double convSeconds = convShare * stepMs / 1000;
    const double convRate = convSeconds > 0 ? convGflop / convSeconds : 0;
    const double peak = gemmPeakGflops(threads);

    std::printf("bench_step_profile scale=%s imgsz=%d batch=%d threads=%d iters=%d engine=%s "
                "step_ms=%.1f forward_ms=%.1f loss_ms=%.1f assign_ms=%.1f backward_ms=%.1f "
                "optimizer_ms=%.1f ema_ms=%.1f conv_share=%.2f conv_gflops=%.1f "
                "gemm_peak_gflops=%.1f peak_fraction=%.2f\n",
                qPrintable(scale.name), imgsz, batch, threads, iters, qPrintable(engine), stepMs,
                benchmark::median(forward), lossMs, assignMs, benchmark::median(backward),
                benchmark::median(opt), benchmark::median(emaMs), convShare, convRate, peak,
                peak > 0 ? convRate / peak : 0);
    return 0;
}
