#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/common/textutil.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/eval/metricstable.h"
#include "core/eval/predictionfiles.h"
#include "core/runlog/runlog.h"
#include "core/train/validator.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace yolodeck {

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
        m_out << QStringLiteral("%1 images in %2 s (%3 images/s including NMS; network on %4)\n")
                     .arg(out.images)
                     .arg(out.seconds, 0, 'f', 2)
                     .arg(out.imagesPerSecond, 0, 'f', 1)
                     .arg(out.engine);
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

} // namespace yolodeck
