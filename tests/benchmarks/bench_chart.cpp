// bench_chart: the cost of one live redraw of a long run's loss chart.
//
// A Losses ChartView is given a long run: 300,000 batches (300 epochs of 1,000), three losses each
// drawn raw and smoothed, and 300 epoch rows (train and val losses). It keeps the newest batches as
// they came and an archive of means for the rest (ChartView), at most ~8,000 points per curve.
// Each measured redraw is what the chart's 10 Hz timer does during training after a batch arrived:
// rebuild the series (smoothing included) and replot, then paint the widget. Target: median < 16 ms
// (one frame at 60 Hz).
//
//   bench_chart [replots=20]
//   bench_chart batches=300000 points_per_curve=.. replot_ms_median=.. replot_ms_max=..
//   chart_mib=..
// chart_mib: resident memory the run's batches added (points, smoothing state and QCustomPlot's
// copies) after the first draw: what a long run costs the window per batch chart. Before the
// archive it grew by 241 bytes per batch (~69 MiB for this run).
#include "ui/chartview.h"

#include <QApplication>
#include <QElapsedTimer>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <unistd.h>

using namespace yolodeck;

namespace {

constexpr int kPoints = 300000;
// The shape of a long run on a large dataset: 300 epochs of 1,000 batches.
constexpr int kBatchesPerEpoch = 1000;

BatchProgress batchAt(int index, double jitter)
{
    BatchProgress p;
    p.epoch = index / kBatchesPerEpoch + 1;
    p.epochs = kPoints / kBatchesPerEpoch;
    p.batch = index % kBatchesPerEpoch + 1;
    p.batches = kBatchesPerEpoch;
    p.globalStep = index + 1;
    // A decaying loss with noise, so the smoothed and raw curves differ as in a real run.
    const double base = 3.0 * std::exp(-index / 30000.0) + 0.5;
    const double noise = 0.2 * std::sin(index * 12.9898 + jitter);
    p.loss = {base + noise, 0.5 * base + noise, 0.8 * base - noise};
    p.lr = {0.01, 0.01, 0.01};
    return p;
}

long residentBytes()
{
    long pages = 0, resident = 0;
    if (FILE *f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        std::fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const int replots = argc > 1 ? qMax(1, QString::fromLocal8Bit(argv[1]).toInt()) : 20;

    ChartView view(ChartView::Kind::Losses);
    view.resize(960, 540); // a quarter of a 1920x1080 Charts tab
    view.show();
    QCoreApplication::processEvents();

    view.setBatchesPerEpoch(kBatchesPerEpoch);
    view.flush();
    const long residentBefore = residentBytes();
    for (int i = 0; i < kPoints; ++i)
        view.appendBatch(batchAt(i, 0));
    for (int e = 1; e <= kPoints / kBatchesPerEpoch; ++e) {
        EpochRecord r;
        r.epoch = e;
        r.time = e * 60.0;
        r.trainLoss = {1.0 + 1.0 / e, 0.5 + 1.0 / e, 0.8 + 1.0 / e};
        r.valLoss = {1.1 + 1.0 / e, 0.6 + 1.0 / e, 0.9 + 1.0 / e};
        view.appendEpoch(r);
    }
    QElapsedTimer first;
    first.start();
    view.flush();
    view.plot()->repaint();
    std::fprintf(stderr, "bench_chart: first draw %.1f ms\n", first.nsecsElapsed() / 1e6);
    const double chartMiB = double(residentBytes() - residentBefore) / (1024.0 * 1024.0);

    std::vector<double> times;
    for (int k = 0; k < replots; ++k) {
        // The newest batch arrives again with a new value (the chart replaces a repeated batch),
        // so every redraw has the same points and fresh data to rebuild.
        view.appendBatch(batchAt(kPoints - 1, k + 1));
        QElapsedTimer timer;
        timer.start();
        view.flush();
        view.plot()->repaint();
        times.push_back(timer.nsecsElapsed() / 1e6);
        QCoreApplication::processEvents();
    }
    // Diagnostics: the same redraw without rebuilding the series (drawing only), and the
    // rebuild's share of the full redraw.
    std::vector<double> drawOnly;
    for (int k = 0; k < replots; ++k) {
        QElapsedTimer timer;
        timer.start();
        view.plot()->replot();
        view.plot()->repaint();
        drawOnly.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::sort(drawOnly.begin(), drawOnly.end());
    std::fprintf(stderr, "bench_chart: drawing only (no rebuild): median %.2f ms\n",
                 drawOnly[drawOnly.size() / 2]);
    const int points = view.batchPointCount();
    constexpr int kMaxPoints =
        ChartView::kMaxArchivedPoints + 2 * ChartView::kRecentBatchPoints + 1;
    if (points > kMaxPoints || view.plot()->graph(0)->dataCount() != points) {
        std::fprintf(stderr,
                     "bench_chart: expected at most %d points, the chart has %d (%d drawn)\n",
                     kMaxPoints, points, view.plot()->graph(0)->dataCount());
        return 1;
    }
    std::sort(times.begin(), times.end());
    const double median = times.size() % 2
                              ? times[times.size() / 2]
                              : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
    std::fprintf(stderr, "bench_chart: %d replots, target median < 16 ms\n", replots);
    std::printf("bench_chart batches=%d points_per_curve=%d replot_ms_median=%.2f "
                "replot_ms_max=%.2f chart_mib=%.1f\n",
                kPoints, points, median, times.back(), chartMiB);
    return 0;
}
