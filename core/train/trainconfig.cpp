#include "core/train/trainconfig.h"

#include "core/common/textutil.h"

#include <QJsonValue>
#include <QRegularExpression>

#include <cmath>
#include <limits>
#include <variant>

namespace yolodeck {

namespace {

using Member = std::variant<int TrainConfig::*, double TrainConfig::*, bool TrainConfig::*,
                            QString TrainConfig::*>;

struct KeySpec
{
    const char *key;
    Member member;
    double min;
    double max;
    const char *choices; // space separated; empty = free text
    const char *help;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// Ultralytics' key names; the order is the order of args.yaml.
const std::vector<KeySpec> &specs()
{
    static const std::vector<KeySpec> table = {
        {"model", &TrainConfig::model, 0, 0, "",
         "model scale (n s m l x tiny) or a .pt to fine-tune from"},
        {"data", &TrainConfig::data, 0, 0, "", "path to data.yaml"},
        {"epochs", &TrainConfig::epochs, 1, 100000, "", "number of epochs to train"},
        {"patience", &TrainConfig::patience, 0, 100000, "",
         "epochs without improvement before stopping early"},
        {"batch", &TrainConfig::batch, 1, 4096, "", "images per batch"},
        {"imgsz", &TrainConfig::imgsz, 32, 8192, "", "training image size (multiple of 32)"},
        {"save_period", &TrainConfig::savePeriod, -1, 100000, "",
         "save epochN.pt every N epochs (-1 = off)"},
        {"keep", &TrainConfig::keep, 0, 100000, "",
         "keep only the newest N periodic epochN.pt (0 = all; best, last, the final epoch and "
         "files marked Keep stay)"},
        {"cache", &TrainConfig::cache, 0, 0, "false ram", "keep decoded images in memory"},
        {"device", &TrainConfig::device, 0, 0, "",
         "cpu, cuda, cuda:N or N (empty = CUDA if present)"},
        {"workers", &TrainConfig::workers, 0, 64, "", "data loader threads"},
        {"threads", &TrainConfig::threads, 0, 1024, "",
         "LibTorch intra-op threads (0 = all cores)"},
        {"engine", &TrainConfig::engine, 0, 0, "auto onednn libtorch",
         "CPU training engine: oneDNN with blocked maps, LibTorch, or auto (oneDNN where it can "
         "run the model)"},
        {"nproc", &TrainConfig::nproc, 0, 64, "",
         "local training processes, data-parallel (1 = one; 0 = one, or the job described by "
         "RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT)"},
        {"dist_timeout", &TrainConfig::distTimeout, 1, 86400, "",
         "seconds before a silent rank ends a distributed run"},
        {"project", &TrainConfig::project, 0, 0, "", "folder that holds the runs"},
        {"name", &TrainConfig::name, 0, 0, "", "run name (project/name)"},
        {"exist_ok", &TrainConfig::existOk, 0, 0, "",
         "reuse project/name instead of numbering a new one"},
        {"optimizer", &TrainConfig::optimizer, 0, 0, "auto SGD AdamW", "optimizer"},
        {"seed", &TrainConfig::seed, 0, 2147483647, "", "random seed"},
        {"deterministic", &TrainConfig::deterministic, 0, 0, "",
         "deterministic algorithms (bit-exact resume on CUDA)"},
        {"cos_lr", &TrainConfig::cosLr, 0, 0, "", "cosine learning-rate schedule"},
        {"close_mosaic", &TrainConfig::closeMosaic, 0, 100000, "",
         "turn mosaic off for the last N epochs"},
        {"resume", &TrainConfig::resume, 0, 0, "", "true (newest last.pt) or a checkpoint path"},
        {"amp", &TrainConfig::amp, 0, 0, "", "mixed precision (CUDA only)"},
        {"val", &TrainConfig::val, 0, 0, "", "validate after every epoch"},
        {"strip", &TrainConfig::strip, 0, 0, "",
         "strip best.pt/last.pt to weights when training ends"},
        {"force", &TrainConfig::force, 0, 0, "", "allow overrides that change the math on resume"},
        {"tensorboard", &TrainConfig::tensorboard, 0, 0, "",
         "also write a TensorBoard event file in the run folder"},
        {"lr0", &TrainConfig::lr0, 0, 10, "", "initial learning rate"},
        {"lrf", &TrainConfig::lrf, 0, 1, "", "final learning rate as a fraction of lr0"},
        {"momentum", &TrainConfig::momentum, 0, 1, "", "SGD momentum / Adam beta1"},
        {"weight_decay", &TrainConfig::weightDecay, 0, 1, "", "weight decay"},
        {"warmup_epochs", &TrainConfig::warmupEpochs, 0, 1000, "",
         "warmup epochs (fractions allowed)"},
        {"warmup_momentum", &TrainConfig::warmupMomentum, 0, 1, "", "initial warmup momentum"},
        {"warmup_bias_lr", &TrainConfig::warmupBiasLr, 0, 10, "",
         "initial warmup bias learning rate"},
        {"box", &TrainConfig::box, 0, 1000, "", "box loss gain"},
        {"cls", &TrainConfig::cls, 0, 1000, "", "class loss gain"},
        {"dfl", &TrainConfig::dfl, 0, 1000, "", "distribution focal loss gain"},
        {"nbs", &TrainConfig::nbs, 1, 4096, "", "nominal batch size"},
        {"hsv_h", &TrainConfig::hsvH, 0, 1, "", "hue augmentation (fraction)"},
        {"hsv_s", &TrainConfig::hsvS, 0, 1, "", "saturation augmentation (fraction)"},
        {"hsv_v", &TrainConfig::hsvV, 0, 1, "", "value augmentation (fraction)"},
        {"degrees", &TrainConfig::degrees, 0, 180, "", "rotation (+/- degrees)"},
        {"translate", &TrainConfig::translate, 0, 1, "", "translation (+/- fraction)"},
        {"scale", &TrainConfig::scale, 0, 1, "", "scale (+/- gain)"},
        {"shear", &TrainConfig::shear, 0, 180, "", "shear (+/- degrees)"},
        {"perspective", &TrainConfig::perspective, 0, 0.001, "", "perspective (+/- fraction)"},
        {"flipud", &TrainConfig::flipud, 0, 1, "", "vertical flip probability"},
        {"fliplr", &TrainConfig::fliplr, 0, 1, "", "horizontal flip probability"},
        {"mosaic", &TrainConfig::mosaic, 0, 1, "", "mosaic probability"},
        {"conf", &TrainConfig::conf, 0, 1, "", "validation confidence threshold"},
        {"iou", &TrainConfig::iou, 0, 1, "", "validation NMS IoU threshold"},
        {"max_det", &TrainConfig::maxDet, 1, 100000, "", "maximum detections per image"},
        {"fitness_map50", &TrainConfig::fitnessMap50, 0, 1, "",
         "weight of mAP50 in fitness (best.pt)"},
        {"fitness_map5095", &TrainConfig::fitnessMap5095, 0, 1, "",
         "weight of mAP50-95 in fitness (best.pt)"},
    };
    return table;
}

const KeySpec *findSpec(const QString &key)
{
    for (const KeySpec &spec : specs()) {
        if (key == QLatin1String(spec.key))
            return &spec;
    }
    return nullptr;
}

std::optional<bool> parseBool(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == QLatin1String("true") || t == QLatin1String("1") || t == QLatin1String("yes"))
        return true;
    if (t == QLatin1String("false") || t == QLatin1String("0") || t == QLatin1String("no"))
        return false;
    return std::nullopt;
}

QString rangeText(const KeySpec &spec)
{
    if (spec.max == kInf)
        return QStringLiteral(">= %1").arg(spec.min);
    return QStringLiteral("%1..%2").arg(spec.min).arg(spec.max);
}

} // namespace

Status TrainConfig::set(const QString &key, const QString &value)
{
    const KeySpec *spec = findSpec(key);
    if (!spec) {
        return Status::fail(unknownKeyMessage(key, keys()));
    }
    const QString text = value.trimmed();
    if (auto *m = std::get_if<int TrainConfig::*>(&spec->member)) {
        bool ok = false;
        const int v = text.toInt(&ok);
        if (!ok || v < spec->min || v > spec->max) {
            return Status::fail(QStringLiteral("%1=%2 is not valid: expected a whole number in %3")
                                    .arg(key, value, rangeText(*spec)));
        }
        this->*(*m) = v;
    } else if (auto *m = std::get_if<double TrainConfig::*>(&spec->member)) {
        bool ok = false;
        const double v = text.toDouble(&ok);
        if (!ok || !std::isfinite(v) || v < spec->min || v > spec->max) {
            return Status::fail(QStringLiteral("%1=%2 is not valid: expected a number in %3")
                                    .arg(key, value, rangeText(*spec)));
        }
        this->*(*m) = v;
    } else if (auto *m = std::get_if<bool TrainConfig::*>(&spec->member)) {
        const std::optional<bool> v = parseBool(text);
        if (!v) {
            return Status::fail(
                QStringLiteral("%1=%2 is not valid: expected true or false").arg(key, value));
        }
        this->*(*m) = *v;
    } else if (auto *m = std::get_if<QString TrainConfig::*>(&spec->member)) {
        const QStringList choices =
            QString::fromLatin1(spec->choices).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (!choices.isEmpty()) {
            const auto it = std::find_if(choices.begin(), choices.end(), [&](const QString &c) {
                return c.compare(text, Qt::CaseInsensitive) == 0;
            });
            // Ultralytics accepts cache=True for RAM caching.
            if (key == QLatin1String("cache") && parseBool(text) == true) {
                this->*(*m) = QStringLiteral("ram");
                return okStatus();
            }
            if (it == choices.end()) {
                return Status::fail(QStringLiteral("%1=%2 is not valid: choose one of %3")
                                        .arg(key, value, choices.join(QStringLiteral(", "))));
            }
            this->*(*m) = *it;
        } else {
            this->*(*m) = text;
        }
    }
    return okStatus();
}

Result<TrainConfig> TrainConfig::fromArguments(const QStringList &arguments)
{
    TrainConfig config;
    for (const QString &argument : arguments) {
        const int eq = argument.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            return Result<TrainConfig>::fail(
                QStringLiteral("'%1' is not key=value (for example epochs=50)").arg(argument));
        }
        const Status s = config.set(argument.left(eq).trimmed(), argument.mid(eq + 1));
        if (!s)
            return Result<TrainConfig>::fail(s.error());
    }
    return Result<TrainConfig>::ok(config);
}

