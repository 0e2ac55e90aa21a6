#pragma once

#include <QColor>
#include <QWidget>

#include <vector>

namespace yolodeck {

// A tiny line chart of the last few minutes of one value, drawn with QPainter: QCustomPlot would
// be heavy for a dozen 24-pixel-high curves redrawn every second.
class Sparkline final : public QWidget
{
    Q_OBJECT

public:
    explicit Sparkline(QWidget *parent = nullptr);

    // Values oldest first; NaN leaves a gap. `maximum` <= 0 scales to the largest value.
    void setValues(std::vector<double> values, double maximum = 100);
    const std::vector<double> &values() const { return m_values; }
    void setColor(const QColor &color);

    QSize sizeHint() const override { return {160, 26}; }
    QSize minimumSizeHint() const override { return {60, 18}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::vector<double> m_values;
    double m_maximum = 100;
    QColor m_color = QColor(0x1f, 0x77, 0xb4);
};

} // namespace yolodeck
