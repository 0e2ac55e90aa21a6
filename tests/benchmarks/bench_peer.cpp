// YoloDeck against its Python peer: the same YOLOv8 written in plain PyTorch
// (tests/benchmarks/peer/yolov8.py, Ultralytics' module names) with the same YOLOv8 loss
// (peer/detection_loss.py), run by Debian's python3-torch 1.13 in a child process
// (peer/step_server.py) on the same LibTorch, the same thread count and the same OMP_WAIT_POLICY
// (the child inherits this process's environment). Prints the median time of a training step and
// of an inference pass on each side, and their ratio python_ms / yolodeck_ms: above 1 means
// YoloDeck is faster.
//
// First it proves the two are the same network and the same loss: a YoloDeck model (BatchNorm
// statistics and affine made non-trivial, so that every BN tensor's name counts) is written with
// the product's own export (writeStateDict, torch.load-able), Python loads it by name (strict), and
// both run the same input: eval-mode maps, decoded boxes, train-mode maps, the network loss and
// its gradients, then the YOLOv8 loss on random boxes (task-aligned assignment, BCE, CIoU, DFL)
// and its gradients must agree to float rounding (raw maps to 1e-4), else the program fails. On
// LibTorch's path (engine=libtorch) they agree to the bit in practice: both run the same LibTorch
// with the same thread count. On YoloDeck's oneDNN training engine (engine=onednn, the trainer's
// choice on the CPU and the default here) the train-mode half is the engine's own arithmetic and
// agrees to rounding.
//
// Two training steps are timed, each on its own pair of models with the same fresh weights; each
// step: zero grads, forward, loss, backward, SGD (Nesterov, lr 0.01, momentum 0.937, weight decay
// 5e-4 on the conv weights: Ultralytics' defaults and three groups) on one fixed random batch:
// - step: the training step a user runs, with the YOLOv8 loss on fixed random boxes: YoloDeck's
//   DetectionLoss, Python's detection_loss.py. The two sides' losses are printed step by step; the
//   first step's relative difference is in the result line (first_loss_rel). On LibTorch's path
//   they stay equal to the bit. On the oneDNN engine they drift apart after a few steps, as any
//   two float32 runs of this loss do at lr 0.01 on one fixed batch: its assignment is a top-k, so
//   rounding moves anchors between boxes, and the trajectories part (measured in Python alone:
//   weights perturbed by 1e-7 give losses 2e-4 apart after 4 steps and 3% after 7).
// - net: the network alone, with a loss both compute alike in two operations (the sum over the
//   three levels of the mean of the squared raw head outputs), so its ratio compares the network,
//   the backward pass and the optimizer, not two loss implementations.
// Steps alternate (YoloDeck, Python for one kind, then for the other), and which side goes first
// alternates too, so load on the machine falls on both. Python's times are taken by Python's own
// clock around the work alone, not across the pipe.
//
// Inference: forward and decode of the batch. YoloDeck's side (yolodeckPass below) runs the model
// the way Validator::run and predict do: an inferenceCopy() (BatchNorm folded into the
// convolutions, run by oneDNN directly where the build has it: OneDnnForward) under
// c10::InferenceMode, forward(), decode(); keep it in step with them. YOLODECK_ONEDNN=0 times
// LibTorch's path instead.
// Python's side does what Ultralytics does for val and predict: the model fused (yolov8.py's
// fuse()), eval(), torch.inference_mode(), the model's forward (its head decodes in eval mode).
//
//   bench_peer [scale=n] [imgsz=320] [batch=8] [nc=80] [boxes=4] [threads=2] [warmup=2]
//              [iters=10] [mode=bench|check] [python=/usr/bin/python3] [engine=onednn|libtorch]
//
// mode=check only proves the equivalence (and the parameter counts) and prints one result line.
//
// On a machine shared with other work run it with OMP_WAIT_POLICY=PASSIVE: by default the OpenMP
// threads of whichever side has just finished spin on cores the other side needs, and other load
// makes that worse (measured on two busy cores: YOLOv8n steps of 2.2 s took 3 to 12 s).

#include "tests/benchmarks/benchmarksupport.h"
#include "tests/benchmarks/benchmarktraining.h"

#include "core/interop/statedictexport.h"
#include "core/model/detectionloss.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/train/modelstate.h"
#include "core/train/optimizer.h"

#include <QDir>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>

using namespace yolodeck;

