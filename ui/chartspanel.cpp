#include "ui/chartspanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>

namespace yolodeck {

ChartsPanel::ChartsPanel(QWidget *parent)
    : QWidget(parent)
{
    auto options = new QHBoxLayout;
    auto smoothingLabel = new QLabel(tr("Smoothing:"));
    m_smoothingSlider = new QSlider(Qt::Horizontal);
    m_smoothingSlider->setRange(0, 999);
    m_smoothingSlider->setMaximumWidth(180);
    m_smoothingBox = new QDoubleSpinBox;
    m_smoothingBox->setRange(0, 0.999);
    m_smoothingBox->setDecimals(3);
    m_smoothingBox->setSingleStep(0.05);
    smoothingLabel->setBuddy(m_smoothingSlider);
    m_xAxisBox = new QComboBox;
    m_xAxisBox->addItem(tr("Epoch"), int(ChartView::XAxis::Epoch));
    m_xAxisBox->addItem(tr("Step"), int(ChartView::XAxis::Step));
    auto xLabel = new QLabel(tr("X axis:"));
    xLabel->setBuddy(m_xAxisBox);
    m_logYBox = new QCheckBox(tr("Log y (losses, LR)"));
    auto reset = new QPushButton(tr("Reset view"));
    reset->setToolTip(tr("Fit every chart to its data and follow new points again"));
    options->addWidget(smoothingLabel);
    options->addWidget(m_smoothingSlider);
    options->addWidget(m_smoothingBox);
    options->addSpacing(12);
    options->addWidget(xLabel);
    options->addWidget(m_xAxisBox);
    options->addSpacing(12);
    options->addWidget(m_logYBox);
    options->addStretch();
    options->addWidget(reset);

    auto grid = new QGridLayout;
    grid->setSpacing(4);
    for (int k = 0; k < 4; ++k) {
        m_charts[size_t(k)] = new ChartView(ChartView::Kind(k), this);
        m_charts[size_t(k)]->setToolTip(
            tr("Drag to pan, wheel to zoom, right-click for log scale and export"));
        grid->addWidget(m_charts[size_t(k)], k / 2, k % 2);
    }
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(options);
    layout->addLayout(grid, 1);

    connect(m_smoothingSlider, &QSlider::valueChanged, this,
            [this](int v) { setSmoothing(v / 1000.0); });
    connect(m_smoothingBox, &QDoubleSpinBox::valueChanged, this, &ChartsPanel::setSmoothing);
    connect(m_xAxisBox, &QComboBox::currentIndexChanged, this,
            [this] { setXAxis(ChartView::XAxis(m_xAxisBox->currentData().toInt())); });
    connect(m_logYBox, &QCheckBox::toggled, this, &ChartsPanel::setLogY);
    connect(reset, &QPushButton::clicked, this,
            [this] { forEachChart([](ChartView *c) { c->resetView(); }); });
    chart(ChartView::Kind::LearningRate)->setSmoothing(0);
    setSmoothing(chart(ChartView::Kind::Losses)->smoothing());
}

void ChartsPanel::setSmoothing(double weight)
{
    const QSignalBlocker blockSlider(m_smoothingSlider);
    const QSignalBlocker blockBox(m_smoothingBox);
    m_smoothingSlider->setValue(qRound(weight * 1000));
    m_smoothingBox->setValue(weight);
    // Only the losses are noisy. The learning rate is an exact schedule: smoothing would only
    // make it lag.
    chart(ChartView::Kind::Losses)->setSmoothing(weight);
    Q_EMIT optionsChanged();
}

double ChartsPanel::smoothing() const
{
    return chart(ChartView::Kind::Losses)->smoothing();
}

void ChartsPanel::setXAxis(ChartView::XAxis axis)
{
    const QSignalBlocker block(m_xAxisBox);
    m_xAxisBox->setCurrentIndex(m_xAxisBox->findData(int(axis)));
    forEachChart([axis](ChartView *c) { c->setXAxis(axis); });
    Q_EMIT optionsChanged();
}

ChartView::XAxis ChartsPanel::xAxis() const
{
    return chart(ChartView::Kind::Losses)->xAxis();
}

void ChartsPanel::setLogY(bool logY)
{
    const QSignalBlocker block(m_logYBox);
    m_logYBox->setChecked(logY);
    // Metrics live in 0..1 and epoch times are similar numbers: log scale helps only the losses
    // and the learning rate, which span decades.
    chart(ChartView::Kind::Losses)->setLogY(logY);
    chart(ChartView::Kind::LearningRate)->setLogY(logY);
    Q_EMIT optionsChanged();
}

bool ChartsPanel::logY() const
{
    return chart(ChartView::Kind::Losses)->logY();
}

void ChartsPanel::startRun(const RunStarted &started)
{
    forEachChart([&](ChartView *c) { c->setBatchesPerEpoch(started.batchesPerEpoch); });
    m_bestFitness = -1;
    int bestEpoch = 0;
    for (const EpochRecord &r : started.history) {
        if (r.fitness > m_bestFitness) {
            m_bestFitness = r.fitness;
            bestEpoch = r.epoch;
        }
    }
    if (started.mode == QLatin1String("resume") || started.mode == QLatin1String("branch")) {
        const double at =
            started.startEpoch + (started.batchesPerEpoch > 0
                                      ? double(started.startBatch) / started.batchesPerEpoch
                                      : 0.0);
        forEachChart([&](ChartView *c) {
            c->resetToHistory(started.history, started.startBatch);
            c->addResumeMarker(at);
            c->setBestEpoch(bestEpoch);
        });
    } else {
        forEachChart([](ChartView *c) { c->clear(); });
    }
}

void ChartsPanel::appendBatch(const BatchProgress &progress)
{
    chart(ChartView::Kind::Losses)->appendBatch(progress);
    chart(ChartView::Kind::LearningRate)->appendBatch(progress);
}

void ChartsPanel::appendEpoch(const EpochFinished &finished)
{
    forEachChart([&](ChartView *c) {
        c->appendEpoch(finished.record);
        if (finished.isBest)
            c->setBestEpoch(finished.record.epoch);
    });
}

void ChartsPanel::showReplay(const RunReplay &replay)
{
    forEachChart([&](ChartView *c) {
        c->clear();
        c->setBatchesPerEpoch(replay.batchesPerEpoch);
    });
    for (const BatchProgress &b : replay.batches)
        appendBatch(b);
    forEachChart([&](ChartView *c) {
        for (const EpochRecord &r : replay.history)
            c->appendEpoch(r);
        for (double m : replay.resumeMarkers)
            c->addResumeMarker(m);
        c->setBestEpoch(replay.bestEpoch);
    });
}

void ChartsPanel::clear()
{
    forEachChart([](ChartView *c) { c->clear(); });
}

} // namespace yolodeck
