// bench_ui_latency: how long the GUI event loop can be kept from running while the window trains.
//
// The window trains the tiny model on the generated dataset for about 20 s (live charts, status
// bar, system panel, checkpoint list all updating) and is then stopped from its toolbar. A 1 ms
// precise timer on the GUI thread records the time between its ticks; a long gap is a moment the
// window could not repaint or react to input. Target: max gap < 50 ms.
//
//   bench_ui_latency [seconds=20]
//   bench_ui_latency max_gap_ms=.. p99_gap_ms=.. batches=..
#include "core/data/synthdataset.h"
#include "ui/mainwindow.h"
#include "ui/metatypes.h"
#include "ui/runsetup/runsetuppanel.h"

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace yolodeck;

namespace {

QAction *actionWithText(QWidget *window, const QString &text)
{
    for (QAction *action : window->findChildren<QAction *>()) {
        if (action->text() == text)
            return action;
    }
    return nullptr;
}

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t i = std::min(values.size() - 1, size_t(p * double(values.size() - 1) + 0.5));
    return values[i];
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("YoloDeckBenchmarks"));
    QCoreApplication::setApplicationName(QStringLiteral("bench_ui_latency"));
    QSettings().clear();
    registerMetaTypes();
    const int seconds = argc > 1 ? qMax(1, QString::fromLocal8Bit(argv[1]).toInt()) : 20;

    QTemporaryDir dir;
    SynthOptions data;
    data.dir = dir.filePath(QStringLiteral("synth"));
    data.imgsz = 64; // the demo's 128 train / 32 val images, at the size the demo trains
    if (const Status written = writeSynthDataset(data); !written) {
        std::fprintf(stderr, "bench_ui_latency: %s\n", qPrintable(written.error()));
        return 1;
    }

    MainWindow window;
    window.resize(1600, 1000);
    window.show();
    window.tabs()->setCurrentIndex(MainWindow::ChartsTab);
    // The demo's settings (RunSetupPanel picks them for the demo dataset).
    const std::pair<const char *, QString> keys[] = {
        {"data", data.dir + QStringLiteral("/data.yaml")},
        {"model", QStringLiteral("tiny")},
        {"epochs", QStringLiteral("1000")}, // stopped after `seconds`
        {"imgsz", QStringLiteral("64")},
        {"batch", QStringLiteral("8")},
        {"nbs", QStringLiteral("8")},
        {"warmup_epochs", QStringLiteral("0")},
        {"mosaic", QStringLiteral("0")},
        {"workers", QStringLiteral("2")},
        // One core is left to the GUI thread: the benchmark measures what the window's own code
        // blocks, not how the kernel shares a saturated machine.
        {"threads", QString::number(qMax(1, QThread::idealThreadCount() - 1))},
        {"project", dir.filePath(QStringLiteral("runs"))},
        {"name", QStringLiteral("latency")},
    };
    for (const auto &[key, value] : keys)
        window.setupPanel()->setText(QLatin1String(key), value);
    QAction *start = actionWithText(&window, QStringLiteral("&Start"));
    QAction *stop = actionWithText(&window, QStringLiteral("S&top"));
    if (!start || !stop || !start->isEnabled()) {
        std::fprintf(stderr, "bench_ui_latency: cannot start: %s\n",
                     qPrintable(window.setupPanel()->config().error()));
        return 1;
    }

    TrainingController *controller = window.controller();
    int batches = 0;
    bool failed = false;
    QString failure;
    QEventLoop loop;
    QObject::connect(controller, &TrainingController::batchFinished, &window,
                     [&batches] { ++batches; });
    QObject::connect(controller, &TrainingController::runStarted, &window, [&] {
        QTimer::singleShot(seconds * 1000, Qt::PreciseTimer, stop, &QAction::trigger);
    });
    QObject::connect(controller, &TrainingController::runFinished, &loop,
                     [&](const RunFinished &done) {
                         failed = done.failed;
                         failure = done.message;
                         loop.quit();
                     });

    // Gaps between the ticks of a 1 ms timer, from Start until the run has stopped.
    std::vector<double> gaps;
    gaps.reserve(size_t(seconds + 30) * 1000);
    QElapsedTimer clock;
    qint64 previous = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(1);
    // The longest gaps with what the run was doing then, for the diagnosis on stderr.
    struct LongGap
    {
        double at, ms;
        int batches, epochs;
    };
    std::vector<LongGap> longGaps;
    int epochs = 0;
    QObject::connect(controller, &TrainingController::epochFinished, &window,
                     [&epochs] { ++epochs; });
    QObject::connect(&tick, &QTimer::timeout, &window, [&] {
        const qint64 now = clock.nsecsElapsed();
        const double gap = (now - previous) / 1e6;
        gaps.push_back(gap);
        if (gap > 20)
            longGaps.push_back({previous / 1e9, gap, batches, epochs});
        previous = now;
    });
    clock.start();
    tick.start();
    start->trigger();
    loop.exec();
    tick.stop();

    if (failed) {
        std::fprintf(stderr, "bench_ui_latency: training failed: %s\n", qPrintable(failure));
        return 1;
    }
    const double maxGap = gaps.empty() ? 0 : *std::max_element(gaps.begin(), gaps.end());
    std::fprintf(stderr, "bench_ui_latency: %zu ticks over %.1f s, target max_gap_ms < 50\n",
                 gaps.size(), clock.elapsed() / 1000.0);
    std::sort(longGaps.begin(), longGaps.end(),
              [](const LongGap &a, const LongGap &b) { return a.ms > b.ms; });
    for (size_t i = 0; i < std::min<size_t>(longGaps.size(), 8); ++i)
        std::fprintf(stderr, "  gap %.1f ms at %.2f s (after %d batches, %d epochs)\n",
                     longGaps[i].ms, longGaps[i].at, longGaps[i].batches, longGaps[i].epochs);
    std::printf("bench_ui_latency max_gap_ms=%.1f p99_gap_ms=%.1f batches=%d\n", maxGap,
                percentile(gaps, 0.99), batches);
    return 0;
}