namespace {

// Allowed |python - yolodeck|. The two sides run the same LibTorch with the same thread count, so
// in practice they agree to the bit; the margins leave room for the order of threaded reductions.
constexpr double kMapTolerance = 1e-4; // raw head outputs, of order 10
// Train-mode maps on YoloDeck's oneDNN training engine: its convolutions and BatchNorms sum in
// their own order, through some 60 batch-statistics layers. Measured: 4.5e-5 (n, 320, batch 8),
// about 1e-6 of the maps' magnitude (3.2e-4 while the engine took oneDNN's BatchNorm statistics).
constexpr double kOneDnnTrainMapTolerance = 3e-4;
// Decoded boxes are input pixels: relative to the largest |value|, float32 rounding.
constexpr double kDecodedTolerance = 1e-6;
constexpr double kLossTolerance = 1e-5; // relative
// Each gradient against the largest magnitude in its tensor. Measured: 0 with equal thread counts,
// 2.4e-4 when one side ran one thread and the other two (BatchNorm's backward sums differently).
constexpr double kGradientTolerance = 1e-3;
// The YOLOv8 loss: the sums of the assigner's float arithmetic over the anchors add rounding of
// their own to the maps' (relative; the items are compared against the same bound in absolute).
constexpr double kFullLossTolerance = 1e-4;
// YoloDeck's YOLOv8-loss gradients may be at most this many times further from the float64 step
// than Python's float32 ones. Measured (n, 320, batch 8): 3.7e-5 against 3.0e-5 on the oneDNN
// engine, equal on LibTorch's path; 2.8e-3 (93 times) when the engine still took oneDNN's own
// BatchNorm statistics.
constexpr double kFloat64Margin = 4.0;

// The benchmark loss, as step_server.py's peer_loss: sum over levels of mean(map^2).
torch::Tensor peerLoss(const std::vector<torch::Tensor> &maps)
{
    torch::Tensor loss = maps.front().to(torch::kFloat).pow(2).mean();
    for (size_t i = 1; i < maps.size(); ++i)
        loss = loss + maps[i].to(torch::kFloat).pow(2).mean();
    return loss;
}

double timedMs(const std::function<void()> &work)
{
    QElapsedTimer timer;
    timer.start();
    work();
    return benchmark::elapsedMs(timer);
}

double maxAbs(const torch::Tensor &t)
{
    return t.numel() ? t.detach().abs().max().item<double>() : 0.0;
}

// step_server.py as a child process: one command a line on its stdin, one reply a line on its
// stdout ("ok key=value ..." or "error message"); its stderr goes straight to ours.
class PeerProcess
{
public:
    ~PeerProcess()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.write("quit\n");
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(10000)) {
            m_process.kill();
            m_process.waitForFinished(1000);
        }
    }

    bool start(const QString &python, const QStringList &arguments)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PYTHONDONTWRITEBYTECODE"), QStringLiteral("1"));
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(python, arguments);
        if (!m_process.waitForStarted(30000)) {
            std::fprintf(stderr, "cannot start %s: %s\n", qPrintable(python),
                         qPrintable(m_process.errorString()));
            return false;
        }
        return true;
    }

    // The reply's values, or std::nullopt (after printing why) on an error or a dead peer.
    std::optional<QMap<QString, double>> request(const char *command)
    {
        m_process.write(command);
        m_process.write("\n");
        while (!m_process.canReadLine()) {
            // No time limit: a step of a large model on two cores takes minutes. A peer that dies
            // ends the wait.
            if (!m_process.waitForReadyRead(-1) && !m_process.canReadLine()) {
                std::fprintf(stderr, "the Python peer stopped during '%s' (exit code %d)\n",
                             command, m_process.exitCode());
                return std::nullopt;
            }
        }
        const QString line = QString::fromUtf8(m_process.readLine()).trimmed();
        const QStringList words = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (words.value(0) != QLatin1String("ok")) {
            std::fprintf(stderr, "the Python peer answered '%s' with: %s\n", command,
                         qPrintable(line));
            return std::nullopt;
        }
        QMap<QString, double> values;
        for (qsizetype i = 1; i < words.size(); ++i) {
            const qsizetype eq = words[i].indexOf(QLatin1Char('='));
            bool ok = false;
            const double value = eq > 0 ? words[i].mid(eq + 1).toDouble(&ok) : 0.0;
            // Anything that is not a number ("nan" among them) must fail a comparison.
            if (eq > 0)
                values.insert(words[i].left(eq),
                              ok ? value : std::numeric_limits<double>::quiet_NaN());
        }
        return values;
    }

