#include "ui/chartview.h"

#include <QContextMenuEvent>
#include <QFile>
#include <QFileDialog>
#include <QMenu>
#include <QSaveFile>
#include <QTextStream>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {
// Matplotlib's "tab10" colours: what Ultralytics' results.png and TensorBoard users know.
const QColor kPalette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e),
                           QColor(0x2c, 0xa0, 0x2c), QColor(0xd6, 0x27, 0x28),
                           QColor(0x94, 0x67, 0xbd)};
constexpr double kEpsilon = 1e-9;
constexpr double kHoverRadiusPx = 40;
// Smoothed curves denser than this are drawn without antialiasing (ChartView::adaptLineQuality).
constexpr int kAntialiasedPointsPerPixel = 2;

QString number(double v)
{
    return std::isfinite(v) ? QString::number(v, 'g', 6) : QString();
}
} // namespace

ChartView::ChartView(Kind kind, QWidget *parent)
    : QWidget(parent)
    , m_kind(kind)
    , m_plot(new QCustomPlot(this))
{
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setMinimumSize(240, 180);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    // Wide smoothed lines with 100k points take ~250 ms to stroke otherwise (bench_chart).
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->plotLayout()->insertRow(0);
    QFont titleFont = font();
    titleFont.setBold(true);
    auto titleElement = new QCPTextElement(m_plot, title(), titleFont);
    m_plot->plotLayout()->addElement(0, 0, titleElement);
    // The legend goes in a row under the plot, filled left to right: inside the axis rect it
    // would hide the curves of a small chart.
    QFont legendFont = font();
    legendFont.setPointSizeF(legendFont.pointSizeF() * 0.8);
    m_plot->legend->setFont(legendFont);
    m_plot->legend->setIconSize(16, 8);
    m_plot->legend->setBorderPen(Qt::NoPen);
    m_plot->legend->setBrush(Qt::NoBrush);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setColumnSpacing(6);
    m_plot->legend->setMargins(QMargins(2, 0, 2, 2));
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setWrap(kind == Kind::Metrics ? 4 : 3);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(2, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(2, 0.001);
    m_plot->plotLayout()->setRowSpacing(0);
    m_plot->legend->setVisible(kind != Kind::EpochTime); // one series: the title says it
    m_plot->xAxis->setLabel(tr("epoch"));
    if (m_kind == Kind::EpochTime)
        m_plot->yAxis->setLabel(tr("seconds"));

    createSeries();

    m_tracer = new QCPItemTracer(m_plot);
    m_tracer->setStyle(QCPItemTracer::tsCircle);
    m_tracer->setSize(9);
    m_tracer->setPen(QPen(Qt::black, 1.5));
    m_tracer->setVisible(false);
    m_readout = new QCPItemText(m_plot);
    m_readout->setPositionAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_readout->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_readout->position->setCoords(0.01, 0.01);
    m_readout->setPadding(QMargins(4, 2, 4, 2));
    m_readout->setBrush(QColor(255, 255, 255, 220));
    m_readout->setPen(QPen(QColor(0x99, 0x99, 0x99)));
    m_readout->setVisible(false);

    connect(m_plot, &QCustomPlot::mouseMove, this, &ChartView::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this] {
        m_followData = false;
        Q_EMIT userMovedView();
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        if (event->button() == Qt::LeftButton) {
            m_followData = false;
            Q_EMIT userMovedView();
        }
    });

    connect(m_plot, &QCustomPlot::beforeReplot, this, &ChartView::adaptLineQuality);

    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(kReplotIntervalMs);
    connect(&m_replotTimer, &QTimer::timeout, this, &ChartView::replotNow);
    rebuild();
}

ChartView::~ChartView() = default;

QString ChartView::title() const
{
    switch (m_kind) {
    case Kind::Losses:
        return tr("Losses");
    case Kind::Metrics:
        return tr("Validation metrics");
    case Kind::LearningRate:
        return tr("Learning rate");
    case Kind::EpochTime:
        return tr("Epoch time");
    }
    return {};
}

