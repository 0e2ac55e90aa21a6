#include "core/train/trainer.h"

#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointwriter.h"
#include "core/checkpoint/retention.h"
#include "core/common/textutil.h"
#include "core/common/threadpolicy.h"
#include "core/data/batchloader.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/dist/communicator.h"
#include "core/dist/distsettings.h"
#include "core/dist/processgroup.h"
#include "core/eval/metricstable.h"
#include "core/model/detectionloss.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/monitor/hostsampler.h"
#include "core/monitor/runfigures.h"
#include "core/runlog/runlog.h"
#include "core/runlog/tfeventswriter.h"
#include "core/runlog/writefaults.h"
#include "core/train/autocastscope.h"
#include "core/train/gradscaler.h"
#include "core/train/lrschedule.h"
#include "core/train/modelema.h"
#include "core/train/modelstate.h"
#include "core/train/optimizer.h"
#include "core/train/validator.h"
#include "version.h"

#include <QDataStream>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QStorageInfo>
#include <QSysInfo>

#include <torch/serialize.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <limits>
#include <optional>
#include <set>
#include <thread>

#include <unistd.h>

namespace yolodeck {

namespace {

// Ultralytics stops a run that keeps producing non-finite losses instead of training on garbage;
// a handful in a row means the weights or the data are broken, not a one-off spike.
constexpr int kMaxConsecutiveNonFinite = 10;
// Gradient clipping (REFERENCE.md).
constexpr double kMaxGradNorm = 10.0;

double interp(double x, double x0, double x1, double y0, double y1)
{
    if (x <= x0)
        return y0;
    if (x >= x1)
        return y1;
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
}

// meta.json's "history" is a compact JSON array of the records: "[]", then one record appended at a
// time.
void appendHistoryJson(QByteArray &json, const EpochRecord &record)
{
    json.chop(1); // "]"
    if (json.size() > 1)
        json += ',';
    json += QJsonDocument(record.toJson()).toJson(QJsonDocument::Compact);
    json += ']';
}

QByteArray historyJson(const History &history)
{
    QByteArray json = QByteArrayLiteral("[]");
    for (const EpochRecord &r : history)
        appendHistoryJson(json, r);
    return json;
}

History historyFromJson(const QJsonArray &json)
{
    History out;
    for (const QJsonValue &v : json)
        out.push_back(EpochRecord::fromJson(v.toObject()));
    return out;
}

QJsonArray toJsonArray(const std::array<double, 3> &values)
{
    return QJsonArray{values[0], values[1], values[2]};
}

// A tensor map as bytes (torch's pickle of a str -> Tensor dict), for sending a state to the
// other ranks of a job.
QByteArray encodeTensors(const std::map<std::string, torch::Tensor> &tensors)
{
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto &[key, tensor] : tensors)
        dict.insert(key, tensor.detach().to(torch::kCPU));
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    return QByteArray(bytes.data(), int(bytes.size()));
}

std::map<std::string, torch::Tensor> decodeTensors(const QByteArray &bytes)
{
    std::map<std::string, torch::Tensor> out;
    if (bytes.isEmpty())
        return out;
    const c10::IValue value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    for (const auto &item : value.toGenericDict())
        out[item.key().toStringRef()] = item.value().toTensor();
    return out;
}

QByteArray encodeState(const CheckpointData &state)
{
    QByteArray bytes;
    QDataStream out(&bytes, QIODevice::WriteOnly);
    out << QByteArray::fromStdString(checkpointMetaJson(state)) << encodeTensors(state.tensors);
    return bytes;
}

CheckpointData decodeState(const QByteArray &bytes)
{
    QDataStream in(bytes);
    QByteArray meta, tensors;
    in >> meta >> tensors;
    CheckpointData state;
    state.meta = QJsonDocument::fromJson(meta).object();
    state.tensors = decodeTensors(tensors);
    return state;
}

// Rank r's own entries of a job's state ("rank<r>.model.<buffer>", "rank<r>.grad.<param>",
// "rank<r>.rng.cpu") replace rank 0's; every other rank's are dropped.
void selectRankState(std::map<std::string, torch::Tensor> &tensors, int rank)
{
    const std::string own = "rank" + std::to_string(rank) + ".";
    bool hasOwn = false;
    for (const auto &item : tensors)
        hasOwn = hasOwn || item.first.rfind(own, 0) == 0;
    std::map<std::string, torch::Tensor> out;
    for (auto &[key, tensor] : tensors) {
        if (key.rfind(own, 0) == 0)
            continue;
        if (key.rfind("rank", 0) == 0 || (hasOwn && key.rfind("grad.", 0) == 0))
            continue;
        out[key] = tensor;
    }
    if (hasOwn)
        for (auto &[key, tensor] : tensors)
            if (key.rfind(own, 0) == 0)
                out[key.substr(own.size())] = tensor;
    tensors = std::move(out);
}

} // namespace

class Trainer::Impl
{
public:
    explicit Impl(TrainConfig c)
        : cfg(std::move(c))
    {}

    RunFinished run(TrainingObserver *observer);

    TrainConfig cfg;
    std::optional<ResumePlan> plan;
    std::atomic<bool> stopRequested{false};
    std::atomic<bool> paused{false};
    std::function<bool(int, int)> nanInjector;
    bool frozenBatchNorm = false;
    std::function<qint64(const QString &)> freeSpaceProbe; // tests: pretend the disk is full

private:
    RunFinished runUnchecked();
    RunFinished fail(const QString &message);
    void say(LogLevel level, const QString &text);
    bool setUp(QString *error);
    void chooseEngine();
    bool restoreState(const CheckpointData &state, QString *error);
    bool adoptUltralyticsState(CheckpointData &state, QString *error) const;
    void validateStartingPoint();
    CheckpointData fullState(int completedEpochs, int batchInEpoch) const;
    QJsonObject baseMeta(const QString &kind, int completedEpochs, int batchInEpoch) const;
    void saveCheckpoint(QStringList fileNames, const CheckpointData &state);
    void pruneCheckpoints();
    void applyLearningRate(int64_t ni, int epoch);
    void optimizerStep();
    void stripFinalCheckpoints();
    void waitWhilePaused();
    bool lead() const { return !m_comm || m_comm->isLead(); }
    bool distributed() const { return m_comm && m_comm->isDistributed(); }
    void setUpRunLog(const QString &runDir);
    bool joinJob(QString *error);
    bool exchangeConfig(QString *error);
    bool syncStartState(QString *error);
    void adoptWorldSize(const CheckpointData &state);
    std::map<std::string, torch::Tensor> ownRankState(int completedEpochs, int batchInEpoch) const;
    CheckpointData stateForSave(int completedEpochs, int batchInEpoch);
    std::array<bool, 2> agreeOnStop(bool earlyStop);
    void freezeBatchNormIfAsked();
    void openTensorBoard();
    void tensorBoardEpoch(const EpochRecord &record);
    void tensorBoardFailed(const QString &error);
    // Failed writes in the run folder: reported once per file kind and cause (WriteFaults).
    void writeFailed(const QString &kind, const QString &path, const QString &message);
    void writeWorked(const QString &kind);
    void writeResults();
    void restoreRunFolders();

    TrainingObserver *m_observer = nullptr;
    // The job (DESIGN.md §9): a one-process job unless nproc= or the environment says otherwise.
    // Rank 0 alone has the run log and the checkpoint writer.
    std::unique_ptr<dist::Communicator> m_comm;
    QString m_workerScale;                             // ranks > 0: the model scale of rank 0
    std::map<std::string, torch::Tensor> m_rankExtras; // rank 0: other ranks' resumed state
    std::unique_ptr<RunLog> m_log;
    std::unique_ptr<TfEventsWriter> m_tensorboard; // rank 0, unless tensorboard=false
    std::unique_ptr<CheckpointWriter> m_writer;

    // Data
    DatasetConfig m_data;
    Dataset m_train;
    Dataset m_val;
    std::unique_ptr<BatchLoader> m_loader;
    std::unique_ptr<Validator> m_validator;

    // Model and optimisation
    torch::Device m_device{torch::kCPU};
    YoloModel m_model{nullptr};
    YoloModel m_emaModel{nullptr};
    std::unique_ptr<ModelEma> m_ema;
    std::unique_ptr<Optimizer> m_optimizer;
    std::unique_ptr<GradScaler> m_scaler;
    std::unique_ptr<DetectionLoss> m_criterion;
    std::unique_ptr<LrSchedule> m_schedule;
    std::vector<torch::Tensor> m_trainable;
    ModelScale m_scale;
    QString m_optimizerName;
    double m_baseLr = 0.01;
    double m_baseMomentum = 0.937;
    double m_warmupBiasLr = 0.1;
    int m_accumulateBase = 1;
    int m_accumulate = 1;
    int m_threads = 1;
    bool m_amp = false;

    // Progress: everything here is saved in a full checkpoint.
    int m_epochs = 0;
    int m_nb = 0; // batches per epoch
    int64_t m_warmupIters = -1;
    int64_t m_lastOptStep = -1;
    std::optional<DetectionMetrics> m_bestMetrics; // validated by this process, for the last table
    int m_startEpoch = 0;
    int m_startBatch = 0;
    std::array<double, 3> m_partialMean{}; // running mean of the interrupted epoch ...
    int m_partialCount = 0;                // ... over this many finite batches
    History m_history;
    // m_history as meta.json's compact JSON array, extended by one record an epoch: a save copies
    // it instead of building and serializing a tree that grows with the run.
    QByteArray m_historyJson = QByteArrayLiteral("[]");
    double m_bestFitness = 0;
    int m_bestEpoch = 0;
    double m_trainSeconds = 0;
    QJsonArray m_resumes;
    QJsonArray m_fitnessWeights;
    bool m_exact = true;
    QString m_mode = QStringLiteral("new");
    QString m_fineTunedFrom;
    std::array<double, 3> m_lastLr{};
    QJsonObject m_lastMetrics;
    double m_lastFitness = 0;
    std::atomic<double> m_lastSaveBlockedMs{0}; // read by the writer's completion handler
    WriteFaults m_writeFaults;
    // Host figures for the batch lines (about once a second), and the run's figures as the
    // window and `doctor run=` read them back, for the summary at the end of the run.
    std::unique_ptr<HostSampler> m_host;
    QElapsedTimer m_hostClock;
    RunFiguresReader m_figures;
    // Writes an events.jsonl line and returns it as written ("type" and "wall" included).
    QJsonObject recordEvent(const QString &type, QJsonObject fields);
    QJsonObject runStartFigures(const TrainConfig &cfg) const;
    void addHostFigures(QJsonObject &event, const Batch &batch);
    void sayRunSummary();
};

QJsonObject Trainer::Impl::recordEvent(const QString &type, QJsonObject fields)
{
    if (m_log)
        m_log->appendEvent(type, fields);
    fields.insert(QStringLiteral("type"), type);
    fields.insert(QStringLiteral("wall"), QDateTime::currentMSecsSinceEpoch() / 1000.0);
    m_figures.add(fields);
    return fields;
}

