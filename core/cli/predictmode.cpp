#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/data/augment.h"
#include "core/data/imageio.h"
#include "core/eval/nms.h"
#include "core/eval/predictionfiles.h"
#include "core/runlog/runlog.h"
#include "core/train/validator.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFileInfo>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace yolodeck {

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
    // As in validation: an inference copy with BatchNorm folded, under inference mode, and one
    // input tensor reused for every image (they all letterbox to size x size).
    c10::InferenceMode inference;
    YoloModel net = inferenceCopy(*loaded.value().model.model);
    torch::Tensor input = torch::empty({1, 3, size, size}, torch::kFloat32);
    cv::Mat rgb;
    double preprocessMs = 0, inferenceMs = 0, postprocessMs = 0;
    int predicted = 0;
    QElapsedTimer clock;
    int failed = 0;
    for (const QString &path : images) {
        QString error;
        cv::Mat image = loadImage(path, &error);
        if (image.empty()) {
            m_err << QStringLiteral("WARNING %1: %2 (skipped)\n").arg(path, error);
            ++failed;
            continue;
        }
        clock.start();
        Letterbox lb;
        cv::cvtColor(letterbox(image, size, true, &lb), rgb, cv::COLOR_BGR2RGB);
        // HWC uint8 -> CHW float in [0, 1], converted while copying into the reused tensor.
        input.copy_(
            torch::from_blob(rgb.data, {1, size, size, 3}, torch::kUInt8).permute({0, 3, 1, 2}));
        input.div_(255.0);
        const torch::Tensor x = input.to(loaded.value().device);
        preprocessMs += clock.nsecsElapsed() / 1e6;
        clock.start();
        const torch::Tensor pred = net->decode(net->forward(x));
        inferenceMs += clock.nsecsElapsed() / 1e6;
        clock.start();
        const torch::Tensor dets =
            nonMaxSuppression(pred, float(conf.value()), float(iou.value()), maxDet.value())[0];
        const std::vector<Detection> found = toOriginalDetections(dets, lb);
        postprocessMs += clock.nsecsElapsed() / 1e6;
        ++predicted;
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
    // Ultralytics' speed line: per image, preprocessing (letterbox, colour, scaling), the
    // network with box decoding, and NMS with the mapping back to the image.
    if (predicted > 0)
        m_out << QStringLiteral("Speed: %1ms preprocess, %2ms inference, %3ms postprocess per "
                                "image at shape (1, 3, %4, %4)\n")
                     .arg(preprocessMs / predicted, 0, 'f', 1)
                     .arg(inferenceMs / predicted, 0, 'f', 1)
                     .arg(postprocessMs / predicted, 0, 'f', 1)
                     .arg(size);
    m_out << QStringLiteral("Results saved to %1\n").arg(runDir.value());
    return failed == images.size() ? 1 : 0;
}

} // namespace yolodeck
