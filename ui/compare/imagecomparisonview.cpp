#include "ui/compare/imagecomparisonview.h"

#include <QFileInfo>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {
constexpr double kPaneGap = 6;
constexpr double kMinZoom = 0.5;
constexpr double kMaxZoom = 64;
constexpr double kZoomPerNotch = 1.2;

QString classNameOf(const Comparison &comparison, int cls)
{
    return cls >= 0 && cls < comparison.names.size() ? comparison.names[cls] : QString::number(cls);
}
} // namespace

ImageComparisonView::ImageComparisonView(QWidget *parent)
    : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(false);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void ImageComparisonView::setComparison(std::shared_ptr<const Comparison> comparison)
{
    m_comparison = std::move(comparison);
    m_image = -1;
    m_picture = QImage();
    resetView();
    rebuildBoxes();
}

void ImageComparisonView::setImage(int image)
{
    if (!m_comparison || image < 0 || image >= int(m_comparison->a.predictions.images.size()))
        image = -1;
    const QSizeF before = imageSize();
    m_image = image;
    m_picture =
        image < 0 ? QImage() : QImage(m_comparison->a.predictions.images[size_t(image)].imagePath);
    if (imageSize() != before)
        resetView();
    rebuildBoxes();
}

void ImageComparisonView::setConfidence(float confidence)
{
    m_confidence = confidence;
    rebuildBoxes();
}

void ImageComparisonView::resetView()
{
    m_zoom = 1.0;
    const QSizeF size = imageSize();
    m_center = QPointF(size.width() / 2, size.height() / 2);
    update();
}

QSizeF ImageComparisonView::imageSize() const
{
    if (!m_comparison || m_image < 0)
        return {};
    const ImagePredictions &p = m_comparison->a.predictions.images[size_t(m_image)];
    if (p.width > 0 && p.height > 0)
        return QSizeF(p.width, p.height);
    return m_picture.isNull() ? QSizeF(1, 1) : QSizeF(m_picture.size());
}

void ImageComparisonView::rebuildBoxes()
{
    for (auto &boxes : m_boxes)
        boxes.clear();
    if (!m_comparison || m_image < 0) {
        update();
        return;
    }
    const Comparison &c = *m_comparison;
    const ImagePredictions &truth = c.a.predictions.images[size_t(m_image)];
    for (const GroundTruth &g : truth.labels)
        m_boxes[int(Pane::GroundTruth)].push_back({QRectF(QPointF(g.x1, g.y1), QPointF(g.x2, g.y2)),
                                                   labelColor(), false, classNameOf(c, g.cls)});

    for (const Pane pane : {Pane::A, Pane::B}) {
        const ComparedModel &model = pane == Pane::A ? c.a : c.b;
        if (size_t(m_image) >= model.matches.size() ||
            size_t(m_image) >= model.predictions.images.size())
            continue;
        const ImagePredictions &p = model.predictions.images[size_t(m_image)];
        const ImageMatches &m = model.matches[size_t(m_image)];
        std::vector<DrawnBox> &boxes = m_boxes[int(pane)];
        // Missed labels first, so the detections are drawn over them.
        for (size_t l = 0; l < p.labels.size() && l < m.labelFoundAt.size(); ++l) {
            if (m.found(int(l), m_confidence))
                continue;
            const GroundTruth &g = p.labels[l];
            boxes.push_back({QRectF(QPointF(g.x1, g.y1), QPointF(g.x2, g.y2)), missedColor(), true,
                             tr("missed %1").arg(classNameOf(c, g.cls))});
        }
        // Least confident first, so the most confident box and its name are drawn on top.
        const size_t count = std::min(p.detections.size(), m.outcome.size());
        for (size_t k = count; k-- > 0;) {
            const size_t d = k;
            const Detection &det = p.detections[d];
            if (det.conf < m_confidence)
                continue;
            QColor color = falsePositiveColor();
            if (m.outcome[d] == DetectionOutcome::TruePositive)
                color = truePositiveColor();
            else if (m.outcome[d] == DetectionOutcome::WrongClass)
                color = wrongClassColor();
            boxes.push_back({QRectF(QPointF(det.x1, det.y1), QPointF(det.x2, det.y2)), color, false,
                             QStringLiteral("%1 %2")
                                 .arg(classNameOf(c, det.cls))
                                 .arg(double(det.conf), 0, 'f', 2)});
        }
    }
    update();
}

