#include "core/train/resumeplanner.h"

#include "core/common/threadpolicy.h"
#include "core/dist/distsettings.h"

#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "version.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QProcessEnvironment>

#include <torch/torch.h>

namespace yolodeck {

QString ResumePlan::modeName() const
{
    switch (mode) {
    case Mode::Continue:
        return QStringLiteral("continue");
    case Mode::Branch:
        return QStringLiteral("branch");
    case Mode::FineTune:
        return QStringLiteral("fine-tune");
    case Mode::Refused:
        break;
    }
    return QStringLiteral("refused");
}

QString ResumePlan::summary() const
{
    const QString where =
        info.batch > 0 ? QStringLiteral("epoch %1, batch %2").arg(info.epoch + 1).arg(info.batch)
                       : QStringLiteral("the end of epoch %1").arg(info.epoch);
    QString text;
    if (info.source == QLatin1String("ultralytics") && mode == Mode::Branch) {
        text = QStringLiteral("Continuing the Ultralytics run %1 from %2 in a new YoloDeck run "
                              "folder %3 (the Ultralytics files are not modified), to epoch %4")
                   .arg(checkpoint, where, runDir)
                   .arg(epochs);
        if (extends)
            text += QStringLiteral(" (extended: the learning rate continues smoothly to the new "
                                   "end)");
        return text + QStringLiteral(". NOT exact: the data order differs from Ultralytics'.");
    }
    switch (mode) {
    case Mode::Continue:
        text = QStringLiteral("Resuming %1 from %2 in the same run folder %3, to epoch %4")
                   .arg(checkpoint, where, runDir)
                   .arg(epochs);
        break;
    case Mode::Branch:
        text = QStringLiteral("Resuming %1 from %2 as a branch in %3 (the original run is not "
                              "modified), to epoch %4")
                   .arg(checkpoint, where, runDir)
                   .arg(epochs);
        break;
    case Mode::FineTune:
        return QStringLiteral("%1 holds weights only and cannot be resumed. Fine-tune from it "
                              "instead: train model=%1 data=... (a new run with a fresh optimizer, "
                              "warmup and history)")
            .arg(checkpoint);
    case Mode::Refused:
        return QStringLiteral("Cannot resume %1: %2")
            .arg(checkpoint, problems.join(QStringLiteral("; ")));
    }
    if (extends)
        text += QStringLiteral(" (extended: the learning rate continues smoothly to the new end)");
    if (exact)
        text += QStringLiteral(". Exact resume.");
    else if (!overridden.isEmpty())
        text += QStringLiteral(". NOT exact: %1 changed (force=true).")
                    .arg(overridden.join(QStringLiteral(", ")));
    else
        text += QStringLiteral(". NOT exact: another number of training processes.");
    return text;
}

namespace {

// The newest state a run folder holds: the (epoch, batch) of its last.pt, or of its newest file.
std::pair<int, int> newestStateOf(const QString &weightsDir)
{
    std::pair<int, int> newest{-1, -1};
    for (const CheckpointInfo &info : listCheckpoints(weightsDir)) {
        if (!info.isValid())
            continue;
        newest = std::max(newest, std::make_pair(info.epoch, info.batch));
    }
    return newest;
}

QString branchDirFor(const QString &runDir, int epoch)
{
    const QString base = runDir + QStringLiteral("-from-e%1").arg(epoch);
    QString dir = base;
    for (int n = 2; QFileInfo::exists(dir); ++n)
        dir = base + QStringLiteral("-%1").arg(n);
    return dir;
}

QString jsonText(const QJsonValue &v)
{
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 17);
    return v.toString();
}

// Ultralytics training keys YoloDeck has no counterpart for, when their value changes what a
// detection run computes (mixup=0.0, rect=False and the like change nothing and are not worth a
// warning; inference, export and plotting keys never are).
bool changesDetectionTraining(const QString &key, const QJsonValue &value)
{
    if (value.isNull() || value.isUndefined())
        return false;
    if (key == QLatin1String("fraction"))
        return value.toDouble(1.0) != 1.0;
    static const QStringList keys = {
        QStringLiteral("mixup"),       QStringLiteral("copy_paste"),      QStringLiteral("dropout"),
        QStringLiteral("multi_scale"), QStringLiteral("single_cls"),      QStringLiteral("rect"),
        QStringLiteral("freeze"),      QStringLiteral("label_smoothing"), QStringLiteral("time"),
        QStringLiteral("bgr")};
    if (!keys.contains(key))
        return false;
    if (value.isArray())
        return !value.toArray().isEmpty();
    if (value.isBool())
        return value.toBool();
    if (value.isDouble())
        return value.toDouble() != 0.0;
    return !value.toString().isEmpty(); // freeze: a list or a number, time: hours
}

// Continuing an Ultralytics last.pt (DESIGN.md §8): its train_args become a YoloDeck
// configuration, and the run goes on in a new YoloDeck folder next to the Ultralytics one, with
// the Ultralytics history as rows 1..N. Never exact: YoloDeck's data order and augmentation draws
// are its own. Every override is accepted for the same reason (there is no exactness to guard).
ResumePlan planUltralytics(ResumePlan plan, const QMap<QString, QString> &overrides)
{
    const QJsonObject &meta = plan.info.meta;
    const QJsonObject u = meta.value(QStringLiteral("ultralytics")).toObject();
    const QString version = u.value(QStringLiteral("version")).toString();
    if (plan.info.kind != QLatin1String("full")) {
        plan.mode = ResumePlan::Mode::FineTune;
        plan.problems << QStringLiteral("this Ultralytics file cannot be continued: %1; fine-tune "
                                        "from it with model=%2")
                             .arg(u.value(QStringLiteral("not_continuable")).toString(),
                                  plan.checkpoint);
        return plan;
    }

    // train_args -> YoloDeck keys. Where the run lives and what it runs on are YoloDeck's choice.
    static const QStringList notCarried = {QStringLiteral("model"),   QStringLiteral("project"),
                                           QStringLiteral("name"),    QStringLiteral("exist_ok"),
                                           QStringLiteral("resume"),  QStringLiteral("device"),
                                           QStringLiteral("workers"), QStringLiteral("save_dir")};
    TrainConfig config;
    QStringList unused;
    const QJsonObject args = u.value(QStringLiteral("train_args")).toObject();
    const QStringList known = TrainConfig::keys();
    for (auto it = args.begin(); it != args.end(); ++it) {
        if (notCarried.contains(it.key()) || it.value().isNull())
            continue;
        if (!known.contains(it.key())) {
            if (changesDetectionTraining(it.key(), it.value()))
                unused << QStringLiteral("%1=%2").arg(it.key(), jsonText(it.value()));
            continue;
        }
        const Status s = config.set(it.key(), jsonText(it.value()));
        if (!s)
            plan.warnings
                << QStringLiteral("Ultralytics %1 not carried over: %2").arg(it.key(), s.error());
    }
    const QJsonObject model = meta.value(QStringLiteral("model")).toObject();
    config.model = model.value(QStringLiteral("scale")).toString();
    // optimizer=auto chose by the iteration count of that run: keep what it chose.
    const QJsonObject opt = u.value(QStringLiteral("optimizer")).toObject();
    config.optimizer = opt.value(QStringLiteral("name")).toString();
    config.lr0 = opt.value(QStringLiteral("lr")).toDouble(config.lr0);
    config.momentum = opt.value(QStringLiteral("momentum")).toDouble(config.momentum);
    config.resume = QStringLiteral("false");
    const int storedEpochs = config.epochs;

    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        if (it.key() == QLatin1String("resume") || it.key() == QLatin1String("force"))
            continue;
        TrainConfig probe = config;
        const Status s = probe.set(it.key(), it.value());
        if (!s) {
            plan.problems << s.error();
            continue;
        }
        if (probe.value(it.key()) != config.value(it.key()) &&
            TrainConfig::mathKeys().contains(it.key()))
            plan.overridden << it.key();
        config = probe;
    }
    plan.config = config;
    plan.exact = false;
    plan.epochs = config.epochs;
    plan.extends = config.epochs > storedEpochs;
    const int completed = plan.info.epoch;
    if (config.epochs < completed)
        plan.problems << QStringLiteral("epochs=%1 is lower than the %2 epochs already trained")
                             .arg(config.epochs)
                             .arg(completed);
    else if (completed >= plan.epochs)
        plan.problems << QStringLiteral("training to %1 epochs is already finished; raise epochs= "
                                        "to train more (e.g. epochs=%2)")
                             .arg(plan.epochs)
                             .arg(plan.epochs + 50);

