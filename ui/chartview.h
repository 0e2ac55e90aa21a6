#pragma once

#include "core/runlog/epochrecord.h"
#include "core/train/trainingobserver.h"

#include <QTimer>
#include <QWidget>

#include <array>
#include <vector>

class QCustomPlot;
class QCPGraph;
class QCPItemTracer;
class QCPItemText;
class QCPAbstractItem;
class QMouseEvent;

namespace yolodeck {

// One live chart of a run (losses, metrics, learning rate or epoch time), drawn with QCustomPlot.
//
// Batch-level values (losses, learning rates) are drawn twice: faint as they came and solid after
// TensorBoard-style smoothing (a debiased exponential moving average, weight 0..0.999). Epoch-level
// values (results.csv rows) are points. The x axis shows epochs (fractional for batches) or
// optimizer steps. Appending never replots: it marks the chart dirty and a 10 Hz timer redraws
// once for everything that arrived meanwhile, so a fast trainer cannot flood the GUI thread.
//
// A chart's memory does not grow with the run: the newest 1,000 to 2,000 batches are kept
// as they came, older ones are thinned into an archive of at most 2,000 points, each
// the mean of the same number of batches (doubled whenever the archive fills), so the whole run
// stays evenly visible. A 300,000-batch run would otherwise hold ~145 MB of batch points
// (bench_chart: 241 bytes per batch per chart); every batch stays in events.jsonl.
class ChartView final : public QWidget
{
    Q_OBJECT

public:
    enum class Kind
    {
        Losses,
        Metrics,
        LearningRate,
        EpochTime
    };
    enum class XAxis
    {
        Epoch,
        Step
    };
    static constexpr int kReplotIntervalMs = 100;
    // At most 4,001 points per curve (~1 MB a chart), still more than a chart's width in pixels
    // on a 4K screen. Twice as many cost the window's long runs 2 MB a chart and showed nothing
    // more (the 30-minute window soak, scripts/soak.py).
    static constexpr int kRecentBatchPoints = 1000;
    static constexpr int kMaxArchivedPoints = 2000;

    explicit ChartView(Kind kind, QWidget *parent = nullptr);
    ~ChartView() override;

    Kind kind() const { return m_kind; }
    QString title() const;
    QCustomPlot *plot() const { return m_plot; }

    // Data in. `batchesPerEpoch` maps epochs to steps for rows that have no batch points (history
    // loaded from a checkpoint or results.csv).
    void setBatchesPerEpoch(int batchesPerEpoch);
    void appendBatch(const BatchProgress &progress);
    void appendEpoch(const EpochRecord &record);
    // A run resumed from `history` (a branch from an older checkpoint, or the same run): the epoch
    // rows become exactly `history`, and every batch point, marker and row after its end (epoch N
    // plus `startBatch` batches of epoch N+1) is dropped, so a branch never interleaves with the
    // future it replaces.
    void resetToHistory(const History &history, int startBatch = 0);
    // A vertical line where a session resumed, at `epochPosition` completed epochs (fractional for
    // a mid-epoch stop).
    void addResumeMarker(double epochPosition);
    void setBestEpoch(int epoch); // 0 hides the marker
    void clear();

    // Display options.
    void setSmoothing(double weight);
    double smoothing() const { return m_smoothing; }
    void setXAxis(XAxis axis);
    XAxis xAxis() const { return m_xAxis; }
    void setLogY(bool logY);
    bool logY() const { return m_logY; }
    void resetView(); // fit all data and follow new data again

    // Export. The CSV has one row per point: series, epoch, step, value, smoothed, batches (how
    // many batches a batch point's value is the mean of: 1 unless archived; empty for epoch rows).
    QString toCsv() const;
    bool exportCsv(const QString &path, QString *error = nullptr) const;
    bool exportPng(const QString &path, int width = 0, int height = 0);

