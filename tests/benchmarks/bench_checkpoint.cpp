// Checkpoint costs for a full (resumable) state the size the trainer writes: the model, its EMA and
// the SGD momentum buffers (about three times the weights) plus a meta.json like the trainer's.
// For each scale: saveCheckpointAtomically, CheckpointWriter::submit (how long the training
// thread is held up) and its background write, loadCheckpoint, and listCheckpoints over a folder
// of 100 checkpoints (small tensors, full meta: listing reads meta.json only). copy_ms is the same
// tensor copy that submit() makes, done directly, as a yardstick for its hold-up. One line per
// scale.
//
//   bench_checkpoint [scales=n,m] [nc=80] [warmup=1] [iters=5] [files=100]

#include "tests/benchmarks/benchmarksupport.h"
#include "tests/benchmarks/benchmarktraining.h"

#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/checkpoint/checkpointwriter.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/runlog/epochrecord.h"
#include "core/train/modelema.h"
#include "core/train/modelstate.h"
#include "core/train/optimizer.h"
#include "core/train/trainconfig.h"
#include "version.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <mutex>

using namespace yolodeck;

namespace {

// The fields the trainer puts in a full checkpoint's meta.json, with a 100-epoch history so that
// the listing parses a meta.json as large as a long run's.
QJsonObject trainerLikeMeta(const YoloModelImpl &model, int epoch)
{
    constexpr int kEpochs = 100;
    constexpr int kBatchesPerEpoch = 7330; // COCO train2017 at batch 16
    TrainConfig config;
    config.model = model.scale().name;
    config.data = QStringLiteral("/data/coco/data.yaml");
    config.epochs = kEpochs;

    QJsonArray names;
    for (int c = 0; c < model.nc(); ++c)
        names.append(QStringLiteral("class_%1").arg(c));
    QJsonArray history;
    for (int e = 1; e <= kEpochs; ++e) {
        EpochRecord r;
        r.epoch = e;
        r.time = 600.0 * e;
        r.trainLoss = {1.2 - e * 0.004, 1.5 - e * 0.006, 1.1 - e * 0.002};
        r.precision = 0.5 + e * 0.002;
        r.recall = 0.4 + e * 0.002;
        r.map50 = 0.45 + e * 0.002;
        r.map50_95 = 0.3 + e * 0.0015;
        r.valLoss = {1.3 - e * 0.003, 1.6 - e * 0.005, 1.2 - e * 0.002};
        r.lr = {0.01 * (1 - e / 100.0), 0.01 * (1 - e / 100.0), 0.01 * (1 - e / 100.0)};
        r.fitness = 0.1 * r.map50 + 0.9 * r.map50_95;
        history.append(r.toJson());
    }
    const QJsonObject last = history.last().toObject();

    QJsonObject meta;
    meta.insert(QStringLiteral("format"), kCheckpointFormatVersion);
    meta.insert(QStringLiteral("app"), QStringLiteral("YoloDeck"));
    meta.insert(QStringLiteral("app_version"), QStringLiteral(YOLODECK_VERSION));
    meta.insert(QStringLiteral("torch_version"), QStringLiteral(TORCH_VERSION));
    meta.insert(QStringLiteral("kind"), QStringLiteral("full"));
    meta.insert(QStringLiteral("epoch"), epoch);
    meta.insert(QStringLiteral("batch"), 0);
    meta.insert(QStringLiteral("epochs"), kEpochs);
    meta.insert(QStringLiteral("batches_per_epoch"), kBatchesPerEpoch);
    meta.insert(QStringLiteral("global_step"), double(int64_t(epoch) * kBatchesPerEpoch));
    meta.insert(QStringLiteral("model"),
                QJsonObject{{QStringLiteral("scale"), model.scale().name},
                            {QStringLiteral("nc"), model.nc()},
                            {QStringLiteral("imgsz"), 640},
                            {QStringLiteral("parameters"), double(model.parameterCount())}});
    meta.insert(QStringLiteral("names"), names);
    meta.insert(QStringLiteral("dataset"),
                QJsonObject{{QStringLiteral("yaml"), config.data},
                            {QStringLiteral("train_fingerprint"), QString(64, QLatin1Char('a'))},
                            {QStringLiteral("val_fingerprint"), QString(64, QLatin1Char('b'))},
                            {QStringLiteral("train_images"), 117266},
                            {QStringLiteral("val_images"), 4952}});
    meta.insert(QStringLiteral("config"), config.toJson());
    meta.insert(QStringLiteral("history"), history);
    meta.insert(QStringLiteral("best_fitness"), last.value(QStringLiteral("fitness")));
    meta.insert(QStringLiteral("best_epoch"), kEpochs);
    meta.insert(QStringLiteral("epochs_without_improvement"), 0);
    meta.insert(QStringLiteral("train_time"), 600.0 * kEpochs);
    meta.insert(QStringLiteral("world_size"), 1);
    meta.insert(QStringLiteral("threads"), torch::get_num_threads());
    meta.insert(QStringLiteral("device"), QStringLiteral("cpu"));
    meta.insert(QStringLiteral("created"),
                QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    meta.insert(QStringLiteral("metrics"), last);
    meta.insert(QStringLiteral("fitness"), last.value(QStringLiteral("fitness")));
    meta.insert(QStringLiteral("optimizer"),
                QJsonObject{{QStringLiteral("name"), QStringLiteral("SGD")},
                            {QStringLiteral("lr"), 0.01},
                            {QStringLiteral("momentum"), 0.937},
                            {QStringLiteral("warmup_bias_lr"), 0.1}});
    meta.insert(QStringLiteral("ema_updates"), double(int64_t(epoch) * kBatchesPerEpoch));
    return meta;
}

// Model, EMA and SGD state as the trainer's fullState() assembles them. The optimizer takes one
// step on small random gradients so that its momentum buffers exist and hold non-trivial bytes.
CheckpointData fullState(const ModelScale &scale, int nc)
{
    torch::manual_seed(0);
    YoloModel model(scale, nc);
    ModelEma ema(std::make_shared<YoloModelImpl>(scale, nc));
    ema.copyFrom(*model);

    Optimizer optimizer = benchmark::ultralyticsSgd(*model);
    for (Optimizer::Group &g : optimizer.groups()) {
        for (torch::Tensor &p : g.params)
            p.mutable_grad() = torch::randn_like(p) * 1e-3;
    }
    optimizer.step();
    ema.update(*model);

    CheckpointData state;
    state.meta = trainerLikeMeta(*model, 100);
    state.tensors = namedState(*model, "model.");
    for (auto &[k, v] : namedState(ema.module(), "ema."))
        state.tensors[k] = v;
    for (auto &[k, v] : optimizer.stateDict())
        state.tensors["optim." + k] = v;
    state.tensors["rng.cpu"] = at::detail::getDefaultCPUGenerator().get_state();
    return state;
}

int64_t tensorBytes(const CheckpointData &data)
{
    int64_t bytes = 0;
    for (const auto &[k, v] : data.tensors)
        bytes += v.numel() * int64_t(v.element_size());
    return bytes;
}

struct ScaleResult
{
    double saveMs = 0, copyMs = 0, submitHoldMs = 0, writeMs = 0, loadMs = 0, listMs = 0;
    qint64 fileBytes = 0;
    int64_t tensorBytes = 0;
    size_t tensors = 0;
};

bool measureScale(const ModelScale &scale, int nc, int warmup, int iters, int files,
                  const QString &dir, ScaleResult *result)
{
    const CheckpointData state = fullState(scale, nc);
    result->tensors = state.tensors.size();
    result->tensorBytes = tensorBytes(state);
    const QString path = QDir(dir).filePath(QStringLiteral("last.pt"));

    std::vector<double> save, hold, write, load, list;
    for (int i = 0; i < warmup + iters; ++i) {
        QElapsedTimer timer;
        timer.start();
        const Status st = saveCheckpointAtomically(path, state);
        const double ms = benchmark::elapsedMs(timer);
        if (!st) {
            std::fprintf(stderr, "%s\n", qPrintable(st.error()));
            return false;
        }
        if (i >= warmup)
            save.push_back(ms);
    }
    result->fileBytes = QFileInfo(path).size();

    // Reference for the writer's hold-up: the same tensor copies made directly on this thread.
    std::vector<double> copy;
    for (int i = 0; i < warmup + iters; ++i) {
        QElapsedTimer timer;
        timer.start();
        std::map<std::string, torch::Tensor> copies;
        for (const auto &[k, v] : state.tensors)
            copies.emplace(k, v.detach().clone(at::MemoryFormat::Contiguous));
        if (i >= warmup)
            copy.push_back(benchmark::elapsedMs(timer));
    }

    {
        CheckpointWriter writer;
        std::mutex mutex;
        std::vector<double> written;
        QString failure;
        writer.setCompletionHandler([&](const QString &, double ms) {
            const std::lock_guard<std::mutex> lock(mutex);
            written.push_back(ms);
        });
        writer.setErrorHandler([&](const QString &, const QString &error) {
            const std::lock_guard<std::mutex> lock(mutex);
            failure = error;
        });
        const QString writerPath = QDir(dir).filePath(QStringLiteral("writer.pt"));
        for (int i = 0; i < warmup + iters; ++i) {
            const double ms = writer.submit(writerPath, state);
            // One write at a time, as the trainer's end-of-epoch saves are: flush so the next
            // submit does not coalesce with this one.
            writer.flush();
            if (i >= warmup)
                hold.push_back(ms);
        }
        const std::lock_guard<std::mutex> lock(mutex);
        if (!failure.isEmpty() || int(written.size()) != warmup + iters) {
            std::fprintf(stderr, "writer: %d of %d written; %s\n", int(written.size()),
                         warmup + iters, qPrintable(failure));
            return false;
        }
        write.assign(written.begin() + warmup, written.end());
    }

    for (int i = 0; i < warmup + iters; ++i) {
        QElapsedTimer timer;
        timer.start();
        const Result<CheckpointData> loaded = loadCheckpoint(path);
        const double ms = benchmark::elapsedMs(timer);
        if (!loaded || loaded.value().tensors.size() != state.tensors.size()) {
            std::fprintf(stderr, "load: %s\n",
                         loaded ? "tensor count differs" : qPrintable(loaded.error()));
            return false;
        }
        if (i >= warmup)
            load.push_back(ms);
    }

    // A run folder with `files` checkpoints: the listing only reads each meta.json, so tiny
    // tensors keep the setup quick without changing what is measured.
    const QString weights = QDir(dir).filePath(QStringLiteral("run/weights"));
    QDir().mkpath(weights);
    for (int f = 0; f < files; ++f) {
        CheckpointData tiny;
        tiny.meta = state.meta;
        tiny.meta.insert(QStringLiteral("epoch"), f + 1);
        tiny.tensors["model.dummy"] = torch::full({16}, float(f));
        const Status st = saveCheckpointAtomically(
            QDir(weights).filePath(
                QStringLiteral("epoch%1.pt").arg(f + 1, 3, 10, QLatin1Char('0'))),
            tiny);
        if (!st) {
            std::fprintf(stderr, "%s\n", qPrintable(st.error()));
            return false;
        }
    }
    const QString runDir = QDir(dir).filePath(QStringLiteral("run"));
    for (int i = 0; i < warmup + iters; ++i) {
        QElapsedTimer timer;
        timer.start();
        const std::vector<CheckpointInfo> infos = listCheckpoints(runDir);
        const double ms = benchmark::elapsedMs(timer);
        const auto valid = std::count_if(infos.begin(), infos.end(),
                                         [](const CheckpointInfo &c) { return c.isValid(); });
        if (int(valid) != files) {
            std::fprintf(stderr, "listing: %d of %d checkpoints readable\n", int(valid), files);
            return false;
        }
        if (i >= warmup)
            list.push_back(ms);
    }

    const auto show = [&](const char *what, const std::vector<double> &ms) {
        QStringList values;
        for (double v : ms)
            values << QString::number(v, 'f', 1);
        std::fprintf(stderr, "scale %s %s ms: %s\n", qPrintable(scale.name), what,
                     qPrintable(values.join(QLatin1Char(' '))));
    };
    show("save", save);
    show("plain copy (reference)", copy);
    show("submit hold-up", hold);
    show("background write", write);
    show("load", load);
    show("list", list);
    result->saveMs = benchmark::median(save);
    result->copyMs = benchmark::median(copy);
    result->submitHoldMs = benchmark::median(hold);
    result->writeMs = benchmark::median(write);
    result->loadMs = benchmark::median(load);
    result->listMs = benchmark::median(list);
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QMap<QString, QString> args{{QStringLiteral("scales"), QStringLiteral("n,m")},
                                {QStringLiteral("nc"), QStringLiteral("80")},
                                {QStringLiteral("warmup"), QStringLiteral("1")},
                                {QStringLiteral("iters"), QStringLiteral("5")},
                                {QStringLiteral("files"), QStringLiteral("100")}};
    int nc = 0, warmup = 0, iters = 0, files = 0;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("nc"), 1, &nc) ||
        !benchmark::intOption(args, QStringLiteral("warmup"), 0, &warmup) ||
        !benchmark::intOption(args, QStringLiteral("iters"), 1, &iters) ||
        !benchmark::intOption(args, QStringLiteral("files"), 1, &files))
        return 2;
    std::vector<ModelScale> scales;
    for (const QString &name : args.value(QStringLiteral("scales")).split(QLatin1Char(','))) {
        const std::optional<ModelScale> scale = modelScale(name);
        if (!scale) {
            std::fprintf(stderr, "scales: '%s' is unknown; accepted: %s\n", qPrintable(name),
                         qPrintable(modelScaleNames().join(QLatin1Char(' '))));
            return 2;
        }
        scales.push_back(*scale);
    }

