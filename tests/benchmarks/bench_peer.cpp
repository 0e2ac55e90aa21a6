// YoloDeck against its Python peer: the same YOLOv8 written in plain PyTorch
// (tests/benchmarks/peer/yolov8.py, Ultralytics' module names), run by Debian's python3-torch 1.13
// in a child process (peer/step_server.py) on the same LibTorch, the same thread count and the
// same OMP_WAIT_POLICY (the child inherits this process's environment). Prints the median time of
// a training step and of an inference pass on each side, and their ratio python_ms / yolodeck_ms:
// above 1 means YoloDeck is faster.
//
// First it proves the two are the same network: a YoloDeck model (BatchNorm statistics and affine
// made non-trivial, so that every BN tensor's name counts) is written with the product's own
// export (writeStateDict, torch.load-able), Python loads it by name (strict), and both run the
// same input: eval-mode maps, decoded boxes, train-mode maps, loss and gradients must agree to
// float rounding (raw maps to 1e-4), else the program fails. On LibTorch's path (engine=libtorch)
// they agree to the bit in practice: both run the same LibTorch with the same thread count. On
// YoloDeck's oneDNN training engine (engine=onednn, the trainer's choice on the CPU and the
// default here) the train-mode half is the engine's own arithmetic and agrees to rounding.
//
// The loss of the timed steps, on both sides: the sum over the three levels of the mean of the
// squared raw head outputs. Both compute it alike, so the ratio compares the network, the
// backward pass and the optimizer, not two loss implementations. YoloDeck's real step (the
// task-aligned assigner and DetectionLoss, as bench_train_step) is timed alongside on a second
// model: full_step_ms_yolodeck. Each step: zero grads, forward, loss, backward, SGD (Nesterov,
// lr 0.01, momentum 0.937, weight decay 5e-4 on the conv weights: Ultralytics' defaults and three
// groups) on one fixed random batch. Steps alternate (YoloDeck, Python, YoloDeck's full step),
// and which of the first two goes first alternates too, so load on the machine falls on both.
// Python's times are taken by Python's own clock around the work alone, not across the pipe.
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
// their own order, through some 60 batch-statistics layers. Measured: 3.2e-4 (n, 320, batch 8),
// about 1e-5 of the maps' magnitude.
constexpr double kOneDnnTrainMapTolerance = 1e-3;
// Decoded boxes are input pixels: relative to the largest |value|, float32 rounding.
constexpr double kDecodedTolerance = 1e-6;
constexpr double kLossTolerance = 1e-5; // relative
// Each gradient against the largest magnitude in its tensor. Measured: 0 with equal thread counts,
// 2.4e-4 when one side ran one thread and the other two (BatchNorm's backward sums differently).
constexpr double kGradientTolerance = 1e-3;

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
    for (const auto &item : model->named_parameters(true)) {
        if (item.value().grad().defined())
            expected["grad." + item.key()] = item.value().grad();
    }
    if (!write(dir, "check_case.pt", expected))
        return std::nullopt;

    const std::optional<QMap<QString, double>> got = peer.request("check");
    if (!got)
        return std::nullopt;
    const QMap<QString, double> &r = *got;
    std::fprintf(stderr,
                 "same network: %lld tensors loaded by name, %lld parameters in Python, %lld in "
                 "YoloDeck\n"
                 "  max |python - yolodeck|: eval maps %.3g, decoded boxes and scores %.3g (fused "
                 "BN in Python: %.3g), train maps %.3g\n"
                 "  loss %.6f vs %.6f (relative %.2g); %lld gradients, worst relative %.3g\n",
                 static_cast<long long>(r.value(QStringLiteral("tensors"))),
                 static_cast<long long>(r.value(QStringLiteral("parameters"))),
                 static_cast<long long>(model->parameterCount()),
                 r.value(QStringLiteral("eval_maps")), r.value(QStringLiteral("eval_decoded")),
                 r.value(QStringLiteral("fused_decoded")), r.value(QStringLiteral("train_maps")),
                 r.value(QStringLiteral("loss_python")), loss.item<double>(),
                 r.value(QStringLiteral("loss_rel")),
                 static_cast<long long>(r.value(QStringLiteral("grads"))),
                 r.value(QStringLiteral("grad_rel")));

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
    if (!failures.isEmpty()) {
        std::fprintf(stderr, "NOT the same network: %s\n", qPrintable(failures.join(", ")));
        return std::nullopt;
    }
    return std::max(r.value(QStringLiteral("eval_maps")), r.value(QStringLiteral("train_maps")));
}

} // namespace