QString TrainConfig::value(const QString &key) const
{
    const KeySpec *spec = findSpec(key);
    if (!spec)
        return {};
    if (auto *m = std::get_if<int TrainConfig::*>(&spec->member))
        return QString::number(this->*(*m));
    if (auto *m = std::get_if<double TrainConfig::*>(&spec->member))
        return formatG6(this->*(*m));
    if (auto *m = std::get_if<bool TrainConfig::*>(&spec->member))
        return this->*(*m) ? QStringLiteral("true") : QStringLiteral("false");
    return this->*(std::get<QString TrainConfig::*>(spec->member));
}

std::vector<std::pair<QString, QString>> TrainConfig::items() const
{
    std::vector<std::pair<QString, QString>> out;
    for (const KeySpec &spec : specs()) {
        const QString key = QString::fromLatin1(spec.key);
        out.emplace_back(key, value(key));
    }
    return out;
}

QStringList TrainConfig::keys()
{
    QStringList out;
    for (const KeySpec &spec : specs())
        out << QString::fromLatin1(spec.key);
    return out;
}

QString TrainConfig::help(const QString &key)
{
    const KeySpec *spec = findSpec(key);
    return spec ? QString::fromLatin1(spec->help) : QString();
}

Status TrainConfig::validate() const
{
    if (data.isEmpty())
        return Status::fail(QStringLiteral("data= is required (path to a data.yaml)"));
    if (imgsz % 32 != 0) {
        return Status::fail(
            QStringLiteral(
                "imgsz=%1 is not valid: it must be a multiple of 32 (the largest stride)")
                .arg(imgsz));
    }
    if (name.contains(QLatin1Char('/')) || name.isEmpty())
        return Status::fail(
            QStringLiteral("name=%1 is not valid: use a plain folder name").arg(name));
    if (!device.isEmpty()) {
        static const QRegularExpression pattern(QStringLiteral("^(cpu|cuda|cuda:\\d+|\\d+)$"));
        if (!pattern.match(device).hasMatch()) {
            return Status::fail(
                QStringLiteral("device=%1 is not valid: use cpu, cuda, cuda:N or N").arg(device));
        }
    }
    return okStatus();
}

