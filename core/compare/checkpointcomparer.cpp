#include "core/compare/checkpointcomparer.h"

#include "core/checkpoint/checkpointmeta.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/model/detectionloss.h"
#include "core/train/modelstate.h"
#include "core/train/validator.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>

#include <cmath>
#include <map>

namespace yolodeck {

namespace {

QString shortName(const QString &path)
{
    return QFileInfo(path).fileName();
}

Result<QString> fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Result<QString>::fail(
            QStringLiteral("%1: cannot be read (%2)").arg(path, f.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&f))
        return Result<QString>::fail(QStringLiteral("%1: read error").arg(path));
    return Result<QString>::ok(QString::fromLatin1(hash.result().toHex()));
}

Result<QString> weightsHash(const YoloModelImpl &model)
{
    CheckpointData data;
    for (auto &[key, t] : namedState(model, ""))
        data.tensors.emplace(key, t.to(torch::kCPU));
    return tensorsHash(data, "");
}

QStringList namesOf(const CheckpointInfo &info)
{
    QStringList names;
    for (const QJsonValue &v : info.meta.value(QStringLiteral("names")).toArray())
        names << v.toString();
    return names;
}

// The data.yaml a checkpoint was trained on, as its meta.json records it.
QString trainedOn(const CheckpointInfo &info)
{
    const QString yaml = info.meta.value(QStringLiteral("dataset"))
                             .toObject()
                             .value(QStringLiteral("yaml"))
                             .toString();
    if (!yaml.isEmpty())
        return yaml;
    return info.meta.value(QStringLiteral("config"))
        .toObject()
        .value(QStringLiteral("data"))
        .toString();
}

struct Side
{
    QString label; // "A (best.pt)"
    CheckpointInfo info;
    QString contentHash;
    QString cachePath;
};

// Runs one model over the split, keeping every image's detections.
Result<PredictionSet> evaluate(const Side &side, LoadedModel &loaded, const QString &weights,
                               const Dataset &dataset, const EvaluationSettings &settings,
                               const torch::Device &device, int workers,
                               const CompareProgressFn &progress, const std::atomic<bool> *cancel)
{
    ValidationOptions vo;
    vo.imgsz = settings.imgsz;
    vo.batch = settings.batch;
    vo.workers = workers;
    vo.conf = settings.conf;
    vo.iou = settings.iou;
    vo.maxDet = settings.maxDet;
    vo.rect = settings.rect;
    Validator validator(dataset, vo);
    const DetectionLoss criterion(loaded.model->nc(), loaded.model->strides(), LossGains{},
                                  loaded.model->regMax());
    PredictionSet set;
    set.checkpointPath = side.info.path;
    set.contentHash = side.contentHash;
    set.weightsHash = weights;
    set.dataFingerprint = dataset.fingerprint();
    set.names = dataset.names();
    set.settings = settings;
    const auto sink = [&set](const ImageRecord &record, const std::vector<Detection> &detections,
                             const std::vector<GroundTruth> &labels) {
        ImagePredictions image;
        image.imagePath = record.imagePath;
        image.width = record.width;
        image.height = record.height;
        image.labels = labels;
        image.detections = detections;
        set.images.push_back(std::move(image));
    };
    const QString stage = QStringLiteral("Evaluating %1").arg(side.label);
    const auto onBatch = [&](int batch, int batches) {
        if (progress)
            progress({stage, batch, batches});
    };
    const ValidationOutput out =
        validator.run(*loaded.model, device, &criterion, onBatch, cancel, sink);
    if (cancel && cancel->load())
        return Result<PredictionSet>::fail(QStringLiteral("comparison cancelled"));
    set.loss = out.loss;
    set.seconds = out.seconds;
    set.msPerImage = out.images > 0 ? out.seconds * 1000.0 / out.images : 0.0;
    return Result<PredictionSet>::ok(std::move(set));
}

} // namespace

Status checkComparablePair(const QString &a, const QString &b)
{
    for (const QString &path : {a, b}) {
        if (path.isEmpty())
            return Status::fail(QStringLiteral("a comparison needs two checkpoint files"));
        if (!QFileInfo::exists(path))
            return Status::fail(QStringLiteral("%1: no such file").arg(path));
    }
    const CheckpointInfo infoA = readCheckpointInfo(a);
    if (!infoA.isValid())
        return Status::fail(infoA.error);
    const CheckpointInfo infoB = readCheckpointInfo(b);
    if (!infoB.isValid())
        return Status::fail(infoB.error);
    const QStringList namesA = namesOf(infoA), namesB = namesOf(infoB);
    if (namesA != namesB) {
        const auto show = [](const QStringList &n) {
            return n.size() <= 6 ? n.join(QStringLiteral(", "))
                                 : n.mid(0, 6).join(QStringLiteral(", ")) +
                                       QStringLiteral(", … (%1 classes)").arg(n.size());
        };
        return Status::fail(QStringLiteral("%1 and %2 have different class names (%3 vs %4): "
                                           "only models of the same classes can be compared")
                                .arg(shortName(a), shortName(b), show(namesA), show(namesB)));
    }
    return okStatus();
}

