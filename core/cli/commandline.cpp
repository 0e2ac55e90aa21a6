#include "core/cli/commandline.h"

#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/common/textutil.h"
#include "core/data/augment.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/imageio.h"
#include "core/data/synthdataset.h"
#include "core/eval/metricstable.h"
#include "core/eval/nms.h"
#include "core/eval/predictionfiles.h"
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"
#include "core/runlog/runlog.h"
#include "core/train/modelstate.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainer.h"
#include "core/train/validator.h"
#include "version.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace yolodeck {

namespace {

std::atomic<Trainer *> g_activeTrainer{nullptr};

using KeyValues = QMap<QString, QString>;

// key=value words of a mode other than train; unknown keys are errors naming the valid ones.
Result<KeyValues> parseKeys(const QStringList &args, const QStringList &allowed)
{
    KeyValues out;
    for (const QString &a : args) {
        const int eq = a.indexOf(QLatin1Char('='));
        if (eq <= 0)
            return Result<KeyValues>::fail(QStringLiteral("'%1' is not key=value (valid keys: %2)")
                                               .arg(a, allowed.join(QLatin1Char(' '))));
        const QString key = a.left(eq).trimmed();
        if (!allowed.contains(key)) {
            return Result<KeyValues>::fail(QStringLiteral("unknown key '%1'; valid keys: %2")
                                               .arg(key, allowed.join(QLatin1Char(' '))));
        }
        out.insert(key, a.mid(eq + 1).trimmed());
    }
    return Result<KeyValues>::ok(out);
}

Result<int> intKey(const KeyValues &keys, const QString &key, int fallback, int min, int max)
{
    if (!keys.contains(key))
        return Result<int>::ok(fallback);
    bool ok = false;
    const int v = keys.value(key).toInt(&ok);
    if (!ok || v < min || v > max)
        return Result<int>::fail(
            QStringLiteral("%1=%2 is not valid: expected a whole number in %3..%4")
                .arg(key, keys.value(key))
                .arg(min)
                .arg(max));
    return Result<int>::ok(v);
}

Result<double> doubleKey(const KeyValues &keys, const QString &key, double fallback)
{
    if (!keys.contains(key))
        return Result<double>::ok(fallback);
    bool ok = false;
    const double v = keys.value(key).toDouble(&ok);
    if (!ok || v < 0 || v > 1)
        return Result<double>::fail(QStringLiteral("%1=%2 is not valid: expected a number in 0..1")
                                        .arg(key, keys.value(key)));
    return Result<double>::ok(v);
}

QString formatDuration(double seconds)
{
    const qint64 s = qint64(seconds + 0.5);
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
        .arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString formatMetric(double v)
{
    return std::isnan(v) ? QStringLiteral("-") : QString::number(v, 'f', 4);
}

// Prints a run: a live progress line per batch on a terminal, one line per epoch otherwise.
class TerminalReporter final : public TrainingObserver
{
public:
    TerminalReporter(QTextStream &out, QTextStream &err, bool interactive)
        : m_out(out)
        , m_err(err)
        , m_interactive(interactive)
    {}

    void runStarted(const RunStarted &s) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << QStringLiteral(
                     "YoloDeck %1 · %2 · %3 classes · %4 parameters · %5 (%6 threads, %7 "
                     "workers)\n")
                     .arg(QStringLiteral(YOLODECK_VERSION), s.modelName)
                     .arg(s.nc)
                     .arg(s.parameters)
                     .arg(s.device)
                     .arg(s.threads)
                     .arg(s.workers);
        m_out << QStringLiteral("%1 run: %2 train / %3 val images, %4 batches per epoch, epochs "
                                "%5..%6 → %7\n")
                     .arg(s.mode)
                     .arg(s.trainImages)
                     .arg(s.valImages)
                     .arg(s.batchesPerEpoch)
                     .arg(s.startEpoch + 1)
                     .arg(s.epochs)
                     .arg(s.runDir);
        if (!s.exact)
            m_out << QStringLiteral("NOTE: this resume is not exact (forced overrides)\n");
        m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7\n")
                     .arg(QStringLiteral("Epoch"), 9)
                     .arg(QStringLiteral("box_loss"), 9)
                     .arg(QStringLiteral("cls_loss"), 9)
                     .arg(QStringLiteral("dfl_loss"), 9)
                     .arg(QStringLiteral("P"), 7)
                     .arg(QStringLiteral("R"), 7)
                     .arg(QStringLiteral("mAP50  mAP50-95  time"));
        m_out.flush();
    }

    void batchFinished(const BatchProgress &p) override
    {
        if (!m_interactive)
            return;
        std::lock_guard<std::mutex> lock(m_mutex);
        constexpr int width = 20;
        const int filled = p.batches > 0 ? width * p.batch / p.batches : 0;
        const QString bar =
            QString(filled, QLatin1Char('#')) + QString(width - filled, QLatin1Char('.'));
        m_out << QStringLiteral("\r%1 %2 %3 %4 [%5] %6/%7 %8 img/s ETA %9   ")
                     .arg(QStringLiteral("%1/%2").arg(p.epoch).arg(p.epochs), 9)
                     .arg(p.meanLoss[0], 9, 'f', 4)
                     .arg(p.meanLoss[1], 9, 'f', 4)
                     .arg(p.meanLoss[2], 9, 'f', 4)
                     .arg(bar)
                     .arg(p.batch)
                     .arg(p.batches)
                     .arg(p.imagesPerSecond, 0, 'f', 1)
                     .arg(formatDuration(p.etaSeconds));
        m_out.flush();
        m_lineOpen = true;
    }

    void validationProgress(const ValidationProgress &v) override
    {
        if (!m_interactive)
            return;
        std::lock_guard<std::mutex> lock(m_mutex);
        m_out << QStringLiteral("\r%1 validating %2/%3%4")
                     .arg(QString(), 9)
                     .arg(v.batch)
                     .arg(v.batches)
                     .arg(QString(60, QLatin1Char(' ')));
        m_out.flush();
        m_lineOpen = true;
    }

    void epochFinished(const EpochFinished &e) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        closeLine();
        const EpochRecord &r = e.record;
        m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
                     .arg(QStringLiteral("%1/%2").arg(r.epoch).arg(e.epochs), 9)
                     .arg(r.trainLoss[0], 9, 'f', 4)
                     .arg(r.trainLoss[1], 9, 'f', 4)
                     .arg(r.trainLoss[2], 9, 'f', 4)
                     .arg(r.precision, 7, 'f', 3)
                     .arg(r.recall, 7, 'f', 3)
                     .arg(r.map50, 6, 'f', 3)
                     .arg(r.map50_95, 9, 'f', 3)
                     .arg(QStringLiteral("%1s%2")
                              .arg(e.epochSeconds, 0, 'f', 1)
                              .arg(e.isBest ? QStringLiteral("  best") : QString()));
        m_out.flush();
    }