    QStringList names;
    for (const QJsonValue &v : meta.value(QStringLiteral("names")).toArray())
        names << v.toString();
    plan.checks << QStringLiteral("Ultralytics %1 checkpoint: %2 of %3 epochs, %4 (lr0 %5)")
                       .arg(version.isEmpty() ? QStringLiteral("(unknown version)") : version)
                       .arg(completed)
                       .arg(storedEpochs)
                       .arg(config.optimizer)
                       .arg(config.lr0);
    plan.checks << QStringLiteral("architecture: YOLOv8%1, %2 classes, imgsz %3")
                       .arg(config.model)
                       .arg(model.value(QStringLiteral("nc")).toInt())
                       .arg(config.imgsz);
    const Result<DatasetConfig> data = DatasetConfig::load(config.data);
    if (!data) {
        plan.problems << QStringLiteral("%1 (the data.yaml the Ultralytics run used; give data= "
                                        "on the command line, or choose the dataset in the "
                                        "window's Dataset field)")
                             .arg(data.error());
    } else if (data.value().names != names) {
        plan.problems << QStringLiteral("the dataset's class names differ from the checkpoint's "
                                        "(%1 now, %2 in the checkpoint)")
                             .arg(data.value().nc())
                             .arg(names.size());
    } else {
        plan.checks << QStringLiteral("dataset: %1 classes, the same names").arg(names.size());
    }
    plan.warnings << QStringLiteral("not exact: YoloDeck continues with its own data order and "
                                    "augmentation draws, not Ultralytics'");
    if (!unused.isEmpty())
        plan.warnings << QStringLiteral("Ultralytics settings of this run that YoloDeck does not "
                                        "apply: %1")
                             .arg(unused.join(QStringLiteral(", ")));
    if (!plan.problems.isEmpty())
        return plan;