QString TrainConfig::toYaml() const
{
    QString out;
    for (const auto &[key, text] : items()) {
        const bool needsQuotes = text.isEmpty() || text.contains(QLatin1Char(':')) ||
                                 text.contains(QLatin1Char('#')) ||
                                 text.startsWith(QLatin1Char(' '));
        out += key + QStringLiteral(": ") +
               (needsQuotes ? QLatin1Char('\'') +
                                  QString(text).replace(QLatin1Char('\''), QStringLiteral("''")) +
                                  QLatin1Char('\'')
                            : text) +
               QLatin1Char('\n');
    }
    return out;
}

QJsonObject TrainConfig::toJson() const
{
    QJsonObject json;
    for (const KeySpec &spec : specs()) {
        const QString key = QString::fromLatin1(spec.key);
        if (auto *m = std::get_if<int TrainConfig::*>(&spec.member))
            json.insert(key, this->*(*m));
        else if (auto *m = std::get_if<double TrainConfig::*>(&spec.member))
            json.insert(key, this->*(*m));
        else if (auto *m = std::get_if<bool TrainConfig::*>(&spec.member))
            json.insert(key, this->*(*m));
        else
            json.insert(key, this->*(std::get<QString TrainConfig::*>(spec.member)));
    }
    return json;
}

