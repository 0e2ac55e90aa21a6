#pragma once

#include "core/train/trainingobserver.h"
#include "ui/chartview.h"
#include "ui/runreplay.h"

#include <QWidget>

#include <array>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSlider;

namespace yolodeck {

// The Charts tab: losses, metrics, learning rate and epoch time side by side, with the display
// options they share (smoothing, x axis, log y) in one row above them.
class ChartsPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit ChartsPanel(QWidget *parent = nullptr);

    ChartView *chart(ChartView::Kind kind) const { return m_charts[size_t(kind)]; }

    // Feeding from the training controller.
    void startRun(const RunStarted &started);
    void appendBatch(const BatchProgress &progress);
    void appendEpoch(const EpochFinished &finished);
    void showReplay(const RunReplay &replay); // File → Open Run
    void clear();

    void setSmoothing(double weight);
    double smoothing() const;
    void setXAxis(ChartView::XAxis axis);
    ChartView::XAxis xAxis() const;
    void setLogY(bool logY);
    bool logY() const;

Q_SIGNALS:
    void optionsChanged();

private:
    template <typename F> void forEachChart(F f)
    {
        for (ChartView *c : m_charts)
            f(c);
    }

    std::array<ChartView *, 4> m_charts{};
    QSlider *m_smoothingSlider = nullptr;
    QDoubleSpinBox *m_smoothingBox = nullptr;
    QComboBox *m_xAxisBox = nullptr;
    QCheckBox *m_logYBox = nullptr;
    double m_bestFitness = -1;
};

} // namespace yolodeck