int ChartView::batchSeriesCount() const
{
    return m_kind == Kind::Losses || m_kind == Kind::LearningRate ? 3 : 0;
}

int ChartView::epochSeriesCount() const
{
    switch (m_kind) {
    case Kind::Losses:
        return 6;
    case Kind::Metrics:
        return 4;
    case Kind::LearningRate:
        return 3;
    case Kind::EpochTime:
        return 1;
    }
    return 0;
}

void ChartView::createSeries()
{
    QStringList batchNames;
    QStringList epochNames;
    switch (m_kind) {
    case Kind::Losses:
        batchNames = {tr("train box"), tr("train cls"), tr("train dfl")};
        epochNames = {tr("train box (epoch)"), tr("train cls (epoch)"), tr("train dfl (epoch)"),
                      tr("val box"),           tr("val cls"),           tr("val dfl")};
        break;
    case Kind::Metrics:
        epochNames = {tr("precision"), tr("recall"), tr("mAP50"), tr("mAP50-95")};
        break;
    case Kind::LearningRate:
        batchNames = {tr("pg0 biases"), tr("pg1 weights"), tr("pg2 norms")};
        epochNames = {tr("pg0 (epoch)"), tr("pg1 (epoch)"), tr("pg2 (epoch)")};
        break;
    case Kind::EpochTime:
        epochNames = {tr("seconds per epoch")};
        break;
    }
    for (int i = 0; i < batchNames.size(); ++i) {
        Series s;
        s.name = batchNames.at(i);
        const QColor color = kPalette[i % 5];
        s.raw = m_plot->addGraph();
        QColor faint = color;
        faint.setAlpha(55);
        s.raw->setPen(QPen(faint, 1));
        // The raw curve is a faint band of noise under the smoothed one: antialiasing it buys
        // nothing visible and costs most of a redraw with 100,000 points (bench_chart).
        s.raw->setAntialiased(false);
        s.raw->setName(s.name);
        s.raw->removeFromLegend();
        s.smoothed = m_plot->addGraph();
        s.smoothed->setPen(QPen(color, 2));
        s.smoothed->setName(s.name);
        m_batchSeries.push_back(s);
    }
    for (int i = 0; i < epochNames.size(); ++i) {
        Series s;
        s.name = epochNames.at(i);
        // Train losses and per-epoch learning rates sit on top of their batch curves: points
        // only, same colour. Validation losses and metrics exist per epoch only: line and points.
        const bool onBatchCurve = (m_kind == Kind::Losses && i < 3) || m_kind == Kind::LearningRate;
        const bool validation = m_kind == Kind::Losses && i >= 3;
        const QColor color = kPalette[(validation ? i - 3 : i) % 5];
        s.smoothed = m_plot->addGraph();
        s.smoothed->setName(s.name);
        QPen pen(color, 1.5);
        if (validation)
            pen.setStyle(Qt::DashLine);
        s.smoothed->setPen(pen);
        s.smoothed->setLineStyle(onBatchCurve ? QCPGraph::lsNone : QCPGraph::lsLine);
        s.smoothed->setScatterStyle(
            QCPScatterStyle(validation ? QCPScatterStyle::ssSquare : QCPScatterStyle::ssCircle,
                            color, onBatchCurve ? Qt::white : color, 6));
        if (onBatchCurve)
            s.smoothed->removeFromLegend();
        m_epochSeries.push_back(s);
    }
}

void ChartView::setBatchesPerEpoch(int batchesPerEpoch)
{
    m_batchesPerEpoch = qMax(0, batchesPerEpoch);
    scheduleReplot();
}

