#pragma once

// A small comparison made by hand for the comparison view's tests: five 100×100 images, classes
// cat (0) and dog (1), fixed detections, matched and scored by core's own functions. What each
// image holds (at confidence 0.25):
//   0: cat + dog labels. A finds both; B finds the cat only.                  (only A 1)
//   1: a cat. A misses it; B finds it and adds two false positives.           (only B 1, FP B 2)
//   2: a dog. A finds it at 0.30; B calls it a cat at 0.85 (wrong class).     (only A 1, FP B 1)
//   3: no label. A has a cat false positive at 0.40.                          (FP A 1)
//   4: a cat both miss; each has a dog false positive at 0.50.                (both miss 1)

#include "core/compare/comparison.h"

#include <QDir>
#include <QImage>
#include <QStringList>

namespace handmade {

using namespace yolodeck;

inline GroundTruth label(float x1, float y1, float x2, float y2, int cls)
{
    return {x1, y1, x2, y2, cls};
}

inline Detection det(float x1, float y1, float x2, float y2, float conf, int cls)
{
    return {x1, y1, x2, y2, conf, cls};
}

// `imageDir` non-empty: the images are written there as PNGs (the image view draws them).
inline Comparison comparison(const QString &imageDir = {})
{
    const QStringList names = {QStringLiteral("cat"), QStringLiteral("dog")};
    const std::vector<std::vector<GroundTruth>> labels = {
        {label(10, 10, 40, 40, 0), label(60, 60, 90, 90, 1)},
        {label(20, 20, 50, 50, 0)},
        {label(10, 10, 50, 50, 1)},
        {},
        {label(30, 30, 70, 70, 0)},
    };
    const std::vector<std::vector<Detection>> detectionsA = {
        {det(10, 10, 40, 40, 0.9f, 0), det(60, 60, 90, 90, 0.8f, 1)},
        {},
        {det(10, 10, 50, 50, 0.3f, 1)},
        {det(5, 5, 30, 30, 0.4f, 0)},
        {det(0, 0, 10, 10, 0.5f, 1)},
    };
    const std::vector<std::vector<Detection>> detectionsB = {
        {det(10, 10, 40, 40, 0.9f, 0)},
        {det(20, 20, 50, 50, 0.7f, 0), det(70, 70, 95, 95, 0.6f, 1), det(0, 0, 15, 15, 0.55f, 0)},
        {det(10, 10, 50, 50, 0.85f, 0)},
        {},
        {det(0, 0, 10, 10, 0.5f, 1)},
    };

    EvaluationSettings settings;
    settings.dataYaml = QStringLiteral("/data/pets/data.yaml");
    settings.imgsz = 64;
    auto set = [&](const QString &checkpoint,
                   const std::vector<std::vector<Detection>> &detections) {
        PredictionSet s;
        s.checkpointPath = checkpoint;
        s.names = names;
        s.settings = settings;
        for (size_t i = 0; i < labels.size(); ++i) {
            ImagePredictions p;
            p.imagePath = imageDir.isEmpty()
                              ? QStringLiteral("/data/pets/images/val/img%1.jpg").arg(i)
                              : QDir(imageDir).filePath(QStringLiteral("img%1.png").arg(i));
            p.width = 100;
            p.height = 100;
            p.labels = labels[i];
            p.detections = detections[i];
            s.images.push_back(p);
        }
        return s;
    };
    if (!imageDir.isEmpty()) {
        QDir().mkpath(imageDir);
        for (size_t i = 0; i < labels.size(); ++i) {
            QImage image(100, 100, QImage::Format_RGB32);
            image.fill(QColor::fromHsv(int(i) * 60, 80, 200));
            image.save(QDir(imageDir).filePath(QStringLiteral("img%1.png").arg(i)));
        }
    }

    Comparison c;
    c.names = names;
    c.settings = settings;
    auto model = [&](ComparedModel &m, const QString &path, int epoch,
                     const std::vector<std::vector<Detection>> &detections) {
        m.info.path = path;
        m.info.kind = QStringLiteral("weights");
        m.info.epoch = epoch;
        m.info.fitness = 0.5;
        m.info.size = 1234567;
        m.predictions = set(path, detections);
        m.metrics = metricsOf(m.predictions);
        m.matches = matchImages(m.predictions);
        m.confusion = confusionMatrix(m.predictions);
        for (int e = 1; e <= epoch; ++e) {
            EpochRecord r;
            r.epoch = e;
            r.map50_95 = 0.1 * e;
            m.history.push_back(r);
        }
    };
    model(c.a, QStringLiteral("/runs/pets/weights/best.pt"), 3, detectionsA);
    model(c.b, QStringLiteral("/runs/pets/weights/last.pt"), 5, detectionsB);
    // Box loss and ms/image are better (lower) for B, cls loss for A, dfl loss the same.
    c.a.predictions.loss = {1.0, 2.0, 3.0};
    c.b.predictions.loss = {0.8, 2.5, 3.0};
    c.a.predictions.msPerImage = 5.0;
    c.b.predictions.msPerImage = 4.0;
    c.layers = {{QStringLiteral("model.0"), 0.01, 464},
                {QStringLiteral("model.1"), 0.05, 4672},
                {QStringLiteral("model.22"), 0.2, 75000}};
    c.bootstrap.delta = c.b.metrics.map50_95 - c.a.metrics.map50_95;
    c.bootstrap.low = c.bootstrap.delta - 0.1;
    c.bootstrap.high = c.bootstrap.delta + 0.1;
    c.bootstrap.resamples = 1000;
    c.bootstrap.seed = 0;
    return c;
}

} // namespace handmade