QRectF ImageComparisonView::paneRect(Pane pane) const
{
    const double legend = fontMetrics().height() + 8;
    const double w = (width() - 2 * kPaneGap) / kPaneCount;
    return QRectF(int(pane) * (w + kPaneGap), 0, w, std::max(0.0, height() - legend));
}

QRectF ImageComparisonView::imageArea(Pane pane) const
{
    const double title = fontMetrics().height() + 6;
    return paneRect(pane).adjusted(2, title, -2, -2);
}

double ImageComparisonView::scaleIn(const QRectF &area) const
{
    const QSizeF size = imageSize();
    if (size.isEmpty() || area.isEmpty())
        return 1.0;
    return std::min(area.width() / size.width(), area.height() / size.height()) * m_zoom;
}

QPointF ImageComparisonView::toWidget(Pane pane, const QPointF &imagePoint) const
{
    const QRectF area = imageArea(pane);
    return area.center() + (imagePoint - m_center) * scaleIn(area);
}

QPointF ImageComparisonView::toImage(Pane pane, const QPointF &pixel) const
{
    const QRectF area = imageArea(pane);
    return m_center + (pixel - area.center()) / scaleIn(area);
}

int ImageComparisonView::paneAt(const QPointF &pixel) const
{
    for (int p = 0; p < kPaneCount; ++p) {
        if (paneRect(Pane(p)).contains(pixel))
            return p;
    }
    return -1;
}

QString ImageComparisonView::paneTitle(Pane pane) const
{
    if (pane == Pane::GroundTruth)
        return tr("Ground truth");
    if (!m_comparison)
        return pane == Pane::A ? tr("A") : tr("B");
    const ComparedModel &m = pane == Pane::A ? m_comparison->a : m_comparison->b;
    return tr("%1: %2").arg(pane == Pane::A ? QStringLiteral("A") : QStringLiteral("B"),
                            QFileInfo(m.info.path).fileName());
}

QString ImageComparisonView::paneCounts(Pane pane) const
{
    if (!m_comparison || m_image < 0)
        return {};
    if (pane == Pane::GroundTruth)
        return tr("labels: %1")
            .arg(m_comparison->a.predictions.images[size_t(m_image)].labels.size());
    const ComparedModel &m = pane == Pane::A ? m_comparison->a : m_comparison->b;
    if (size_t(m_image) >= m.matches.size())
        return {};
    const ImageMatches &matches = m.matches[size_t(m_image)];
    return tr("TP %1 · FP %2 · FN %3")
        .arg(matches.truePositives(m_confidence))
        .arg(matches.falsePositives(m_confidence))
        .arg(matches.falseNegatives(m_confidence));
}

