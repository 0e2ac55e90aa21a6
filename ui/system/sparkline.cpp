#include "ui/system/sparkline.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace yolodeck {

Sparkline::Sparkline(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void Sparkline::setValues(std::vector<double> values, double maximum)
{
    m_values = std::move(values);
    m_maximum = maximum;
    update();
}

void Sparkline::setColor(const QColor &color)
{
    m_color = color;
    update();
}

void Sparkline::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area = QRectF(rect()).adjusted(1, 2, -1, -2);
    painter.fillRect(rect(), palette().color(QPalette::Base));
    painter.setPen(QPen(palette().color(QPalette::Mid), 0.5));
    painter.drawLine(area.bottomLeft(), area.bottomRight());
    if (m_values.size() < 2)
        return;
    double maximum = m_maximum;
    if (maximum <= 0) {
        maximum = 0;
        for (double v : m_values) {
            if (std::isfinite(v))
                maximum = std::max(maximum, v);
        }
        if (maximum <= 0)
            maximum = 1;
    }
    const double dx = area.width() / double(m_values.size() - 1);
    QColor light = m_color;
    light.setAlpha(40);
    // One filled polygon and one line per run of known values: a NaN is a gap, not a zero.
    QPolygonF segment;
    auto flush = [&] {
        if (segment.size() >= 2) {
            QPolygonF fill = segment;
            fill << QPointF(segment.last().x(), area.bottom())
                 << QPointF(segment.first().x(), area.bottom());
            painter.setPen(Qt::NoPen);
            painter.setBrush(light);
            painter.drawPolygon(fill);
            painter.setPen(QPen(m_color, 1.3));
            painter.setBrush(Qt::NoBrush);
            painter.drawPolyline(segment);
        } else if (segment.size() == 1) {
            painter.setPen(QPen(m_color, 2.5));
            painter.drawPoint(segment.first());
        }
        segment.clear();
    };
    for (size_t i = 0; i < m_values.size(); ++i) {
        const double v = m_values[i];
        if (!std::isfinite(v)) {
            flush();
            continue;
        }
        segment << QPointF(area.left() + dx * double(i),
                           area.bottom() - area.height() * std::clamp(v / maximum, 0.0, 1.0));
    }
    flush();
}

} // namespace yolodeck