// What the diagnosis needs to know about the machine and the data, for run_start.
QJsonObject Trainer::Impl::runStartFigures(const TrainConfig &cfg) const
{
    std::vector<int> sides;
    qint64 cacheBytes = 0;
    for (const ImageRecord &r : m_train.records()) {
        const int side = std::max(r.width, r.height);
        if (side <= 0)
            continue;
        sides.push_back(side);
        // The loader keeps each image with its long side at imgsz, 3 bytes a pixel.
        const double scale = double(cfg.imgsz) / side;
        cacheBytes += qint64(std::lround(r.width * scale)) * std::lround(r.height * scale) * 3;
    }
    QJsonObject out{
        {QStringLiteral("cores"), HostSampler::usableCores()},
        {QStringLiteral("workers"), m_loader ? m_loader->options().workers : cfg.workers},
        {QStringLiteral("imgsz"), cfg.imgsz},
        {QStringLiteral("cache"), cfg.cache},
        {QStringLiteral("data"), cfg.data},
        {QStringLiteral("train_images"), int(m_train.records().size())},
        {QStringLiteral("cache_ram_bytes"), double(cacheBytes)}};
    if (!sides.empty()) {
        std::nth_element(sides.begin(), sides.begin() + std::ptrdiff_t(sides.size() / 2),
                         sides.end());
        out.insert(QStringLiteral("image_median"), sides[sides.size() / 2]);
        const QString store =
            networkFileSystem(QFileInfo(m_train.records().front().imagePath).absolutePath());
        if (!store.isEmpty())
            out.insert(QStringLiteral("image_store"), store);
    }
    return out;
}

// Per image, what reading and decoding this batch's files cost its worker, and, about once a
// second, what the process costs the machine.
void Trainer::Impl::addHostFigures(QJsonObject &event, const Batch &batch)
{
    if (batch.imagesDecoded > 0) {
        event.insert(QStringLiteral("read_ms"), batch.readMs / batch.imagesDecoded);
        event.insert(QStringLiteral("decode_ms"), batch.decodeMs / batch.imagesDecoded);
    }
    if (!m_host)
        return;
    if (m_hostClock.isValid() && m_hostClock.elapsed() < 1000)
        return;
    m_hostClock.start();
    const HostFigures f = m_host->sample();
    if (f.processCpuPercent)
        event.insert(QStringLiteral("cpu"), std::round(*f.processCpuPercent * 10) / 10);
    if (f.machineCpuPercent)
        event.insert(QStringLiteral("sys_cpu"), std::round(*f.machineCpuPercent * 10) / 10);
    event.insert(QStringLiteral("rss"), double(f.residentBytes));
    event.insert(QStringLiteral("mem_avail"), double(f.memoryAvailableBytes));
    if (f.gpuMemoryBytes)
        event.insert(QStringLiteral("gpu_mem"), double(*f.gpuMemoryBytes));
    if (f.gpu) {
        event.insert(QStringLiteral("gpu_name"), f.gpu->name);
        if (f.gpu->utilizationPercent)
            event.insert(QStringLiteral("gpu_util"), *f.gpu->utilizationPercent);
        if (f.gpu->memoryUsedBytes && f.gpu->memoryTotalBytes) {
            event.insert(QStringLiteral("gpu_used"), double(*f.gpu->memoryUsedBytes));
            event.insert(QStringLiteral("gpu_total"), double(*f.gpu->memoryTotalBytes));
        }
    }
}

// One paragraph at the end of a session: its speed, the share of the step spent waiting for
// data, and what the diagnosis rules find in the session's figures (the window's rules).
void Trainer::Impl::sayRunSummary()
{
    const RunFigures figures = m_figures.figures();
    ThroughputStats stats = figures.session;
    if (stats.imagesPerSecond < 0)
        return;
    QString text = QStringLiteral("Speed: %1 images/s; data loading took %2% of the step time")
                       .arg(stats.imagesPerSecond, 0, 'f', 1)
                       .arg(stats.dataWaitShare * 100, 0, 'f', 0);
    if (stats.machineCpuPercent >= 0 && stats.cores > 0)
        text += QStringLiteral(", CPU %1% of %2 cores")
                    .arg(stats.machineCpuPercent, 0, 'f', 0)
                    .arg(stats.cores);
    if (stats.decodeMsPerImage >= 0)
        text += QStringLiteral(", %1 ms to read and %2 ms to decode an image")
                    .arg(stats.readMsPerImage, 0, 'f', 1)
                    .arg(stats.decodeMsPerImage, 0, 'f', 1);
    say(LogLevel::Info, text + QLatin1Char('.'));
    stats.training = true; // the rules judge the session that just ran
    for (const Finding &f : diagnose({}, stats))
        say(LogLevel::Warning, f.text);
}

void Trainer::Impl::say(LogLevel level, const QString &text)
{
    // Every rank scans the same data and plans the same run: rank 0 speaks for the job, the
    // others only report their own errors.
    if (!lead() && level != LogLevel::Error)
        return;
    if (m_observer)
        m_observer->message(level, text);
    if (m_log) {
        static const char *names[] = {"info", "warning", "error"};
        m_log->appendEvent(QStringLiteral("message"),
                           {{QStringLiteral("level"), QLatin1String(names[int(level)])},
                            {QStringLiteral("text"), text}});
    }
}

RunFinished Trainer::Impl::fail(const QString &message)
{
    RunFinished done;
    done.failed = true;
    done.message = message;
    done.runDir = m_log ? m_log->runDir() : QString();
    done.epochsDone = int(m_history.size());
    if (distributed()) {
        // The others must not wait for this rank until the timeout: tell them why, then close.
        m_comm->announceFailure(message);
        m_comm->abort();
        if (!lead())
            done.message = QStringLiteral("rank %1: %2").arg(m_comm->rank()).arg(message);
    }
    if (m_writer)
        m_writer->flush();
    m_tensorboard.reset(); // flushed and closed
    if (m_log)
        m_log->appendEvent(QStringLiteral("run_end"), {{QStringLiteral("failed"), true},
                                                       {QStringLiteral("message"), message}});
    if (m_observer)
        m_observer->runFinished(done);
    return done;
}

RunFinished Trainer::Impl::run(TrainingObserver *observer)
{
    m_observer = observer;
    // Under a file-size limit (RLIMIT_FSIZE) a write must fail with EFBIG and be reported, not
    // kill the process with SIGXFSZ and lose the run.
    std::signal(SIGXFSZ, SIG_IGN);
    // Torch errors are caught here, once, and become a message (STYLE.md habit 5).
    try {
        return runUnchecked();
    } catch (const dist::PeerLost &e) {
        QString why = m_comm->explainFailure(QString::fromStdString(e.what()));
        const QString last = m_log ? m_log->weightsDir() + QStringLiteral("/last.pt") : QString();
        if (!last.isEmpty() && QFileInfo::exists(last))
            why += QStringLiteral("; resume from %1").arg(last);
        return fail(why);
    } catch (const c10::Error &e) {
        return fail(QStringLiteral("LibTorch error: %1")
                        .arg(QString::fromStdString(e.what_without_backtrace())));
    } catch (const std::exception &e) {
        return fail(QString::fromStdString(e.what()));
    }
}

// The CPU training engine (cfg.engine, DESIGN.md §4). A resume asks for the one its run used
// (ResumePlanner pins it); when that is oneDNN and oneDNN cannot run here, LibTorch continues and
// the resume is not exact.
void Trainer::Impl::chooseEngine()
{
    if (cfg.engine == QLatin1String("libtorch")) {
        m_model->useOneDnnTraining(false);
        return;
    }
    QString whyNot;
    if (m_model->useOneDnnTraining(true, &whyNot) || cfg.engine != QLatin1String("onednn"))
        return;
    const bool continuing = m_mode == QLatin1String("resume") || m_mode == QLatin1String("branch");
    say(LogLevel::Warning,
        continuing ? QStringLiteral("this run trained on the oneDNN engine, which cannot run "
                                    "here (%1): LibTorch continues it, so the resume is not exact")
                         .arg(whyNot)
                   : QStringLiteral("engine=onednn: oneDNN cannot run this model (%1); training "
                                    "on LibTorch")
                         .arg(whyNot));
    if (continuing)
        m_exact = false;
}