private:
    QProcess m_process;
};

bool write(const QDir &dir, const char *name, const std::map<std::string, torch::Tensor> &tensors)
{
    const Status written = writeStateDict(dir.filePath(QString::fromLatin1(name)), tensors);
    if (!written)
        std::fprintf(stderr, "%s\n", qPrintable(written.error()));
    return bool(written);
}

// Proves that the peer is the same network and returns the largest forward difference (raw maps,
// eval and train mode), or std::nullopt after printing what differs.
std::optional<double> checkSameNetwork(PeerProcess &peer, const QDir &dir,
                                       const benchmark::StepOptions &options)
{
    const ModelScale &scale = options.scale;
    const int nc = options.nc, imgsz = options.imgsz, batch = options.batch;
    torch::manual_seed(1);
    YoloModel model(scale, nc);
    // The train-mode half of the check runs on the timed steps' training engine.
    benchmark::useEngine(*model, options);
    {
        // Fresh BatchNorms are the identity in eval mode; random ones make each BN tensor count.
        torch::NoGradGuard noGrad;
        for (const std::shared_ptr<torch::nn::Module> &m : model->modules(false)) {
            if (auto *bn = m->as<torch::nn::BatchNorm2dImpl>()) {
                bn->weight.uniform_(0.5, 1.5);
                bn->bias.normal_(0, 0.1);
                bn->running_mean.normal_(0, 0.1);
                bn->running_var.uniform_(0.5, 1.5);
            }
        }
    }
    // Written before the train-mode forward below moves the running statistics.
    const std::map<std::string, torch::Tensor> weights = namedState(*model, "");
    if (!write(dir, "check_weights.pt", weights))
        return std::nullopt;

    const torch::Tensor x = torch::rand({batch, 3, imgsz, imgsz});
    std::map<std::string, torch::Tensor> expected{{"input", x}};
    double decodedScale = 1;
    model->eval();
    {
        torch::NoGradGuard noGrad;
        const std::vector<torch::Tensor> maps = model->forward(x);
        for (size_t i = 0; i < maps.size(); ++i)
            expected["eval." + std::to_string(i)] = maps[i];
        expected["eval.decoded"] = model->decode(maps);
        decodedScale = std::max(decodedScale, maxAbs(expected["eval.decoded"]));
    }
    model->train();
    const std::vector<torch::Tensor> maps = model->forward(x);
    const torch::Tensor loss = peerLoss(maps);
    loss.backward();
    for (size_t i = 0; i < maps.size(); ++i)
        expected["train." + std::to_string(i)] = maps[i].detach();
    expected["train.loss"] = loss.detach();
    const auto keepGradients = [&](const std::string &prefix) {
        for (const auto &item : model->named_parameters(true)) {
            if (item.value().grad().defined())
                expected[prefix + item.key()] = item.value().grad().clone();
        }
    };
    keepGradients("grad.");

    // The YOLOv8 loss on a second forward (the same maps: train-mode BatchNorm uses the batch's
    // statistics), on random boxes for every image.
    model->zero_grad(true);
    const torch::Tensor targets = benchmark::randomTargets(batch, options.boxes, nc);
    const DetectionLoss criterion(nc, model->strides(), {}, model->regMax());
    const DetectionLoss::Output full = criterion(model->forward(x), targets, imgsz);
    full.total.backward();
    expected["targets"] = targets;
    expected["full.loss"] = full.total.detach();
    expected["full.items"] = full.items;
    keepGradients("fullgrad.");
    if (!write(dir, "check_case.pt", expected))
        return std::nullopt;

    const std::optional<QMap<QString, double>> got = peer.request("check");
    if (!got)
        return std::nullopt;
    const QMap<QString, double> &r = *got;
    std::fprintf(
        stderr,
        "same network: %lld tensors loaded by name, %lld parameters in Python, %lld in "
        "YoloDeck\n"
        "  max |python - yolodeck|: eval maps %.3g, decoded boxes and scores %.3g (fused "
        "BN in Python: %.3g), train maps %.3g\n"
        "  network loss %.6f vs %.6f (relative %.2g); %lld gradients, worst relative "
        "%.3g\n"
        "  YOLOv8 loss %.6f vs %.6f (relative %.2g, items %.2g); %lld gradients, worst "
        "relative %.3g\n"
        "  against the same step in float64: worst relative gradient %.3g for Python's "
        "float32, %.3g for YoloDeck's\n",
        static_cast<long long>(r.value(QStringLiteral("tensors"))),
        static_cast<long long>(r.value(QStringLiteral("parameters"))),
        static_cast<long long>(model->parameterCount()), r.value(QStringLiteral("eval_maps")),
        r.value(QStringLiteral("eval_decoded")), r.value(QStringLiteral("fused_decoded")),
        r.value(QStringLiteral("train_maps")), r.value(QStringLiteral("loss_python")),
        loss.item<double>(), r.value(QStringLiteral("loss_rel")),
        static_cast<long long>(r.value(QStringLiteral("grads"))),
        r.value(QStringLiteral("grad_rel")), r.value(QStringLiteral("full_loss_python")),
        full.total.item<double>(), r.value(QStringLiteral("full_loss_rel")),
        r.value(QStringLiteral("full_items")),
        static_cast<long long>(r.value(QStringLiteral("full_grads"))),
        r.value(QStringLiteral("full_grad_rel")), r.value(QStringLiteral("f64_grad_rel_python")),
        r.value(QStringLiteral("f64_grad_rel_yolodeck")));

    QStringList failures;
    if (r.value(QStringLiteral("parameters")) != double(model->parameterCount()))
        failures << QStringLiteral("parameter counts differ");
    if (r.value(QStringLiteral("tensors")) != double(weights.size()))
        failures << QStringLiteral("tensor counts differ");
    // Negated comparisons so that a NaN fails too.
    if (!(r.value(QStringLiteral("eval_maps")) <= kMapTolerance))
        failures << QStringLiteral("eval maps differ");
    if (!(r.value(QStringLiteral("eval_decoded")) <= kDecodedTolerance * decodedScale))
        failures << QStringLiteral("decoded outputs differ");
    if (!(r.value(QStringLiteral("train_maps")) <=
          (model->trainingEngine() == QLatin1String("oneDNN") ? kOneDnnTrainMapTolerance
                                                              : kMapTolerance)))
        failures << QStringLiteral("train maps differ");
    if (!(r.value(QStringLiteral("loss_rel")) <= kLossTolerance))
        failures << QStringLiteral("losses differ");
    if (!(r.value(QStringLiteral("grad_rel")) <= kGradientTolerance))
        failures << QStringLiteral("gradients differ");
    if (!(r.value(QStringLiteral("full_loss_rel")) <= kFullLossTolerance) ||
        !(r.value(QStringLiteral("full_items")) <= kFullLossTolerance))
        failures << QStringLiteral("YOLOv8 losses differ");
    if (!(r.value(QStringLiteral("full_grad_rel")) <= kGradientTolerance))
        failures << QStringLiteral("YOLOv8 loss gradients differ");
    if (!(r.value(QStringLiteral("f64_grad_rel_yolodeck")) <=
          kFloat64Margin * r.value(QStringLiteral("f64_grad_rel_python"))))
        failures << QStringLiteral("YoloDeck's gradients are further from float64 than "
                                   "PyTorch's float32 allows");
    // Every parameter takes part in the YOLOv8 loss: a side that left some out would pass above.
    int64_t trainable = 0;
    for (const torch::Tensor &p : model->parameters())
        trainable += p.requires_grad() ? 1 : 0;
    if (r.value(QStringLiteral("full_grads")) != double(trainable))
        failures << QStringLiteral("not every parameter has a YOLOv8 loss gradient");
    if (!failures.isEmpty()) {
        std::fprintf(stderr, "NOT the same network: %s\n", qPrintable(failures.join(", ")));
        return std::nullopt;
    }
    return std::max(r.value(QStringLiteral("eval_maps")), r.value(QStringLiteral("train_maps")));
}

} // namespace