    void checkpointSaved(const CheckpointSaved &c) override
    {
        if (c.ok)
            return;
        std::lock_guard<std::mutex> lock(m_mutex);
        closeLine();
        m_err << QStringLiteral("ERROR checkpoint %1 not saved: %2\n").arg(c.path, c.error);
        m_err.flush();
    }

    void message(LogLevel level, const QString &text) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        closeLine();
        if (level == LogLevel::Info) {
            m_out << text << '\n';
            m_out.flush();
        } else {
            m_err << (level == LogLevel::Warning ? QStringLiteral("WARNING ")
                                                 : QStringLiteral("ERROR "))
                  << text << '\n';
            m_err.flush();
        }
    }

    void runFinished(const RunFinished &f) override
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        closeLine();
        if (f.failed) {
            m_err << QStringLiteral("ERROR %1\n").arg(f.message);
            m_err.flush();
            return;
        }
        m_out << f.message << '\n';
        if (f.bestEpoch > 0)
            m_out << QStringLiteral("Best epoch %1 (fitness %2)\n")
                         .arg(f.bestEpoch)
                         .arg(formatG6(f.bestFitness));
        m_out.flush();
    }

private:
    void closeLine()
    {
        if (m_lineOpen) {
            m_out << '\r' << QString(110, QLatin1Char(' ')) << '\r';
            m_lineOpen = false;
        }
    }

    QTextStream &m_out;
    QTextStream &m_err;
    bool m_interactive;
    bool m_lineOpen = false;
    std::mutex m_mutex;
};

// threads=, device= and model= of val and predict: the model on its device, ready for inference.
struct InferenceSetup
{
    torch::Device device{torch::kCPU};
    LoadedModel model;
};

