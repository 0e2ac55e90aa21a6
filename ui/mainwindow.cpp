#include "ui/mainwindow.h"

#include "ui/chartspanel.h"
#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/compare/comparedialog.h"
#include "ui/compare/comparisonview.h"
#include "ui/doctor/systemreportdialog.h"
#include "ui/log/logpane.h"
#include "ui/metatypes.h"
#include "ui/resumedialog.h"
#include "ui/runsetup/runsetuppanel.h"
#include "ui/system/systemmonitor.h"
#include "ui/system/systempanel.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace yolodeck {

namespace {
constexpr int kMaxRecentRuns = 10;

QString duration(double seconds)
{
    if (!(seconds >= 0))
        return QString();
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QStringList checkpointPathsOf(const QMimeData *mime)
{
    QStringList paths;
    if (!mime->hasUrls())
        return paths;
    for (const QUrl &url : mime->urls()) {
        if (url.isLocalFile() &&
            url.toLocalFile().endsWith(QLatin1String(".pt"), Qt::CaseInsensitive))
            paths << url.toLocalFile();
    }
    return paths;
}
} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_controller(new TrainingController(this))
    , m_monitor(new SystemMonitor(this))
{
    registerMetaTypes();
    setWindowTitle(tr("YoloDeck"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/yolodeck.svg")));
    setAcceptDrops(true);

    m_setup = new RunSetupPanel;
    m_charts = new ChartsPanel;
    m_system = new SystemPanel;
    m_system->setMonitor(m_monitor);
    m_checkpoints = new CheckpointBrowser;
    m_log = new LogPane;
    m_compare = new ComparisonView;
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_charts, QIcon(QStringLiteral(":/icons/charts.svg")), tr("Charts"));
    m_tabs->addTab(m_system, QIcon(QStringLiteral(":/icons/system.svg")), tr("System"));
    m_tabs->addTab(m_checkpoints, QIcon(QStringLiteral(":/icons/checkpoint.svg")),
                   tr("Checkpoints"));
    m_tabs->addTab(m_log, QIcon(QStringLiteral(":/icons/log.svg")), tr("Log"));
    m_tabs->addTab(m_compare, QIcon(QStringLiteral(":/icons/checkpoint.svg")), tr("Compare"));
    m_tabs->setTabVisible(CompareTab, false);
    m_tabs->setDocumentMode(true);

    auto splitter = new QSplitter;
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    splitter->addWidget(m_setup);
    splitter->addWidget(m_tabs);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setCollapsible(1, false);
    m_setup->setMinimumWidth(330);
    splitter->setSizes({360, 1000});
    setCentralWidget(splitter);

    createActions();
    createStatusBar();

    connect(m_controller, &TrainingController::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_controller, &TrainingController::runStarted, this, &MainWindow::onRunStarted);
    connect(m_controller, &TrainingController::batchFinished, this, &MainWindow::onBatchFinished);
    connect(m_controller, &TrainingController::validationProgress, this,
            &MainWindow::onValidationProgress);
    connect(m_controller, &TrainingController::epochFinished, this, &MainWindow::onEpochFinished);
    connect(m_controller, &TrainingController::checkpointSaved, this,
            &MainWindow::onCheckpointSaved);
    connect(m_controller, &TrainingController::message, m_log,
            [this](LogLevel level, const QString &text) { m_log->append(level, text); });
    connect(m_controller, &TrainingController::runFinished, this, &MainWindow::onRunFinished);
    connect(m_controller, &TrainingController::resumePlanned, this, &MainWindow::onResumePlanned);
    connect(m_controller, &TrainingController::runLoaded, this, &MainWindow::onRunLoaded);
    connect(m_setup, &RunSetupPanel::validityChanged, this, &MainWindow::updateActions);
    connect(m_checkpoints, &CheckpointBrowser::resumeRequested, this, &MainWindow::openCheckpoint);
    connect(m_checkpoints, &CheckpointBrowser::fineTuneRequested, this, &MainWindow::fineTuneFrom);
    connect(m_checkpoints, &CheckpointBrowser::compareRequested, this,
            qOverload<const QString &, const QString &>(&MainWindow::compareCheckpoints));
    connect(m_compare, &ComparisonView::failed, this, [this](const QString &message) {
        m_log->append(LogLevel::Error, message);
        QMessageBox::warning(this, tr("Compare checkpoints"), message);
    });
    connect(m_compare, &ComparisonView::cancelled, this,
            [this] { m_log->append(LogLevel::Info, tr("Comparison cancelled.")); });
    connect(m_compare, &ComparisonView::finished, this, [this] {
        const Comparison *c = m_compare->comparison();
        if (!c)
            return;
        m_log->append(LogLevel::Info, tr("Compared %1 (A) with %2 (B): mAP50-95 %3 → %4")
                                          .arg(QFileInfo(c->a.info.path).fileName(),
                                               QFileInfo(c->b.info.path).fileName())
                                          .arg(c->a.metrics.map50_95, 0, 'f', 4)
                                          .arg(c->b.metrics.map50_95, 0, 'f', 4));
    });

    // The device list comes from the monitor's first sample: NVML is only called on its thread.
    connect(m_monitor, &SystemMonitor::sampleReady, this, [this](const SystemSample &sample) {
        if (m_devicesListed)
            return;
        m_devicesListed = true;
        QStringList devices;
        for (const GpuSample &g : sample.gpus)
            devices << QStringLiteral("cuda:%1 (%2)").arg(g.index).arg(g.name);
        m_setup->setDevices(devices);
    });

    m_followTimer = new QTimer(this);
    m_followTimer->setInterval(1000);
    connect(m_followTimer, &QTimer::timeout, this, &MainWindow::followRunTick);

    loadSettings();
    // Connected after loading, or restoring the chart options would save half-restored settings.
    connect(m_charts, &ChartsPanel::optionsChanged, this, [this] { saveSettings(); });
    updateActions();
    m_monitor->start();
    m_log->append(LogLevel::Info, tr("YoloDeck is ready. Choose a dataset and press Start, or "
                                     "drop a checkpoint (.pt) on the window to resume it."));
}

MainWindow::~MainWindow()
{
    m_controller->shutdown();
    m_monitor->stop();
}

void MainWindow::createActions()
{
    m_startAction = new QAction(QIcon(QStringLiteral(":/icons/start.svg")), tr("&Start"), this);
    m_startAction->setShortcut(Qt::CTRL | Qt::Key_R);
    m_startAction->setToolTip(tr("Start training with the settings on the left (Ctrl+R)"));
    m_pauseAction = new QAction(QIcon(QStringLiteral(":/icons/pause.svg")), tr("&Pause"), this);
    m_pauseAction->setCheckable(true);
    m_pauseAction->setToolTip(tr("Pause between batches; press again to continue"));
    m_stopAction = new QAction(QIcon(QStringLiteral(":/icons/stop.svg")), tr("S&top"), this);
    m_stopAction->setToolTip(tr("Stop: last.pt is saved at the current batch, resume it later"));
    m_openRunAction =
        new QAction(QIcon(QStringLiteral(":/icons/open.svg")), tr("&Open Run…"), this);
    m_openRunAction->setShortcut(QKeySequence::Open);
    m_openRunAction->setToolTip(tr("Show the curves and checkpoints of a run folder"));
    m_openCheckpointAction = new QAction(QIcon(QStringLiteral(":/icons/resume.svg")),
                                         tr("&Resume from Checkpoint…"), this);

    m_compareAction = new QAction(tr("&Compare Checkpoints…"), this);
    m_compareAction->setToolTip(tr("Evaluate two checkpoints on the same split and compare them"));

    connect(m_startAction, &QAction::triggered, this, &MainWindow::start);
    connect(m_compareAction, &QAction::triggered, this, &MainWindow::openCompareDialog);
    connect(m_pauseAction, &QAction::toggled, m_controller, &TrainingController::setPaused);
    connect(m_stopAction, &QAction::triggered, m_controller, &TrainingController::stop);
    connect(m_openRunAction, &QAction::triggered, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Open run folder"),
            QSettings().value(QStringLiteral("recent/runDir")).toString());
        if (!dir.isEmpty())
            openRun(dir);
    });
    connect(m_openCheckpointAction, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Resume from checkpoint"),
                                                          m_runDir, tr("Checkpoints (*.pt)"));
        if (!path.isEmpty())
            openCheckpoint(path);
    });

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_openRunAction);
    m_recentRunsMenu = file->addMenu(tr("Recent Runs"));
    file->addAction(m_openCheckpointAction);
    file->addAction(m_compareAction);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu *training = menuBar()->addMenu(tr("&Training"));
    training->addAction(m_startAction);
    training->addAction(m_pauseAction);
    training->addAction(m_stopAction);
    training->addSeparator();
    training->addAction(tr("Use the &Demo Dataset"), this, [this] { m_setup->selectDemo(); });

    QMenu *settings = menuBar()->addMenu(tr("&Settings"));
    QMenu *language = settings->addMenu(tr("&Language"));
    auto languages = new QActionGroup(this);
    const QString current = QSettings().value(QStringLiteral("ui/language")).toString();
    const std::pair<QString, QString> choices[] = {
        {QString(), tr("System default")},
        {QStringLiteral("en"), QStringLiteral("English")},
        {QStringLiteral("zh_CN"), QStringLiteral("简体中文")},
    };
    for (const auto &[code, name] : choices) {
        QAction *action = language->addAction(name);
        action->setCheckable(true);
        action->setChecked(code == current);
        languages->addAction(action);
        connect(action, &QAction::triggered, this, [this, code = code] {
            QSettings().setValue(QStringLiteral("ui/language"), code);
            QMessageBox::information(this, tr("Language"),
                                     tr("The language changes the next time YoloDeck starts."));
        });
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&System Report…"), this, &MainWindow::showSystemReport);
    help->addAction(tr("&About YoloDeck"), this, [this] {
        QMessageBox::about(
            this, tr("About YoloDeck"),
            tr("<b>YoloDeck</b><br>Train YOLO detectors without ever losing a run.<br><br>"
               "Checkpoints open in PyTorch with <code>torch.jit.load(path, "
               "_extra_files={\"meta.json\": \"\"})</code>.<br><br>"
               "Licensed under the GNU GPL version 3 or later."));
    });

    QToolBar *bar = addToolBar(tr("Training"));
    bar->setObjectName(QStringLiteral("trainingToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setMovable(false);
    bar->addAction(m_startAction);
    bar->addAction(m_pauseAction);
    bar->addAction(m_stopAction);
    bar->addSeparator();
    bar->addAction(m_openRunAction);
}

void MainWindow::createStatusBar()
{
    auto label = [this](const QString &tip) {
        auto l = new QLabel;
        l->setToolTip(tip);
        statusBar()->addPermanentWidget(l);
        return l;
    };
    m_stateLabel = new QLabel(tr("Idle"));
    statusBar()->addWidget(m_stateLabel, 1);
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(160);
    m_progress->setTextVisible(false);
    m_progress->setVisible(false);
    statusBar()->addPermanentWidget(m_progress);
    m_epochLabel = label(tr("Epoch being trained / total"));
    m_batchLabel = label(tr("Batch within the epoch"));
    m_speedLabel = label(tr("Training throughput"));
    m_etaLabel = label(tr("Estimated time to the end of the run"));
    m_deviceLabel = label(tr("Training device"));
}

void MainWindow::loadSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) {
        // First start: the whole screen (main() shows the window maximised as well, for window
        // managers that honour it; this covers those that do not).
        if (const QScreen *screen = QGuiApplication::primaryScreen())
            setGeometry(screen->availableGeometry());
    }
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (auto splitter = findChild<QSplitter *>(QStringLiteral("mainSplitter")))
        splitter->restoreState(settings.value(QStringLiteral("window/splitter")).toByteArray());
    m_setup->setRecentDatasets(settings.value(QStringLiteral("recent/datasets")).toStringList());
    // A first start has something to train at once: the built-in demo dataset.
    if (m_setup->recentDatasets().isEmpty())
        m_setup->selectDemo();
    m_charts->setSmoothing(settings.value(QStringLiteral("charts/smoothing"), 0.6).toDouble());
    m_charts->setXAxis(settings.value(QStringLiteral("charts/xAxis")).toString() ==
                               QLatin1String("step")
                           ? ChartView::XAxis::Step
                           : ChartView::XAxis::Epoch);
    m_charts->setLogY(settings.value(QStringLiteral("charts/logY"), false).toBool());
    m_setup->setAdvancedVisible(settings.value(QStringLiteral("setup/advanced"), false).toBool());
    const int tab = settings.value(QStringLiteral("window/tab"), int(ChartsTab)).toInt();
    // The Compare tab is hidden until a comparison starts: a restart does not reopen it.
    m_tabs->setCurrentIndex(tab == CompareTab ? int(ChartsTab) : tab);
    rebuildRecentRunsMenu();
}

