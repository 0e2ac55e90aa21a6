#pragma once

#include "core/compare/checkpointcomparer.h"
#include "core/train/trainingobserver.h"
#include "ui/resumerequest.h"
#include "ui/runreplay.h"
#include "ui/trainingcontroller.h"

#include <QElapsedTimer>
#include <QMainWindow>

#include <optional>

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;
class QTimer;

namespace yolodeck {

class ChartsPanel;
class CheckpointBrowser;
class ComparisonView;
class LogPane;
class RunSetupPanel;
class SystemMonitor;
class SystemPanel;

// The window: run setup on the left; Charts, System, Checkpoints, Log (and Compare) tabs on the
// right; Start, Pause/Continue and Stop in the toolbar; epoch, batch, speed, ETA and device in the
// status bar. It only draws and forwards: training, checkpoint listing, resume planning and run
// loading all happen on worker threads (TrainingController, CheckpointTableModel, SystemMonitor).
class MainWindow final : public QMainWindow
{
    Q_OBJECT

public:
    enum Tab
    {
        ChartsTab,
        SystemTab,
        CheckpointsTab,
        LogTab,
        CompareTab // shown once a comparison has started
    };

    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    static bool hasSavedGeometry();
    void start();     // the Start action: trains with the setup as it is (also yolodeck --train)
    void startDemo(); // --demo: the generated dataset, the tiny model, started at once
    void openRun(const QString &path);
    void openCheckpoint(const QString &path); // the resume confirmation for a .pt
    // Checks the pair at once (a refusal is a message box), then runs the comparison in the
    // Compare tab.
    void compareCheckpoints(const CompareRequest &request);
    void compareCheckpoints(const QString &a, const QString &b);

    TrainingController *controller() const { return m_controller; }
    RunSetupPanel *setupPanel() const { return m_setup; }
    ChartsPanel *chartsPanel() const { return m_charts; }
    QTabWidget *tabs() const { return m_tabs; }
    CheckpointBrowser *checkpointBrowser() const { return m_checkpoints; }
    ComparisonView *comparisonView() const { return m_compare; }
    SystemPanel *systemPanel() const { return m_system; }

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void showSystemReport();
    void createActions();
    void createStatusBar();
    void loadSettings();
    void saveSettings() const;
    void updateActions();
    void rememberRun(const QString &runDir);
    void rebuildRecentRunsMenu();

    void onStateChanged(TrainingController::State state);
    void onRunStarted(const RunStarted &started);
    void onBatchFinished(const BatchProgress &progress);
    void onValidationProgress(const ValidationProgress &progress);
    void onEpochFinished(const EpochFinished &finished);
    void onCheckpointSaved(const CheckpointSaved &saved);
    void onRunFinished(const RunFinished &finished);
    void onResumePlanned(const ResumeRequest &request);
    void onRunLoaded(const RunReplay &replay);
    void fineTuneFrom(const QString &path);
    void openCompareDialog();
    static QString runSignature(const QString &runDir);
    static QString ultralyticsRunText(const RunReplay &replay);
    void followRunTick();
    void stopFollowingRun();
    // The System tab's figures: this window's run (its own batch lines, read as a watched run's
    // are) or a run it follows.
    ThroughputStats ownRunStats(bool training) const;
    void showWatchedRun(const RunFigures &figures);
    void stopWatchingRun();

    TrainingController *m_controller = nullptr;
    SystemMonitor *m_monitor = nullptr;
    RunSetupPanel *m_setup = nullptr;
    QTabWidget *m_tabs = nullptr;
    ChartsPanel *m_charts = nullptr;
    SystemPanel *m_system = nullptr;
    CheckpointBrowser *m_checkpoints = nullptr;
    LogPane *m_log = nullptr;
    ComparisonView *m_compare = nullptr;

    QAction *m_startAction = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_stopAction = nullptr;
    QAction *m_openRunAction = nullptr;
    QAction *m_openCheckpointAction = nullptr;
    QAction *m_compareAction = nullptr;
    QMenu *m_recentRunsMenu = nullptr;

    QLabel *m_stateLabel = nullptr;
    QLabel *m_epochLabel = nullptr;
    QLabel *m_batchLabel = nullptr;
    QLabel *m_speedLabel = nullptr;
    QLabel *m_etaLabel = nullptr;
    QLabel *m_deviceLabel = nullptr;
    QProgressBar *m_progress = nullptr;

    QString m_runDir;
    QString m_device;
    int m_epochs = 0;
    bool m_closeAfterStop = false;
    // Following a run folder that another process writes (File → Open Run on a live run).
    QTimer *m_followTimer = nullptr;
    QString m_followDir;
    QString m_followSignature;
    QString m_resumingFrom; // the checkpoint the running training resumed from
    bool m_refreshingFollowedRun = false;
    bool m_devicesListed = false;
    QElapsedTimer m_throughputClock; // the diagnosis gets throughput once a second, not per batch
    std::vector<double> m_epochSecondsBefore;
    std::vector<double> m_epochSecondsSince;
    RunFiguresReader m_figures;                 // this window's run
    std::optional<RunFigures> m_watchedFigures; // a run it follows, while it is live
    ProcessState m_watchedState = ProcessState::Unknown;
    int m_workers = -1;
    int m_worldSize = 1; // training processes of the run shown
    bool m_cacheRam = false;
};

} // namespace yolodeck