Result<InferenceSetup> prepareInference(const KeyValues &keys)
{
    const Result<int> threads = intKey(keys, QStringLiteral("threads"), 0, 0, 1024);
    if (!threads)
        return Result<InferenceSetup>::fail(threads.error());
    torch::set_num_threads(threads.value() > 0
                               ? threads.value()
                               : int(std::max(1u, std::thread::hardware_concurrency())));
    const Result<torch::Device> device = selectDevice(keys.value(QStringLiteral("device")));
    if (!device)
        return Result<InferenceSetup>::fail(device.error());
    Result<LoadedModel> loaded =
        loadModelForInference(keys.value(QStringLiteral("model")), device.value());
    if (!loaded)
        return Result<InferenceSetup>::fail(loaded.error());
    InferenceSetup setup;
    setup.device = device.value();
    setup.model = loaded.take();
    return Result<InferenceSetup>::ok(std::move(setup));
}

QJsonObject metricsToJson(const DetectionMetrics &m, double w50, double w5095)
{
    QJsonObject json{{QStringLiteral("metrics/precision(B)"), m.precision},
                     {QStringLiteral("metrics/recall(B)"), m.recall},
                     {QStringLiteral("metrics/mAP50(B)"), m.map50},
                     {QStringLiteral("metrics/mAP50-95(B)"), m.map50_95},
                     {QStringLiteral("fitness"), m.fitness(w50, w5095)},
                     {QStringLiteral("images"), m.images},
                     {QStringLiteral("instances"), m.instances}};
    QJsonArray perClass;
    for (const ClassMetrics &c : m.perClass) {
        perClass.append(QJsonObject{{QStringLiteral("class"), c.cls},
                                    {QStringLiteral("name"), c.name},
                                    {QStringLiteral("images"), c.images},
                                    {QStringLiteral("instances"), c.instances},
                                    {QStringLiteral("metrics/precision(B)"), c.precision},
                                    {QStringLiteral("metrics/recall(B)"), c.recall},
                                    {QStringLiteral("metrics/mAP50(B)"), c.ap50},
                                    {QStringLiteral("metrics/mAP50-95(B)"), c.ap50_95}});
    }
    json.insert(QStringLiteral("per_class"), perClass);
    return json;
}

} // namespace

CommandLine::CommandLine(QTextStream &out, QTextStream &err)
    : m_out(out)
    , m_err(err)
{}

void CommandLine::requestStop()
{
    if (Trainer *t = g_activeTrainer.load())
        t->requestStop();
}

int CommandLine::usage(int code)
{
    QTextStream &s = code == 0 ? m_out : m_err;
    s << QStringLiteral(
             "usage: yolodeck-cli MODE key=value ...\n"
             "  train  data=Y model=n|s|m|l|x|tiny|FILE.pt epochs=100 imgsz=640 batch=16 ...\n"
             "         resume=true|FILE [epochs=N] [force=true]   continue a run exactly\n"
             "  val    model=W data=Y [imgsz= batch= conf= iou= device= threads=]\n"
             "  val    data=Y predictions=DIR [split=val|test|train]   score saved YOLO txt "
             "predictions\n"
             "  predict model=W source=IMAGE|DIR [conf=0.25 iou=0.7 imgsz= threads=]\n"
             "  info   model=n|...|FILE.pt [nc=80] [imgsz=640]\n"
             "  synth  out=DIR [train=128 val=32 imgsz=96 classes=3 seed=0]\n"
             "  checkpoints RUN_DIR\n"
             "  inspect FILE [hash=true]\n"
             "  version\n"
             "Training keys (Ultralytics names and defaults): %1\n")
             .arg(TrainConfig::keys().join(QLatin1Char(' ')));
    s.flush();
    return code;
}

int CommandLine::run(const QStringList &arguments)
{
    if (arguments.isEmpty())
        return usage(2);
    const QString mode = arguments.first();
    const QStringList args = arguments.mid(1);
    if (mode == QLatin1String("help") || mode == QLatin1String("--help") ||
        mode == QLatin1String("-h"))
        return usage(0);
    if (mode == QLatin1String("version") || mode == QLatin1String("--version")) {
        m_out << QStringLiteral("yolodeck-cli %1 (LibTorch %2)\n")
                     .arg(QStringLiteral(YOLODECK_VERSION), QStringLiteral(TORCH_VERSION));
        return 0;
    }
    try {
        if (mode == QLatin1String("train"))
            return train(args);
        if (mode == QLatin1String("val"))
            return val(args);
        if (mode == QLatin1String("predict"))
            return predict(args);
        if (mode == QLatin1String("info"))
            return info(args);
        if (mode == QLatin1String("synth"))
            return synth(args);
        if (mode == QLatin1String("checkpoints"))
            return checkpoints(args);
        if (mode == QLatin1String("inspect"))
            return inspect(args);
    } catch (const c10::Error &e) {
        m_err << QStringLiteral("ERROR LibTorch: %1\n")
                     .arg(QString::fromStdString(e.what_without_backtrace()));
        return 1;
    } catch (const std::exception &e) {
        m_err << QStringLiteral("ERROR %1\n").arg(QString::fromStdString(e.what()));
        return 1;
    }
    m_err << QStringLiteral("unknown mode '%1'; valid modes: train val predict info synth "
                            "checkpoints inspect version\n")
                 .arg(mode);
    return 2;
}