Result<TrainConfig> TrainConfig::fromJson(const QJsonObject &json)
{
    TrainConfig config;
    for (const KeySpec &spec : specs()) {
        const QString key = QString::fromLatin1(spec.key);
        const QJsonValue v = json.value(key);
        if (v.isUndefined())
            continue; // a key added after the file was written keeps its default
        if (auto *m = std::get_if<int TrainConfig::*>(&spec.member))
            config.*(*m) = v.toInt();
        else if (auto *m = std::get_if<double TrainConfig::*>(&spec.member))
            config.*(*m) = v.toDouble();
        else if (auto *m = std::get_if<bool TrainConfig::*>(&spec.member))
            config.*(*m) = v.toBool();
        else
            config.*(std::get<QString TrainConfig::*>(spec.member)) = v.toString();
    }
    return Result<TrainConfig>::ok(config);
}

QStringList TrainConfig::mathKeys()
{
    // Everything that changes which numbers the run computes. epochs is absent on purpose: it may
    // be raised on resume ("train 50 more"); device/workers/project/name/val do not change weights.
    return {QStringLiteral("model"),
            QStringLiteral("data"),
            QStringLiteral("batch"),
            QStringLiteral("imgsz"),
            QStringLiteral("optimizer"),
            QStringLiteral("seed"),
            QStringLiteral("cos_lr"),
            QStringLiteral("close_mosaic"),
            QStringLiteral("lr0"),
            QStringLiteral("lrf"),
            QStringLiteral("momentum"),
            QStringLiteral("weight_decay"),
            QStringLiteral("warmup_epochs"),
            QStringLiteral("warmup_momentum"),
            QStringLiteral("warmup_bias_lr"),
            QStringLiteral("box"),
            QStringLiteral("cls"),
            QStringLiteral("dfl"),
            QStringLiteral("nbs"),
            QStringLiteral("hsv_h"),
            QStringLiteral("hsv_s"),
            QStringLiteral("hsv_v"),
            QStringLiteral("degrees"),
            QStringLiteral("translate"),
            QStringLiteral("scale"),
            QStringLiteral("shear"),
            QStringLiteral("perspective"),
            QStringLiteral("flipud"),
            QStringLiteral("fliplr"),
            QStringLiteral("mosaic"),
            QStringLiteral("amp"),
            QStringLiteral("threads"),
            QStringLiteral("engine"),
            QStringLiteral("deterministic"),
            QStringLiteral("conf"),
            QStringLiteral("iou"),
            QStringLiteral("max_det"),
            QStringLiteral("fitness_map50"),
            QStringLiteral("fitness_map5095")};
}

} // namespace yolodeck