void ImageComparisonView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window());
    painter.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics metrics = fontMetrics();

    for (int p = 0; p < kPaneCount; ++p) {
        const Pane pane = Pane(p);
        const QRectF frame = paneRect(pane);
        const QRectF area = imageArea(pane);
        // Title and counts above the image.
        QFont bold = font();
        bold.setBold(true);
        painter.setFont(bold);
        painter.setPen(pane == Pane::A   ? QColor(0x1f, 0x77, 0xb4)
                       : pane == Pane::B ? QColor(0xc8, 0x6a, 0x00)
                                         : palette().color(QPalette::WindowText));
        const QString title = paneTitle(pane);
        const QRectF titleRect(frame.left() + 2, frame.top(), frame.width() - 4, area.top());
        painter.drawText(
            titleRect, Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetrics(bold).elidedText(title, Qt::ElideMiddle, int(frame.width() * 0.55)));
        painter.setFont(font());
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(titleRect, Qt::AlignRight | Qt::AlignVCenter, paneCounts(pane));

        painter.fillRect(area, QColor(0x30, 0x30, 0x30));
        if (m_image < 0) {
            painter.setPen(QColor(0xcc, 0xcc, 0xcc));
            painter.drawText(area, Qt::AlignCenter, tr("No image selected"));
            continue;
        }
        painter.save();
        painter.setClipRect(area);
        const double scale = scaleIn(area);
        const QPointF origin = toWidget(pane, QPointF(0, 0));
        const QSizeF size = imageSize();
        const QRectF target(origin, size * scale);
        if (!m_picture.isNull()) {
            painter.setRenderHint(QPainter::SmoothPixmapTransform, m_zoom < 4);
            painter.drawImage(target, m_picture);
        } else {
            painter.fillRect(target, QColor(0x50, 0x50, 0x50));
            painter.setPen(QColor(0xdd, 0xdd, 0xdd));
            painter.drawText(target, Qt::AlignCenter, tr("The image file cannot be read"));
        }
        QFont small = font();
        small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
        painter.setFont(small);
        const QFontMetrics smallMetrics(small);
        for (const DrawnBox &box : m_boxes[p]) {
            const QRectF r(toWidget(pane, box.rect.topLeft()),
                           toWidget(pane, box.rect.bottomRight()));
            QPen pen(box.color, 2);
            if (box.dashed)
                pen.setStyle(Qt::DashLine);
            painter.setPen(pen);
            painter.setBrush(Qt::NoBrush);
            painter.drawRect(r);
            if (r.width() >= 14 && !box.text.isEmpty()) {
                const QRectF label(r.left(), r.top() - smallMetrics.height(),
                                   smallMetrics.horizontalAdvance(box.text) + 6,
                                   smallMetrics.height());
                const QRectF placed =
                    label.top() < area.top() ? label.translated(0, smallMetrics.height()) : label;
                painter.fillRect(placed, box.color);
                painter.setPen(Qt::white);
                painter.drawText(placed, Qt::AlignCenter, box.text);
            }
        }
        painter.restore();
    }

    // The legend, one line under the panes.
    const struct
    {
        QColor color;
        bool dashed;
        QString text;
    } entries[] = {
        {labelColor(), false, tr("label")},
        {truePositiveColor(), false, tr("true positive")},
        {falsePositiveColor(), false, tr("false positive")},
        {wrongClassColor(), false, tr("wrong class")},
        {missedColor(), true, tr("missed label (FN)")},
    };
    double x = 4;
    const double y = height() - metrics.height() - 4;
    painter.setFont(font());
    for (const auto &e : entries) {
        QPen pen(e.color, 2);
        if (e.dashed)
            pen.setStyle(Qt::DashLine);
        painter.setPen(pen);
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(QRectF(x, y + 3, 18, metrics.height() - 6));
        x += 24;
        painter.setPen(palette().color(QPalette::WindowText));
        painter.drawText(QPointF(x, y + metrics.ascent()), e.text);
        x += metrics.horizontalAdvance(e.text) + 16;
    }
    const QString hint =
        tr("wheel: zoom · drag: pan · double-click: fit · ←/→: previous/next image");
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(QRectF(x, y, width() - x - 4, metrics.height()),
                     Qt::AlignRight | Qt::AlignVCenter,
                     metrics.elidedText(hint, Qt::ElideLeft, int(width() - x - 4)));
}

void ImageComparisonView::wheelEvent(QWheelEvent *event)
{
    const int p = paneAt(event->position());
    if (p < 0 || m_image < 0) {
        event->ignore();
        return;
    }
    const Pane pane = Pane(p);
    const QPointF anchor = toImage(pane, event->position());
    const double notches = event->angleDelta().y() / 120.0;
    m_zoom = std::clamp(m_zoom * std::pow(kZoomPerNotch, notches), kMinZoom, kMaxZoom);
    // Keep the image point under the cursor where it is: zoom around the cursor.
    const QRectF area = imageArea(pane);
    m_center = anchor - (event->position() - area.center()) / scaleIn(area);
    update();
    event->accept();
}

void ImageComparisonView::mousePressEvent(QMouseEvent *event)
{
    setFocus(Qt::MouseFocusReason);
    if (event->button() == Qt::LeftButton && paneAt(event->position()) >= 0) {
        m_dragging = true;
        m_lastDrag = event->position();
        setCursor(Qt::ClosedHandCursor);
    }
}

void ImageComparisonView::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_dragging)
        return;
    const QPointF delta = event->position() - m_lastDrag;
    m_lastDrag = event->position();
    m_center -= delta / scaleIn(imageArea(Pane::GroundTruth));
    update();
}

void ImageComparisonView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && m_dragging) {
        m_dragging = false;
        unsetCursor();
    }
}

void ImageComparisonView::mouseDoubleClickEvent(QMouseEvent *)
{
    resetView();
}

void ImageComparisonView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Left:
    case Qt::Key_PageUp:
        Q_EMIT previousRequested();
        return;
    case Qt::Key_Right:
    case Qt::Key_PageDown:
        Q_EMIT nextRequested();
        return;
    case Qt::Key_0:
    case Qt::Key_Home:
        resetView();
        return;
    }
    QWidget::keyPressEvent(event);
}

} // namespace yolodeck