int CommandLine::train(const QStringList &args)
{
    Result<TrainConfig> parsed = TrainConfig::fromArguments(args);
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    TrainConfig config = parsed.take();
    TerminalReporter reporter(m_out, m_err, isatty(STDOUT_FILENO));

    std::unique_ptr<Trainer> trainer;
    const QString resume = config.resume;
    if (resume.compare(QLatin1String("false"), Qt::CaseInsensitive) != 0) {
        QString path = resume;
        if (resume.compare(QLatin1String("true"), Qt::CaseInsensitive) == 0) {
            const Result<QString> newest = ResumePlanner::newestLastCheckpoint(config.project);
            if (!newest) {
                m_err << QStringLiteral("ERROR %1\n").arg(newest.error());
                return 2;
            }
            path = newest.value();
        }
        QMap<QString, QString> overrides;
        for (const QString &a : args) {
            const int eq = a.indexOf(QLatin1Char('='));
            overrides.insert(a.left(eq).trimmed(), a.mid(eq + 1).trimmed());
        }
        ResumePlan plan = ResumePlanner::plan(path, overrides);
        for (const QString &c : plan.checks)
            m_out << QStringLiteral("  ok  %1\n").arg(c);
        for (const QString &w : plan.warnings)
            m_err << QStringLiteral("WARNING %1\n").arg(w);
        if (plan.mode != ResumePlan::Mode::Continue && plan.mode != ResumePlan::Mode::Branch) {
            m_err << QStringLiteral("ERROR %1\n").arg(plan.summary());
            return 2;
        }
        m_out << plan.summary() << '\n';
        m_out.flush();
        trainer = std::make_unique<Trainer>(std::move(plan));
    } else {
        trainer = std::make_unique<Trainer>(config);
    }
    g_activeTrainer.store(trainer.get());
    const RunFinished done = trainer->run(&reporter);
    g_activeTrainer.store(nullptr);
    if (done.failed)
        return 1;
    return done.stopped ? 130 : 0;
}