bool MainWindow::hasSavedGeometry()
{
    return QSettings().contains(QStringLiteral("window/geometry"));
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    if (auto splitter = findChild<QSplitter *>(QStringLiteral("mainSplitter")))
        settings.setValue(QStringLiteral("window/splitter"), splitter->saveState());
    settings.setValue(QStringLiteral("recent/datasets"), m_setup->recentDatasets());
    settings.setValue(QStringLiteral("charts/smoothing"), m_charts->smoothing());
    settings.setValue(QStringLiteral("charts/xAxis"), m_charts->xAxis() == ChartView::XAxis::Step
                                                          ? QStringLiteral("step")
                                                          : QStringLiteral("epoch"));
    settings.setValue(QStringLiteral("charts/logY"), m_charts->logY());
    settings.setValue(QStringLiteral("setup/advanced"), m_setup->isAdvancedVisible());
    settings.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
}

void MainWindow::rememberRun(const QString &runDir)
{
    QSettings settings;
    QStringList runs = settings.value(QStringLiteral("recent/runs")).toStringList();
    runs.removeAll(runDir);
    runs.prepend(runDir);
    settings.setValue(QStringLiteral("recent/runs"), runs.mid(0, kMaxRecentRuns));
    settings.setValue(QStringLiteral("recent/runDir"), QFileInfo(runDir).absolutePath());
    rebuildRecentRunsMenu();
}

