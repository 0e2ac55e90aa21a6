// Training-batch throughput of BatchLoader (decode, mosaic, affine, HSV, flip, tensor conversion)
// for several worker counts, on generated imgsz x imgsz images. Nothing consumes the batches, so
// this is the most the loader can feed a trainer.
//
//   bench_loader [imgsz=640] [images=64] [batch=8] [mosaic=1] [warmup=1] [epochs=2]
//                [workers=0,1,2,4]

#include "tests/benchmarks/benchmarksupport.h"

#include "core/data/batchloader.h"
#include "core/data/dataset.h"
#include "core/data/datasetconfig.h"
#include "core/data/synthdataset.h"

#include <QDir>
#include <QTemporaryDir>

#include <cstdio>
#include <optional>

using namespace yolodeck;

namespace {

// Images per second over `epochs` full epochs, after `warmup` epochs that fill the page cache and
// the workers' first allocations.
double imagesPerSecond(const Dataset &dataset, const LoaderOptions &options, bool mosaic,
                       int warmup, int epochs)
{
    BatchLoader loader(dataset, options);
    int images = 0;
    QElapsedTimer timer;
    for (int epoch = 0; epoch < warmup + epochs; ++epoch) {
        if (epoch == warmup) {
            images = 0;
            timer.start();
        }
        loader.startEpoch(epoch, mosaic);
        while (std::optional<Batch> batch = loader.next())
            images += int(batch->images.size(0));
    }
    const double seconds = timer.nsecsElapsed() / 1e9;
    return seconds > 0 ? images / seconds : 0;
}

} // namespace

int main(int argc, char **argv)
{
    QMap<QString, QString> args{{QStringLiteral("imgsz"), QStringLiteral("640")},
                                {QStringLiteral("images"), QStringLiteral("64")},
                                {QStringLiteral("batch"), QStringLiteral("8")},
                                {QStringLiteral("mosaic"), QStringLiteral("1")},
                                {QStringLiteral("warmup"), QStringLiteral("1")},
                                {QStringLiteral("epochs"), QStringLiteral("2")},
                                {QStringLiteral("workers"), QStringLiteral("0,1,2,4")}};
    int imgsz = 0, images = 0, batch = 0, mosaic = 0, warmup = 0, epochs = 0;
    if (!benchmark::parseOverrides(argc, argv, args) ||
        !benchmark::intOption(args, QStringLiteral("imgsz"), 32, &imgsz) ||
        !benchmark::intOption(args, QStringLiteral("images"), 1, &images) ||
        !benchmark::intOption(args, QStringLiteral("batch"), 1, &batch) ||
        !benchmark::intOption(args, QStringLiteral("mosaic"), 0, &mosaic) ||
        !benchmark::intOption(args, QStringLiteral("warmup"), 0, &warmup) ||
        !benchmark::intOption(args, QStringLiteral("epochs"), 1, &epochs))
        return 2;
    std::vector<int> workerCounts;
    for (const QString &w : args.value(QStringLiteral("workers")).split(QLatin1Char(','))) {
        bool ok = false;
        workerCounts.push_back(w.toInt(&ok));
        if (!ok || workerCounts.back() < 0) {
            std::fprintf(stderr, "workers=%s: expected a comma-separated list of counts >= 0\n",
                         qPrintable(args.value(QStringLiteral("workers"))));
            return 2;
        }
    }

    // The loader's own threads do the work; torch's intra-op pool only matters for the final
    // tensor conversion, but the trainer sets it, so the benchmark does too.
    const int threads = benchmark::useAllCores();
    QTemporaryDir tmp;
    if (!tmp.isValid()) {
        std::fprintf(stderr, "cannot create a temporary folder: %s\n",
                     qPrintable(tmp.errorString()));
        return 1;
    }
    SynthOptions synth;
    synth.dir = tmp.path();
    synth.train = images;
    synth.val = 1;
    synth.imgsz = imgsz;
    QElapsedTimer setup;
    setup.start();
    if (const Status st = writeSynthDataset(synth); !st) {
        std::fprintf(stderr, "%s\n", qPrintable(st.error()));
        return 1;
    }
    const Result<DatasetConfig> config =
        DatasetConfig::load(QDir(tmp.path()).filePath(QStringLiteral("data.yaml")));
    if (!config) {
        std::fprintf(stderr, "%s\n", qPrintable(config.error()));
        return 1;
    }
    const Result<Dataset> dataset = Dataset::scan(config.value(), Split::Train);
    if (!dataset) {
        std::fprintf(stderr, "%s\n", qPrintable(dataset.error()));
        return 1;
    }
    std::fprintf(stderr, "%d synthetic %dx%d images written and scanned in %.0f ms; %d threads\n",
                 images, imgsz, imgsz, benchmark::elapsedMs(setup), threads);

    QString line = QStringLiteral("bench_loader imgsz=%1 images=%2 batch=%3 mosaic=%4 augment=1")
                       .arg(imgsz)
                       .arg(images)
                       .arg(batch)
                       .arg(mosaic ? 1 : 0);
    for (int workers : workerCounts) {
        LoaderOptions options;
        options.imgsz = imgsz;
        options.batch = batch;
        options.workers = workers;
        options.augment = true;
        options.shuffle = true;
        const double rate = imagesPerSecond(dataset.value(), options, mosaic != 0, warmup, epochs);
        std::fprintf(stderr, "workers=%d: %.2f images/s\n", workers, rate);
        line += QStringLiteral(" w%1=%2").arg(workers).arg(rate, 0, 'f', 2);
    }
    std::printf("%s\n", qPrintable(line));
    return 0;
}