int CommandLine::val(const QStringList &args)
{
    const Result<KeyValues> parsed = parseKeys(
        args, {QStringLiteral("model"), QStringLiteral("data"), QStringLiteral("imgsz"),
               QStringLiteral("batch"), QStringLiteral("conf"), QStringLiteral("iou"),
               QStringLiteral("max_det"), QStringLiteral("device"), QStringLiteral("workers"),
               QStringLiteral("threads"), QStringLiteral("project"), QStringLiteral("name"),
               QStringLiteral("predictions"), QStringLiteral("split")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("data"))) {
        m_err << QStringLiteral("ERROR val needs data= (a data.yaml)\n");
        return 2;
    }
    const QString splitText = k.value(QStringLiteral("split"), QStringLiteral("val"));
    if (splitText != QLatin1String("val") && splitText != QLatin1String("test") &&
        splitText != QLatin1String("train")) {
        m_err << QStringLiteral("ERROR split=%1 is not valid: choose one of val, test, train\n")
                     .arg(splitText);
        return 2;
    }
    const Split split = splitText == QLatin1String("test")    ? Split::Test
                        : splitText == QLatin1String("train") ? Split::Train
                                                              : Split::Val;
    const Result<DatasetConfig> data = DatasetConfig::load(k.value(QStringLiteral("data")));
    if (!data) {
        m_err << QStringLiteral("ERROR %1\n").arg(data.error());
        return 2;
    }
    const Result<Dataset> dataset = Dataset::scan(data.value(), split);
    if (!dataset) {
        m_err << QStringLiteral("ERROR %1\n").arg(dataset.error());
        return 2;
    }
    for (const DataIssue &issue : dataset.value().issues())
        m_err << QStringLiteral("WARNING %1: %2\n").arg(issue.file, issue.reason);

    const Result<QString> runDir =
        RunLog::createRunDir(k.value(QStringLiteral("project"), QStringLiteral("runs/detect")),
                             k.value(QStringLiteral("name"), QStringLiteral("val")), false);
    if (!runDir) {
        m_err << QStringLiteral("ERROR %1\n").arg(runDir.error());
        return 1;
    }
    QDir().rmdir(runDir.value() + QStringLiteral("/weights")); // a val run saves no weights

    DetectionMetrics metrics;
    QJsonObject json;
    if (k.contains(QStringLiteral("predictions"))) {
        if (k.contains(QStringLiteral("model"))) {
            m_err << QStringLiteral("ERROR give either model= or predictions=, not both\n");
            return 2;
        }
        std::vector<ScoredImage> images;
        for (const ImageRecord &r : dataset.value().records()) {
            ScoredImage s;
            s.imagePath = r.imagePath;
            s.width = r.width;
            s.height = r.height;
            for (const LabelBox &b : r.boxes)
                s.labels.push_back({b.cls, b.cx, b.cy, b.w, b.h});
            images.push_back(std::move(s));
        }
        std::vector<PredictionIssue> issues;
        Result<DetectionMetrics> scored = scorePredictionFolder(
            images, k.value(QStringLiteral("predictions")), dataset.value().names(), &issues);
        for (const PredictionIssue &issue : issues)
            m_err << QStringLiteral("WARNING %1: %2\n").arg(issue.file, issue.reason);
        if (!scored) {
            m_err << QStringLiteral("ERROR %1\n").arg(scored.error());
            return 2;
        }
        metrics = scored.take();
        json = metricsToJson(metrics, 0.1, 0.9);
        json.insert(QStringLiteral("predictions"),
                    QFileInfo(k.value(QStringLiteral("predictions"))).absoluteFilePath());
    } else {
        if (!k.contains(QStringLiteral("model"))) {
            m_err << QStringLiteral(
                "ERROR val needs model= (a checkpoint) or predictions= (a folder "
                "of YOLO txt files)\n");
            return 2;
        }
        Result<InferenceSetup> loaded = prepareInference(k);
        if (!loaded) {
            m_err << QStringLiteral("ERROR %1\n").arg(loaded.error());
            return 2;
        }
        if (loaded.value().model.model->nc() != dataset.value().nc()) {
            m_err << QStringLiteral("ERROR %1 has %2 classes, %3 has %4\n")
                         .arg(k.value(QStringLiteral("model")))
                         .arg(loaded.value().model.model->nc())
                         .arg(k.value(QStringLiteral("data")))
                         .arg(dataset.value().nc());
            return 2;
        }
        ValidationOptions vo;
        const Result<int> imgsz =
            intKey(k, QStringLiteral("imgsz"), loaded.value().model.imgsz, 32, 8192);
        const Result<int> batch = intKey(k, QStringLiteral("batch"), 16, 1, 4096);
        const Result<int> workers = intKey(k, QStringLiteral("workers"), 2, 0, 64);
        const Result<int> maxDet = intKey(k, QStringLiteral("max_det"), 300, 1, 100000);
        const Result<double> conf = doubleKey(k, QStringLiteral("conf"), 0.001);
        const Result<double> iou = doubleKey(k, QStringLiteral("iou"), 0.7);
        for (const QString &e : {imgsz.error(), batch.error(), workers.error(), maxDet.error(),
                                 conf.error(), iou.error()}) {
            if (!e.isEmpty()) {
                m_err << QStringLiteral("ERROR %1\n").arg(e);
                return 2;
            }
        }
        if (imgsz.value() % 32 != 0) {
            m_err << QStringLiteral("ERROR imgsz=%1 is not valid: it must be a multiple of 32\n")
                         .arg(imgsz.value());
            return 2;
        }
        vo.imgsz = imgsz.value();
        vo.batch = batch.value();
        vo.workers = workers.value();
        vo.maxDet = maxDet.value();
        vo.conf = float(conf.value());
        vo.iou = float(iou.value());
        Validator validator(dataset.value(), vo);
        LossGains gains;
        DetectionLoss criterion(loaded.value().model.model->nc(),
                                loaded.value().model.model->strides(), gains,
                                loaded.value().model.model->regMax());
        const ValidationOutput out =
            validator.run(*loaded.value().model.model, loaded.value().device, &criterion);
        metrics = out.metrics;
        json = metricsToJson(metrics, 0.1, 0.9);
        json.insert(QStringLiteral("val/box_loss"), out.loss[0]);
        json.insert(QStringLiteral("val/cls_loss"), out.loss[1]);
        json.insert(QStringLiteral("val/dfl_loss"), out.loss[2]);
        json.insert(QStringLiteral("speed/images_per_second"), out.imagesPerSecond);
        json.insert(QStringLiteral("model"),
                    QFileInfo(k.value(QStringLiteral("model"))).absoluteFilePath());
        m_out << QStringLiteral("%1 images in %2 s (%3 images/s including NMS)\n")
                     .arg(out.images)
                     .arg(out.seconds, 0, 'f', 2)
                     .arg(out.imagesPerSecond, 0, 'f', 1);
    }
    json.insert(QStringLiteral("data"), data.value().yamlPath);
    json.insert(QStringLiteral("split"), splitText);
    m_out << formatMetricsTable(metrics) << '\n';
    QString error;
    const QString jsonPath = runDir.value() + QStringLiteral("/metrics.json");
    if (!writeFileAtomically(jsonPath, QJsonDocument(json).toJson(), &error)) {
        m_err << QStringLiteral("ERROR %1\n").arg(error);
        return 1;
    }
    m_out << QStringLiteral("Results saved to %1\n").arg(jsonPath);
    return 0;
}

