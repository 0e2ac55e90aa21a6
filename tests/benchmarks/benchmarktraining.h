#pragma once

// What the training-step benchmarks (bench_train_step, bench_step_profile, bench_peer) share: their
// common options and the optimizer.

#include "tests/benchmarks/benchmarksupport.h"

#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/optimizer.h"

#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

namespace yolodeck::benchmark {

// scale=n imgsz=320 batch=8 nc=80 boxes=4 warmup=2 iters=<iters> engine=onednn: a program adds
// its own keys to the map before stepOptions() reads it. engine= is the training engine
// (YoloModelImpl::useOneDnnTraining): onednn, the trainer's choice on the CPU, or libtorch.
inline QMap<QString, QString> stepDefaults(int iters)
{
    return {{QStringLiteral("scale"), QStringLiteral("n")},
            {QStringLiteral("imgsz"), QStringLiteral("320")},
            {QStringLiteral("batch"), QStringLiteral("8")},
            {QStringLiteral("nc"), QStringLiteral("80")},
            {QStringLiteral("boxes"), QStringLiteral("4")},
            {QStringLiteral("warmup"), QStringLiteral("2")},
            {QStringLiteral("iters"), QString::number(iters)},
            {QStringLiteral("engine"), QStringLiteral("onednn")}};
}

struct StepOptions
{
    ModelScale scale;
    int imgsz = 0, batch = 0, nc = 0, boxes = 0, warmup = 0, iters = 0;
    bool oneDnn = true;
};

// Reads argv over `args` (stepDefaults() and the program's own keys, which it then finds there)
// and checks the shared options; prints what is wrong and returns nullopt on a bad argument.
inline std::optional<StepOptions> stepOptions(int argc, char **argv, QMap<QString, QString> &args)
{
    StepOptions o;
    if (!parseOverrides(argc, argv, args) ||
        !intOption(args, QStringLiteral("imgsz"), 32, &o.imgsz) ||
        !intOption(args, QStringLiteral("batch"), 1, &o.batch) ||
        !intOption(args, QStringLiteral("nc"), 1, &o.nc) ||
        !intOption(args, QStringLiteral("boxes"), 1, &o.boxes) ||
        !intOption(args, QStringLiteral("warmup"), 0, &o.warmup) ||
        !intOption(args, QStringLiteral("iters"), 1, &o.iters))
        return std::nullopt;
    const QString engine = args.value(QStringLiteral("engine"));
    if (engine != QLatin1String("onednn") && engine != QLatin1String("libtorch")) {
        std::fprintf(stderr, "engine=%s: expected onednn or libtorch\n", qPrintable(engine));
        return std::nullopt;
    }
    o.oneDnn = engine == QLatin1String("onednn");
    const std::optional<ModelScale> scale = modelOption(args, o.imgsz);
    if (!scale)
        return std::nullopt;
    o.scale = *scale;
    return o;
}

// Puts `model` on the training engine the options ask for and returns its name ("oneDNN" or
// "LibTorch"); a oneDNN that cannot run the model is said on stderr.
inline QString useEngine(YoloModelImpl &model, const StepOptions &o)
{
    QString whyNot;
    if (!model.useOneDnnTraining(o.oneDnn, &whyNot) && o.oneDnn)
        std::fprintf(stderr, "training engine: LibTorch (oneDNN: %s)\n", qPrintable(whyNot));
    return model.trainingEngine();
}

// Ultralytics' SGD defaults (lr0 0.01, momentum 0.937, weight_decay 5e-4) on its three parameter
// groups, as the trainer builds them.
inline Optimizer ultralyticsSgd(const YoloModelImpl &model)
{
    const ParamGroups groups = model.parameterGroups();
    std::vector<Optimizer::Group> og(3);
    og[0].params = groups.biases;
    og[1].params = groups.weightsDecay;
    og[1].weightDecay = 5e-4;
    og[2].params = groups.normWeights;
    for (Optimizer::Group &g : og) {
        g.lr = g.initialLr = 0.01;
        g.momentum = 0.937;
    }
    return Optimizer(Optimizer::Kind::SGD, std::move(og));
}

} // namespace yolodeck::benchmark