void MainWindow::rebuildRecentRunsMenu()
{
    m_recentRunsMenu->clear();
    const QStringList runs = QSettings().value(QStringLiteral("recent/runs")).toStringList();
    for (const QString &run : runs)
        m_recentRunsMenu->addAction(run, this, [this, run] { openRun(run); });
    m_recentRunsMenu->setEnabled(!runs.isEmpty());
}

void MainWindow::updateActions()
{
    const TrainingController::State state = m_controller->state();
    const bool idle = state == TrainingController::State::Idle;
    m_startAction->setEnabled(idle && m_setup->isValid());
    m_pauseAction->setEnabled(state == TrainingController::State::Running ||
                              state == TrainingController::State::Paused);
    {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(state == TrainingController::State::Paused);
    }
    m_pauseAction->setText(state == TrainingController::State::Paused ? tr("&Continue")
                                                                      : tr("&Pause"));
    m_pauseAction->setIcon(QIcon(state == TrainingController::State::Paused
                                     ? QStringLiteral(":/icons/start.svg")
                                     : QStringLiteral(":/icons/pause.svg")));
    m_stopAction->setEnabled(!idle && state != TrainingController::State::Stopping);
    m_openRunAction->setEnabled(idle);
    m_openCheckpointAction->setEnabled(idle);
    m_setup->setEditable(idle);
}