void ChartView::appendBatch(const BatchProgress &progress)
{
    if (batchSeriesCount() == 0 || progress.batches <= 0)
        return;
    if (progress.batches != m_batchesPerEpoch)
        m_batchesPerEpoch = progress.batches;
    BatchPoint p;
    p.epochPosition = (progress.epoch - 1) + double(progress.batch) / progress.batches;
    p.step = double(progress.globalStep);
    p.values = m_kind == Kind::Losses ? progress.loss : progress.lr;
    // A trainer that reports a batch again (it cannot, but a replayed log might) must not put
    // points out of order: QCustomPlot expects sorted keys.
    size_t keep = m_batches.size();
    while (keep > 0 && m_batches[keep - 1].epochPosition >= p.epochPosition - kEpsilon)
        --keep;
    dropBatchesFrom(keep);
    m_batches.push_back(p);
    archiveOldBatches();
    scheduleReplot();
}

void ChartView::appendEpoch(const EpochRecord &record)
{
    auto it = std::lower_bound(m_epochs.begin(), m_epochs.end(), record.epoch,
                               [](const EpochRecord &r, int epoch) { return r.epoch < epoch; });
    if (it != m_epochs.end() && it->epoch == record.epoch)
        *it = record;
    else
        m_epochs.insert(it, record);
    scheduleReplot();
}

void ChartView::resetToHistory(const History &history, int startBatch)
{
    m_epochs = history;
    std::sort(m_epochs.begin(), m_epochs.end(),
              [](const EpochRecord &a, const EpochRecord &b) { return a.epoch < b.epoch; });
    const int completed = m_epochs.empty() ? 0 : m_epochs.back().epoch;
    double cut = completed;
    if (startBatch > 0 && m_batchesPerEpoch > 0)
        cut += double(startBatch) / m_batchesPerEpoch;
    dropBatchesFrom(size_t(
        std::find_if(m_batches.begin(), m_batches.end(),
                     [cut](const BatchPoint &p) { return p.epochPosition > cut + kEpsilon; }) -
        m_batches.begin()));
    m_resumeMarkers.erase(std::remove_if(m_resumeMarkers.begin(), m_resumeMarkers.end(),
                                         [cut](double m) { return m > cut + kEpsilon; }),
                          m_resumeMarkers.end());
    if (m_bestEpoch > completed)
        m_bestEpoch = 0;
    scheduleReplot();
}

void ChartView::addResumeMarker(double epochPosition)
{
    for (double m : m_resumeMarkers) {
        if (std::abs(m - epochPosition) < kEpsilon)
            return;
    }
    m_resumeMarkers.push_back(epochPosition);
    std::sort(m_resumeMarkers.begin(), m_resumeMarkers.end());
    scheduleReplot();
}

void ChartView::setBestEpoch(int epoch)
{
    m_bestEpoch = qMax(0, epoch);
    scheduleReplot();
}

void ChartView::clear()
{
    dropBatchesFrom(0);
    m_epochs.clear();
    m_resumeMarkers.clear();
    m_bestEpoch = 0;
    m_followData = true;
    scheduleReplot();
}

void ChartView::setSmoothing(double weight)
{
    m_smoothing = qBound(0.0, weight, 0.999);
    truncateBuilt(0);
    scheduleReplot();
}

void ChartView::setXAxis(XAxis axis)
{
    if (m_xAxis == axis)
        return;
    m_xAxis = axis;
    truncateBuilt(0);
    m_plot->xAxis->setLabel(axis == XAxis::Epoch ? tr("epoch") : tr("step"));
    m_followData = true; // the old range means nothing on the new axis
    scheduleReplot();
}

void ChartView::setLogY(bool logY)
{
    if (m_logY == logY)
        return;
    m_logY = logY;
    if (logY) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    } else {
        m_plot->yAxis->setScaleType(QCPAxis::stLinear);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    }
    m_followData = true;
    scheduleReplot();
}

void ChartView::resetView()
{
    m_followData = true;
    scheduleReplot();
}