    // A new YoloDeck folder beside the Ultralytics run (runs/detect/train3 -> train3-yolodeck):
    // the Ultralytics files are never written to.
    const QFileInfo file(plan.checkpoint);
    const QString weightsDir = file.absolutePath();
    const bool inRun = QFileInfo(weightsDir).fileName() == QLatin1String("weights");
    const QString base = (inRun ? QFileInfo(weightsDir).absolutePath()
                                : weightsDir + QLatin1Char('/') + file.completeBaseName()) +
                         QStringLiteral("-yolodeck");
    QString dir = base;
    for (int n = 2; QFileInfo::exists(dir); ++n)
        dir = base + QStringLiteral("-%1").arg(n);
    plan.runDir = dir;
    plan.config.project = QFileInfo(dir).absolutePath();
    plan.config.name = QFileInfo(dir).fileName();
    plan.mode = ResumePlan::Mode::Branch;
    return plan;
}

} // namespace

ResumePlan ResumePlanner::plan(const QString &checkpoint, const QMap<QString, QString> &overrides)
{
    ResumePlan plan;
    plan.checkpoint = QFileInfo(checkpoint).absoluteFilePath();
    if (!QFileInfo::exists(checkpoint)) {
        plan.problems << QStringLiteral("file not found");
        return plan;
    }
    plan.info = readCheckpointInfo(plan.checkpoint);
    if (!plan.info.isValid()) {
        plan.problems << plan.info.error;
        return plan;
    }
    if (plan.info.source == QLatin1String("ultralytics"))
        return planUltralytics(std::move(plan), overrides);
    const QJsonObject &meta = plan.info.meta;
    if (plan.info.kind == QLatin1String("weights")) {
        plan.mode = ResumePlan::Mode::FineTune;
        plan.problems << QStringLiteral("a weights-only (stripped) checkpoint holds no optimizer "
                                        "state; fine-tune from it with model=%1")
                             .arg(plan.checkpoint);
        return plan;
    }
    if (plan.info.kind != QLatin1String("full")) {
        plan.problems << QStringLiteral("unknown checkpoint kind '%1'").arg(plan.info.kind);
        return plan;
    }

    const Result<TrainConfig> stored =
        TrainConfig::fromJson(meta.value(QStringLiteral("config")).toObject());
    plan.config = stored.value();
    plan.config.resume = QStringLiteral("false");
    // The training engine the run used (DESIGN.md §4), not the one auto would pick now: a
    // checkpoint from before the oneDNN engine names none and was trained by LibTorch.
    const QString engineThen =
        meta.value(QStringLiteral("engine")).toString(QStringLiteral("LibTorch"));
    plan.config.engine = engineThen == QLatin1String("oneDNN") ? QStringLiteral("onednn")
                                                               : QStringLiteral("libtorch");
    const TrainConfig original = plan.config;
    const int storedEpochs = meta.value(QStringLiteral("epochs")).toInt(original.epochs);
    plan.config.epochs = storedEpochs;

    // Overrides: epochs may rise; keys that do not touch the math pass; math keys need force.
    bool force = false;
    if (overrides.contains(QStringLiteral("force")))
        force = overrides.value(QStringLiteral("force")).toLower() == QLatin1String("true");
    const QStringList mathKeys = TrainConfig::mathKeys();
    QStringList refusedKeys;
    for (auto it = overrides.begin(); it != overrides.end(); ++it) {
        if (it.key() == QLatin1String("resume") || it.key() == QLatin1String("force"))
            continue;
        TrainConfig probe = plan.config;
        const Status s = probe.set(it.key(), it.value());
        if (!s) {
            plan.problems << s.error();
            continue;
        }
        if (probe.value(it.key()) == plan.config.value(it.key()))
            continue; // the same value typed again
        if (mathKeys.contains(it.key())) {
            if (!force) {
                refusedKeys << QStringLiteral("%1 (%2 -> %3)")
                                   .arg(it.key(), plan.config.value(it.key()),
                                        probe.value(it.key()));
                continue;
            }
            plan.overridden << it.key();
            plan.exact = false;
        }
        plan.config = probe;
    }
    if (!refusedKeys.isEmpty()) {
        plan.problems << QStringLiteral("these keys change the training's math and would make the "
                                        "resume inexact: %1; add force=true to accept that")
                             .arg(refusedKeys.join(QStringLiteral(", ")));
    }
    const int completed = plan.info.epoch;
    if (plan.config.epochs < storedEpochs) {
        plan.problems << QStringLiteral("epochs=%1 is lower than the run's %2; a finished epoch "
                                        "cannot be undone (resume from an older epochN.pt instead)")
                             .arg(plan.config.epochs)
                             .arg(storedEpochs);
    }
    plan.epochs = plan.config.epochs;
    plan.extends = plan.config.epochs > storedEpochs;
    if (completed >= plan.epochs && plan.info.batch == 0) {
        plan.problems << QStringLiteral("training to %1 epochs is already finished; raise epochs= "
                                        "to train more (e.g. epochs=%2)")
                             .arg(plan.epochs)
                             .arg(plan.epochs + 50);
    }

    // Architecture and classes
    const QJsonObject model = meta.value(QStringLiteral("model")).toObject();
    QStringList names;
    for (const QJsonValue &v : meta.value(QStringLiteral("names")).toArray())
        names << v.toString();
    plan.checks << QStringLiteral("architecture: YOLOv8%1, %2 classes, imgsz %3")
                       .arg(model.value(QStringLiteral("scale")).toString())
                       .arg(model.value(QStringLiteral("nc")).toInt())
                       .arg(model.value(QStringLiteral("imgsz")).toInt());

    // Dataset fingerprint: same class names and image lists as when the checkpoint was written.
    const Result<DatasetConfig> data = DatasetConfig::load(plan.config.data);
    if (!data) {
        plan.problems << data.error();
    } else if (data.value().names != names) {
        plan.problems << QStringLiteral("the dataset's class names differ from the checkpoint's "
                                        "(%1 now, %2 in the checkpoint)")
                             .arg(data.value().nc())
                             .arg(names.size());
    } else {
        const QJsonObject ds = meta.value(QStringLiteral("dataset")).toObject();
        const Result<Dataset> train = Dataset::scan(data.value(), Split::Train);
        const Result<Dataset> val = Dataset::scan(data.value(), Split::Val);
        if (!train || !val) {
            plan.problems << (train ? val.error() : train.error());
        } else if (train.value().fingerprint() !=
                       ds.value(QStringLiteral("train_fingerprint")).toString() ||
                   val.value().fingerprint() !=
                       ds.value(QStringLiteral("val_fingerprint")).toString()) {
            plan.warnings << QStringLiteral(
                                 "the dataset's image lists changed since the checkpoint "
                                 "(%1 train / %2 val images now, %3 / %4 then): the "
                                 "resume cannot be exact")
                                 .arg(train.value().records().size())
                                 .arg(val.value().records().size())
                                 .arg(ds.value(QStringLiteral("train_images")).toInt())
                                 .arg(ds.value(QStringLiteral("val_images")).toInt());
            plan.exact = false;
            plan.overridden << QStringLiteral("dataset");
        } else {
            plan.checks << QStringLiteral("dataset unchanged: %1 classes, %2 train / %3 val images")
                               .arg(names.size())
                               .arg(train.value().records().size())
                               .arg(val.value().records().size());
        }
    }

    // Versions: a different LibTorch or YoloDeck may compute different bits.
    const QString torchThen = meta.value(QStringLiteral("torch_version")).toString();
    const QString appThen = meta.value(QStringLiteral("app_version")).toString();
    if (torchThen != QLatin1String(TORCH_VERSION)) {
        plan.warnings << QStringLiteral("LibTorch %1 -> %2: results may differ in the last bits")
                             .arg(torchThen, QLatin1String(TORCH_VERSION));
    } else if (appThen != QLatin1String(YOLODECK_VERSION)) {
        plan.warnings
            << QStringLiteral("YoloDeck %1 -> %2").arg(appThen, QLatin1String(YOLODECK_VERSION));
    } else {
        plan.checks << QStringLiteral("same YoloDeck %1 and LibTorch %2").arg(appThen, torchThen);
    }
    if (!plan.overridden.contains(QStringLiteral("engine")))
        plan.checks << QStringLiteral("same training engine (%1)").arg(engineThen);
    const int threadsThen = meta.value(QStringLiteral("threads")).toInt();
    if (plan.config.threads == 0 && threadsThen > 0) {
        // The intra-op thread count is part of the state (DESIGN.md §4): reuse it.
        plan.config.threads = threadsThen;
    }
    // OpenBLAS's thread count (the thread policy's) can move figures in their last digits.
    const int blasThen = meta.value(QStringLiteral("blas_threads")).toInt();
    const int blasNow = openBlasThreads();
    if (blasThen > 0 && blasNow > 0 && blasThen != blasNow) {
        plan.warnings << QStringLiteral("OpenBLAS threads %1 -> %2: figures may differ in their "
                                        "last digits (OPENBLAS_NUM_THREADS=%1 restores them)")
                             .arg(blasThen)
                             .arg(blasNow);
    } else if (blasThen > 0 && blasThen == blasNow) {
        plan.checks << QStringLiteral("same OpenBLAS threads (%1)").arg(blasThen);
    }
    if (!meta.value(QStringLiteral("exact")).toBool(true))
        plan.warnings << QStringLiteral("this checkpoint comes from a forced (inexact) resume");

    // Processes (DESIGN.md §9): the same number continues exactly; another number is allowed.
    const int worldThen = meta.value(QStringLiteral("world_size")).toInt(1);
    int worldNow = std::max(plan.config.nproc, 1);
    const int listed = int(plan.config.device.split(QLatin1Char(','), Qt::SkipEmptyParts).size());
    if (listed > 1 && plan.config.nproc <= 1)
        worldNow = listed;
    const Result<dist::DistSettings> job =
        dist::DistSettings::fromEnvironment(QProcessEnvironment::systemEnvironment());
    if (plan.config.nproc <= 0 && job && job.value().isDistributed())
        worldNow = job.value().worldSize;
    if (worldThen != worldNow) {
        plan.warnings << QStringLiteral("written by %1 training process(es), resumed with %2: "
                                        "batches are split differently and per-process BatchNorm "
                                        "statistics restart from rank 0's, so the resume is not "
                                        "exact")
                             .arg(worldThen)
                             .arg(worldNow);
        plan.exact = false;
        plan.worldSizeChanged = true;
    } else if (worldThen > 1) {
        plan.checks << QStringLiteral("same number of training processes (%1)").arg(worldThen);
    }

    if (!plan.problems.isEmpty())
        return plan;

    // Where: the newest state of its run continues in place; an older one branches.
    const QFileInfo file(plan.checkpoint);
    const QString weightsDir = file.absolutePath();
    const bool inRun = QFileInfo(weightsDir).fileName() == QLatin1String("weights");
    const QString runDir = inRun ? QFileInfo(weightsDir).absolutePath()
                                 : meta.value(QStringLiteral("run_dir")).toString();
    const auto newest = newestStateOf(weightsDir);
    const bool isNewest = inRun && std::make_pair(plan.info.epoch, plan.info.batch) >= newest;
    if (isNewest) {
        plan.mode = ResumePlan::Mode::Continue;
        plan.runDir = runDir;
    } else {
        plan.mode = ResumePlan::Mode::Branch;
        plan.runDir = branchDirFor(runDir.isEmpty() ? weightsDir : runDir, plan.info.epoch);
    }
    return plan;
}

Result<QString> ResumePlanner::newestLastCheckpoint(const QString &projectDir)
{
    QString newest;
    QDateTime newestTime;
    QDirIterator it(projectDir, {QStringLiteral("last.pt")}, QDir::Files,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo info(path);
        if (newest.isEmpty() || info.lastModified() > newestTime) {
            newest = path;
            newestTime = info.lastModified();
        }
    }
    if (newest.isEmpty())
        return Result<QString>::fail(QStringLiteral("resume=true: no last.pt found under %1")
                                         .arg(QDir(projectDir).absolutePath()));
    return Result<QString>::ok(newest);
}

} // namespace yolodeck