int CommandLine::predict(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("model"), QStringLiteral("source"), QStringLiteral("imgsz"),
                         QStringLiteral("conf"), QStringLiteral("iou"), QStringLiteral("max_det"),
                         QStringLiteral("device"), QStringLiteral("threads"),
                         QStringLiteral("project"), QStringLiteral("name")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("model")) || !k.contains(QStringLiteral("source"))) {
        m_err << QStringLiteral("ERROR predict needs model= and source=\n");
        return 2;
    }
    const QString source = k.value(QStringLiteral("source"));
    QStringList images;
    const QFileInfo sourceInfo(source);
    if (sourceInfo.isDir()) {
        QDirIterator it(source, QDir::Files);
        while (it.hasNext()) {
            const QString p = it.next();
            if (hasImageSuffix(p))
                images << p;
        }
        images.sort();
    } else if (sourceInfo.isFile()) {
        images << source;
    }
    if (images.isEmpty()) {
        m_err << QStringLiteral("ERROR source=%1: no image found\n").arg(source);
        return 2;
    }
    Result<InferenceSetup> loaded = prepareInference(k);
    if (!loaded) {
        m_err << QStringLiteral("ERROR %1\n").arg(loaded.error());
        return 2;
    }
    const Result<int> imgsz =
        intKey(k, QStringLiteral("imgsz"), loaded.value().model.imgsz, 32, 8192);
    const Result<double> conf =
        doubleKey(k, QStringLiteral("conf"), 0.25); // Ultralytics' predict default
    const Result<double> iou = doubleKey(k, QStringLiteral("iou"), 0.7);
    const Result<int> maxDet = intKey(k, QStringLiteral("max_det"), 300, 1, 100000);
    for (const QString &e : {imgsz.error(), conf.error(), iou.error(), maxDet.error()}) {
        if (!e.isEmpty()) {
            m_err << QStringLiteral("ERROR %1\n").arg(e);
            return 2;
        }
    }
    const int size = (imgsz.value() + 31) / 32 * 32;
    const Result<QString> runDir =
        RunLog::createRunDir(k.value(QStringLiteral("project"), QStringLiteral("runs/detect")),
                             k.value(QStringLiteral("name"), QStringLiteral("predict")), false);
    if (!runDir) {
        m_err << QStringLiteral("ERROR %1\n").arg(runDir.error());
        return 1;
    }
    QDir().rmdir(runDir.value() + QStringLiteral("/weights"));
    QDir().mkpath(runDir.value() + QStringLiteral("/labels"));
    const QStringList &names = loaded.value().model.names;
    torch::NoGradGuard noGrad;
    int failed = 0;
    for (const QString &path : images) {
        QString error;
        cv::Mat image = loadImage(path, &error);
        if (image.empty()) {
            m_err << QStringLiteral("WARNING %1: %2 (skipped)\n").arg(path, error);
            ++failed;
            continue;
        }
        Letterbox lb;
        const cv::Mat input = letterbox(image, size, true, &lb);
        cv::Mat rgb;
        cv::cvtColor(input, rgb, cv::COLOR_BGR2RGB);
        torch::Tensor x = torch::from_blob(rgb.data, {1, size, size, 3}, torch::kUInt8)
                              .permute({0, 3, 1, 2})
                              .to(torch::kFloat32)
                              .div(255.0)
                              .contiguous()
                              .to(loaded.value().device);
        const torch::Tensor pred =
            loaded.value().model.model->decode(loaded.value().model.model->forward(x));
        const torch::Tensor dets =
            nonMaxSuppression(pred, float(conf.value()), float(iou.value()), maxDet.value())[0];
        const std::vector<Detection> found = toOriginalDetections(dets, lb);
        const QString stem = QFileInfo(path).completeBaseName();
        writePredictionFile(runDir.value() + QStringLiteral("/labels/") + stem +
                                QStringLiteral(".txt"),
                            found, image.cols, image.rows);
        const int thickness = std::max(1, int(std::lround((image.cols + image.rows) / 2 * 0.003)));
        for (const Detection &d : found) {
            const cv::Scalar colour((d.cls * 67) % 255, (d.cls * 151 + 80) % 255,
                                    (d.cls * 29 + 200) % 255);
            cv::rectangle(image, cv::Point(int(d.x1), int(d.y1)), cv::Point(int(d.x2), int(d.y2)),
                          colour, thickness);
            const QString label =
                QStringLiteral("%1 %2")
                    .arg(d.cls < names.size() ? names[d.cls] : QString::number(d.cls))
                    .arg(d.conf, 0, 'f', 2);
            cv::putText(image, label.toStdString(),
                        cv::Point(int(d.x1), std::max(10, int(d.y1) - 3)), cv::FONT_HERSHEY_SIMPLEX,
                        0.4 * thickness, colour, thickness);
        }
        const QString outPath = runDir.value() + QLatin1Char('/') + stem + QStringLiteral(".jpg");
        cv::imwrite(outPath.toStdString(), image);
        m_out << QStringLiteral("%1: %2 detections\n").arg(path).arg(found.size());
    }
    m_out << QStringLiteral("Results saved to %1\n").arg(runDir.value());
    return failed == images.size() ? 1 : 0;
}