bool Trainer::Impl::setUp(QString *error)
{
    // Threads: Debian's LibTorch runs on one thread unless told; the count is part of the state
    // because 1 and 2 intra-op threads give different bits (DESIGN.md §4).
    // The local ranks of a job share the machine's cores.
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    m_threads = cfg.threads > 0 ? cfg.threads : std::max(1, cores / m_comm->localWorldSize());
    torch::set_num_threads(m_threads);

    // device=0,1: one CUDA device per local rank, as in Ultralytics.
    const QStringList devices = cfg.device.split(QLatin1Char(','), Qt::SkipEmptyParts);
    const QString ownDevice = devices.size() > 1
                                  ? devices.value(m_comm->localRank(), devices.last()).trimmed()
                                  : cfg.device;
    const Result<torch::Device> device = selectDevice(ownDevice);
    if (!device) {
        *error = device.error();
        return false;
    }
    m_device = device.value();
    m_amp = cfg.amp && m_device.is_cuda();
    if (cfg.deterministic) {
        // cuBLAS needs a fixed workspace to be deterministic; it must be set before its first use.
        qputenv("CUBLAS_WORKSPACE_CONFIG", qgetenv("CUBLAS_WORKSPACE_CONFIG").isEmpty()
                                               ? QByteArray(":4096:8")
                                               : qgetenv("CUBLAS_WORKSPACE_CONFIG"));
        at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
        at::globalContext().setDeterministicCuDNN(true);
        at::globalContext().setBenchmarkCuDNN(false);
    } else {
        at::globalContext().setDeterministicAlgorithms(false, false);
        at::globalContext().setBenchmarkCuDNN(true);
    }
    torch::manual_seed(uint64_t(cfg.seed));
    if (m_device.is_cuda())
        torch::cuda::manual_seed_all(uint64_t(cfg.seed));

    // Data
    const Result<DatasetConfig> data = DatasetConfig::load(cfg.data);
    if (!data) {
        *error = data.error();
        return false;
    }
    m_data = data.value();
    for (Split split : {Split::Train, Split::Val}) {
        Result<Dataset> scanned = Dataset::scan(m_data, split);
        if (!scanned) {
            *error = scanned.error();
            return false;
        }
        for (const DataIssue &issue : scanned.value().issues())
            say(LogLevel::Warning, QStringLiteral("%1: %2").arg(issue.file, issue.reason));
        const DatasetSummary s = scanned.value().summary();
        say(LogLevel::Info,
            QStringLiteral("%1: %2 images, %3 instances, backgrounds %4, skipped %5, "
                           "repaired %6")
                .arg(splitName(split))
                .arg(s.images)
                .arg(s.instances)
                .arg(s.backgrounds)
                .arg(s.skipped)
                .arg(s.repaired));
        (split == Split::Train ? m_train : m_val) = scanned.take();
    }

    // Model
    const QFileInfo modelFile(cfg.model);
    // Ranks > 0 take the model from rank 0 (syncStartState), so they need no file of their own.
    const bool fineTune = cfg.model.endsWith(QLatin1String(".pt")) && !plan && lead();
    CheckpointData initial;
    if (!lead()) {
        const std::optional<ModelScale> s = modelScale(m_workerScale);
        if (!s) {
            *error = QStringLiteral("rank 0 sent no known model scale (%1)").arg(m_workerScale);
            return false;
        }
        m_scale = *s;
    } else if (fineTune) {
        Result<CheckpointData> loaded = loadCheckpoint(cfg.model);
        if (!loaded) {
            *error = loaded.error();
            return false;
        }
        initial = loaded.take();
        const QString scaleName = initial.meta.value(QStringLiteral("model"))
                                      .toObject()
                                      .value(QStringLiteral("scale"))
                                      .toString();
        const std::optional<ModelScale> s = modelScale(scaleName);
        if (!s) {
            *error = QStringLiteral("%1: meta.json names no known model scale").arg(cfg.model);
            return false;
        }
        m_scale = *s;
    } else if (plan) {
        const QString scaleName = plan->info.meta.value(QStringLiteral("model"))
                                      .toObject()
                                      .value(QStringLiteral("scale"))
                                      .toString();
        const std::optional<ModelScale> s = modelScale(scaleName);
        if (!s) {
            *error =
                QStringLiteral("%1: meta.json names no known model scale").arg(plan->checkpoint);
            return false;
        }
        m_scale = *s;
    } else {
        const std::optional<ModelScale> s = modelScale(cfg.model);
        if (!s) {
            *error = QStringLiteral("model=%1 is not valid: use a scale (%2) or a .pt file to "
                                    "fine-tune from")
                         .arg(cfg.model, modelScaleNames().join(QStringLiteral(", ")));
            return false;
        }
        m_scale = *s;
    }
    const int nc = m_train.nc();
    m_model = YoloModel(m_scale, nc);
    if (fineTune) {
        const bool hasEma = initial.tensors.count("ema.model.0.conv.weight") > 0;
        const Result<int> copied =
            loadNamedState(*m_model, initial.tensors, hasEma ? "ema." : "model.", false);
        const int total = int(namedState(*m_model, "").size());
        const int modelNc = initial.meta.value(QStringLiteral("model"))
                                .toObject()
                                .value(QStringLiteral("nc"))
                                .toInt();
        // Ultralytics' wording ("Transferred 319/355 items from yolov8n.pt"), so its users
        // recognise it; the head is re-initialised when the class count differs.
        QString headNote;
        if (modelNc != nc)
            headNote = QStringLiteral(" (%1 classes in the file, %2 in the data: the class head "
                                      "starts fresh)")
                           .arg(modelNc)
                           .arg(nc);
        say(LogLevel::Info,
            QStringLiteral("Fine-tuning from %1: Transferred %2/%3 items from %4%5; new "
                           "optimizer, warmup and history (this is not a resume)")
                .arg(cfg.model)
                .arg(copied ? copied.value() : 0)
                .arg(total)
                .arg(modelFile.fileName(), headNote));
        m_fineTunedFrom = modelFile.absoluteFilePath();
        m_mode = QStringLiteral("fine-tune");
    }
    m_model->to(m_device);
    chooseEngine();
    m_emaModel = YoloModel(m_scale, nc);
    m_emaModel->to(m_device);
    m_ema = std::make_unique<ModelEma>(m_emaModel.ptr());
    m_ema->copyFrom(*m_model);
    for (const torch::Tensor &p : m_model->parameters())
        if (p.requires_grad())
            m_trainable.push_back(p);

    // Batches, accumulation, optimizer (REFERENCE.md "Optimisation details")
    // A job's ranks split every batch (batch stays the global batch, DESIGN.md §9) and the local
    // ranks split the cores between their loader threads.
    LoaderOptions lo;
    lo.imgsz = cfg.imgsz;
    lo.batch = cfg.batch / m_comm->worldSize();
    lo.rank = m_comm->rank();
    lo.worldSize = m_comm->worldSize();
    lo.workers = distributed()
                     ? std::min(cfg.workers, std::max(1, cores / m_comm->localWorldSize()))
                     : cfg.workers;
    lo.seed = uint64_t(cfg.seed);
    lo.augment = true;
    lo.shuffle = true;
    lo.cacheRam = cfg.cache == QLatin1String("ram");
    lo.aug.hsv_h = cfg.hsvH;
    lo.aug.hsv_s = cfg.hsvS;
    lo.aug.hsv_v = cfg.hsvV;
    lo.aug.degrees = cfg.degrees;
    lo.aug.translate = cfg.translate;
    lo.aug.scale = cfg.scale;
    lo.aug.shear = cfg.shear;
    lo.aug.perspective = cfg.perspective;
    lo.aug.flipud = cfg.flipud;
    lo.aug.fliplr = cfg.fliplr;
    lo.aug.mosaic = cfg.mosaic;
    m_loader = std::make_unique<BatchLoader>(m_train, lo);
    m_nb = m_loader->batchesPerEpoch();

    ValidationOptions vo;
    vo.imgsz = cfg.imgsz;
    vo.batch = cfg.batch * 2; // Ultralytics validates with twice the training batch
    vo.workers = std::min(cfg.workers, 2);
    vo.conf = float(cfg.conf);
    vo.iou = float(cfg.iou);
    vo.maxDet = cfg.maxDet;
    vo.amp = m_amp;
    vo.rank = m_comm->rank();
    vo.worldSize = m_comm->worldSize();
    m_validator = std::make_unique<Validator>(m_val, vo);

    m_epochs = cfg.epochs;
    m_accumulateBase = std::max(int(std::lround(double(cfg.nbs) / cfg.batch)), 1);
    m_accumulate = m_accumulateBase;
    const double decay = cfg.weightDecay * cfg.batch * m_accumulateBase / cfg.nbs;
    m_baseLr = cfg.lr0;
    m_baseMomentum = cfg.momentum;
    m_warmupBiasLr = cfg.warmupBiasLr;
    Optimizer::Kind kind = Optimizer::Kind::SGD;
    m_optimizerName = cfg.optimizer;
    if (cfg.optimizer == QLatin1String("auto")) {
        std::set<int> used;
        for (const ImageRecord &r : m_train.records())
            for (const LabelBox &b : r.boxes)
                used.insert(b.cls);
        const AutoOptimizer choice = chooseAutoOptimizer(
            int64_t(m_train.records().size()), cfg.batch, cfg.nbs, cfg.epochs, int(used.size()));
        m_optimizerName =
            choice.kind == Optimizer::Kind::SGD ? QStringLiteral("SGD") : QStringLiteral("AdamW");
        m_baseLr = choice.lr;
        m_baseMomentum = choice.momentum;
        m_warmupBiasLr = 0.0; // Ultralytics: no higher than 0.01 for Adam
        QString why = QStringLiteral("%1 iterations").arg(choice.iterations);
        if (choice.kind == Optimizer::Kind::AdamW)
            why += QStringLiteral(", %1 of %2 classes in the training labels")
                       .arg(choice.fitClasses)
                       .arg(nc);
        say(LogLevel::Info,
            QStringLiteral("optimizer=auto: %1(lr=%2, momentum=%3) chosen for %4")
                .arg(m_optimizerName, formatG6(m_baseLr), formatG6(m_baseMomentum), why));
    }
    kind =
        m_optimizerName == QLatin1String("AdamW") ? Optimizer::Kind::AdamW : Optimizer::Kind::SGD;
    const ParamGroups groups = m_model->parameterGroups();
    std::vector<Optimizer::Group> og(3);
    og[0].params = groups.biases;
    og[1].params = groups.weightsDecay;
    og[1].weightDecay = decay;
    og[2].params = groups.normWeights;
    for (Optimizer::Group &g : og) {
        g.lr = g.initialLr = m_baseLr;
        g.momentum = m_baseMomentum;
    }
    m_optimizer = std::make_unique<Optimizer>(kind, std::move(og));
    m_scaler = std::make_unique<GradScaler>(m_amp);
    LossGains gains;
    gains.box = cfg.box;
    gains.cls = cfg.cls;
    gains.dfl = cfg.dfl;
    m_criterion = std::make_unique<DetectionLoss>(nc, m_model->strides(), gains, m_model->regMax());
    m_schedule = std::make_unique<LrSchedule>(cfg.epochs, cfg.lrf, cfg.cosLr);
    m_warmupIters =
        cfg.warmupEpochs > 0 ? std::max<int64_t>(std::lround(cfg.warmupEpochs * m_nb), 100) : -1;
    return true;
}

bool Trainer::Impl::restoreState(const CheckpointData &state, QString *error)
{
    const QJsonObject &meta = state.meta;
    Result<int> r = loadNamedState(*m_model, state.tensors, "model.", true);
    if (!r) {
        *error = r.error();
        return false;
    }
    r = loadNamedState(m_ema->module(), state.tensors, "ema.", true);
    if (!r) {
        *error = r.error();
        return false;
    }
    std::map<std::string, torch::Tensor> optim;
    std::map<std::string, torch::Tensor> scaler;
    for (const auto &[key, tensor] : state.tensors) {
        if (key.rfind("optim.", 0) == 0)
            optim[key.substr(6)] = tensor;
        else if (key.rfind("scaler.", 0) == 0)
            scaler[key.substr(7)] = tensor;
    }
    std::string optimError;
    if (!m_optimizer->loadStateDict(optim, &optimError)) {
        *error = QString::fromStdString(optimError);
        return false;
    }
    m_scaler->loadStateDict(scaler);
    // Gradients accumulated but not yet applied when a mid-epoch stop happened.
    torch::NoGradGuard noGrad;
    for (auto &item : m_model->named_parameters(true)) {
        const auto it = state.tensors.find("grad." + item.key());
        if (it != state.tensors.end())
            item.value().mutable_grad() = it->second.to(m_device).clone();
    }
    if (const auto it = state.tensors.find("rng.cpu"); it != state.tensors.end()) {
        at::Generator generator = at::detail::getDefaultCPUGenerator();
        generator.set_state(it->second);
    }

    m_ema->setUpdates(int64_t(meta.value(QStringLiteral("ema_updates")).toDouble()));
    m_lastOptStep = int64_t(meta.value(QStringLiteral("last_opt_step")).toDouble());
    m_startEpoch = meta.value(QStringLiteral("epoch")).toInt();
    m_startBatch = meta.value(QStringLiteral("batch")).toInt();
    const QJsonArray partial = meta.value(QStringLiteral("partial_loss_mean")).toArray();
    for (int k = 0; k < 3 && k < partial.size(); ++k)
        m_partialMean[k] = partial[k].toDouble();
    m_partialCount = meta.value(QStringLiteral("partial_loss_count")).toInt(m_startBatch);
    m_history = historyFromJson(meta.value(QStringLiteral("history")).toArray());
    m_historyJson = historyJson(m_history);
    m_bestFitness = meta.value(QStringLiteral("best_fitness")).toDouble();
    m_bestEpoch = meta.value(QStringLiteral("best_epoch")).toInt();
    m_trainSeconds = meta.value(QStringLiteral("train_time")).toDouble();
    m_resumes = meta.value(QStringLiteral("resumes")).toArray();
    m_exact = meta.value(QStringLiteral("exact")).toBool(true);
    m_schedule = std::make_unique<LrSchedule>(
        meta.value(QStringLiteral("lr_base_epochs")).toInt(cfg.epochs), cfg.lrf, cfg.cosLr);
    m_schedule->extensionsFromJson(meta.value(QStringLiteral("lr_extensions")).toArray());
    // The optimizer's base values chosen by optimizer=auto are kept, not chosen again: the number
    // of iterations (and so the choice) changes when epochs are raised.
    const QJsonObject opt = meta.value(QStringLiteral("optimizer")).toObject();
    m_optimizerName = opt.value(QStringLiteral("name")).toString(m_optimizerName);
    m_baseLr = opt.value(QStringLiteral("lr")).toDouble(m_baseLr);
    m_baseMomentum = opt.value(QStringLiteral("momentum")).toDouble(m_baseMomentum);
    m_warmupBiasLr = opt.value(QStringLiteral("warmup_bias_lr")).toDouble(m_warmupBiasLr);
    for (Optimizer::Group &g : m_optimizer->groups()) {
        g.initialLr = m_baseLr;
        g.momentum = m_baseMomentum;
    }
    if (m_schedule->epochs() < m_epochs)
        m_schedule->extend(m_startEpoch, m_epochs);
    return true;
}

