#pragma once

#include "core/compare/checkpointcomparer.h"

#include <QSet>
#include <QThread>
#include <QWidget>

#include <array>
#include <memory>

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QWidget;

namespace yolodeck {

class ClassComparisonModel;
class CompareWorker;
class ComparisonHeaderModel;
class ImageComparisonModel;
class ImageComparisonView;

// The window's Compare tab (DESIGN.md §7): two checkpoints side by side on one split. On top, a
// card per model (file, kind, epoch, fitness, date, size), the evaluation settings once, warnings,
// progress with Cancel while the comparison runs, and "Evaluate on…" to rerun on another dataset
// or split. Below, sub-tabs: Summary (header table, summary sentence, bootstrap, per-class table
// and AP bars), Curves (PR, P, R, F1 of both models), Confusion (A, B and Δ; a click on a cell
// lists its images), Images (the ranked list and the three-pane image view at the confidence
// slider) and Weights (per-layer change, mAP50-95 by epoch with A and B marked).
//
// The comparison runs on the view's own worker thread (CompareWorker); the slider only thresholds
// the precomputed matches, so everything that depends on it updates at once.
class ComparisonView final : public QWidget
{
    Q_OBJECT

public:
    enum Tab
    {
        SummaryTab,
        CurvesTab,
        ConfusionTab,
        ImagesTab,
        WeightsTab
    };
    static constexpr int kSliderSteps = 1000;

    explicit ComparisonView(QWidget *parent = nullptr);
    ~ComparisonView() override;

    // Runs the comparison on the worker thread; a running one is cancelled first.
    void compare(const CompareRequest &request);
    void cancel();
    bool isRunning() const { return m_running; }
    // Shows a finished comparison (the worker's result, or one made elsewhere).
    void setComparison(const Comparison &comparison);
    const Comparison *comparison() const { return m_comparison.get(); }
    CompareRequest lastRequest() const { return m_request; }

    void setConfidence(float confidence);
    float confidence() const { return m_confidence; }

    // The parts, for the window and the tests.
    QTabWidget *tabs() const { return m_tabs; }
    ComparisonHeaderModel *headerModel() const { return m_headerModel; }
    ClassComparisonModel *classModel() const { return m_classModel; }
    ImageComparisonModel *imageModel() const { return m_imageModel; }
    ImageComparisonView *imageView() const { return m_imageView; }
    QTableView *imageTable() const { return m_imageTable; }
    QSlider *confidenceSlider() const { return m_slider; }
    QCustomPlot *confusionPlot(int side) const
    {
        return m_confusion[size_t(side)];
    }                                                                           // 0 A, 1 B, 2 Δ
    QCustomPlot *curvePlot(int curve) const { return m_curves[size_t(curve)]; } // PR, P, R, F1
    QString summaryText() const;
    QString bootstrapText() const;
    QString lastReadout() const { return m_lastReadout; }
    // Lists the images of a confusion cell (side 0 A, 1 B, 2 both) and shows the Images tab.
    void showConfusionCell(int side, int predicted, int truth);
    void showNextImage(int step); // +1 next, -1 previous in the ranked list

Q_SIGNALS:
    void started();
    void finished();
    void failed(const QString &message);
    void cancelled();

    void requestCompare(const yolodeck::CompareRequest &request, quint64 generation); // to worker

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *createSummaryTab();
    QWidget *createCurvesTab();
    QWidget *createConfusionTab();
    QWidget *createImagesTab();
    QWidget *createWeightsTab();
    void ensureWorker();
    void setRunning(bool running);
    void onProgress(const CompareProgress &progress, quint64 generation);
    void onFinished(const Comparison &comparison, quint64 generation);
    void onFailed(const QString &message, quint64 generation);
    void onCancelled(quint64 generation);
    void evaluateOn();
    void fillCards();
    void fillCurves();
    void fillConfusion();
    void replotWhenShown(QCustomPlot *plot);
    void replotShownPlots();
    void updateForConfidence();
    void onRowsRanked();
    void showCurrentImage();
    void updateFilterLabel();
    void showCurveReadout(QCustomPlot *plot, const QPointF &pixel, const QPoint &global);

    QThread m_thread;
    CompareWorker *m_worker = nullptr;
    quint64 m_generation = 0;
    bool m_running = false;
    CompareRequest m_request;
    std::shared_ptr<const Comparison> m_comparison;
    float m_confidence = kConfusionConf;
    QString m_lastReadout;

    QStackedWidget *m_pages = nullptr;
    QLabel *m_placeholder = nullptr;
    QLabel *m_cardA = nullptr;
    QLabel *m_cardB = nullptr;
    QLabel *m_banner = nullptr;
    QLabel *m_settings = nullptr;
    QLabel *m_warnings = nullptr;
    QWidget *m_progressRow = nullptr;
    QLabel *m_stage = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_cancel = nullptr;
    QLineEdit *m_dataYaml = nullptr;
    QComboBox *m_split = nullptr;
    QPushButton *m_evaluate = nullptr;
    QTabWidget *m_tabs = nullptr;

    ComparisonHeaderModel *m_headerModel = nullptr;
    ClassComparisonModel *m_classModel = nullptr;
    QLabel *m_summarySentence = nullptr;
    QLabel *m_bootstrap = nullptr;
    QCustomPlot *m_classAp = nullptr;
    QSet<QCustomPlot *> m_stalePlots; // filled while hidden: drawn when their tab is shown

    QComboBox *m_curveClass = nullptr;
    std::array<QCustomPlot *, 4> m_curves{};

    QCheckBox *m_normalise = nullptr;
    std::array<QCustomPlot *, 3> m_confusion{};

    QComboBox *m_order = nullptr;
    QComboBox *m_classFilter = nullptr;
    QLabel *m_filterLabel = nullptr;
    QPushButton *m_clearFilter = nullptr;
    QSlider *m_slider = nullptr;
    QLabel *m_confidenceLabel = nullptr;
    QLabel *m_imagesSentence = nullptr;
    ImageComparisonModel *m_imageModel = nullptr;
    QTableView *m_imageTable = nullptr;
    ImageComparisonView *m_imageView = nullptr;

    QCustomPlot *m_layers = nullptr;
    QCustomPlot *m_mapByEpoch = nullptr;
};

} // namespace yolodeck