int CommandLine::info(const QStringList &args)
{
    const Result<KeyValues> parsed =
        parseKeys(args, {QStringLiteral("model"), QStringLiteral("nc"), QStringLiteral("imgsz")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    const QString model = k.value(QStringLiteral("model"), QStringLiteral("n"));
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), 640, 32, 8192);
    const Result<int> nc = intKey(k, QStringLiteral("nc"), 80, 1, 100000);
    if (!imgsz || !nc) {
        m_err << QStringLiteral("ERROR %1\n").arg(imgsz ? nc.error() : imgsz.error());
        return 2;
    }
    if (model.endsWith(QLatin1String(".pt"))) {
        Result<LoadedModel> loaded = loadModelForInference(model, torch::Device(torch::kCPU));
        if (!loaded) {
            m_err << QStringLiteral("ERROR %1\n").arg(loaded.error());
            return 2;
        }
        m_out << loaded.value().model->summary(
                     k.contains(QStringLiteral("imgsz")) ? imgsz.value() : loaded.value().imgsz)
              << '\n';
        m_out
            << QStringLiteral("classes: %1\n").arg(loaded.value().names.join(QStringLiteral(", ")));
        return 0;
    }
    const std::optional<ModelScale> scale = modelScale(model);
    if (!scale) {
        m_err << QStringLiteral("ERROR model=%1 is not valid: use a scale (%2) or a .pt file\n")
                     .arg(model, modelScaleNames().join(QStringLiteral(", ")));
        return 2;
    }
    YoloModel m(*scale, nc.value());
    m_out << m->summary(imgsz.value()) << '\n';
    return 0;
}

int CommandLine::synth(const QStringList &args)
{
    const Result<KeyValues> parsed = parseKeys(
        args, {QStringLiteral("out"), QStringLiteral("train"), QStringLiteral("val"),
               QStringLiteral("imgsz"), QStringLiteral("classes"), QStringLiteral("seed")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("out"))) {
        m_err << QStringLiteral("ERROR synth needs out=DIR\n");
        return 2;
    }
    SynthOptions o;
    o.dir = k.value(QStringLiteral("out"));
    const Result<int> train = intKey(k, QStringLiteral("train"), o.train, 1, 1000000);
    const Result<int> val = intKey(k, QStringLiteral("val"), o.val, 1, 1000000);
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), o.imgsz, 32, 4096);
    const Result<int> classes = intKey(k, QStringLiteral("classes"), o.classes, 1, 40);
    const Result<int> seed = intKey(k, QStringLiteral("seed"), 0, 0, 2147483647);
    for (const QString &e :
         {train.error(), val.error(), imgsz.error(), classes.error(), seed.error()}) {
        if (!e.isEmpty()) {
            m_err << QStringLiteral("ERROR %1\n").arg(e);
            return 2;
        }
    }
    o.train = train.value();
    o.val = val.value();
    o.imgsz = imgsz.value();
    o.classes = classes.value();
    o.seed = uint64_t(seed.value());
    const Status written = writeSynthDataset(o);
    if (!written) {
        m_err << QStringLiteral("ERROR %1\n").arg(written.error());
        return 1;
    }
    m_out << QStringLiteral("Wrote %1 train + %2 val images of %3 classes to %4/data.yaml\n")
                 .arg(o.train)
                 .arg(o.val)
                 .arg(o.classes)
                 .arg(QDir(o.dir).absolutePath());
    return 0;
}

