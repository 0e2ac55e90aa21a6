#pragma once

#include "core/compare/comparison.h"

#include <QColor>
#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QWidget>

#include <memory>
#include <vector>

namespace yolodeck {

// One validation image three times side by side: the ground truth, A's detections and B's
// detections at the slider's confidence. Zoom (wheel, around the cursor) and pan (drag) move the
// three panes together, so the same object is always in the same place in each; a double click
// fits the image again. Boxes by outcome (ImageMatches at the confidence): true positive green,
// false positive red, wrong class orange, labels the model misses magenta dashed.
// Left/Right and PgUp/PgDn ask for the previous/next image of the ranked list.
class ImageComparisonView final : public QWidget
{
    Q_OBJECT

public:
    enum class Pane
    {
        GroundTruth,
        A,
        B
    };
    static constexpr int kPaneCount = 3;

    // A box as drawn, in image pixels (for tests and the read-out).
    struct DrawnBox
    {
        QRectF rect;
        QColor color;
        bool dashed = false;
        QString text;
    };

    static QColor truePositiveColor() { return QColor(0x1e, 0xa0, 0x3c); }
    static QColor falsePositiveColor() { return QColor(0xe0, 0x20, 0x20); }
    static QColor wrongClassColor() { return QColor(0xff, 0x8c, 0x00); }
    static QColor missedColor() { return QColor(0xe0, 0x1c, 0xd0); }
    static QColor labelColor() { return QColor(0x00, 0xb4, 0xd8); }

    explicit ImageComparisonView(QWidget *parent = nullptr);

    void setComparison(std::shared_ptr<const Comparison> comparison);
    // -1 shows nothing. Keeps the zoom when the new image has the same size.
    void setImage(int image);
    int image() const { return m_image; }
    void setConfidence(float confidence);
    float confidence() const { return m_confidence; }

    const std::vector<DrawnBox> &boxes(Pane pane) const { return m_boxes[int(pane)]; }
    // The pane's view: zoom 1 fits the image; `center` is the image point at the pane's centre.
    double zoom() const { return m_zoom; }
    QPointF center() const { return m_center; }
    void resetView();
    // Image point → widget pixel in a pane (the same image point maps to the same place within
    // each pane).
    QPointF toWidget(Pane pane, const QPointF &imagePoint) const;
    QRectF paneRect(Pane pane) const;

    QSize sizeHint() const override { return {900, 360}; }
    QSize minimumSizeHint() const override { return {420, 200}; }

Q_SIGNALS:
    void previousRequested();
    void nextRequested();

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void rebuildBoxes();
    QSizeF imageSize() const;
    double scaleIn(const QRectF &pane) const;
    QRectF imageArea(Pane pane) const; // pane rect less title and legend
    int paneAt(const QPointF &pixel) const;
    QPointF toImage(Pane pane, const QPointF &pixel) const;
    QString paneTitle(Pane pane) const;
    QString paneCounts(Pane pane) const;

    std::shared_ptr<const Comparison> m_comparison;
    int m_image = -1;
    float m_confidence = kConfusionConf;
    QImage m_picture; // the image file; null when it cannot be read
    std::vector<DrawnBox> m_boxes[kPaneCount];
    double m_zoom = 1.0;
    QPointF m_center;
    bool m_dragging = false;
    QPointF m_lastDrag;
};

} // namespace yolodeck