    // Introspection (tests, status text).
    int replotCount() const { return m_replotCount; }
    bool replotPending() const { return m_replotTimer.isActive(); }
    void flush(); // draw now if something is pending
    int batchPointCount() const { return int(m_batches.size()); }
    // Batches per archived point (1 until the archive first fills), and the batches a point holds.
    int archiveStride() const { return m_stride; }
    int batchesAt(int point) const { return m_batches[size_t(point)].batches; }
    int epochPointCount() const { return int(m_epochs.size()); }
    std::vector<double> smoothedSeries(int series) const; // batch series 0..2
    const std::vector<double> &resumeMarkers() const { return m_resumeMarkers; }
    int bestEpoch() const { return m_bestEpoch; }
    QString hoverText() const { return m_hoverText; }
    // Shows the read-out for the data point nearest to a position in widget pixels.
    void hoverAt(const QPointF &pixel);

Q_SIGNALS:
    void userMovedView(); // the user zoomed or panned: stop following new data
    void hoverTextChanged(const QString &text);

protected:
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    struct BatchPoint
    {
        double epochPosition; // completed epochs at this batch, e.g. 3.25
        double step;
        std::array<double, 3> values;
        int batches = 1; // > 1: an archived point, the mean of that many batches
    };
    struct Series
    {
        QString name;
        QCPGraph *raw = nullptr;      // batch series: unsmoothed, faint
        QCPGraph *smoothed = nullptr; // batch series: the EMA; epoch series: the points
    };

    // The smoothing's running state after a point: the EMA before debiasing and smoothing^count.
    struct SmoothState
    {
        std::array<double, 3> ema{};
        std::array<double, 3> power{1.0, 1.0, 1.0};
    };

    void createSeries();
    void scheduleReplot();
    void rebuild();
    void syncBatchGraphs();
    void adaptLineQuality();
    void truncateBuilt(size_t count);
    void dropBatchesFrom(size_t index);
    // The mean of consecutive points, weighted by the batches each holds; a series with no finite
    // value among them stays NaN (a diverged loss is not averaged away).
    static BatchPoint meanOf(const BatchPoint *begin, const BatchPoint *end);
    void archiveOldBatches();
    void replotNow();
    void updateMarkers();
    double epochToX(double epochPosition) const;
    std::vector<double> epochValues(int series) const;
    double smoothStep(SmoothState &state, size_t series, double value, int batches) const;
    std::vector<double> smooth(int series) const;
    int batchSeriesCount() const;
    int epochSeriesCount() const;
    void onMouseMove(QMouseEvent *event);

    Kind m_kind;
    QCustomPlot *m_plot = nullptr;
    QCPItemTracer *m_tracer = nullptr;
    QCPItemText *m_readout = nullptr;
    std::vector<QCPAbstractItem *> m_markerItems;
    std::vector<Series> m_batchSeries;
    std::vector<Series> m_epochSeries;
    std::vector<BatchPoint> m_batches;
    size_t m_archived = 0; // m_batches[0, m_archived) is the archive, m_stride batches a point
    int m_stride = 1;
    // The batch graphs hold the first m_built points of m_batches; a redraw appends only the
    // points after them (and smooths them from m_smoothState), so a live redraw costs the new
    // batches, not the whole run. Anything else that changes the curves resets m_built.
    size_t m_built = 0;
    std::vector<SmoothState> m_smoothState; // one per built point
    History m_epochs;                       // sorted by epoch, one row per epoch
    std::vector<double> m_resumeMarkers;
    int m_bestEpoch = 0;
    int m_batchesPerEpoch = 0;
    double m_smoothing = 0.6; // TensorBoard's default weight
    XAxis m_xAxis = XAxis::Epoch;
    bool m_logY = false;
    bool m_followData = true;
    bool m_dirty = false;
    int m_replotCount = 0;
    QString m_hoverText;
    QTimer m_replotTimer;
};

} // namespace yolodeck