void ChartView::scheduleReplot()
{
    m_dirty = true;
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void ChartView::flush()
{
    if (m_replotTimer.isActive()) {
        m_replotTimer.stop();
        replotNow();
    }
}

void ChartView::replotNow()
{
    if (m_dirty)
        rebuild();
    m_dirty = false;
    m_plot->replot();
    ++m_replotCount;
}

double ChartView::epochToX(double epochPosition) const
{
    if (m_xAxis == XAxis::Epoch)
        return epochPosition;
    return m_batchesPerEpoch > 0 ? epochPosition * m_batchesPerEpoch : epochPosition;
}

std::vector<double> ChartView::epochValues(int series) const
{
    std::vector<double> out;
    out.reserve(m_epochs.size());
    double previousTime = 0;
    int previousEpoch = 0;
    for (const EpochRecord &r : m_epochs) {
        switch (m_kind) {
        case Kind::Losses:
            out.push_back(series < 3 ? r.trainLoss[size_t(series)] : r.valLoss[size_t(series - 3)]);
            break;
        case Kind::Metrics: {
            const double values[] = {r.precision, r.recall, r.map50, r.map50_95};
            out.push_back(values[series]);
            break;
        }
        case Kind::LearningRate:
            out.push_back(r.lr[size_t(series)]);
            break;
        case Kind::EpochTime:
            // results.csv's time is cumulative; after a gap in the rows there is no duration.
            out.push_back(r.epoch == previousEpoch + 1 ? r.time - previousTime : qQNaN());
            break;
        }
        previousTime = r.time;
        previousEpoch = r.epoch;
    }
    return out;
}

double ChartView::smoothStep(SmoothState &state, size_t series, double value, int batches) const
{
    // TensorBoard's smoothing: an exponential moving average started at 0 and divided by
    // (1 - w^n) so that the first points are not pulled towards zero. w^n is a running product
    // (pow is costly at 100,000 points). A non-finite value passes through and is skipped.
    if (!std::isfinite(value))
        return value;
    // An archived point, the mean of n batches, weighs as n batches of that value: thinning keeps
    // the curve's time constant in batches.
    const double weight = batches == 1 ? m_smoothing : std::pow(m_smoothing, batches);
    state.ema[series] = state.ema[series] * weight + (1.0 - weight) * value;
    state.power[series] *= weight;
    const double debias = m_smoothing > 0 ? 1.0 - state.power[series] : 1.0;
    return state.ema[series] / debias;
}

std::vector<double> ChartView::smooth(int series) const
{
    std::vector<double> out;
    out.reserve(m_batches.size());
    SmoothState state;
    for (const BatchPoint &p : m_batches)
        out.push_back(smoothStep(state, size_t(series), p.values[size_t(series)], p.batches));
    return out;
}

std::vector<double> ChartView::smoothedSeries(int series) const
{
    if (series < 0 || series >= batchSeriesCount())
        return {};
    return smooth(series);
}

void ChartView::adaptLineQuality()
{
    // A smoothed curve with many points per pixel is drawn as a dense zig-zag whose antialiased
    // 2 px stroke is most of a redraw (bench_chart: 16.4 -> 11.4 ms at 100,000 points without it)
    // and looks the same without; a sparse one needs antialiasing not to look jagged.
    const QCPRange range = m_plot->xAxis->range();
    const int width = qMax(1, m_plot->axisRect()->width());
    for (const Series &s : m_batchSeries) {
        const QSharedPointer<QCPGraphDataContainer> data = s.smoothed->data();
        const auto visible = data->findEnd(range.upper) - data->findBegin(range.lower);
        s.smoothed->setAntialiased(visible <= kAntialiasedPointsPerPixel * width);
    }
}

void ChartView::truncateBuilt(size_t count)
{
    m_built = std::min(m_built, count);
    m_smoothState.resize(m_built);
}

void ChartView::dropBatchesFrom(size_t index)
{
    m_batches.erase(m_batches.begin() + qint64(std::min(index, m_batches.size())), m_batches.end());
    m_archived = std::min(m_archived, m_batches.size());
    if (m_archived == 0)
        m_stride = 1;
    truncateBuilt(m_batches.size());
}

ChartView::BatchPoint ChartView::meanOf(const BatchPoint *begin, const BatchPoint *end)
{
    BatchPoint mean;
    mean.batches = 0;
    mean.epochPosition = 0;
    mean.step = 0;
    std::array<double, 3> weights{};
    mean.values = {};
    for (const BatchPoint *p = begin; p != end; ++p) {
        mean.batches += p->batches;
        mean.epochPosition += p->epochPosition * p->batches;
        mean.step += p->step * p->batches;
        for (size_t s = 0; s < mean.values.size(); ++s) {
            if (std::isfinite(p->values[s])) {
                mean.values[s] += p->values[s] * p->batches;
                weights[s] += p->batches;
            }
        }
    }
    mean.epochPosition /= mean.batches;
    mean.step /= mean.batches;
    for (size_t s = 0; s < mean.values.size(); ++s)
        mean.values[s] = weights[s] > 0 ? mean.values[s] / weights[s] : qQNaN();
    return mean;
}

void ChartView::archiveOldBatches()
{
    if (m_batches.size() - m_archived <= size_t(2 * kRecentBatchPoints))
        return;
    // The recent points beyond the newest kRecentBatchPoints join the archive: first they fill up
    // its last point if that one holds fewer than m_stride batches (left so by a halving), then
    // they go in whole groups of m_stride. So every archive point but the last holds m_stride.
    const size_t stride = size_t(m_stride);
    bool merged = stride > 1; // groups of one leave every point (and the built curves) as it was
    const size_t end = m_batches.size() - size_t(kRecentBatchPoints);
    size_t next = m_archived;
    if (m_archived > 0 && size_t(m_batches[m_archived - 1].batches) < stride) {
        const size_t take =
            std::min(stride - size_t(m_batches[m_archived - 1].batches), end - next);
        m_batches[m_archived - 1] = meanOf(&m_batches[m_archived - 1], &m_batches[next] + take);
        next += take;
    }
    size_t out = m_archived;
    for (; next + stride <= end; next += stride)
        m_batches[out++] = meanOf(&m_batches[next], &m_batches[next] + stride);
    m_batches.erase(m_batches.begin() + qint64(out), m_batches.begin() + qint64(next));
    m_archived = out;
    // A full archive halves: neighbours merge, and new archive points hold twice the batches.
    if (m_archived > size_t(kMaxArchivedPoints)) {
        out = 0;
        for (size_t i = 0; i < m_archived; i += 2)
            m_batches[out++] =
                meanOf(&m_batches[i], &m_batches[i] + (std::min(i + 2, m_archived) - i));
        m_batches.erase(m_batches.begin() + qint64(out), m_batches.begin() + qint64(m_archived));
        m_archived = out;
        m_stride *= 2;
        merged = true;
    }
    if (merged)
        truncateBuilt(0); // the curves changed: the next redraw builds them again
}

void ChartView::syncBatchGraphs()
{
    if (m_batchSeries.empty())
        return;
    // Drop what the graphs hold beyond the built points (a replaced last batch, a branch).
    const auto keyOf = [this](const BatchPoint &p) {
        return m_xAxis == XAxis::Epoch ? p.epochPosition : p.step;
    };
    if (m_batchSeries.front().raw->dataCount() != int(m_built)) {
        for (const Series &s : m_batchSeries) {
            for (QCPGraph *g : {s.raw, s.smoothed}) {
                if (m_built == 0)
                    g->data()->clear();
                else
                    g->data()->removeAfter(keyOf(m_batches[m_built - 1]));
            }
        }
    }
    if (m_built == m_batches.size())
        return;

    // Append the new points, smoothing them on from the state after the last built one.
    const int added = int(m_batches.size() - m_built);
    QVector<double> keys;
    keys.reserve(added);
    for (size_t i = m_built; i < m_batches.size(); ++i)
        keys.push_back(keyOf(m_batches[i]));
    SmoothState state = m_built > 0 ? m_smoothState[m_built - 1] : SmoothState{};
    std::array<QVector<double>, 3> raw, smoothed;
    for (size_t s = 0; s < m_batchSeries.size(); ++s) {
        raw[s].reserve(added);
        smoothed[s].reserve(added);
    }
    m_smoothState.reserve(m_batches.size());
    for (size_t i = m_built; i < m_batches.size(); ++i) {
        for (size_t s = 0; s < m_batchSeries.size(); ++s) {
            const double v = m_batches[i].values[s];
            raw[s].push_back(v);
            smoothed[s].push_back(smoothStep(state, s, v, m_batches[i].batches));
        }
        m_smoothState.push_back(state);
    }
    for (size_t s = 0; s < m_batchSeries.size(); ++s) {
        m_batchSeries[s].raw->addData(keys, raw[s], true);
        m_batchSeries[s].smoothed->addData(keys, smoothed[s], true);
    }
    m_built = m_batches.size();
}

void ChartView::rebuild()
{
    syncBatchGraphs();

    QVector<double> epochKeys;
    for (const EpochRecord &r : m_epochs)
        epochKeys.push_back(epochToX(r.epoch));
    for (int s = 0; s < int(m_epochSeries.size()); ++s) {
        const std::vector<double> values = epochValues(s);
        m_epochSeries[size_t(s)].smoothed->setData(
            epochKeys, QVector<double>(values.begin(), values.end()), true);
    }

    updateMarkers();
    if (m_followData) {
        m_plot->rescaleAxes();
        if (m_kind == Kind::Metrics) {
            // Precision, recall and mAP live in [0, 1]: a fixed scale makes runs comparable.
            m_plot->yAxis->setRange(-0.02, 1.02);
        } else if (!m_logY) {
            m_plot->yAxis->scaleRange(1.08, m_plot->yAxis->range().center());
        }
        if (m_plot->xAxis->range().size() < kEpsilon)
            m_plot->xAxis->setRange(m_plot->xAxis->range().lower - 0.5,
                                    m_plot->xAxis->range().upper + 0.5);
    }
}

void ChartView::updateMarkers()
{
    for (QCPAbstractItem *item : m_markerItems)
        m_plot->removeItem(item);
    m_markerItems.clear();

    auto verticalLine = [this](double x, const QPen &pen, const QString &label) {
        auto line = new QCPItemStraightLine(m_plot);
        line->point1->setCoords(x, 0);
        line->point2->setCoords(x, 1);
        line->setPen(pen);
        line->setSelectable(false);
        m_markerItems.push_back(line);
        auto text = new QCPItemText(m_plot);
        text->position->setTypeX(QCPItemPosition::ptPlotCoords);
        text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(x, 0.98);
        text->setPositionAlignment(Qt::AlignBottom | Qt::AlignLeft);
        text->setRotation(-90);
        text->setText(label);
        text->setColor(pen.color());
        QFont small = font();
        small.setPointSizeF(small.pointSizeF() * 0.8);
        text->setFont(small);
        text->setSelectable(false);
        m_markerItems.push_back(text);
    };
    for (double m : m_resumeMarkers)
        verticalLine(epochToX(m), QPen(QColor(0x55, 0x55, 0x55), 1, Qt::DashLine),
                     tr("resumed at %1").arg(m, 0, 'g', 4));
    if (m_bestEpoch > 0)
        verticalLine(epochToX(m_bestEpoch), QPen(QColor(0xd4, 0xa0, 0x17), 1.5, Qt::DotLine),
                     tr("best: epoch %1").arg(m_bestEpoch));
}

void ChartView::onMouseMove(QMouseEvent *event)
{
    if (event->buttons() != Qt::NoButton)
        return; // dragging: no read-out
    hoverAt(event->position());
}

void ChartView::hoverAt(const QPointF &pixel)
{
    flush();
    QCPGraph *bestGraph = nullptr;
    int bestIndex = 0;
    double bestKey = 0;
    double bestValue = 0;
    double bestDistance = kHoverRadiusPx;
    const double key = m_plot->xAxis->pixelToCoord(pixel.x());
    for (int i = 0; i < m_plot->graphCount(); ++i) {
        QCPGraph *graph = m_plot->graph(i);
        if (!graph->visible() || graph->data()->isEmpty())
            continue;
        auto it = graph->data()->findBegin(key, false);
        for (auto candidate : {it, it == graph->data()->constBegin() ? it : it - 1}) {
            if (candidate == graph->data()->constEnd() || !std::isfinite(candidate->value))
                continue;
            const double dx = m_plot->xAxis->coordToPixel(candidate->key) - pixel.x();
            const double dy = m_plot->yAxis->coordToPixel(candidate->value) - pixel.y();
            const double distance = std::hypot(dx, dy);
            if (distance < bestDistance) {
                bestDistance = distance;
                bestGraph = graph;
                bestIndex = int(candidate - graph->data()->constBegin());
                bestKey = candidate->key;
                bestValue = candidate->value;
            }
        }
    }
    QString text;
    if (bestGraph) {
        m_tracer->setGraph(bestGraph);
        m_tracer->setGraphKey(bestKey);
        const QString where = m_xAxis == XAxis::Epoch ? tr("epoch %1").arg(bestKey, 0, 'f', 2)
                                                      : tr("step %1").arg(qint64(bestKey));
        text = tr("%1: %2 at %3").arg(bestGraph->name(), number(bestValue), where);
        // The batch graphs hold m_batches in order: an archived point says what it stands for.
        const bool batchGraph =
            std::any_of(m_batchSeries.begin(), m_batchSeries.end(), [bestGraph](const Series &s) {
                return s.raw == bestGraph || s.smoothed == bestGraph;
            });
        if (batchGraph && bestIndex < int(m_built) && m_batches[size_t(bestIndex)].batches > 1)
            text += tr(" (mean of %n batches)", nullptr, m_batches[size_t(bestIndex)].batches);
    }
    m_tracer->setVisible(bestGraph != nullptr);
    m_readout->setVisible(bestGraph != nullptr);
    m_readout->setText(text);
    if (text != m_hoverText) {
        m_hoverText = text;
        Q_EMIT hoverTextChanged(text);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

QString ChartView::toCsv() const
{
    QString out;
    QTextStream stream(&out);
    stream << "series,epoch,step,value,smoothed,batches\n";
    for (int s = 0; s < int(m_batchSeries.size()); ++s) {
        const std::vector<double> smoothed = smooth(s);
        for (size_t i = 0; i < m_batches.size(); ++i) {
            const BatchPoint &p = m_batches[i];
            stream << m_batchSeries[size_t(s)].name << ',' << number(p.epochPosition) << ','
                   << qint64(p.step) << ',' << number(p.values[size_t(s)]) << ','
                   << number(smoothed[i]) << ',' << p.batches << '\n';
        }
    }
    for (int s = 0; s < int(m_epochSeries.size()); ++s) {
        const std::vector<double> values = epochValues(s);
        for (size_t i = 0; i < m_epochs.size(); ++i) {
            const int epoch = m_epochs[i].epoch;
            const double value = values[i];
            const QString step = m_batchesPerEpoch > 0
                                     ? QString::number(qint64(epoch) * m_batchesPerEpoch)
                                     : QString();
            stream << m_epochSeries[size_t(s)].name << ',' << epoch << ',' << step << ','
                   << number(value) << ",,\n";
        }
    }
    return out;
}

bool ChartView::exportCsv(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(toCsv().toUtf8());
    if (!file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

bool ChartView::exportPng(const QString &path, int width, int height)
{
    flush();
    return m_plot->savePng(path, width, height);
}

void ChartView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    menu.addAction(tr("Reset view"), this, &ChartView::resetView);
    QAction *log = menu.addAction(tr("Logarithmic y axis"));
    log->setCheckable(true);
    log->setChecked(m_logY);
    connect(log, &QAction::toggled, this, &ChartView::setLogY);
    menu.addSeparator();
    menu.addAction(tr("Export PNG…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export chart as PNG"),
                                                          QString(), tr("PNG image (*.png)"));
        if (!path.isEmpty())
            exportPng(path);
    });
    menu.addAction(tr("Export CSV…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export chart data as CSV"),
                                                          QString(), tr("CSV file (*.csv)"));
        if (!path.isEmpty())
            exportCsv(path);
    });
    menu.exec(event->globalPos());
}

} // namespace yolodeck