int main(int argc, char **argv)
{
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

    // The timed models: the same fresh weights on both sides.
    torch::manual_seed(0);
    YoloModel model(scale, nc);
    model->train();
    const QString engine = benchmark::useEngine(*model, *options);
    const torch::Tensor images = torch::rand({batch, 3, imgsz, imgsz});
    if (!write(dir, "weights.pt", namedState(*model, "")) ||
        !write(dir, "inputs.pt", {{"images", images}}))
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
    const torch::Tensor targets = benchmark::randomTargets(batch, boxes, nc);

    std::vector<double> trainYolodeck, trainPython, fullStep, valYolodeck, valPython;
    const auto phase = [&](int i) { return i < warmup ? "warm-up" : "step"; };
    const auto counter = [&](int i) { return i < warmup ? i + 1 : i - warmup + 1; };
    for (int i = 0; i < warmup + iters; ++i) {
        double ydMs = 0, ydLoss = 0;
        std::optional<QMap<QString, double>> py;
        const auto yolodeckStep = [&] {
            torch::Tensor loss;
            ydMs = timedMs([&] {
                optimizer.zeroGrad();
                loss = peerLoss(model->forward(images));
                loss.backward();
                optimizer.step();
            });
            ydLoss = loss.item<double>();
        };
        if (i % 2 == 0) {
            yolodeckStep();
            py = peer.request("train");
        } else {
            py = peer.request("train");
            yolodeckStep();
        }
        if (!py)
            return 1;
        torch::Tensor fullLoss;
        const double fullMs = timedMs([&] {
            fullOptimizer.zeroGrad();
            fullLoss = criterion(full->forward(images), targets, imgsz).total;
            fullLoss.backward();
            fullOptimizer.step();
        });
        std::fprintf(stderr,
                     "train %s %d: yolodeck %.1f ms (loss %.6f), python %.1f ms (loss %.6f); "
                     "yolodeck with DetectionLoss %.1f ms (loss %.4f)\n",
                     phase(i), counter(i), ydMs, ydLoss, py->value(QStringLiteral("ms")),
                     py->value(QStringLiteral("loss")), fullMs, fullLoss.item<double>());
        if (i >= warmup) {
            trainYolodeck.push_back(ydMs);
            trainPython.push_back(py->value(QStringLiteral("ms")));
            fullStep.push_back(fullMs);
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

    const double trainYd = benchmark::median(trainYolodeck),
                 trainPy = benchmark::median(trainPython);
    const double valYd = benchmark::median(valYolodeck), valPy = benchmark::median(valPython);
    std::printf("bench_peer scale=%s imgsz=%d batch=%d nc=%d threads=%d iters=%d engine=%s "
                "train_ms_yolodeck=%.1f train_ms_python=%.1f train_ratio=%.3f "
                "val_ms_yolodeck=%.1f val_ms_python=%.1f val_ratio=%.3f full_step_ms_yolodeck=%.1f "
                "forward_max_abs_diff=%.3g\n",
                qPrintable(scale.name), imgsz, batch, nc, threads, iters, qPrintable(engine),
                trainYd, trainPy, trainYd > 0 ? trainPy / trainYd : 0.0, valYd, valPy,
                valYd > 0 ? valPy / valYd : 0.0, benchmark::median(fullStep), *forwardDiff);
    return 0;
}