Result<std::pair<QString, QString>> defaultComparisonPair(const QString &runDir)
{
    using Pair = std::pair<QString, QString>;
    const std::vector<CheckpointInfo> list = listCheckpoints(runDir);
    QString best, last, newestEpoch;
    int newestEpochNumber = -1;
    static const QRegularExpression epochFile(QStringLiteral("^epoch(\\d+)\\.pt$"));
    for (const CheckpointInfo &c : list) {
        if (!c.isValid())
            continue;
        const QString name = QFileInfo(c.path).fileName();
        if (name == QLatin1String("best.pt"))
            best = c.path;
        else if (name == QLatin1String("last.pt"))
            last = c.path;
        else if (const QRegularExpressionMatch m = epochFile.match(name); m.hasMatch()) {
            if (m.captured(1).toInt() > newestEpochNumber) {
                newestEpochNumber = m.captured(1).toInt();
                newestEpoch = c.path;
            }
        }
    }
    const QString other = last.isEmpty() ? newestEpoch : last;
    if (best.isEmpty() || other.isEmpty())
        return Result<Pair>::fail(
            QStringLiteral("%1 holds no best.pt and last.pt (or epochN.pt) pair to compare; "
                           "select two checkpoints")
                .arg(runDir));
    return Result<Pair>::ok({best, other});
}

Result<std::vector<LayerChange>> layerChanges(const QString &a, const QString &b)
{
    using Layers = std::vector<LayerChange>;
    // The tensors the models run with (the EMA of a full checkpoint, the weights of a stripped
    // one), read straight from the files: no model is built.
    const auto inferenceTensors =
        [](const QString &path) -> Result<std::map<std::string, torch::Tensor>> {
        Result<CheckpointData> data = loadCheckpoint(path);
        if (!data)
            return Result<std::map<std::string, torch::Tensor>>::fail(data.error());
        const std::string prefix =
            data.value().tensors.count("ema.model.0.conv.weight") ? "ema." : "model.";
        std::map<std::string, torch::Tensor> out;
        for (auto &[key, t] : data.value().tensors) {
            if (key.compare(0, prefix.size(), prefix) == 0)
                out.emplace(key.substr(prefix.size()), t);
        }
        return Result<std::map<std::string, torch::Tensor>>::ok(std::move(out));
    };
    const auto stateA = inferenceTensors(a);
    if (!stateA)
        return Result<Layers>::fail(stateA.error());
    const auto stateB = inferenceTensors(b);
    if (!stateB)
        return Result<Layers>::fail(stateB.error());
    // Per layer "model.N": sums of squares of A and of B − A over its floating-point tensors
    // (parameters and BatchNorm statistics alike: both change what the layer computes).
    struct Sums
    {
        double base = 0, diff = 0;
        qint64 parameters = 0;
    };
    std::map<int, Sums> sums;
    static const QRegularExpression layerKey(QStringLiteral("^model\\.(\\d+)\\."));
    torch::NoGradGuard noGrad;
    for (const auto &[key, ta] : stateA.value()) {
        const auto it = stateB.value().find(key);
        if (it == stateB.value().end() || !ta.is_floating_point() ||
            ta.sizes() != it->second.sizes())
            continue;
        const QRegularExpressionMatch m = layerKey.match(QString::fromStdString(key));
        if (!m.hasMatch())
            continue;
        const torch::Tensor x = ta.to(torch::kFloat64);
        const torch::Tensor y = it->second.to(torch::kFloat64);
        Sums &s = sums[m.captured(1).toInt()];
        s.base += x.pow(2).sum().item<double>();
        s.diff += (y - x).pow(2).sum().item<double>();
        s.parameters += ta.numel();
    }
    Layers out;
    for (const auto &[index, s] : sums) {
        LayerChange c;
        c.layer = QStringLiteral("model.%1").arg(index);
        c.relativeChange = s.base > 0 ? std::sqrt(s.diff / s.base) : 0.0;
        c.parameters = s.parameters;
        out.push_back(c);
    }
    return Result<Layers>::ok(std::move(out));
}