// An Ultralytics last.pt as restoreState() expects a YoloDeck state (DESIGN.md §8): its EMA
// weights become the model's too (Ultralytics resumes that way: model is None in its last.pt),
// its optimizer state moves from parameter names onto this model's groups, and what it does not
// record (RNG, loader position, warmup step) starts from the epoch boundary.
bool Trainer::Impl::adoptUltralyticsState(CheckpointData &state, QString *error) const
{
    std::map<const c10::TensorImpl *, std::string> nameOf;
    for (const auto &item : m_model->named_parameters(true))
        nameOf[item.value().unsafeGetTensorImpl()] = item.key();
    std::map<std::string, std::string> ourKey; // "<param name>." -> "optim.g<G>.p<P>."
    const auto &groups = m_optimizer->groups();
    for (size_t g = 0; g < groups.size(); ++g)
        for (size_t p = 0; p < groups[g].params.size(); ++p)
            ourKey[nameOf[groups[g].params[p].unsafeGetTensorImpl()]] =
                "optim.g" + std::to_string(g) + ".p" + std::to_string(p) + ".";
    std::map<std::string, torch::Tensor> translated;
    std::set<std::string> movedParams;
    for (auto &[key, tensor] : state.tensors) {
        if (key.rfind("uoptim.", 0) != 0) {
            translated.emplace(key, tensor);
            continue;
        }
        const std::string rest = key.substr(7);
        const size_t dot = rest.rfind('.');
        const auto it = ourKey.find(rest.substr(0, dot));
        if (it == ourKey.end()) {
            *error = QStringLiteral("optimizer state for %1, a parameter this model does not train")
                         .arg(QString::fromStdString(rest.substr(0, dot)));
            return false;
        }
        translated.emplace(it->second + rest.substr(dot + 1), tensor);
        movedParams.insert(it->second);
    }
    state.tensors = std::move(translated);

    QJsonObject &meta = state.meta;
    const QJsonObject u = meta.value(QStringLiteral("ultralytics")).toObject();
    const QJsonObject opt = u.value(QStringLiteral("optimizer")).toObject();
    const QJsonObject args = u.value(QStringLiteral("train_args")).toObject();
    meta.insert(
        QStringLiteral("optimizer"),
        QJsonObject{{QStringLiteral("name"), opt.value(QStringLiteral("name"))},
                    {QStringLiteral("lr"), opt.value(QStringLiteral("lr"))},
                    {QStringLiteral("momentum"), opt.value(QStringLiteral("momentum"))},
                    {QStringLiteral("warmup_bias_lr"),
                     args.value(QStringLiteral("warmup_bias_lr")).toDouble(cfg.warmupBiasLr)}});
    const int epoch = meta.value(QStringLiteral("epoch")).toInt();
    meta.insert(QStringLiteral("last_opt_step"), -1.0); // as Ultralytics sets it on resume
    meta.insert(QStringLiteral("lr_base_epochs"),
                args.value(QStringLiteral("epochs")).toInt(cfg.epochs));
    // Ultralytics' history may run past this file (a best.pt of an older epoch): keep 1..epoch.
    QJsonArray history;
    double bestFitness = -1;
    int bestEpoch = 0;
    double seconds = 0;
    for (const QJsonValue &v : meta.value(QStringLiteral("history")).toArray()) {
        const QJsonObject row = v.toObject();
        const int e = row.value(QStringLiteral("epoch")).toInt();
        if (e < 1 || e > epoch)
            continue;
        history.append(row);
        seconds = std::max(seconds, row.value(QStringLiteral("time")).toDouble());
        const double f = row.value(QStringLiteral("fitness")).toDouble();
        if (f > bestFitness) {
            bestFitness = f;
            bestEpoch = e;
        }
    }
    meta.insert(QStringLiteral("history"), history);
    meta.insert(QStringLiteral("best_epoch"), bestEpoch);
    meta.insert(QStringLiteral("train_time"), seconds);
    if (!meta.contains(QStringLiteral("best_fitness")))
        meta.insert(QStringLiteral("best_fitness"), bestFitness);
    meta.insert(QStringLiteral("exact"), false);
    // Parameters with state, not state tensors: SGD keeps one per parameter, AdamW three.
    meta.insert(QStringLiteral("optimizer_states_moved"), int(movedParams.size()));
    return true;
}

// A fine-tune first measures where it starts: the imported weights on this validation split, as
// `val` of the same file would (same images, imgsz and batch), logged as epoch 0.
void Trainer::Impl::validateStartingPoint()
{
    const ValidationOutput val = m_validator->run(
        *m_emaModel, m_device, m_criterion.get(),
        [&](int b, int n) {
            if (m_observer)
                m_observer->validationProgress({0, b, n});
        },
        nullptr, {}, m_comm.get());
    m_trainSeconds += val.seconds;
    if (!lead())
        return;
    QJsonObject ev{{QStringLiteral("metrics/precision(B)"), val.metrics.precision},
                   {QStringLiteral("metrics/recall(B)"), val.metrics.recall},
                   {QStringLiteral("metrics/mAP50(B)"), val.metrics.map50},
                   {QStringLiteral("metrics/mAP50-95(B)"), val.metrics.map50_95},
                   {QStringLiteral("val/box_loss"), val.loss[0]},
                   {QStringLiteral("val/cls_loss"), val.loss[1]},
                   {QStringLiteral("val/dfl_loss"), val.loss[2]},
                   {QStringLiteral("from"), m_fineTunedFrom}};
    m_log->appendEvent(QStringLiteral("baseline"), ev);
    say(LogLevel::Info,
        QStringLiteral("Starting point before fine-tuning (epoch 0): P %1, R %2, mAP50 %3, "
                       "mAP50-95 %4")
            .arg(formatG6(val.metrics.precision), formatG6(val.metrics.recall),
                 formatG6(val.metrics.map50), formatG6(val.metrics.map50_95)));
}