void MainWindow::showSystemReport()
{
    // The disk checks look at where runs are saved and the data check at the chosen dataset; with
    // a setup that does not validate, the output folder as typed is still worth measuring.
    EnvironmentOptions options;
    const QString project = m_setup->text(QStringLiteral("project"));
    if (!project.isEmpty())
        options.project = project;
    if (const Result<TrainConfig> config = m_setup->config()) {
        options.project = config.value().project;
        options.data = config.value().data;
        options.threads = config.value().threads; // the thread count training would use
    }
    auto dialog = new SystemReportDialog(options, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::start()
{
    stopFollowingRun();
    const Result<TrainConfig> config = m_setup->config();
    if (!config) {
        QMessageBox::warning(this, tr("Cannot start"), config.error());
        return;
    }
    const bool demo = m_setup->isDemoSelected();
    if (!demo) {
        QStringList recent = m_setup->recentDatasets();
        recent.removeAll(config.value().data);
        recent.prepend(config.value().data);
        m_setup->setRecentDatasets(recent);
    }
    m_workers = config.value().workers;
    m_cacheRam = config.value().cache == QLatin1String("ram");
    m_log->append(LogLevel::Info, tr("Starting: %1").arg(config.value().data));
    m_controller->start(config.value(), demo);
    saveSettings();
}

void MainWindow::startDemo()
{
    m_setup->selectDemo();
    if (m_setup->isValid())
        start();
}

void MainWindow::onStateChanged(TrainingController::State state)
{
    switch (state) {
    case TrainingController::State::Idle:
        m_stateLabel->setText(tr("Idle"));
        break;
    case TrainingController::State::Starting:
        m_stateLabel->setText(tr("Preparing: scanning the dataset and building the model…"));
        break;
    case TrainingController::State::Running:
        m_stateLabel->setText(tr("Training"));
        break;
    case TrainingController::State::Paused:
        m_stateLabel->setText(tr("Paused between batches"));
        break;
    case TrainingController::State::Stopping:
        m_stateLabel->setText(tr("Stopping: saving last.pt at the current batch…"));
        break;
    }
    ThroughputStats stats = m_monitor->throughput();
    stats.training = state == TrainingController::State::Running;
    m_monitor->setThroughput(stats);
    updateActions();
}

void MainWindow::onRunStarted(const RunStarted &started)
{
    m_runDir = started.runDir;
    m_checkpoints->setFilesInUse({started.runDir + QStringLiteral("/weights/last.pt"),
                                  started.runDir + QStringLiteral("/weights/best.pt"),
                                  m_resumingFrom});
    m_device = started.device;
    m_epochs = started.epochs;
    m_workers = started.workers;
    m_charts->startRun(started);
    m_worldSize = started.worldSize;
    m_system->showProcesses({m_worldSize, {}, -1});
    m_checkpoints->setDirectory(started.runDir);
    rememberRun(started.runDir);
    m_deviceLabel->setText(started.device);
    m_epochLabel->setText(tr("epoch %1/%2").arg(started.startEpoch + 1).arg(started.epochs));
    setWindowTitle(tr("YoloDeck — %1").arg(QDir(started.runDir).dirName()));
    // The total this session trains to, as the trainer took it: a finished run extended in the
    // resume confirmation shows its new total, not the one typed for an earlier start.
    if (started.mode == QLatin1String("resume") || started.mode == QLatin1String("branch"))
        m_setup->setText(QStringLiteral("epochs"), QString::number(started.epochs));
    QString what;
    if (started.mode == QLatin1String("resume"))
        what = started.exact ? tr("Exact resume") : tr("Resume (not exact)");
    else if (started.mode == QLatin1String("branch"))
        what = tr("Branch");
    else if (started.mode == QLatin1String("fine-tune"))
        what = tr("Fine-tune");
    else
        what = tr("New run");
    m_log->append(LogLevel::Info,
                  tr("%1: %2, %3 (%4 parameters) on %5 (%6 training engine), %7 train / %8 val "
                     "images, %9 epochs")
                      .arg(what, started.runDir, started.modelName,
                           QLocale().toString(started.parameters), started.device, started.engine)
                      .arg(started.trainImages)
                      .arg(started.valImages)
                      .arg(started.epochs));

    // Epoch times before this session, for "slower since the resume".
    m_epochSecondsBefore.clear();
    m_epochSecondsSince.clear();
    if (started.mode != QLatin1String("new") && started.mode != QLatin1String("fine-tune")) {
        double previous = 0;
        int previousEpoch = 0;
        for (const EpochRecord &r : started.history) {
            if (r.epoch == previousEpoch + 1)
                m_epochSecondsBefore.push_back(r.time - previous);
            previous = r.time;
            previousEpoch = r.epoch;
        }
    }
    stopWatchingRun();
    m_figures = RunFiguresReader();
    m_figures.add(started.event);
    m_monitor->setThroughput(ownRunStats(true));
    m_throughputClock.start();
}

void MainWindow::onBatchFinished(const BatchProgress &progress)
{
    if (!progress.event.isEmpty())
        m_figures.add(progress.event);
    m_charts->appendBatch(progress);
    m_epochLabel->setText(tr("epoch %1/%2").arg(progress.epoch).arg(progress.epochs));
    m_batchLabel->setText(tr("batch %1/%2").arg(progress.batch).arg(progress.batches));
    m_speedLabel->setText(tr("%1 img/s").arg(progress.imagesPerSecond, 0, 'f', 1));
    m_etaLabel->setText(tr("ETA %1").arg(duration(progress.etaSeconds)));
    m_progress->setVisible(true);
    m_progress->setRange(0, progress.batches);
    m_progress->setValue(progress.batch);
    if (!m_throughputClock.isValid() || m_throughputClock.elapsed() >= 1000) {
        m_throughputClock.restart();
        ThroughputStats stats =
            ownRunStats(m_controller->state() == TrainingController::State::Running);
        if (progress.event.isEmpty()) { // a run without events.jsonl lines (no run folder)
            stats.imagesPerSecond = progress.imagesPerSecond;
            stats.dataWaitShare = progress.dataWaitShare;
        }
        m_monitor->setThroughput(stats);
        m_system->showProcesses({m_worldSize, progress.rankImagesPerSecond,
                                 progress.rankImagesPerSecond.empty() ? -1.0 : progress.commShare});
    }
}

void MainWindow::onValidationProgress(const ValidationProgress &progress)
{
    m_batchLabel->setText(tr("validating %1/%2").arg(progress.batch).arg(progress.batches));
    m_progress->setRange(0, progress.batches);
    m_progress->setValue(progress.batch);
}

void MainWindow::onEpochFinished(const EpochFinished &finished)
{
    m_charts->appendEpoch(finished);
    const EpochRecord &r = finished.record;
    m_log->append(LogLevel::Info, tr("Epoch %1/%2 in %3 s: P %4, R %5, mAP50 %6, mAP50-95 %7%8")
                                      .arg(r.epoch)
                                      .arg(finished.epochs)
                                      .arg(finished.epochSeconds, 0, 'f', 1)
                                      .arg(r.precision, 0, 'f', 3)
                                      .arg(r.recall, 0, 'f', 3)
                                      .arg(r.map50, 0, 'f', 3)
                                      .arg(r.map50_95, 0, 'f', 3)
                                      .arg(finished.isBest ? tr(" (best so far)") : QString()));
    m_epochSecondsSince.push_back(finished.epochSeconds);
    ThroughputStats stats = m_monitor->throughput();
    stats.epochSecondsSinceResume =
        m_epochSecondsBefore.empty() ? std::vector<double>{} : m_epochSecondsSince;
    m_monitor->setThroughput(stats);
#ifdef __GLIBC__
    // Hands the pages that glibc's heaps hold free back to the system once an epoch. The window
    // mixes long-lived allocations (charts, log) with each epoch's short-lived ones (validation,
    // checkpoint listing), and without this its resident memory crept up by free pages kept in
    // the heaps. Measured with the soak's window settings (scripts/soak.py), 10 minutes each:
    // 300 epochs grew RSS 9.7 MiB without it, 7.4 MiB with it, from a start 5 MiB lower.
    malloc_trim(0);
#endif
}

void MainWindow::onCheckpointSaved(const CheckpointSaved &saved)
{
    if (!saved.ok) {
        m_log->append(LogLevel::Error,
                      tr("Checkpoint %1 was not saved: %2").arg(saved.path, saved.error));
        return;
    }
    m_log->append(LogLevel::Info,
                  tr("Saved %1 (%2 ms)").arg(saved.path).arg(saved.writeMs, 0, 'f', 0));
    m_checkpoints->model()->refresh();
}

void MainWindow::onRunFinished(const RunFinished &finished)
{
    m_checkpoints->setFilesInUse({});
    m_resumingFrom.clear();
    m_progress->setVisible(false);
    m_etaLabel->clear();
    m_batchLabel->clear();
    m_speedLabel->clear();
    m_system->showProcesses({m_worldSize, {}, -1}); // figures of a step that is over
    if (finished.failed) {
        m_log->append(LogLevel::Error, finished.message);
        if (!m_closeAfterStop)
            QMessageBox::warning(this, tr("Training failed"), finished.message);
    } else {
        m_log->append(LogLevel::Info,
                      finished.message.isEmpty()
                          ? tr("Training finished after %1 epochs.").arg(finished.epochsDone)
                          : finished.message);
    }
    m_stateLabel->setText(finished.failed    ? tr("Failed")
                          : finished.stopped ? tr("Stopped — resume it from the Checkpoints tab")
                                             : tr("Finished"));
    if (!finished.runDir.isEmpty())
        m_checkpoints->setDirectory(finished.runDir);
    if (m_closeAfterStop)
        close();
}

// A run folder that another process (yolodeck-cli, a cluster job on a shared disk) is still
// writing is followed by polling: inotify does not see writes made by other machines.
QString MainWindow::runSignature(const QString &runDir)
{
    QString signature;
    // results.png: Ultralytics draws it once its run has ended (also when it stopped early).
    for (const QString &name : {QStringLiteral("events.jsonl"), QStringLiteral("results.csv"),
                                QStringLiteral("results.png")}) {
        const QFileInfo info(runDir + QLatin1Char('/') + name);
        signature +=
            QStringLiteral("%1:%2;").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
    }
    return signature;
}

ThroughputStats MainWindow::ownRunStats(bool training) const
{
    ThroughputStats stats = m_figures.figures().recent;
    stats.training = training;
    stats.onCuda = m_device.startsWith(QLatin1String("cuda"));
    if (stats.workers < 0)
        stats.workers = m_workers;
    stats.cacheRam = stats.cacheRam || m_cacheRam;
    // This session's epochs against those before it: the history the resume started from.
    stats.epochSecondsBeforeResume = m_epochSecondsBefore;
    stats.epochSecondsSinceResume =
        m_epochSecondsBefore.empty() ? std::vector<double>{} : m_epochSecondsSince;
    return stats;
}

void MainWindow::showWatchedRun(const RunFigures &figures)
{
    m_watchedFigures = figures;
    m_watchedState = processState(figures.pid, figures.host);
    m_system->showWatchedRun(figures);
    ThroughputStats stats = figures.recent;
    stats.training = stats.training && m_watchedState != ProcessState::Gone;
    m_monitor->setThroughput(stats, figures.host.isEmpty() || isThisMachine(figures.host));
}

void MainWindow::stopWatchingRun()
{
    if (!m_watchedFigures)
        return;
    m_watchedFigures.reset();
    m_system->clearWatchedRun();
    m_monitor->setThroughput({});
}

void MainWindow::followRunTick()
{
    if (m_followDir.isEmpty() || m_controller->state() != TrainingController::State::Idle)
        return;
    // A process that died writes nothing more: notice it without a change of its files.
    if (m_watchedFigures &&
        processState(m_watchedFigures->pid, m_watchedFigures->host) != m_watchedState)
        showWatchedRun(*m_watchedFigures);
    const QString signature = runSignature(m_followDir);
    if (signature == m_followSignature)
        return;
    m_followSignature = signature;
    m_refreshingFollowedRun = m_controller->loadRun(m_followDir);
}

void MainWindow::stopFollowingRun()
{
    m_followTimer->stop();
    m_followDir.clear();
    m_refreshingFollowedRun = false;
}

void MainWindow::openRun(const QString &path)
{
    stopFollowingRun();
    if (!m_controller->loadRun(path)) {
        m_log->append(LogLevel::Warning, tr("Stop the training before opening another run."));
        return;
    }
    m_stateLabel->setText(tr("Reading %1…").arg(path));
}

// The status line of a run Ultralytics writes: the epochs done of the planned total (args.yaml).
QString MainWindow::ultralyticsRunText(const RunReplay &replay)
{
    const int done = replay.history.empty() ? 0 : replay.history.back().epoch;
    const QString epochs = replay.epochs > 0 ? QStringLiteral("%1/%2").arg(done).arg(replay.epochs)
                                             : QString::number(done);
    const QString dir = QDir::toNativeSeparators(replay.runDir);
    return replay.finished
               ? tr("Showing Ultralytics run %1: %2 epochs").arg(dir, epochs)
               : tr("Following Ultralytics run %1 (results.csv, %2 epochs)").arg(dir, epochs);
}

void MainWindow::onRunLoaded(const RunReplay &replay)
{
    if (replay.history.empty() && replay.batches.empty() && !replay.error.isEmpty()) {
        if (m_refreshingFollowedRun) {
            // The followed run's files went bad (or were replaced): keep what is shown, say why,
            // and read again when they change.
            m_refreshingFollowedRun = false;
            m_log->append(LogLevel::Warning, replay.error);
            return;
        }
        m_stateLabel->setText(tr("Idle"));
        QMessageBox::warning(this, tr("Open run"), replay.error);
        return;
    }
    const bool refresh = m_refreshingFollowedRun;
    m_refreshingFollowedRun = false;
    const bool ultralytics = replay.source == QLatin1String("ultralytics");
    m_runDir = replay.runDir;
    m_charts->showReplay(replay);
    // A followed data-parallel run shows its ranks as a run of this window does; the figures of
    // the newest step only while it is live, and only if that step is of the newest session.
    m_worldSize = replay.worldSize;
    ProcessStats processes{m_worldSize, {}, -1};
    if (!replay.finished && !replay.batches.empty() &&
        int(replay.batches.back().rankImagesPerSecond.size()) == m_worldSize) {
        processes.rankImagesPerSecond = replay.batches.back().rankImagesPerSecond;
        processes.commShare = replay.batches.back().commShare;
    }
    m_system->showProcesses(processes);
    // A live YoloDeck run is diagnosed from its own batch lines; a finished one has nothing live.
    if (!ultralytics && !replay.finished && replay.figures.started)
        showWatchedRun(replay.figures);
    else
        stopWatchingRun();
    if (replay.finished) {
        stopFollowingRun();
    } else if (m_followDir != replay.runDir) {
        m_followDir = replay.runDir;
        m_followSignature = runSignature(m_followDir);
        m_followTimer->start();
    }
    if (refresh) {
        if (ultralytics) {
            m_stateLabel->setText(ultralyticsRunText(replay));
            if (replay.finished)
                m_log->append(LogLevel::Info, tr("The Ultralytics run %1 has ended.")
                                                  .arg(QDir::toNativeSeparators(replay.runDir)));
            return;
        }
        m_stateLabel->setText(tr("Following %1: %2 epochs (another process is training it)")
                                  .arg(replay.runDir)
                                  .arg(replay.history.size()));
        return;
    }
    m_checkpoints->setDirectory(replay.runDir);
    rememberRun(replay.runDir);
    if (ultralytics) {
        setWindowTitle(tr("YoloDeck — %1 (Ultralytics)").arg(QDir(replay.runDir).dirName()));
        const QString text = ultralyticsRunText(replay);
        m_stateLabel->setText(text);
        m_log->append(LogLevel::Info,
                      replay.finished
                          ? text
                          : text + QLatin1Char(' ') +
                                tr("Ultralytics logs no batch losses: the charts show one point "
                                   "per epoch and grow with results.csv."));
    } else {
        setWindowTitle(tr("YoloDeck — %1").arg(QDir(replay.runDir).dirName()));
        m_stateLabel->setText(
            tr("Showing %1: %2 epochs").arg(replay.runDir).arg(replay.history.size()));
    }
    if (m_tabs->currentIndex() != CheckpointsTab)
        m_tabs->setCurrentIndex(ChartsTab);
}

void MainWindow::openCheckpoint(const QString &path)
{
    if (!m_controller->planResume(path, m_setup->text(QStringLiteral("data")))) {
        QMessageBox::information(this, tr("Resume"),
                                 tr("Stop the current training before resuming another "
                                    "checkpoint."));
        return;
    }
    m_stateLabel->setText(tr("Checking %1…").arg(QFileInfo(path).fileName()));
}

void MainWindow::onResumePlanned(const ResumeRequest &request)
{
    m_stateLabel->setText(tr("Idle"));
    ResumeDialog dialog(request, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (dialog.choice() == ResumeDialog::Choice::Resume) {
        m_log->append(LogLevel::Info, tr("Resuming from %1").arg(request.checkpoint));
        // Always the dialog's total: the planner ignores an unchanged value, and a finished run
        // offered for extension needs the raised one.
        stopFollowingRun();
        m_resumingFrom = request.checkpoint;
        m_controller->resume(request.checkpoint, dialog.epochs(), request.dataOverride);
    } else if (dialog.choice() == ResumeDialog::Choice::FineTune) {
        fineTuneFrom(request.checkpoint);
    }
}

void MainWindow::fineTuneFrom(const QString &path)
{
    // A fine-tune is a new run: the user sees and may change its settings before starting.
    m_setup->setText(QStringLiteral("model"), path);
    m_log->append(LogLevel::Info,
                  tr("Fine-tune: model= is now %1. Check the settings on the left and press "
                     "Start; this is a new run with a fresh optimizer, not a resume.")
                      .arg(path));
    statusBar()->showMessage(tr("Fine-tune from %1: press Start").arg(QFileInfo(path).fileName()),
                             10000);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_controller->isBusy()) {
        if (!m_closeAfterStop) {
            const auto answer = QMessageBox::question(
                this, tr("Training is running"),
                tr("Stop training and quit? last.pt is saved at the current batch, so the run "
                   "can be resumed exactly."),
                QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
            if (answer != QMessageBox::Yes) {
                event->ignore();
                return;
            }
            m_closeAfterStop = true;
            m_controller->stop();
        }
        event->ignore(); // closes when the trainer reports that it has stopped
        return;
    }
    saveSettings();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!checkpointPathsOf(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList paths = checkpointPathsOf(event->mimeData());
    if (paths.isEmpty())
        return;
    event->acceptProposedAction();
    // Two files at once are a pair to compare; one is a checkpoint to resume.
    if (paths.size() == 2) {
        // A is the older state: compare in the direction training went.
        const CheckpointInfo first = readCheckpointInfo(paths[0]);
        const CheckpointInfo second = readCheckpointInfo(paths[1]);
        const bool swap =
            std::make_pair(second.epoch, second.batch) < std::make_pair(first.epoch, first.batch);
        compareCheckpoints(swap ? paths[1] : paths[0], swap ? paths[0] : paths[1]);
        return;
    }
    openCheckpoint(paths.first());
}

void MainWindow::compareCheckpoints(const QString &a, const QString &b)
{
    CompareRequest request;
    request.a = a;
    request.b = b;
    compareCheckpoints(request);
}

void MainWindow::compareCheckpoints(const CompareRequest &request)
{
    const Status comparable = checkComparablePair(request.a, request.b);
    if (!comparable) {
        m_log->append(LogLevel::Warning, comparable.error());
        QMessageBox::warning(this, tr("Compare checkpoints"), comparable.error());
        return;
    }
    CompareRequest run = request;
    // LibTorch's intra-op thread count is process-wide and part of a training's exact state:
    // a comparison uses every core only while no training runs, and leaves it alone otherwise.
    if (run.threads == 0 && !m_controller->isBusy())
        run.threads = QThread::idealThreadCount();
    m_log->append(LogLevel::Info, tr("Comparing %1 (A) with %2 (B)")
                                      .arg(QDir::toNativeSeparators(request.a),
                                           QDir::toNativeSeparators(request.b)));
    m_compare->compare(run);
    m_tabs->setTabVisible(CompareTab, true);
    m_tabs->setCurrentIndex(CompareTab);
}

void MainWindow::openCompareDialog()
{
    CompareDialog dialog(this);
    if (!m_runDir.isEmpty()) {
        const Result<std::pair<QString, QString>> pair = defaultComparisonPair(m_runDir);
        if (pair)
            dialog.setPaths(pair.value().first, pair.value().second);
    }
    if (dialog.exec() == QDialog::Accepted)
        compareCheckpoints(dialog.request());
}

} // namespace yolodeck
