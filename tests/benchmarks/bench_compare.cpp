// Best vs last on blueline's val split (20 real photos), and the confidence slider.
//
// Trains a short run on ../shared/datasets/blueline (model n at imgsz 224 by default, as the
// README's blueline run; a few epochs are enough to have a best.pt and a last.pt that differ),
// then times compareCheckpoints() on best.pt vs last.pt twice: cold (both models evaluated, the
// cache empty) and warm (both prediction sets read from the cache). The slider time is the
// recount of every per-image TP/FP/FN and the disagreement ranking for 1,000 generated images with
// 5 labels and 60 detections each (compareImages + summarise + rankImages), median of 50 moves.
//
//   bench_compare [scale=n] [imgsz=224] [epochs=3] [images=1000] [runs=50] [a= b= data=]
//   (a= and b= compare two existing checkpoints instead of training)

#include "tests/benchmarks/benchmarksupport.h"

#include "core/compare/checkpointcomparer.h"
#include "core/train/trainer.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <random>

using namespace yolodeck;

namespace {

// Generated matches: each image has `labels` objects; a model finds each with probability 0.8 at
// a random confidence and adds false positives, so thresholds cut everywhere.
std::vector<ImageMatches> generatedMatches(int images, quint64 seed)
{
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::vector<ImageMatches> out(images);
    for (ImageMatches &m : out) {
        for (int l = 0; l < 5; ++l)
            m.labelFoundAt.push_back(unit(rng) < 0.8f ? unit(rng) : -1.0f);
        for (int d = 0; d < 55; ++d)
            m.falsePositiveConf.push_back(unit(rng) * 0.5f);
        std::sort(m.falsePositiveConf.begin(), m.falsePositiveConf.end(), std::greater<>());
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QMap<QString, QString> args{
        {QStringLiteral("scale"), QStringLiteral("n")},
        {QStringLiteral("imgsz"), QStringLiteral("224")},
        {QStringLiteral("epochs"), QStringLiteral("3")},
        {QStringLiteral("images"), QStringLiteral("1000")},
        {QStringLiteral("runs"), QStringLiteral("50")},
        {QStringLiteral("a"), QString()},
        {QStringLiteral("b"), QString()},
        {QStringLiteral("data"),
         QStringLiteral(YOLODECK_SOURCE_DIR "/../shared/datasets/blueline/data.yaml")}};
    int imgsz = 0, epochs = 0, images = 0, runs = 0;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("imgsz"), 32, &imgsz) ||
        !benchmark::intOption(args, QStringLiteral("epochs"), 1, &epochs) ||
        !benchmark::intOption(args, QStringLiteral("images"), 1, &images) ||
        !benchmark::intOption(args, QStringLiteral("runs"), 1, &runs))
        return 2;
    const int threads = benchmark::useAllCores();
    QTemporaryDir tmp;
    qputenv("YOLODECK_CACHE_DIR", tmp.filePath(QStringLiteral("cache")).toLocal8Bit());

    QString a = args.value(QStringLiteral("a")), b = args.value(QStringLiteral("b"));
    if (a.isEmpty() || b.isEmpty()) {
        TrainConfig c;
        c.data = args.value(QStringLiteral("data"));
        c.model = args.value(QStringLiteral("scale"));
        c.imgsz = imgsz;
        c.epochs = epochs;
        c.threads = threads;
        c.project = tmp.filePath(QStringLiteral("runs"));
        c.name = QStringLiteral("bench");
        std::fprintf(stderr, "training %s on %s for %d epochs...\n", qPrintable(c.model),
                     qPrintable(c.data), epochs);
        Trainer trainer(c);
        TrainingObserver quiet;
        const RunFinished done = trainer.run(&quiet);
        if (done.failed) {
            std::fprintf(stderr, "training failed: %s\n", qPrintable(done.message));
            return 1;
        }
        const auto pair = defaultComparisonPair(done.runDir);
        if (!pair) {
            std::fprintf(stderr, "%s\n", qPrintable(pair.error()));
            return 1;
        }
        a = pair.value().first;
        b = pair.value().second;
    }
    CompareRequest request;
    request.a = a;
    request.b = b;
    request.dataYaml = args.value(QStringLiteral("data"));
    double seconds[2] = {0, 0};
    Comparison comparison;
    for (int pass = 0; pass < 2; ++pass) {
        QElapsedTimer timer;
        timer.start();
        Result<Comparison> r = compareCheckpoints(request);
        seconds[pass] = timer.nsecsElapsed() / 1e9;
        if (!r) {
            std::fprintf(stderr, "%s\n", qPrintable(r.error()));
            return 1;
        }
        comparison = r.take();
    }

    const std::vector<ImageMatches> ma = generatedMatches(images, 1),
                                    mb = generatedMatches(images, 2);
    std::vector<double> slider;
    int checksum = 0;
    for (int run = 0; run < runs; ++run) {
        const float c = 0.05f + 0.9f * float(run) / float(runs);
        QElapsedTimer timer;
        timer.start();
        const std::vector<ImageComparison> rows = compareImages(ma, mb, c);
        const ComparisonSummary s = summarise(rows);
        const std::vector<int> ranked = rankImages(rows, DisagreementOrder::Disagreement);
        slider.push_back(benchmark::elapsedMs(timer));
        checksum += s.onlyA + ranked.front();
    }
    std::fprintf(stderr, "compared %s (%s) with %s (%s) on %d images; checksum %d\n",
                 qPrintable(QFileInfo(a).fileName()), qPrintable(comparison.a.info.kind),
                 qPrintable(QFileInfo(b).fileName()), qPrintable(comparison.b.info.kind),
                 int(comparison.a.predictions.images.size()), checksum);
    std::printf("bench_compare images=%d imgsz=%d threads=%d same_weights=%d cold_s=%.2f "
                "cached_s=%.3f eval_ms_per_image=%.1f slider_images=%d slider_ms=%.2f\n",
                int(comparison.a.predictions.images.size()), comparison.settings.imgsz, threads,
                comparison.sameWeights ? 1 : 0, seconds[0], seconds[1],
                comparison.a.predictions.msPerImage, images, benchmark::median(slider));
    return 0;
}