int CommandLine::checkpoints(const QStringList &args)
{
    if (args.size() != 1) {
        m_err << QStringLiteral("ERROR usage: yolodeck-cli checkpoints RUN_DIR\n");
        return 2;
    }
    if (!QFileInfo(args[0]).isDir()) {
        m_err << QStringLiteral("ERROR %1: no such folder\n").arg(args[0]);
        return 2;
    }
    const std::vector<CheckpointInfo> list = listCheckpoints(args[0]);
    m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                 .arg(QStringLiteral("file"), -14)
                 .arg(QStringLiteral("kind"), -8)
                 .arg(QStringLiteral("epoch"), 5)
                 .arg(QStringLiteral("batch"), 5)
                 .arg(QStringLiteral("mAP50"), 7)
                 .arg(QStringLiteral("mAP50-95"), 8)
                 .arg(QStringLiteral("fitness"), 7)
                 .arg(QStringLiteral("size"), 9)
                 .arg(QStringLiteral("time"));
    for (const CheckpointInfo &c : list) {
        const QString file = QFileInfo(c.path).fileName();
        if (!c.isValid()) {
            m_out << QStringLiteral("%1 unreadable: %2\n").arg(file, -14).arg(c.error);
            continue;
        }
        m_out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8  %9\n")
                     .arg(file, -14)
                     .arg(c.kind, -8)
                     .arg(c.epoch, 5)
                     .arg(c.batch, 5)
                     .arg(formatMetric(c.map50), 7)
                     .arg(formatMetric(c.map50_95), 8)
                     .arg(formatMetric(c.fitness), 7)
                     .arg(QStringLiteral("%1 MB").arg(c.size / 1e6, 0, 'f', 1), 9)
                     .arg(c.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")));
    }
    if (list.empty())
        m_out << QStringLiteral("(no checkpoints in %1)\n").arg(args[0]);
    return 0;
}

int CommandLine::inspect(const QStringList &args)
{
    QString file;
    bool hash = false;
    for (const QString &a : args) {
        if (a.startsWith(QLatin1String("hash=")))
            hash = a.mid(5).toLower() == QLatin1String("true");
        else if (file.isEmpty())
            file = a;
        else {
            m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true]\n");
            return 2;
        }
    }
    if (file.isEmpty()) {
        m_err << QStringLiteral("ERROR usage: yolodeck-cli inspect FILE [hash=true]\n");
        return 2;
    }
    const Result<QJsonObject> meta = readCheckpointMeta(file);
    if (!meta) {
        m_err << QStringLiteral("ERROR %1\n").arg(meta.error());
        return 2;
    }
    QJsonObject shown = meta.value();
    shown.remove(QStringLiteral("history")); // long; results.csv holds it
    m_out << QJsonDocument(shown).toJson(QJsonDocument::Indented);
    m_out << QStringLiteral("history: %1 epochs\n")
                 .arg(meta.value().value(QStringLiteral("history")).toArray().size());
    // Verifying the archive means reading every tensor record.
    const Result<CheckpointData> data = loadCheckpoint(file);
    if (!data) {
        m_err << QStringLiteral("ERROR %1\n").arg(data.error());
        return 2;
    }
    qint64 bytes = 0;
    for (const auto &[key, t] : data.value().tensors)
        bytes += qint64(t.numel() * t.element_size());
    m_out << QStringLiteral("archive ok: %1 tensors, %2 MB of tensor data\n")
                 .arg(data.value().tensors.size())
                 .arg(bytes / 1e6, 0, 'f', 2);
    if (hash) {
        for (const char *prefix : {"model.", "ema."}) {
            const Result<QString> h = tensorsHash(data.value(), prefix);
            if (h)
                m_out << QStringLiteral("sha256(%1*) %2\n").arg(QLatin1String(prefix), h.value());
        }
    }
    return 0;
}

} // namespace yolodeck