QJsonObject Trainer::Impl::baseMeta(const QString &kind, int completedEpochs,
                                    int batchInEpoch) const
{
    QJsonObject meta;
    meta.insert(QStringLiteral("format"), 1);
    meta.insert(QStringLiteral("app"), QStringLiteral("YoloDeck"));
    meta.insert(QStringLiteral("app_version"), QStringLiteral(YOLODECK_VERSION));
    meta.insert(QStringLiteral("torch_version"), QStringLiteral(TORCH_VERSION));
    meta.insert(QStringLiteral("kind"), kind);
    meta.insert(QStringLiteral("epoch"), completedEpochs);
    meta.insert(QStringLiteral("batch"), batchInEpoch);
    meta.insert(QStringLiteral("epochs"), m_epochs);
    meta.insert(QStringLiteral("batches_per_epoch"), m_nb);
    meta.insert(QStringLiteral("global_step"),
                double(int64_t(completedEpochs) * m_nb + batchInEpoch));
    meta.insert(QStringLiteral("model"),
                QJsonObject{{QStringLiteral("scale"), m_scale.name},
                            {QStringLiteral("nc"), m_model->nc()},
                            {QStringLiteral("imgsz"), cfg.imgsz},
                            {QStringLiteral("parameters"), double(m_model->parameterCount())}});
    QJsonArray names;
    for (const QString &n : m_train.names())
        names.append(n);
    meta.insert(QStringLiteral("names"), names);
    meta.insert(QStringLiteral("dataset"),
                QJsonObject{{QStringLiteral("yaml"), m_data.yamlPath},
                            {QStringLiteral("train_fingerprint"), m_train.fingerprint()},
                            {QStringLiteral("val_fingerprint"), m_val.fingerprint()},
                            {QStringLiteral("train_images"), int(m_train.records().size())},
                            {QStringLiteral("val_images"), int(m_val.records().size())}});
    meta.insert(QStringLiteral("config"), cfg.toJson());
    meta.insert(QStringLiteral("best_fitness"), m_bestFitness);
    meta.insert(QStringLiteral("best_epoch"), m_bestEpoch);
    meta.insert(QStringLiteral("epochs_without_improvement"),
                m_history.empty() ? 0 : int(m_history.back().epoch) - m_bestEpoch);
    meta.insert(QStringLiteral("train_time"), m_trainSeconds);
    meta.insert(QStringLiteral("world_size"), m_comm->worldSize());
    meta.insert(QStringLiteral("threads"), m_threads);
    meta.insert(QStringLiteral("engine"), m_model->trainingEngine());
    if (const int blas = openBlasThreads(); blas > 0)
        meta.insert(QStringLiteral("blas_threads"), blas);
    meta.insert(QStringLiteral("device"), describeDevice(m_device));
    meta.insert(QStringLiteral("created"),
                QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    meta.insert(QStringLiteral("exact"), m_exact);
    meta.insert(QStringLiteral("mode"), m_mode);
    if (!m_fineTunedFrom.isEmpty())
        meta.insert(QStringLiteral("fine_tuned_from"), m_fineTunedFrom);
    meta.insert(QStringLiteral("resumes"), m_resumes);
    meta.insert(QStringLiteral("run_dir"), m_log->runDir());
    meta.insert(QStringLiteral("metrics"), m_lastMetrics);
    meta.insert(QStringLiteral("fitness"), m_lastFitness);
    meta.insert(QStringLiteral("fitness_weights"),
                QJsonObject{{QStringLiteral("mAP50"), cfg.fitnessMap50},
                            {QStringLiteral("mAP50-95"), cfg.fitnessMap5095}});
    meta.insert(QStringLiteral("optimizer"),
                QJsonObject{{QStringLiteral("name"), m_optimizerName},
                            {QStringLiteral("lr"), m_baseLr},
                            {QStringLiteral("momentum"), m_baseMomentum},
                            {QStringLiteral("warmup_bias_lr"), m_warmupBiasLr}});
    meta.insert(QStringLiteral("lr_base_epochs"), m_schedule->baseEpochs());
    meta.insert(QStringLiteral("lr_extensions"), m_schedule->extensionsToJson());
    return meta;
}

CheckpointData Trainer::Impl::fullState(int completedEpochs, int batchInEpoch) const
{
    CheckpointData state;
    state.meta = baseMeta(QStringLiteral("full"), completedEpochs, batchInEpoch);
    state.historyJson = m_historyJson;
    state.meta.insert(QStringLiteral("ema_updates"), double(m_ema->updates()));
    state.meta.insert(QStringLiteral("last_opt_step"), double(m_lastOptStep));
    state.meta.insert(QStringLiteral("partial_loss_mean"), toJsonArray(m_partialMean));
    state.meta.insert(QStringLiteral("partial_loss_count"), m_partialCount);
    state.tensors = namedState(*m_model, "model.");
    for (auto &[k, v] : namedState(m_ema->module(), "ema."))
        state.tensors[k] = v;
    for (auto &[k, v] : m_optimizer->stateDict())
        state.tensors["optim." + k] = v;
    for (auto &[k, v] : m_scaler->stateDict())
        state.tensors["scaler." + k] = v;
    for (const auto &item : m_model->named_parameters(true)) {
        if (item.value().grad().defined() &&
            m_lastOptStep != int64_t(completedEpochs) * m_nb + batchInEpoch - 1)
            state.tensors["grad." + item.key()] = item.value().grad();
    }
    state.tensors["rng.cpu"] = at::detail::getDefaultCPUGenerator().get_state();
    return state;
}

void Trainer::Impl::saveCheckpoint(QStringList fileNames, const CheckpointData &state)
{
    restoreRunFolders();
    // Free space first: a periodic epochN.pt is skipped when the disk cannot hold what this save
    // writes (last.pt, and best.pt, are always attempted; each write is atomic, so a failure
    // never harms the previous file).
    int64_t bytes = 1 << 20;
    for (const auto &item : state.tensors)
        bytes += int64_t(item.second.nbytes());
    const qint64 available = freeSpaceProbe ? freeSpaceProbe(m_log->weightsDir())
                                            : QStorageInfo(m_log->weightsDir()).bytesAvailable();
    const int64_t needed = bytes * fileNames.size();
    if (available >= 0 && available < needed) {
        QStringList skipped;
        for (const QString &name : fileNames)
            if (name.startsWith(QLatin1String("epoch")))
                skipped << name;
        for (const QString &name : skipped)
            fileNames.removeAll(name);
        say(LogLevel::Warning,
            QStringLiteral("only %1 MB free in %2 (this save needs about %3 MB)%4")
                .arg(available / 1048576)
                .arg(m_log->weightsDir())
                .arg(needed / 1048576)
                .arg(skipped.isEmpty() ? QStringLiteral(": saving %1 anyway")
                                             .arg(fileNames.join(QStringLiteral(", ")))
                                       : QStringLiteral(": %1 skipped, %2 attempted")
                                             .arg(skipped.join(QStringLiteral(", ")),
                                                  fileNames.join(QStringLiteral(", ")))));
    }
    QStringList paths;
    for (const QString &name : fileNames)
        paths << m_log->weightsDir() + QLatin1Char('/') + name;
    // The writer copies the state once and writes it in the background: this is all the training
    // thread waits for.
    m_lastSaveBlockedMs = m_writer->submit(paths, state);
}

void Trainer::Impl::applyLearningRate(int64_t ni, int epoch)
{
    const double factor = m_schedule->factor(epoch);
    std::vector<Optimizer::Group> &groups = m_optimizer->groups();
    if (ni <= m_warmupIters) {
        // Warmup (Ultralytics): accumulation ramps from 1 to nbs/batch, the bias LR falls from
        // warmup_bias_lr and the other groups rise from 0 to lr0·lf(epoch); momentum rises from
        // warmup_momentum.
        const double x1 = double(m_warmupIters);
        m_accumulate = std::max(
            1, int(std::lround(interp(double(ni), 0, x1, 1.0, double(cfg.nbs) / cfg.batch))));
        for (size_t j = 0; j < groups.size(); ++j) {
            groups[j].lr = interp(double(ni), 0, x1, j == 0 ? m_warmupBiasLr : 0.0,
                                  groups[j].initialLr * factor);
            if (m_optimizer->kind() == Optimizer::Kind::SGD)
                groups[j].momentum = interp(double(ni), 0, x1, cfg.warmupMomentum, m_baseMomentum);
        }
    } else {
        m_accumulate = m_accumulateBase;
        for (Optimizer::Group &g : groups) {
            g.lr = g.initialLr * factor;
            g.momentum = m_baseMomentum;
        }
    }
}

void Trainer::Impl::optimizerStep()
{
    if (distributed()) {
        // Bucketed all-reduce of the gradients accumulated since the last step: each rank's loss
        // is its share of the global batch's loss, so the sum is the one-process gradient.
        std::vector<torch::Tensor> grads;
        for (torch::Tensor &p : m_trainable) {
            if (!p.grad().defined())
                p.mutable_grad() = torch::zeros_like(p);
            grads.push_back(p.grad());
        }
        m_comm->allreduceSum(grads);
    }
    const bool finite = m_scaler->unscaleAndCheck(m_trainable);
    if (finite) {
        torch::nn::utils::clip_grad_norm_(m_trainable, kMaxGradNorm);
        m_optimizer->step();
    }
    m_scaler->update(finite);
    m_optimizer->zeroGrad();
    if (finite)
        m_ema->update(*m_model);
    else
        say(LogLevel::Warning, QStringLiteral("non-finite gradients: optimizer step skipped"));
}

void Trainer::Impl::waitWhilePaused()
{
    while (paused.load() && !stopRequested.load())
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

void Trainer::Impl::stripFinalCheckpoints()
{
    // best.pt and last.pt become weights-only (EMA, fp16) as Ultralytics does; the final epochN.pt
    // stays full, so "train 50 more epochs" always works.
    for (const QString &name : {QStringLiteral("best.pt"), QStringLiteral("last.pt")}) {
        const QString path = m_log->weightsDir() + QLatin1Char('/') + name;
        if (!QFileInfo::exists(path))
            continue;
        Result<CheckpointData> full = loadCheckpoint(path);
        if (!full) {
            say(LogLevel::Warning, full.error());
            continue;
        }
        const int epoch = full.value().meta.value(QStringLiteral("epoch")).toInt();
        if (name == QLatin1String("last.pt") && epoch != int(m_history.size())) {
            // The last saves failed: this file is an older epoch's full state, worth keeping.
            say(LogLevel::Warning,
                QStringLiteral("%1 is still epoch %2 (later saves failed): left as a full, "
                               "resumable checkpoint")
                    .arg(path)
                    .arg(epoch));
            continue;
        }
        CheckpointData weights;
        weights.meta = full.value().meta;
        weights.meta.insert(QStringLiteral("kind"), QStringLiteral("weights"));
        weights.meta.insert(QStringLiteral("stripped_from"), QStringLiteral("full"));
        for (const auto &[key, tensor] : full.value().tensors) {
            if (key.rfind("ema.", 0) != 0)
                continue;
            const std::string name = "model." + key.substr(4);
            weights.tensors[name] = tensor.is_floating_point() ? tensor.to(torch::kHalf) : tensor;
        }
        const Status saved = saveCheckpointAtomically(path, weights);
        if (!saved)
            writeFailed(QStringLiteral("checkpoint"), path, saved.error());
    }
}

void Trainer::Impl::setUpRunLog(const QString &runDir)
{
    m_log = std::make_unique<RunLog>(runDir);
    m_writer = std::make_unique<CheckpointWriter>();
    m_writer->setErrorHandler([this](const QString &path, const QString &message) {
        // Earlier checkpoints are untouched by a failed write (atomic rename): training goes on.
        writeFailed(QStringLiteral("checkpoint"), path, message);
        if (m_observer) {
            CheckpointSaved saved;
            saved.path = path;
            saved.ok = false;
            saved.error = message;
            m_observer->checkpointSaved(saved);
        }
    });
    m_writer->setCompletionHandler([this](const QString &path, double ms) {
        writeWorked(QStringLiteral("checkpoint"));
        Result<QJsonObject> meta = readCheckpointMeta(path, MetaHistory::Omit);
        CheckpointSaved saved;
        saved.path = path;
        saved.writeMs = ms;
        saved.blockedMs = m_lastSaveBlockedMs.load();
        if (meta) {
            saved.kind = meta.value().value(QStringLiteral("kind")).toString();
            saved.epoch = meta.value().value(QStringLiteral("epoch")).toInt();
            saved.batch = meta.value().value(QStringLiteral("batch")).toInt();
        }
        if (cfg.keep > 0 && QFileInfo(path).fileName().startsWith(QLatin1String("epoch")))
            pruneCheckpoints();
        m_log->appendEvent(QStringLiteral("checkpoint"),
                           {{QStringLiteral("path"), path},
                            {QStringLiteral("epoch"), saved.epoch},
                            {QStringLiteral("batch"), saved.batch},
                            {QStringLiteral("ms"), ms},
                            {QStringLiteral("blocked_ms"), saved.blockedMs}});
        if (m_observer)
            m_observer->checkpointSaved(saved);
    });
}

// keep=K: after a new epochN.pt is on the disk, the oldest periodic ones beyond K go (never
// best.pt, last.pt, the final epoch's file or one marked Keep). Runs on the writer's thread.
void Trainer::Impl::pruneCheckpoints()
{
    for (const QString &path : checkpointsToPrune(m_log->weightsDir(), cfg.keep)) {
        if (QFile::remove(path))
            say(LogLevel::Info, QStringLiteral("Removed %1 (keep=%2)").arg(path).arg(cfg.keep));
        else
            say(LogLevel::Warning,
                QStringLiteral("%1: could not remove it (keep=%2)").arg(path).arg(cfg.keep));
    }
}

bool Trainer::Impl::joinJob(QString *error)
{
    const auto indivisible = [this](int world) {
        return QStringLiteral("batch=%1 cannot be split between %2 training processes: use a "
                              "multiple of %2 (batch is the global batch, each process takes "
                              "batch / processes)")
            .arg(cfg.batch)
            .arg(world);
    };
    dist::JobRequest request;
    request.nproc = cfg.nproc;
    request.timeoutSeconds = cfg.distTimeout;
    const QStringList devices = cfg.device.split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (devices.size() > 1) {
        // device=0,1 on a CUDA build: one rank per listed GPU.
        request.devices = devices;
        if (request.nproc <= 1)
            request.nproc = int(devices.size());
    }
    if (request.nproc > 1 && cfg.batch % request.nproc != 0) {
        *error = indivisible(request.nproc); // before any process is started
        return false;
    }
    Result<std::unique_ptr<dist::Communicator>> joined =
        dist::joinJob(request, QProcessEnvironment::systemEnvironment());
    if (!joined) {
        *error = joined.error();
        return false;
    }
    m_comm = joined.take();
    if (m_comm->isLead() && cfg.batch % m_comm->worldSize() != 0) {
        *error = indivisible(m_comm->worldSize());
        return false;
    }
    return true;
}

// Rank 0's configuration (after a resume plan) and model scale reach every rank before set-up.
bool Trainer::Impl::exchangeConfig(QString *error)
{
    QJsonObject sync;
    if (lead()) {
        QString scale = cfg.model;
        if (plan) {
            scale = plan->info.meta.value(QStringLiteral("model"))
                        .toObject()
                        .value(QStringLiteral("scale"))
                        .toString();
        } else if (cfg.model.endsWith(QLatin1String(".pt"))) {
            const Result<QJsonObject> meta = readCheckpointMeta(cfg.model, MetaHistory::Omit);
            if (!meta) {
                *error = meta.error();
                return false;
            }
            scale = meta.value()
                        .value(QStringLiteral("model"))
                        .toObject()
                        .value(QStringLiteral("scale"))
                        .toString();
        }
        sync = QJsonObject{
            {QStringLiteral("config"), cfg.toJson()},
            {QStringLiteral("scale"), scale},
            {QStringLiteral("fine_tune"), !plan && cfg.model.endsWith(QLatin1String(".pt"))},
            {QStringLiteral("frozen_batchnorm"), frozenBatchNorm}};
    }
    const QByteArray bytes =
        m_comm->broadcastBytes(QJsonDocument(sync).toJson(QJsonDocument::Compact));
    if (lead())
        return true;
    sync = QJsonDocument::fromJson(bytes).object();
    Result<TrainConfig> config =
        TrainConfig::fromJson(sync.value(QStringLiteral("config")).toObject());
    if (!config) {
        *error = config.error();
        return false;
    }
    cfg = config.take();
    m_workerScale = sync.value(QStringLiteral("scale")).toString();
    if (sync.value(QStringLiteral("fine_tune")).toBool())
        m_mode = QStringLiteral("fine-tune");
    frozenBatchNorm = sync.value(QStringLiteral("frozen_batchnorm")).toBool();
    return true;
}

// Every rank starts from rank 0's state: parameters, buffers, EMA, optimizer, position; a rank's
// own entries of a resumed job (BatchNorm buffers, pending gradients, RNG) go to that rank.
bool Trainer::Impl::syncStartState(QString *error)
{
    QByteArray bytes;
    if (lead()) {
        CheckpointData state = fullState(m_startEpoch, m_startBatch);
        for (const auto &[key, tensor] : m_rankExtras)
            state.tensors[key] = tensor;
        bytes = encodeState(state);
    }
    bytes = m_comm->broadcastBytes(bytes);
    m_rankExtras.clear();
    if (lead())
        return true;
    CheckpointData state = decodeState(bytes);
    selectRankState(state.tensors, m_comm->rank());
    return restoreState(state, error);
}

// A checkpoint of another world size resumes with its weights and position, but batches split
// differently and per-rank BatchNorm statistics are lost: allowed, said, and not exact.
void Trainer::Impl::adoptWorldSize(const CheckpointData &state)
{
    const int saved = state.meta.value(QStringLiteral("world_size")).toInt(1);
    for (const auto &[key, tensor] : state.tensors)
        if (key.rfind("rank", 0) == 0)
            m_rankExtras[key] = tensor;
    if (saved == m_comm->worldSize())
        return;
    // Gradients accumulated by the other ranks but not yet applied still count: they are added
    // to rank 0's, which is what their all-reduce would have done.
    torch::NoGradGuard noGrad;
    for (auto &item : m_model->named_parameters(true)) {
        for (int r = 1; r < saved; ++r) {
            const auto it = state.tensors.find("rank" + std::to_string(r) + ".grad." + item.key());
            if (it == state.tensors.end())
                continue;
            torch::Tensor &grad = item.value().mutable_grad();
            const torch::Tensor other = it->second.to(item.value().device());
            grad = grad.defined() ? grad + other : other.clone();
        }
    }
    m_rankExtras.clear();
    m_exact = false;
    if (!m_resumes.isEmpty()) {
        QJsonObject last = m_resumes.last().toObject();
        last.insert(QStringLiteral("exact"), false);
        last.insert(QStringLiteral("world_size_changed"), QJsonArray{saved, m_comm->worldSize()});
        m_resumes.replace(m_resumes.size() - 1, last);
    }
    say(LogLevel::Warning,
        QStringLiteral(
            "%1 was written by %2 training process(es), this run has %3: the batches are "
            "split differently and each process's BatchNorm statistics start from rank "
            "0's, so this resume is not exact")
            .arg(plan ? plan->checkpoint : cfg.model)
            .arg(saved)
            .arg(m_comm->worldSize()));
}

// What only this rank knows: its BatchNorm buffers (model and EMA), gradients accumulated since
// the last optimizer step, its RNG and its thread count.
std::map<std::string, torch::Tensor> Trainer::Impl::ownRankState(int completedEpochs,
                                                                 int batchInEpoch) const
{
    std::map<std::string, torch::Tensor> out;
    for (const auto &item : m_model->named_buffers(true))
        out["model." + item.key()] = item.value();
    for (const auto &item : m_ema->module().named_buffers(true))
        out["ema." + item.key()] = item.value();
    if (m_lastOptStep != int64_t(completedEpochs) * m_nb + batchInEpoch - 1)
        for (const auto &item : m_model->named_parameters(true))
            if (item.value().grad().defined())
                out["grad." + item.key()] = item.value().grad();
    out["rng.cpu"] = at::detail::getDefaultCPUGenerator().get_state();
    out["threads"] = torch::full({1}, int64_t(m_threads), torch::kInt64);
    return out;
}

// The full state of the job, on rank 0 (every rank must call it: it gathers the other ranks'
// own state); the other ranks get an empty state.
CheckpointData Trainer::Impl::stateForSave(int completedEpochs, int batchInEpoch)
{
    if (!distributed())
        return fullState(completedEpochs, batchInEpoch);
    const std::vector<QByteArray> all = m_comm->gatherBytes(
        lead() ? QByteArray() : encodeTensors(ownRankState(completedEpochs, batchInEpoch)));
    if (!lead())
        return {};
    CheckpointData state = fullState(completedEpochs, batchInEpoch);
    QJsonArray ranks;
    for (int r = 0; r < int(all.size()); ++r) {
        const std::map<std::string, torch::Tensor> own =
            r == 0 ? ownRankState(completedEpochs, batchInEpoch) : decodeTensors(all[size_t(r)]);
        int threads = m_threads;
        for (const auto &[key, tensor] : own) {
            if (key == "threads")
                threads = int(tensor.item<int64_t>());
            else if (r > 0)
                state.tensors["rank" + std::to_string(r) + "." + key] = tensor;
        }
        // The sampler is a pure function of (seed, epoch, rank, world size): its position is
        // the job's (epoch, batch), recorded for each rank so the file says it plainly.
        ranks.append(
            QJsonObject{{QStringLiteral("rank"), r},
                        {QStringLiteral("threads"), threads},
                        {QStringLiteral("sampler"),
                         QJsonObject{{QStringLiteral("epoch"), completedEpochs},
                                     {QStringLiteral("next_batch"), batchInEpoch},
                                     {QStringLiteral("first_position"), r},
                                     {QStringLiteral("stride"), m_comm->worldSize()},
                                     {QStringLiteral("batch"), cfg.batch / m_comm->worldSize()}}}});
    }
    state.meta.insert(QStringLiteral("ranks"), ranks);
    state.meta.insert(QStringLiteral("launcher"), m_comm->launcher());
    return state;
}

// Early stopping is rank 0's decision (it alone has the metrics); a stop request may reach any
// rank. Every rank leaves the epoch loop at the same place.
std::array<bool, 2> Trainer::Impl::agreeOnStop(bool earlyStop)
{
    if (!distributed())
        return {earlyStop, stopRequested.load()};
    std::vector<torch::Tensor> flags{torch::tensor(
        {lead() && earlyStop ? 1.0 : 0.0, stopRequested.load() ? 1.0 : 0.0}, torch::kFloat64)};
    m_comm->allreduceSum(flags);
    return {flags[0][0].item<double>() > 0, flags[0][1].item<double>() > 0};
}

// Tests compare batch splits with BatchNorm on its running statistics: then an image's forward
// pass does not depend on the other images of its batch.
void Trainer::Impl::freezeBatchNormIfAsked()
{
    if (!frozenBatchNorm)
        return;
    for (const auto &module : m_model->modules(false))
        if (module->as<torch::nn::BatchNorm2d>())
            module->eval();
}

// The run's TensorBoard file: Ultralytics' tags at step = epoch, batch losses under batch/ at
// step = global batch. A resumed or branched session first purges what a previous session
// logged from its first step on, and a branch (a new folder) starts with its history's epochs.
void Trainer::Impl::openTensorBoard()
{
    if (!cfg.tensorboard || !m_log)
        return;
    Result<std::unique_ptr<TfEventsWriter>> created = TfEventsWriter::create(m_log->runDir());
    if (!created) {
        say(LogLevel::Warning,
            QStringLiteral("%1; training goes on without it").arg(created.error()));
        return;
    }
    m_tensorboard = created.take();
    if (m_mode == QLatin1String("resume") || m_mode == QLatin1String("branch")) {
        const Status purged =
            m_tensorboard->purgeFrom(int64_t(m_startEpoch) * m_nb + m_startBatch + 1);
        if (!purged)
            return tensorBoardFailed(purged.error());
    }
    if (m_mode == QLatin1String("branch"))
        for (const EpochRecord &r : m_history)
            tensorBoardEpoch(r);
}

void Trainer::Impl::tensorBoardEpoch(const EpochRecord &record)
{
    if (!m_tensorboard)
        return;
    const QJsonObject values = record.toJson();
    for (auto it = values.begin(); it != values.end(); ++it) {
        if (it.key() == QLatin1String("epoch") || it.key() == QLatin1String("time") ||
            it.key() == QLatin1String("fitness"))
            continue;
        const Status written = m_tensorboard->scalar(it.key(), it.value().toDouble(), record.epoch);
        if (!written)
            return tensorBoardFailed(written.error());
    }
    const Status flushed = m_tensorboard->flush();
    if (!flushed)
        tensorBoardFailed(flushed.error());
}

void Trainer::Impl::writeFailed(const QString &kind, const QString &path, const QString &message)
{
    // The writers' messages start with the path; the cause alone decides what is a repeat.
    QString reason = message;
    if (reason.startsWith(path + QStringLiteral(": ")))
        reason = reason.mid(path.size() + 2);
    const QString text = m_writeFaults.failed(kind, path, reason);
    if (!text.isEmpty())
        say(LogLevel::Error, text);
}

void Trainer::Impl::writeWorked(const QString &kind)
{
    const QString text = m_writeFaults.succeeded(kind);
    if (!text.isEmpty())
        say(LogLevel::Info, text);
}

void Trainer::Impl::writeResults()
{
    if (!m_log)
        return;
    const Status written = m_log->writeResults(m_history);
    if (written)
        writeWorked(QStringLiteral("results.csv"));
    else
        writeFailed(QStringLiteral("results.csv"), m_log->resultsPath(), written.error());
    const QString eventsError = m_log->takeEventsError();
    if (!eventsError.isEmpty())
        writeFailed(QStringLiteral("events.jsonl"), m_log->eventsPath(), eventsError);
}

// The run folder (or weights/) deleted during the run: created again, with args.yaml and
// results.csv rewritten from memory, so that the run goes on saving where the user expects it.
void Trainer::Impl::restoreRunFolders()
{
    if (!m_log)
        return;
    const QStringList restored = m_log->restoreFolders();
    if (restored.isEmpty())
        return;
    say(LogLevel::Warning,
        QStringLiteral("%1 was deleted during the run: created again, with args.yaml and "
                       "results.csv rewritten; files saved there before are gone")
            .arg(restored.front()));
    const Status argsWritten = m_log->writeArgs(cfg.toYaml());
    if (!argsWritten)
        writeFailed(QStringLiteral("args.yaml"), m_log->runDir() + QStringLiteral("/args.yaml"),
                    argsWritten.error());
    if (m_tensorboard && !QFileInfo::exists(m_tensorboard->path())) {
        // A fresh TensorBoard file holds the epochs so far, as a branch's does.
        m_tensorboard.reset();
        Result<std::unique_ptr<TfEventsWriter>> created = TfEventsWriter::create(m_log->runDir());
        if (!created)
            return tensorBoardFailed(created.error());
        m_tensorboard = created.take();
        for (const EpochRecord &r : m_history)
            tensorBoardEpoch(r);
    }
}

// A failing TensorBoard file is reported once and dropped; training and every other file go on.
void Trainer::Impl::tensorBoardFailed(const QString &error)
{
    say(LogLevel::Warning,
        QStringLiteral("TensorBoard file not written: %1; training goes on without it").arg(error));
    m_tensorboard.reset();
}

RunFinished Trainer::Impl::runUnchecked()
{
    QString error;
    if (plan) {
        if (plan->mode != ResumePlan::Mode::Continue && plan->mode != ResumePlan::Mode::Branch)
            return fail(plan->summary());
        cfg = plan->config;
        m_exact = plan->exact;
        m_mode = plan->mode == ResumePlan::Mode::Continue ? QStringLiteral("resume")
                                                          : QStringLiteral("branch");
    }
    // A rank > 0 of a job takes its configuration from rank 0 (exchangeConfig).
    const Result<dist::DistSettings> job =
        dist::DistSettings::fromEnvironment(QProcessEnvironment::systemEnvironment());
    const bool worker = cfg.nproc <= 0 && job && job.value().rank > 0;
    if (!worker) {
        const Status valid = cfg.validate();
        if (!valid)
            return fail(valid.error());
    }
    if (!joinJob(&error))
        return fail(error);
    if (distributed() && !exchangeConfig(&error))
        return fail(error);
    if (worker) {
        const Status valid = cfg.validate();
        if (!valid)
            return fail(valid.error());
    }

    // The run folder comes first so that every message of the set-up lands in events.jsonl.
    QString runDir;
    if (!lead()) {
        // Rank 0 alone owns the run folder.
    } else if (plan) {
        runDir = plan->runDir;
        QDir().mkpath(runDir + QStringLiteral("/weights"));
    } else {
        const Result<QString> created = RunLog::createRunDir(cfg.project, cfg.name, cfg.existOk);
        if (!created)
            return fail(created.error());
        runDir = created.value();
    }
    if (lead()) {
        setUpRunLog(runDir);
        const RemovedTemporaries stale = removeStaleTemporaries(m_log->weightsDir());
        if (!stale.names.isEmpty())
            say(LogLevel::Info, QStringLiteral("Removed %1 partial checkpoint file(s), %2 MB, left "
                                               "in %3 by a process stopped while saving")
                                    .arg(stale.names.size())
                                    .arg(stale.bytes / 1048576.0, 0, 'f', 1)
                                    .arg(m_log->weightsDir()));
    }

    m_epochs = cfg.epochs;
    if (!setUp(&error))
        return fail(error);

    if (plan) {
        Result<CheckpointData> state = loadCheckpoint(plan->checkpoint);
        if (!state)
            return fail(state.error());
        if (state.value().meta.value(QStringLiteral("source")) == QLatin1String("ultralytics")) {
            if (!adoptUltralyticsState(state.value(), &error))
                return fail(QStringLiteral("%1: %2").arg(plan->checkpoint, error));
            say(LogLevel::Info,
                QStringLiteral("Ultralytics %1 state restored for %2 parameters; EMA (%3 updates) "
                               "and weights from its EMA, as Ultralytics resumes")
                    .arg(state.value()
                             .meta.value(QStringLiteral("optimizer"))
                             .toObject()
                             .value(QStringLiteral("name"))
                             .toString())
                    .arg(state.value().meta.value(QStringLiteral("optimizer_states_moved")).toInt())
                    .arg(qint64(
                        state.value().meta.value(QStringLiteral("ema_updates")).toDouble())));
        }
        if (!restoreState(state.value(), &error))
            return fail(QStringLiteral("%1: %2").arg(plan->checkpoint, error));
        adoptWorldSize(state.value());
        m_resumes.append(QJsonObject{
            {QStringLiteral("from"), plan->checkpoint},
            {QStringLiteral("epoch"), m_startEpoch},
            {QStringLiteral("batch"), m_startBatch},
            {QStringLiteral("mode"), m_mode},
            {QStringLiteral("exact"), plan->exact},
            {QStringLiteral("wall"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)}});
        if (!plan->exact)
            m_exact = false;
        say(LogLevel::Info, plan->summary());
    }
    if (distributed() && !syncStartState(&error))
        return fail(error);
    if (m_log) {
        const Status argsWritten = m_log->writeArgs(cfg.toYaml());
        if (!argsWritten)
            return fail(argsWritten.error());
        writeResults();
    }

    RunStarted started;
    started.runDir = m_log ? m_log->runDir() : QString();
    started.worldSize = m_comm->worldSize();
    started.device = describeDevice(m_device);
    started.modelName = QStringLiteral("YOLOv8%1").arg(m_scale.name);
    started.parameters = m_model->parameterCount();
    started.nc = m_model->nc();
    started.epochs = m_epochs;
    started.startEpoch = m_startEpoch;
    started.startBatch = m_startBatch;
    started.batchesPerEpoch = m_nb;
    started.trainImages = int(m_train.records().size());
    started.valImages = int(m_val.records().size());
    started.threads = m_threads;
    started.engine = m_model->trainingEngine();
    started.workers = cfg.workers;
    started.mode = m_mode;
    started.exact = m_exact;
    started.history = m_history;
    if (lead()) {
        // Primed here, so the first batch line already has the CPU share since the start.
        m_host = std::make_unique<HostSampler>(m_device.is_cuda());
        m_host->sample();
        m_hostClock.invalidate();
    }
    QJsonObject startFields = runStartFigures(cfg);
    for (const auto &[key, value] : std::initializer_list<std::pair<QString, QJsonValue>>{
             {QStringLiteral("mode"), m_mode},
             {QStringLiteral("epochs"), m_epochs},
             {QStringLiteral("start_epoch"), m_startEpoch},
             {QStringLiteral("start_batch"), m_startBatch},
             {QStringLiteral("batches_per_epoch"), m_nb},
             {QStringLiteral("device"), started.device},
             {QStringLiteral("model"), started.modelName},
             {QStringLiteral("exact"), m_exact},
             {QStringLiteral("world_size"), m_comm->worldSize()},
             {QStringLiteral("launcher"), m_comm->launcher()},
             {QStringLiteral("threads"), m_threads},
             {QStringLiteral("engine"), started.engine},
             {QStringLiteral("pid"), qint64(::getpid())},
             {QStringLiteral("host"), QSysInfo::machineHostName()}})
        startFields.insert(key, value);
    started.event = recordEvent(QStringLiteral("run_start"), startFields);
    if (m_observer)
        m_observer->runStarted(started);
    openTensorBoard();
    if (m_mode == QLatin1String("fine-tune") && cfg.val)
        validateStartingPoint();

    RunFinished done;
    done.runDir = started.runDir;
    int consecutiveNonFinite = 0;
    QElapsedTimer sessionTimer;
    sessionTimer.start();
    int64_t sessionBatches = 0;
    double sessionBatchSeconds = 0;

    // Data-parallel runs: what every rank reports about its previous step (images/s, the share
    // spent in collectives), carried by the next step's all-reduce.
    const int world = m_comm->worldSize();
    double ownIps = 0, ownComm = 0;
    std::vector<double> rankIps(size_t(world), 0.0);

    for (int epoch = m_startEpoch; epoch < m_epochs; ++epoch) {
        QElapsedTimer epochTimer;
        epochTimer.start();
        const bool mosaic = epoch < m_epochs - cfg.closeMosaic;
        if (epoch == m_epochs - cfg.closeMosaic && epoch > 0)
            say(LogLevel::Info, QStringLiteral("Closing dataloader mosaic for the last %1 epochs")
                                    .arg(cfg.closeMosaic));
        const int firstBatch = epoch == m_startEpoch ? m_startBatch : 0;
        std::array<double, 3> mean =
            epoch == m_startEpoch ? m_partialMean : std::array<double, 3>{};
        int meanCount = epoch == m_startEpoch ? m_partialCount : 0;
        m_loader->startEpoch(epoch, mosaic, firstBatch);
        m_model->train();
        freezeBatchNormIfAsked();
        QElapsedTimer stepTimer;
        stepTimer.start();
        int i = firstBatch;
        while (std::optional<Batch> batch = m_loader->next()) {
            const int64_t ni = int64_t(i) + int64_t(m_nb) * epoch;
            applyLearningRate(ni, epoch);

            const int64_t images = batch->images.size(0);
            std::optional<DetectionLoss::Parts> parts;
            if (images > 0) {
                const torch::Tensor input = batch->images.to(m_device, /*non_blocking=*/true);
                const torch::Tensor targets = batch->targets.to(m_device);
                const AutocastScope autocast(m_amp);
                parts = m_criterion->parts(m_model->forward(input), targets, cfg.imgsz, cfg.imgsz);
            }
            std::optional<DetectionLoss::Output> computed;
            std::array<double, 3> batchLoss{};
            bool finite = true;
            bool stopNow = stopRequested.load();
            bool pauseNow = paused.load();
            const bool injected = nanInjector && nanInjector(epoch + 1, i + 1);
            if (!distributed() && parts) {
                computed = m_criterion->finish(*parts, parts->targetScoreSum.clamp_min(1.0),
                                               double(parts->batch));
                if (injected)
                    computed->total = computed->total * std::numeric_limits<double>::quiet_NaN();
                const torch::Tensor items = computed->items.to(torch::kCPU, torch::kFloat64);
                finite = torch::isfinite(computed->total.detach()).item<bool>();
                batchLoss = {items[0].item<double>(), items[1].item<double>(),
                             items[2].item<double>()};
            } else {
                // One all-reduce per step: the loss sums and target-score sums of every rank's
                // share of the global batch (so each rank divides by the global normaliser and
                // the summed gradients are the one-process gradient), the image count, the
                // non-finite, stop and pause flags, and each rank's figures of its last step.
                const int64_t n = 8 + 2 * int64_t(world);
                torch::Tensor step = torch::zeros({n}, torch::kFloat64);
                double *v = step.data_ptr<double>();
                if (parts) {
                    for (int k = 0; k < 3; ++k)
                        v[k] = parts->sums[size_t(k)].detach().to(torch::kCPU).item<double>();
                    v[3] = parts->targetScoreSum.to(torch::kCPU).item<double>();
                }
                v[4] = double(images);
                v[5] = (injected || !std::isfinite(v[0] + v[1] + v[2])) ? 1.0 : 0.0;
                v[6] = stopNow ? 1.0 : 0.0;
                v[7] = pauseNow ? 1.0 : 0.0;
                v[8 + m_comm->rank()] = ownIps;
                v[8 + world + m_comm->rank()] = ownComm;
                std::vector<torch::Tensor> reduced{step};
                m_comm->allreduceSum(reduced);
                const double normaliser = std::max(v[3], 1.0);
                const std::array<double, 3> gains{cfg.box, cfg.cls, cfg.dfl};
                for (int k = 0; k < 3; ++k)
                    batchLoss[k] = v[k] / normaliser * gains[size_t(k)];
                finite = v[5] == 0;
                stopNow = v[6] > 0;
                pauseNow = v[7] > 0;
                for (int r = 0; r < world; ++r)
                    rankIps[size_t(r)] = v[8 + r];
                if (parts)
                    computed = m_criterion->finish(
                        *parts, torch::tensor(normaliser, torch::kFloat32), v[4]);
            }
            if (finite) {
                consecutiveNonFinite = 0;
                if (computed)
                    m_scaler->scaleLoss(computed->total).backward();
                if (ni - m_lastOptStep >= m_accumulate) {
                    optimizerStep();
                    m_lastOptStep = ni;
                }
                // Ultralytics' running mean, tloss = (tloss * i + items) / (i + 1), over the
                // batches whose loss was finite (all of them, normally: then n == i).
                for (int k = 0; k < 3; ++k)
                    mean[k] = (mean[k] * meanCount + batchLoss[k]) / (meanCount + 1);
                ++meanCount;
            } else {
                // A non-finite loss never reaches the weights, the EMA or a checkpoint.
                ++consecutiveNonFinite;
                say(LogLevel::Warning,
                    QStringLiteral("epoch %1 batch %2: non-finite loss, step skipped")
                        .arg(epoch + 1)
                        .arg(i + 1));
                if (consecutiveNonFinite >= kMaxConsecutiveNonFinite) {
                    const QString weights = m_log ? m_log->weightsDir() : QString();
                    if (m_writer)
                        m_writer->flush();
                    return fail(QStringLiteral("stopped after %1 non-finite losses in a row; the "
                                               "last good checkpoint is %2/last.pt")
                                    .arg(kMaxConsecutiveNonFinite)
                                    .arg(weights));
                }
            }
            for (int k = 0; k < 3; ++k)
                m_lastLr[k] = m_optimizer->groups()[k].lr;

            const double stepSeconds = stepTimer.nsecsElapsed() / 1e9;
            stepTimer.restart();
            m_trainSeconds += stepSeconds;
            ++sessionBatches;
            sessionBatchSeconds += stepSeconds;
            ++i;
            const double commSeconds = m_comm->takeCommSeconds();
            ownIps = stepSeconds > 0 ? double(images) / stepSeconds : 0;
            ownComm = stepSeconds > 0 ? std::min(1.0, commSeconds / stepSeconds) : 0;

            BatchProgress progress;
            progress.epoch = epoch + 1;
            progress.epochs = m_epochs;
            progress.batch = i;
            progress.batches = m_nb;
            progress.globalStep = ni + 1;
            progress.loss = batchLoss;
            progress.meanLoss = mean;
            progress.lr = m_lastLr;
            progress.instances = int(batch->targets.size(0));
            // The job's throughput: every rank trains its share of the global batch meanwhile.
            progress.imagesPerSecond = ownIps * world;
            progress.dataWaitShare =
                stepSeconds > 0 ? std::min(1.0, batch->waitMs / 1000.0 / stepSeconds) : 0;
            progress.stepMs = stepSeconds * 1000.0;
            const double perBatch = sessionBatchSeconds / double(sessionBatches);
            progress.etaSeconds = perBatch * (double(m_epochs - epoch) * m_nb - i);
            progress.skipped = !finite;
            QJsonObject event{{QStringLiteral("epoch"), progress.epoch},
                              {QStringLiteral("batch"), progress.batch},
                              {QStringLiteral("batches"), m_nb},
                              {QStringLiteral("step"), double(progress.globalStep)},
                              {QStringLiteral("loss"), toJsonArray(batchLoss)},
                              {QStringLiteral("lr"), toJsonArray(m_lastLr)},
                              {QStringLiteral("ips"), progress.imagesPerSecond},
                              {QStringLiteral("wait"), progress.dataWaitShare},
                              {QStringLiteral("step_ms"), std::round(progress.stepMs * 10) / 10}};
            if (distributed()) {
                rankIps[0] = ownIps;
                progress.rankImagesPerSecond = rankIps;
                progress.commShare = ownComm;
                QJsonArray ips;
                for (double r : rankIps)
                    ips.append(r);
                event.insert(QStringLiteral("rank_ips"), ips);
                event.insert(QStringLiteral("comm"), ownComm);
            }
            if (lead()) {
                addHostFigures(event, *batch);
                progress.event = recordEvent(QStringLiteral("batch"), event);
            }
            if (m_tensorboard) {
                static const char *tags[] = {"batch/box_loss", "batch/cls_loss", "batch/dfl_loss"};
                Status written = okStatus();
                for (int k = 0; k < 3 && written; ++k)
                    written = m_tensorboard->scalar(QLatin1String(tags[k]), batchLoss[size_t(k)],
                                                    progress.globalStep);
                if (written && progress.globalStep % 20 == 0)
                    written = m_tensorboard->flush(); // live, without a syscall per batch
                if (!written)
                    tensorBoardFailed(written.error());
            }
            if (m_observer)
                m_observer->batchFinished(progress);

            if (distributed()) {
                // A pause anywhere holds every rank, polling together (a collective every 50 ms
                // keeps the job within its timeout), until the pause ends or a stop arrives.
                while (pauseNow && !stopNow) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    std::vector<torch::Tensor> flags{
                        torch::tensor({paused.load() ? 1.0 : 0.0, stopRequested.load() ? 1.0 : 0.0},
                                      torch::kFloat64)};
                    m_comm->allreduceSum(flags);
                    pauseNow = flags[0][0].item<double>() > 0;
                    stopNow = flags[0][1].item<double>() > 0;
                }
                m_comm->takeCommSeconds();
            } else {
                waitWhilePaused();
                stopNow = stopRequested.load();
            }
            stepTimer.restart(); // a pause is not training time
            if (stopNow && i < m_nb) {
                // Mid-epoch stop: last.pt holds this exact batch position (DESIGN.md §3); every
                // rank stops at this batch.
                m_partialMean = mean;
                m_partialCount = meanCount;
                const CheckpointData state = stateForSave(epoch, i);
                done.stopped = true;
                done.epochsDone = epoch;
                done.bestFitness = m_bestFitness;
                done.bestEpoch = m_bestEpoch;
                done.message = QStringLiteral("stopped by the user at epoch %1, batch %2")
                                   .arg(epoch + 1)
                                   .arg(i);
                if (lead()) {
                    saveCheckpoint({QStringLiteral("last.pt")}, state);
                    m_writer->flush();
                    say(LogLevel::Info,
                        QStringLiteral("Stopped at epoch %1 batch %2/%3; resume with resume=%4")
                            .arg(epoch + 1)
                            .arg(i)
                            .arg(m_nb)
                            .arg(m_log->weightsDir() + QStringLiteral("/last.pt")));
                    sayRunSummary();
                    m_tensorboard.reset();
                    m_log->appendEvent(QStringLiteral("run_end"),
                                       {{QStringLiteral("stopped"), true},
                                        {QStringLiteral("epoch"), epoch},
                                        {QStringLiteral("batch"), i}});
                }
                if (m_observer)
                    m_observer->runFinished(done);
                return done;
            }
        }
        m_partialMean = {};
        m_partialCount = 0;
        if (meanCount == 0)
            mean.fill(std::numeric_limits<double>::quiet_NaN()); // no finite batch this epoch

        // Epoch end: validation of the EMA model, history, checkpoints.
        const bool finalEpoch = epoch + 1 == m_epochs;
        EpochRecord record;
        record.epoch = epoch + 1;
        record.trainLoss = mean;
        record.lr = m_lastLr;
        ValidationOutput val;
        if (cfg.val || finalEpoch) {
            if (distributed()) {
                // Every rank validates rank 0's EMA model: its weights are everyone's already,
                // its BatchNorm statistics are rank 0's.
                std::vector<torch::Tensor> buffers;
                for (const auto &item : m_ema->module().named_buffers(true))
                    buffers.push_back(item.value());
                m_comm->broadcast(buffers);
            }
            val = m_validator->run(
                *m_emaModel, m_device, m_criterion.get(),
                [&](int b, int n) {
                    if (m_observer)
                        m_observer->validationProgress({epoch + 1, b, n});
                },
                nullptr, {}, m_comm.get());
            record.precision = val.metrics.precision;
            record.recall = val.metrics.recall;
            record.map50 = val.metrics.map50;
            record.map50_95 = val.metrics.map50_95;
            record.valLoss = val.loss;
        }
        record.fitness = cfg.fitnessMap50 * record.map50 + cfg.fitnessMap5095 * record.map50_95;
        m_trainSeconds += val.seconds;
        record.time = m_trainSeconds;
        m_history.push_back(record);
        appendHistoryJson(m_historyJson, record);
        restoreRunFolders();
        writeResults();

        const bool isBest =
            m_history.size() == 1 || m_bestEpoch == 0 || record.fitness > m_bestFitness;
        if (isBest) {
            m_bestFitness = record.fitness;
            m_bestEpoch = record.epoch;
            m_bestMetrics = val.metrics;
        }
        m_lastFitness = record.fitness;
        m_lastMetrics = QJsonObject{{QStringLiteral("metrics/precision(B)"), record.precision},
                                    {QStringLiteral("metrics/recall(B)"), record.recall},
                                    {QStringLiteral("metrics/mAP50(B)"), record.map50},
                                    {QStringLiteral("metrics/mAP50-95(B)"), record.map50_95}};
        const int sinceBest = record.epoch - m_bestEpoch;
        const std::array<bool, 2> stops =
            agreeOnStop(cfg.patience > 0 && sinceBest >= cfg.patience && !finalEpoch);
        const bool earlyStop = stops[0];

        EpochFinished finished;
        finished.record = record;
        finished.epochs = m_epochs;
        finished.isBest = isBest;
        finished.epochSeconds = epochTimer.nsecsElapsed() / 1e9;
        finished.patienceLeft = std::max(0, cfg.patience - sinceBest);
        QJsonObject ev = record.toJson();
        ev.insert(QStringLiteral("best"), isBest);
        ev.insert(QStringLiteral("epoch_seconds"), finished.epochSeconds);
        recordEvent(QStringLiteral("epoch"), ev);
        tensorBoardEpoch(record);
        if (m_observer && lead())
            m_observer->epochFinished(finished);

        CheckpointData state = stateForSave(epoch + 1, 0);
        if (lead()) {
            if (finalEpoch || earlyStop)
                state.meta.insert(QStringLiteral("final"), true); // keep= never removes it
            QStringList names{QStringLiteral("last.pt")};
            if (isBest)
                names << QStringLiteral("best.pt");
            if ((cfg.savePeriod > 0 && (epoch + 1) % cfg.savePeriod == 0) || finalEpoch ||
                earlyStop)
                names << QStringLiteral("epoch%1.pt").arg(epoch + 1);
            saveCheckpoint(names, state);
        }

        if ((finalEpoch || earlyStop) && lead()) {
            // As Ultralytics ends a run: the table of best.pt's epoch (this process validated it;
            // after a resume the best epoch may predate it, then the last epoch's table is shown).
            const bool bestKnown = m_bestMetrics && !m_bestMetrics->perClass.empty();
            const DetectionMetrics &shown = bestKnown ? *m_bestMetrics : val.metrics;
            if (!shown.perClass.empty()) {
                say(LogLevel::Info, bestKnown
                                        ? QStringLiteral("best.pt (epoch %1):").arg(m_bestEpoch)
                                        : QStringLiteral("epoch %1:").arg(epoch + 1));
                say(LogLevel::Info, formatMetricsTable(shown));
            }
        }
        if (earlyStop) {
            say(LogLevel::Info,
                QStringLiteral("Stopping training early: no improvement in the last "
                               "%1 epochs. Best results at epoch %2.")
                    .arg(cfg.patience)
                    .arg(m_bestEpoch));
            done.earlyStopped = true;
            break;
        }
        if (stops[1]) {
            done.stopped = true;
            break;
        }
    }

    if (m_writer)
        m_writer->flush();
    if (!done.stopped && cfg.strip && lead())
        stripFinalCheckpoints();
    done.epochsDone = int(m_history.size());
    done.bestFitness = m_bestFitness;
    done.bestEpoch = m_bestEpoch;
    if (!lead()) {
        done.message = QStringLiteral("rank %1 done").arg(m_comm->rank());
    } else if (done.stopped) {
        // Stopped at an epoch boundary (during the last batch or the validation): last.pt is
        // that boundary, and the user needs the same hint as after a mid-epoch stop.
        const QString last = m_log->weightsDir() + QStringLiteral("/last.pt");
        done.message = QStringLiteral("stopped by the user after epoch %1; resume with resume=%2")
                           .arg(done.epochsDone)
                           .arg(last);
        say(LogLevel::Info, QStringLiteral("Stopped after epoch %1/%2; resume with resume=%3")
                                .arg(done.epochsDone)
                                .arg(m_epochs)
                                .arg(last));
    } else {
        done.message = QStringLiteral("%1 epochs completed in %2 h. Results saved to %3")
                           .arg(done.epochsDone)
                           .arg(m_trainSeconds / 3600.0, 0, 'f', 3)
                           .arg(m_log->runDir());
    }
    m_tensorboard.reset();
    if (lead())
        sayRunSummary();
    for (const QString &line : m_writeFaults.summary())
        say(LogLevel::Warning, line);
    if (m_log)
        m_log->appendEvent(QStringLiteral("run_end"),
                           {{QStringLiteral("epochs_done"), done.epochsDone},
                            {QStringLiteral("stopped"), done.stopped},
                            {QStringLiteral("early_stopped"), done.earlyStopped},
                            {QStringLiteral("best_epoch"), m_bestEpoch}});
    if (m_observer)
        m_observer->runFinished(done);
    return done;
}

Trainer::Trainer(TrainConfig config)
    : d(std::make_unique<Impl>(std::move(config)))
{}

Trainer::Trainer(ResumePlan plan)
    : d(std::make_unique<Impl>(plan.config))
{
    d->plan = std::move(plan);
}

Trainer::~Trainer() = default;

RunFinished Trainer::run(TrainingObserver *observer)
{
    return d->run(observer);
}
void Trainer::requestStop()
{
    d->stopRequested.store(true);
}
void Trainer::setPaused(bool paused)
{
    d->paused.store(paused);
}
bool Trainer::isPaused() const
{
    return d->paused.load();
}
void Trainer::setNonFiniteLossInjector(std::function<bool(int, int)> predicate)
{
    d->nanInjector = std::move(predicate);
}
void Trainer::setBatchNormFrozen(bool frozen)
{
    d->frozenBatchNorm = frozen;
}
void Trainer::setFreeSpaceProbe(std::function<qint64(const QString &folder)> probe)
{
    d->freeSpaceProbe = std::move(probe);
}

} // namespace yolodeck