Result<Comparison> compareCheckpoints(const CompareRequest &request,
                                      const CompareProgressFn &progress,
                                      const std::atomic<bool> *cancel)
{
    const Status pair = checkComparablePair(request.a, request.b);
    if (!pair)
        return Result<Comparison>::fail(pair.error());
    Side sides[2];
    sides[0].info = readCheckpointInfo(request.a);
    sides[1].info = readCheckpointInfo(request.b);
    sides[0].label = QStringLiteral("A (%1)").arg(shortName(request.a));
    sides[1].label = QStringLiteral("B (%1)").arg(shortName(request.b));

    // The dataset: given, else B's run's, else A's.
    QString yaml = request.dataYaml;
    if (yaml.isEmpty())
        yaml = trainedOn(sides[1].info);
    if (yaml.isEmpty())
        yaml = trainedOn(sides[0].info);
    if (yaml.isEmpty())
        return Result<Comparison>::fail(
            QStringLiteral("%1 does not say which data.yaml it was trained on: give data=")
                .arg(shortName(request.b)));
    if (!QFileInfo::exists(yaml))
        return Result<Comparison>::fail(
            QStringLiteral("%1: the dataset does not exist (give another data.yaml)").arg(yaml));
    const Result<DatasetConfig> config = DatasetConfig::load(yaml);
    if (!config)
        return Result<Comparison>::fail(config.error());
    Split split = Split::Val;
    if (request.split == QLatin1String("test"))
        split = Split::Test;
    else if (request.split == QLatin1String("train"))
        split = Split::Train;
    else if (request.split != QLatin1String("val"))
        return Result<Comparison>::fail(
            QStringLiteral("split=%1 is not valid: choose one of val, test, train")
                .arg(request.split));
    if (progress)
        progress({QStringLiteral("Reading the %1 split").arg(request.split), 0, 0});
    const Result<Dataset> dataset = Dataset::scan(config.value(), split);
    if (!dataset)
        return Result<Comparison>::fail(dataset.error());
    const QStringList modelNames = namesOf(sides[0].info);
    if (dataset.value().names() != modelNames)
        return Result<Comparison>::fail(
            QStringLiteral("%1 has %2 classes and the models %3: they do not describe the same "
                           "classes")
                .arg(config.value().yamlPath)
                .arg(dataset.value().nc())
                .arg(modelNames.size()));

    EvaluationSettings settings;
    settings.dataYaml = config.value().yamlPath;
    settings.split = request.split;
    settings.batch = request.batch;
    settings.imgsz = request.imgsz > 0 ? request.imgsz
                                       : sides[1]
                                             .info.meta.value(QStringLiteral("model"))
                                             .toObject()
                                             .value(QStringLiteral("imgsz"))
                                             .toInt(640);
    if (settings.imgsz % 32 != 0)
        return Result<Comparison>::fail(
            QStringLiteral("imgsz=%1 is not valid: it must be a multiple of 32")
                .arg(settings.imgsz));

    if (request.threads > 0)
        torch::set_num_threads(request.threads);
    const Result<torch::Device> device = selectDevice(request.device);
    if (!device)
        return Result<Comparison>::fail(device.error());

    PredictionSet sets[2];
    for (int s = 0; s < 2; ++s) {
        if (cancel && cancel->load())
            return Result<Comparison>::fail(QStringLiteral("comparison cancelled"));
        Side &side = sides[s];
        const Result<QString> hash = fileHash(side.info.path);
        if (!hash)
            return Result<Comparison>::fail(hash.error());
        side.contentHash = hash.value();
        side.cachePath =
            predictionCachePath(side.contentHash, dataset.value().fingerprint(), settings);
        if (request.useCache && QFileInfo::exists(side.cachePath)) {
            Result<PredictionSet> cached = readPredictionSet(side.cachePath);
            // A damaged cache entry is recomputed (and rewritten), never trusted.
            if (cached && cached.value().contentHash == side.contentHash) {
                sets[s] = cached.take();
                sets[s].checkpointPath = side.info.path;
                continue;
            }
        }
        Result<LoadedModel> loaded = loadModelForInference(side.info.path, device.value());
        if (!loaded)
            return Result<Comparison>::fail(loaded.error());
        const Result<QString> weights = weightsHash(*loaded.value().model);
        if (!weights)
            return Result<Comparison>::fail(
                QStringLiteral("%1: %2").arg(side.info.path, weights.error()));
        if (s == 1 && weights.value() == sets[0].weightsHash) {
            // Same weights in another file (best epoch = last epoch): one evaluation serves both.
            sets[1] = sets[0];
            sets[1].checkpointPath = side.info.path;
            sets[1].contentHash = side.contentHash;
            sets[1].fromCache = false;
        } else {
            Result<PredictionSet> evaluated =
                evaluate(side, loaded.value(), weights.value(), dataset.value(), settings,
                         device.value(), request.workers, progress, cancel);
            if (!evaluated)
                return Result<Comparison>::fail(evaluated.error());
            sets[s] = evaluated.take();
        }
        if (request.useCache) {
            // The cache only saves time: a folder that cannot be written costs a re-evaluation
            // next time, not this comparison.
            QDir().mkpath(QFileInfo(side.cachePath).absolutePath());
            writePredictionSet(side.cachePath, sets[s]);
        }
    }

    if (progress)
        progress({QStringLiteral("Comparing layer weights"), 0, 0});
    Result<std::vector<LayerChange>> layers = layerChanges(request.a, request.b);
    if (cancel && cancel->load())
        return Result<Comparison>::fail(QStringLiteral("comparison cancelled"));
    if (progress)
        progress(
            {QStringLiteral("Bootstrap over images (%1 resamples)").arg(request.resamples), 0, 0});
    Comparison comparison =
        buildComparison(sides[0].info, std::move(sets[0]), sides[1].info, std::move(sets[1]),
                        request.resamples, request.seed, cancel);
    if (cancel && cancel->load())
        return Result<Comparison>::fail(QStringLiteral("comparison cancelled"));
    if (layers)
        comparison.layers = layers.take();
    else
        comparison.warnings << layers.error();
    return Result<Comparison>::ok(std::move(comparison));
}

} // namespace yolodeck
