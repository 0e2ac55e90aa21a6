// bench_compare_ui: how long the window's event loop can be kept from running while it compares
// two checkpoints (evaluation on the worker thread, then filling the tables, charts and image list
// on the GUI thread), and how long the confidence slider takes to update every view.
//
// The window compares a= with b= (default: best.pt and last.pt of a tiny run trained on the
// generated dataset first). A 1 ms precise timer on the GUI thread records the gaps between its
// ticks; a long gap is a moment the window could not repaint or react. Target: max gap < 50 ms.
//
//   bench_compare_ui [a= b=] [moves=20]
//   bench_compare_ui max_gap_ms=.. p99_gap_ms=.. compare_s=.. slider_ms=..
#include "core/data/synthdataset.h"
#include "ui/compare/comparisonview.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace yolodeck;

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("YoloDeckBenchmarks"));
    QCoreApplication::setApplicationName(QStringLiteral("bench_compare_ui"));
    QTemporaryDir tmp;
    qputenv("YOLODECK_CACHE_DIR", tmp.filePath(QStringLiteral("cache")).toLocal8Bit());

    QString a, b;
    int moves = 20;
    for (const QString &arg : QCoreApplication::arguments().mid(1)) {
        if (arg.startsWith(QLatin1String("a=")))
            a = arg.mid(2);
        else if (arg.startsWith(QLatin1String("b=")))
            b = arg.mid(2);
        else if (arg.startsWith(QLatin1String("moves=")))
            moves = std::max(1, arg.mid(6).toInt());
        else {
            std::fprintf(stderr, "unknown argument %s; accepted: a= b= moves=\n", qPrintable(arg));
            return 2;
        }
    }
    if (a.isEmpty() || b.isEmpty()) {
        SynthOptions synth;
        synth.dir = tmp.filePath(QStringLiteral("data"));
        synth.train = 64;
        synth.val = 32;
        synth.imgsz = 64;
        if (!writeSynthDataset(synth)) {
            std::fprintf(stderr, "cannot write the dataset\n");
            return 1;
        }
        std::fprintf(stderr, "training a tiny run...\n");
        QProcess train;
        train.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        train.start(QStringLiteral(YOLODECK_CLI),
                    {QStringLiteral("train"),
                     QStringLiteral("data=") + synth.dir + QStringLiteral("/data.yaml"),
                     QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                     QStringLiteral("epochs=4"), QStringLiteral("batch=8"),
                     QStringLiteral("project=") + tmp.filePath(QStringLiteral("runs")),
                     QStringLiteral("name=t")});
        if (!train.waitForFinished(600000) || train.exitCode() != 0) {
            std::fprintf(stderr, "training failed\n");
            return 1;
        }
        a = tmp.filePath(QStringLiteral("runs/t/weights/best.pt"));
        b = tmp.filePath(QStringLiteral("runs/t/weights/last.pt"));
    }

    MainWindow window;
    window.resize(1366, 768);
    window.show();
    ComparisonView *view = window.comparisonView();

    std::vector<double> gaps;
    QElapsedTimer clock;
    qint64 last = 0;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(1);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        gaps.push_back((now - last) / 1e6);
        last = now;
    });
    bool done = false, failed = false;
    QObject::connect(view, &ComparisonView::finished, [&] { done = true; });
    QObject::connect(view, &ComparisonView::failed, [&](const QString &message) {
        std::fprintf(stderr, "%s\n", qPrintable(message));
        failed = done = true;
    });
    clock.start();
    ticker.start();
    window.compareCheckpoints(a, b);
    while (!done)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double compareSeconds = clock.nsecsElapsed() / 1e9;
    // Let the freshly filled views paint once, inside the measured window.
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 500)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    ticker.stop();
    if (failed)
        return 1;

    // The slider: every table, the image list, the sentence and the curves' marker at once.
    QSlider *slider = view->confidenceSlider();
    std::vector<double> sliderMs;
    for (int m = 0; slider && m < moves; ++m) {
        QElapsedTimer t;
        t.start();
        slider->setValue(slider->minimum() + (m * 37) % (slider->maximum() - slider->minimum()));
        QCoreApplication::processEvents();
        sliderMs.push_back(t.nsecsElapsed() / 1e6);
    }
    std::sort(gaps.begin(), gaps.end());
    std::sort(sliderMs.begin(), sliderMs.end());
    const auto at = [](const std::vector<double> &v, double p) {
        return v.empty() ? 0.0 : v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
    };
    std::printf("bench_compare_ui images=%d max_gap_ms=%.1f p99_gap_ms=%.1f compare_s=%.2f "
                "slider_ms=%.1f\n",
                view->comparison() ? int(view->comparison()->a.predictions.images.size()) : 0,
                gaps.empty() ? 0.0 : gaps.back(), at(gaps, 0.99), compareSeconds,
                at(sliderMs, 0.5));
    return 0;
}
