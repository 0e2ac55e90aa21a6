#pragma once

#include "core/common/result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace yolodeck {

// The whole configuration of a training run, with Ultralytics' key names and defaults
// (REFERENCE.md "Default hyperparameters") plus YoloDeck's own keys (threads, strip, force,
// fitness weights). Plain values only: the window edits it, the trainer reads it, args.yaml and
// the checkpoint's meta.json store it.
struct TrainConfig
{
    // What to train
    QString model = QStringLiteral("n"); // a scale (n s m l x tiny) or a .pt to fine-tune from
    QString data;
    int epochs = 100;
    int patience = 100;
    int batch = 16;
    int imgsz = 640;
    int savePeriod = -1;
    int keep = 0; // keep only the newest N periodic epochN.pt files (0 = all)
    QString cache = QStringLiteral("false"); // false | ram
    QString device;                          // "" (auto), cpu, cuda, cuda:N, N
    int workers = 8;
    int threads = 0; // intra-op threads; 0 = every core (shared by the local ranks)
    // The CPU training engine (DESIGN.md §4): onednn (OneDnnTraining, maps in oneDNN's blocked
    // layout), libtorch, or auto: oneDNN where it can run the model. Part of a run's state.
    QString engine = QStringLiteral("auto");
    // Data-parallel training (DESIGN.md §9): nproc local ranks (1 = one process, whatever the
    // environment says), or, when nproc is 0 (not given), the job described by
    // RANK/WORLD_SIZE/MASTER_ADDR/MASTER_PORT if there is one.
    int nproc = 0;
    int distTimeout = 300; // seconds a collective may wait for a silent rank
    QString project = QStringLiteral("runs/detect");
    QString name = QStringLiteral("train");
    bool existOk = false;
    QString optimizer = QStringLiteral("auto"); // auto | SGD | AdamW
    int seed = 0;
    bool deterministic = true;
    bool cosLr = false;
    int closeMosaic = 10;
    QString resume = QStringLiteral("false"); // false | true (newest last.pt) | path to a .pt
    bool amp = true;
    bool val = true;
    bool strip = true;       // strip best.pt/last.pt to weights at the end (Ultralytics does)
    bool tensorboard = true; // also write events.out.tfevents.* in the run folder
    bool force = false;      // allow math-changing overrides on resume (marks it not exact)
    // Optimisation
    double lr0 = 0.01;
    double lrf = 0.01;
    double momentum = 0.937;
    double weightDecay = 0.0005;
    double warmupEpochs = 3.0;
    double warmupMomentum = 0.8;
    double warmupBiasLr = 0.1;
    double box = 7.5;
    double cls = 0.5;
    double dfl = 1.5;
    int nbs = 64;
    // Augmentation
    double hsvH = 0.015;
    double hsvS = 0.7;
    double hsvV = 0.4;
    double degrees = 0.0;
    double translate = 0.1;
    double scale = 0.5;
    double shear = 0.0;
    double perspective = 0.0;
    double flipud = 0.0;
    double fliplr = 0.5;
    double mosaic = 1.0;
    // Validation
    double conf = 0.001;
    double iou = 0.7;
    int maxDet = 300;
    // Which checkpoint is best.pt: fitness = w50 * mAP50 + w5095 * mAP50-95
    double fitnessMap50 = 0.1;
    double fitnessMap5095 = 0.9;

    // Sets one key from its text form; the error names the key and the valid choices.
    Status set(const QString &key, const QString &value);
    // Parses `key=value` words (the CLI's arguments after the mode).
    static Result<TrainConfig> fromArguments(const QStringList &arguments);
    // Returns the key names and their current values as text, in a stable order.
    std::vector<std::pair<QString, QString>> items() const;
    QString value(const QString &key) const;
    static QStringList keys();
    static QString help(const QString &key);
    // Checks the values together (after all keys are set).
    Status validate() const;

    QString toYaml() const;
    QJsonObject toJson() const;
    static Result<TrainConfig> fromJson(const QJsonObject &json);

    // Keys whose change alters the training's math: refused on exact resume unless forced.
    static QStringList mathKeys();
};

} // namespace yolodeck