    const int threads = benchmark::useAllCores();
    for (const ModelScale &scale : scales) {
        // A fresh folder per scale, so the listing sees only this scale's files.
        QTemporaryDir tmp;
        if (!tmp.isValid()) {
            std::fprintf(stderr, "cannot create a temporary folder: %s\n",
                         qPrintable(tmp.errorString()));
            return 1;
        }
        QElapsedTimer total;
        total.start();
        ScaleResult r;
        if (!measureScale(scale, nc, warmup, iters, files, tmp.path(), &r))
            return 1;
        std::fprintf(stderr, "scale %s: %zu tensors, %.1f MB of tensor data, measured in %.1f s\n",
                     qPrintable(scale.name), r.tensors, r.tensorBytes / 1e6,
                     benchmark::elapsedMs(total) / 1000);
        std::printf("bench_checkpoint scale=%s nc=%d threads=%d iters=%d tensors=%zu file_mb=%.1f "
                    "save_ms=%.1f copy_ms=%.1f submit_hold_ms=%.1f write_ms=%.1f load_ms=%.1f "
                    "list%d_ms=%.1f\n",
                    qPrintable(scale.name), nc, threads, iters, r.tensors, r.fileBytes / 1e6,
                    r.saveMs, r.copyMs, r.submitHoldMs, r.writeMs, r.loadMs, files, r.listMs);
        std::fflush(stdout);
    }
    return 0;
}