int main(int argc, char **argv)
{
    benchmark::useMemoryPolicy();
    QMap<QString, QString> args = benchmark::stepDefaults(10);
    args.insert(QStringLiteral("threads"), QStringLiteral("2"));
    args.insert(QStringLiteral("mode"), QStringLiteral("bench"));
    args.insert(QStringLiteral("python"), QStringLiteral("/usr/bin/python3"));
    const std::optional<benchmark::StepOptions> options = benchmark::stepOptions(argc, argv, args);
    int threads = 0;
    if (!options || !benchmark::intOption(args, QStringLiteral("threads"), 1, &threads))
        return 2;
    const ModelScale &scale = options->scale;
    const int imgsz = options->imgsz, batch = options->batch, nc = options->nc;
    const int boxes = options->boxes, warmup = options->warmup, iters = options->iters;
    const QString mode = args.value(QStringLiteral("mode"));
    if (mode != QLatin1String("bench") && mode != QLatin1String("check")) {
        std::fprintf(stderr, "mode=%s: expected bench or check\n", qPrintable(mode));
        return 2;
    }

    torch::set_num_threads(threads);
    QTemporaryDir tmp;
    if (!tmp.isValid()) {
        std::fprintf(stderr, "cannot create a temporary folder: %s\n",
                     qPrintable(tmp.errorString()));
        return 1;
    }
    const QDir dir(tmp.path());
    const QString script =
        QStringLiteral(YOLODECK_SOURCE_DIR "/tests/benchmarks/peer/step_server.py");
    PeerProcess peer;
    if (!peer.start(args.value(QStringLiteral("python")),
                    {script, QStringLiteral("--dir"), dir.path(), QStringLiteral("--scale"),
                     scale.name, QStringLiteral("--nc"), QString::number(nc),
                     QStringLiteral("--threads"), QString::number(threads),
                     QStringLiteral("--fuse")}))
        return 1;
    const QByteArray waitPolicy = qgetenv("OMP_WAIT_POLICY");
    std::fprintf(stderr,
                 "YOLOv8%s nc=%d at %d, batch %d; %d threads on both sides, OMP_WAIT_POLICY=%s "
                 "on both%s\n",
                 qPrintable(scale.name), nc, imgsz, batch, threads,
                 waitPolicy.isEmpty() ? "(unset)" : waitPolicy.constData(),
                 waitPolicy.isEmpty() ? " (PASSIVE measures steadier on a shared machine)" : "");

    const std::optional<double> forwardDiff = checkSameNetwork(peer, dir, *options);
    if (!forwardDiff)
        return 1;
    if (mode == QLatin1String("check")) {
        std::printf("bench_peer mode=check scale=%s imgsz=%d batch=%d nc=%d threads=%d "
                    "forward_max_abs_diff=%.3g\n",
                    qPrintable(scale.name), imgsz, batch, nc, threads, *forwardDiff);
        return 0;
    }

    // The timed models: the same fresh weights on both sides, one copy for each kind of step.
    torch::manual_seed(0);
    YoloModel model(scale, nc);
    model->train();
    const QString engine = benchmark::useEngine(*model, *options);
    const torch::Tensor images = torch::rand({batch, 3, imgsz, imgsz});
    const torch::Tensor targets = benchmark::randomTargets(batch, boxes, nc);
    if (!write(dir, "weights.pt", namedState(*model, "")) ||
        !write(dir, "inputs.pt", {{"images", images}, {"targets", targets}}))
        return 1;
    const std::optional<QMap<QString, double>> setup = peer.request("setup");
    if (!setup)
        return 1;
    if (setup->value(QStringLiteral("threads")) != threads) {
        std::fprintf(stderr, "the Python peer runs %g threads, not %d\n",
                     setup->value(QStringLiteral("threads")), threads);
        return 1;
    }
    Optimizer optimizer = benchmark::ultralyticsSgd(*model);

    torch::manual_seed(0);
    YoloModel full(scale, nc);
    full->train();
    benchmark::useEngine(*full, *options);
    Optimizer fullOptimizer = benchmark::ultralyticsSgd(*full);
    const DetectionLoss criterion(nc, full->strides(), {}, full->regMax());

    // One timed step of each side, YoloDeck's and Python's in turn (which goes first alternates
    // with i); false when the peer failed.
    const auto pair = [&](int i, const std::function<double(double *)> &yolodeck,
                          const char *command, double *ydMs, double *ydLoss,
                          std::optional<QMap<QString, double>> *py) {
        if (i % 2 == 0) {
            *ydMs = yolodeck(ydLoss);
            *py = peer.request(command);
        } else {
            *py = peer.request(command);
            *ydMs = yolodeck(ydLoss);
        }
        return py->has_value();
    };
    const auto netStep = [&](double *lossValue) {
        torch::Tensor loss;
        const double ms = timedMs([&] {
            optimizer.zeroGrad();
            loss = peerLoss(model->forward(images));
            loss.backward();
            optimizer.step();
        });
        *lossValue = loss.item<double>();
        return ms;
    };
    const auto fullStep = [&](double *lossValue) {
        torch::Tensor loss;
        const double ms = timedMs([&] {
            fullOptimizer.zeroGrad();
            loss = criterion(full->forward(images), targets, imgsz).total;
            loss.backward();
            fullOptimizer.step();
        });
        *lossValue = loss.item<double>();
        return ms;
    };

    std::vector<double> stepYolodeck, stepPython, netYolodeck, netPython, valYolodeck, valPython;
    double firstLossRel = 0;
    const auto phase = [&](int i) { return i < warmup ? "warm-up" : "step"; };
    const auto counter = [&](int i) { return i < warmup ? i + 1 : i - warmup + 1; };
    for (int i = 0; i < warmup + iters; ++i) {
        double stepMs = 0, stepLoss = 0, netMs = 0, netLoss = 0;
        std::optional<QMap<QString, double>> stepPy, netPy;
        if (!pair(i, fullStep, "step", &stepMs, &stepLoss, &stepPy) ||
            !pair(i, netStep, "train", &netMs, &netLoss, &netPy))
            return 1;
        const double stepPyLoss = stepPy->value(QStringLiteral("loss"));
        if (i == 0)
            firstLossRel = std::abs(stepPyLoss - stepLoss) / std::max(std::abs(stepLoss), 1e-12);
        std::fprintf(stderr,
                     "train %s %d: YOLOv8 loss: yolodeck %.1f ms (loss %.6f), python %.1f ms "
                     "(loss %.6f); network loss: yolodeck %.1f ms (loss %.6f), python %.1f ms "
                     "(loss %.6f)\n",
                     phase(i), counter(i), stepMs, stepLoss, stepPy->value(QStringLiteral("ms")),
                     stepPyLoss, netMs, netLoss, netPy->value(QStringLiteral("ms")),
                     netPy->value(QStringLiteral("loss")));
        if (i >= warmup) {
            stepYolodeck.push_back(stepMs);
            stepPython.push_back(stepPy->value(QStringLiteral("ms")));
            netYolodeck.push_back(netMs);
            netPython.push_back(netPy->value(QStringLiteral("ms")));
        }
    }

    YoloModel inference = inferenceCopy(*model);
    for (int i = 0; i < warmup + iters; ++i) {
        double ydMs = 0;
        std::optional<QMap<QString, double>> py;
        const auto yolodeckPass = [&] {
            ydMs = timedMs([&] {
                c10::InferenceMode inferenceMode;
                inference->decode(inference->forward(images));
            });
        };
        if (i % 2 == 0) {
            yolodeckPass();
            py = peer.request("val");
        } else {
            py = peer.request("val");
            yolodeckPass();
        }
        if (!py)
            return 1;
        std::fprintf(stderr, "val %s %d: yolodeck %.1f ms, python %.1f ms\n", phase(i), counter(i),
                     ydMs, py->value(QStringLiteral("ms")));
        if (i >= warmup) {
            valYolodeck.push_back(ydMs);
            valPython.push_back(py->value(QStringLiteral("ms")));
        }
    }

    const auto ratio = [](double python, double yolodeck) {
        return yolodeck > 0 ? python / yolodeck : 0.0;
    };
    const double stepYd = benchmark::median(stepYolodeck), stepPy = benchmark::median(stepPython);
    const double netYd = benchmark::median(netYolodeck), netPy = benchmark::median(netPython);
    const double valYd = benchmark::median(valYolodeck), valPy = benchmark::median(valPython);
    std::printf("bench_peer scale=%s imgsz=%d batch=%d nc=%d boxes=%d threads=%d iters=%d "
                "engine=%s step_ms_yolodeck=%.1f step_ms_python=%.1f step_ratio=%.3f "
                "net_ms_yolodeck=%.1f net_ms_python=%.1f net_ratio=%.3f val_ms_yolodeck=%.1f "
                "val_ms_python=%.1f val_ratio=%.3f first_loss_rel=%.2g forward_max_abs_diff=%.3g\n",
                qPrintable(scale.name), imgsz, batch, nc, boxes, threads, iters, qPrintable(engine),
                stepYd, stepPy, ratio(stepPy, stepYd), netYd, netPy, ratio(netPy, netYd), valYd,
                valPy, ratio(valPy, valYd), firstLossRel, *forwardDiff);
    return 0;
}
