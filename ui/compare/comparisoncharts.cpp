#include "ui/compare/comparisoncharts.h"

#include <QBuffer>
#include <QFileInfo>
#include <QPixmap>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {

// Marks the graphs that carry a model's curve, for the hover read-out.
const char *const kSideProperty = "yolodeckCompareSide";
// Marks a plot filled by fillConfusion with its class count.
const char *const kConfusionClassesProperty = "yolodeckConfusionClasses";
// More classes than this and the matrix's cells are too small for their numbers.
constexpr int kMaxCellTexts = 16;

double keyOfIndex(int i)
{
    return double(i) / double(kCurvePoints - 1);
}

const ClassMetrics *classOf(const DetectionMetrics &metrics, int cls)
{
    for (const ClassMetrics &c : metrics.perClass) {
        if (c.cls == cls)
            return &c;
    }
    return nullptr;
}

std::vector<double> classCurve(const ClassMetrics &c, ComparisonCharts::Curve curve)
{
    std::vector<double> out(size_t(kCurvePoints), 0.0);
    auto copy = [&out](const std::vector<double> &v) {
        for (size_t i = 0; i < out.size() && i < v.size(); ++i)
            out[i] = v[i];
    };
    switch (curve) {
    case ComparisonCharts::Curve::PrecisionRecall:
        copy(c.prCurve);
        break;
    case ComparisonCharts::Curve::Precision:
        copy(c.precisionCurve);
        break;
    case ComparisonCharts::Curve::Recall:
        copy(c.recallCurve);
        break;
    case ComparisonCharts::Curve::F1:
        for (size_t i = 0; i < out.size(); ++i) {
            const double p = i < c.precisionCurve.size() ? c.precisionCurve[i] : 0.0;
            const double r = i < c.recallCurve.size() ? c.recallCurve[i] : 0.0;
            out[i] = 2 * p * r / (p + r + 1e-16);
        }
        break;
    }
    return out;
}

void resetPlot(QCustomPlot *plot)
{
    plot->clearPlottables();
    plot->clearItems();
    plot->clearGraphs();
    // Title row, colour scales and legends from a previous fill.
    while (plot->plotLayout()->rowCount() > 1 || plot->plotLayout()->columnCount() > 1) {
        QCPLayoutGrid *grid = plot->plotLayout();
        bool removed = false;
        for (int i = grid->elementCount() - 1; i >= 0; --i) {
            QCPLayoutElement *e = grid->elementAt(i);
            if (e && e == plot->legend) {
                // The legend belongs to the plot: back inside the axis rect, not deleted.
                grid->take(e);
                plot->axisRect()->insetLayout()->addElement(plot->legend,
                                                            Qt::AlignRight | Qt::AlignTop);
                removed = true;
            } else if (e && e != plot->axisRect()) {
                grid->remove(e);
                removed = true;
            }
        }
        grid->simplify();
        if (!removed)
            break;
    }
    plot->axisRect()->setMarginGroup(QCP::msAll, nullptr);
    // Groups made by a previous fill (their bars and elements are gone by now).
    for (QCPMarginGroup *group : plot->findChildren<QCPMarginGroup *>(Qt::FindDirectChildrenOnly))
        delete group;
    for (QCPBarsGroup *group : plot->findChildren<QCPBarsGroup *>(Qt::FindDirectChildrenOnly))
        delete group;
    plot->setProperty(kConfusionClassesProperty, QVariant());
    plot->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    plot->yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setLabel(QString());
        axis->setTickLabelRotation(0);
        axis->setRangeReversed(false);
        axis->grid()->setVisible(true);
        axis->setSubTicks(true);
        axis->setTicks(true);
    }
    plot->legend->setVisible(false);
    plot->legend->clearItems();
    plot->legend->setFillOrder(QCPLayoutGrid::foRowsFirst);
    plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignRight | Qt::AlignBottom);
}

void addTitle(QCustomPlot *plot, const QString &title)
{
    plot->plotLayout()->insertRow(0);
    QFont font = plot->font();
    font.setBold(true);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, title, font));
    plot->plotLayout()->setRowSpacing(0);
}

void styleLegend(QCustomPlot *plot, Qt::Alignment where)
{
    plot->legend->setVisible(true);
    QFont font = plot->font();
    font.setPointSizeF(font.pointSizeF() * 0.85);
    plot->legend->setFont(font);
    plot->legend->setBrush(QColor(255, 255, 255, 210));
    plot->legend->setBorderPen(QPen(QColor(0xbb, 0xbb, 0xbb)));
    plot->axisRect()->insetLayout()->setInsetAlignment(0, where);
}

QString fileNameOf(const ComparedModel &model)
{
    return QFileInfo(model.info.path).fileName();
}

QSharedPointer<QCPAxisTickerText> textTicker(const QStringList &labels)
{
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (int i = 0; i < labels.size(); ++i)
        ticker->addTick(i, labels[i]);
    return ticker;
}

QStringList classNames(const Comparison &comparison, int nc)
{
    QStringList names;
    for (int c = 0; c < nc; ++c)
        names << (c < comparison.names.size() ? comparison.names[c] : QString::number(c));
    return names;
}

} // namespace

std::vector<double> ComparisonCharts::curve(const DetectionMetrics &metrics, Curve curve, int cls)
{
    if (cls != kAllClasses) {
        const ClassMetrics *c = classOf(metrics, cls);
        return c ? classCurve(*c, curve) : std::vector<double>(size_t(kCurvePoints), 0.0);
    }
    std::vector<double> mean(size_t(kCurvePoints), 0.0);
    if (metrics.perClass.empty())
        return mean;
    for (const ClassMetrics &c : metrics.perClass) {
        const std::vector<double> v = classCurve(c, curve);
        for (size_t i = 0; i < mean.size(); ++i)
            mean[i] += v[i];
    }
    for (double &v : mean)
        v /= double(metrics.perClass.size());
    return mean;
}

int ComparisonCharts::maxF1Index(const DetectionMetrics &metrics, int cls)
{
    if (cls == kAllClasses)
        return std::clamp(int(std::lround(metrics.confidence * (kCurvePoints - 1))), 0,
                          kCurvePoints - 1);
    const std::vector<double> f1 = curve(metrics, Curve::F1, cls);
    return int(std::max_element(f1.begin(), f1.end()) - f1.begin());
}

QString ComparisonCharts::curveTitle(Curve curve)
{
    switch (curve) {
    case Curve::PrecisionRecall:
        return tr("Precision-recall (IoU 0.5)");
    case Curve::Precision:
        return tr("Precision vs confidence");
    case Curve::Recall:
        return tr("Recall vs confidence");
    case Curve::F1:
        return tr("F1 vs confidence");
    }
    return {};
}

QString ComparisonCharts::modelLabel(const Comparison &comparison, Side side)
{
    if (side == Side::Delta)
        return tr("Δ (B − A)");
    const ComparedModel &m = side == Side::A ? comparison.a : comparison.b;
    const QString letter = side == Side::A ? QStringLiteral("A") : QStringLiteral("B");
    if (m.info.epoch >= 0)
        return tr("%1: %2 (epoch %3)").arg(letter, fileNameOf(m)).arg(m.info.epoch);
    return tr("%1: %2").arg(letter, fileNameOf(m));
}

void ComparisonCharts::fillCurve(QCustomPlot *plot, const Comparison &comparison, Curve which,
                                 int cls, double confidence)
{
    resetPlot(plot);
    QString title = curveTitle(which);
    if (cls != kAllClasses)
        title += QStringLiteral(" — ") +
                 (cls < comparison.names.size() ? comparison.names[cls] : QString::number(cls));
    addTitle(plot, title);

    const bool againstConfidence = which != Curve::PrecisionRecall;
    QVector<double> keys(kCurvePoints);
    for (int i = 0; i < kCurvePoints; ++i)
        keys[i] = keyOfIndex(i);

    for (const Side side : {Side::A, Side::B}) {
        const ComparedModel &model = side == Side::A ? comparison.a : comparison.b;
        const std::vector<double> values = curve(model.metrics, which, cls);
        QCPGraph *graph = plot->addGraph();
        graph->setProperty(kSideProperty, side == Side::A ? 0 : 1);
        graph->setData(keys, QVector<double>(values.begin(), values.end()), true);
        QPen pen(sideColor(side), 2);
        if (side == Side::A && comparison.sameWeights)
            pen.setStyle(Qt::DashLine); // B's identical curve would hide A's otherwise
        graph->setPen(pen);

        QString legend;
        if (which == Curve::PrecisionRecall) {
            const ClassMetrics *c = cls == kAllClasses ? nullptr : classOf(model.metrics, cls);
            const double ap50 = cls == kAllClasses ? model.metrics.map50 : (c ? c->ap50 : 0.0);
            legend = tr("%1 — mAP50 %2").arg(modelLabel(comparison, side)).arg(ap50, 0, 'f', 3);
        } else {
            const int best = maxF1Index(model.metrics, cls);
            legend = tr("%1 — %2 at %3")
                         .arg(modelLabel(comparison, side))
                         .arg(values[size_t(best)], 0, 'f', 3)
                         .arg(keyOfIndex(best), 0, 'f', 3);
            // The max-F1 point, on the P and R curves too: where each model's P and R are read.
            QCPGraph *point = plot->addGraph();
            point->setLineStyle(QCPGraph::lsNone);
            point->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssDisc, QPen(Qt::black, 1), sideColor(side), 9));
            point->setData({keyOfIndex(best)}, {values[size_t(best)]});
            point->removeFromLegend();
        }
        graph->setName(legend);
    }

    if (againstConfidence && confidence >= 0) {
        auto line = new QCPItemStraightLine(plot);
        line->point1->setCoords(confidence, 0);
        line->point2->setCoords(confidence, 1);
        line->setPen(QPen(QColor(0x66, 0x66, 0x66), 1, Qt::DashLine));
    }

    plot->xAxis->setLabel(againstConfidence ? tr("confidence") : tr("recall"));
    plot->yAxis->setLabel(which == Curve::PrecisionRecall || which == Curve::Precision
                              ? tr("precision")
                          : which == Curve::Recall ? tr("recall")
                                                   : tr("F1"));
    plot->xAxis->setRange(0, 1);
    plot->yAxis->setRange(0, 1.02);
    styleLegend(plot, which == Curve::PrecisionRecall || which == Curve::Precision
                          ? Qt::AlignLeft | Qt::AlignBottom
                          : Qt::AlignRight | Qt::AlignTop);
}

QString ComparisonCharts::curveReadout(const QCustomPlot *plot, double key)
{
    if (key < 0 || key > 1)
        return {};
    QStringList parts;
    for (int i = 0; i < plot->graphCount(); ++i) {
        const QCPGraph *graph = plot->graph(i);
        const QVariant side = graph->property(kSideProperty);
        if (!side.isValid() || graph->data()->isEmpty())
            continue;
        auto it = graph->data()->findBegin(key, false);
        if (it == graph->data()->constEnd())
            continue;
        // The nearer of the two samples around the key.
        auto next = it + 1;
        if (next != graph->data()->constEnd() &&
            std::abs(next->key - key) < std::abs(it->key - key))
            it = next;
        parts << QStringLiteral("%1 %2")
                     .arg(side.toInt() == 0 ? QStringLiteral("A") : QStringLiteral("B"))
                     .arg(it->value, 0, 'f', 3);
    }
    if (parts.isEmpty())
        return {};
    const QString axis = plot->xAxis->label();
    return tr("%1 at %2 %3").arg(parts.join(QStringLiteral(" · ")), axis).arg(key, 0, 'f', 3);
}

void ComparisonCharts::fillClassAp(QCustomPlot *plot, const Comparison &comparison)
{
    resetPlot(plot);
    addTitle(plot, tr("AP50-95 per class"));
    QStringList names;
    QVector<double> keys, a, b;
    for (const ClassMetrics &c : comparison.a.metrics.perClass) {
        const ClassMetrics *other = classOf(comparison.b.metrics, c.cls);
        keys << keys.size();
        names << (c.name.isEmpty() ? QString::number(c.cls) : c.name);
        a << c.ap50_95;
        b << (other ? other->ap50_95 : 0.0);
    }
    auto group = new QCPBarsGroup(plot);
    group->setSpacingType(QCPBarsGroup::stAbsolute);
    group->setSpacing(1);
    for (const Side side : {Side::A, Side::B}) {
        auto bars = new QCPBars(plot->xAxis, plot->yAxis);
        bars->setData(keys, side == Side::A ? a : b, true);
        bars->setWidth(0.38);
        bars->setBarsGroup(group);
        bars->setPen(Qt::NoPen);
        bars->setBrush(sideColor(side));
        bars->setName(modelLabel(comparison, side));
    }
    plot->xAxis->setTicker(textTicker(names));
    plot->xAxis->setSubTicks(false);
    plot->xAxis->setTickLabelRotation(names.size() > 8 ? 60 : 0);
    plot->xAxis->grid()->setVisible(false);
    plot->xAxis->setRange(-0.6, std::max<double>(names.size(), 1) - 0.4);
    const double top = std::max({0.05, a.isEmpty() ? 0.0 : *std::max_element(a.begin(), a.end()),
                                 b.isEmpty() ? 0.0 : *std::max_element(b.begin(), b.end())});
    plot->yAxis->setRange(0, std::min(1.0, top * 1.15 + 0.02));
    plot->yAxis->setLabel(tr("AP50-95"));
    // Under the chart, one line: inside, it would hide the bars of the last classes.
    styleLegend(plot, Qt::AlignRight | Qt::AlignTop);
    plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot->legend->setBorderPen(Qt::NoPen);
    plot->axisRect()->insetLayout()->take(plot->legend);
    plot->plotLayout()->addElement(plot->plotLayout()->rowCount(), 0, plot->legend);
    plot->plotLayout()->setRowStretchFactor(plot->plotLayout()->rowCount() - 1, 0.001);
}

std::vector<double> ComparisonCharts::confusionValues(const Comparison &comparison, Side side,
                                                      bool normalise)
{
    auto valuesOf = [normalise](const ConfusionMatrix &m) {
        return normalise ? m.normalised().counts : m.counts;
    };
    if (side == Side::A)
        return valuesOf(comparison.a.confusion);
    if (side == Side::B)
        return valuesOf(comparison.b.confusion);
    std::vector<double> a = valuesOf(comparison.a.confusion);
    const std::vector<double> b = valuesOf(comparison.b.confusion);
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        a[i] = b[i] - a[i];
    return a;
}

void ComparisonCharts::fillConfusion(QCustomPlot *plot, const Comparison &comparison, Side side,
                                     bool normalise)
{
    resetPlot(plot);
    const int nc = comparison.a.confusion.nc;
    const std::vector<double> all = confusionValues(comparison, side, normalise);
    QString title = side == Side::Delta
                        ? tr("Confusion matrix Δ (B − A)")
                        : tr("Confusion matrix %1").arg(modelLabel(comparison, side));
    if (normalise)
        title += tr(", normalised");
    addTitle(plot, title);
    if (nc <= 0 || all.size() != size_t(nc + 1) * size_t(nc + 1))
        return;
    // Only the classes either model's matrix mentions, then background: a data.yaml that keeps
    // 80 names for the one class it uses would otherwise draw an 81 x 81 grid of empty cells.
    QVariantList shown;
    for (int c = 0; c < nc; ++c) {
        bool used = false;
        for (const ConfusionMatrix *m : {&comparison.a.confusion, &comparison.b.confusion}) {
            for (int k = 0; k <= nc && !used; ++k)
                used = m->at(c, k) != 0 || m->at(k, c) != 0;
        }
        if (used)
            shown << c;
    }
    shown << nc;
    const int n = int(shown.size());
    std::vector<double> values(size_t(n) * size_t(n));
    for (int p = 0; p < n; ++p) {
        for (int t = 0; t < n; ++t)
            values[size_t(p * n + t)] = all[size_t(shown[p].toInt() * (nc + 1) + shown[t].toInt())];
    }
    auto map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->setInterpolate(false);
    map->setTightBoundary(false);
    map->data()->setSize(n, n);
    map->data()->setRange(QCPRange(0, n - 1), QCPRange(0, n - 1));
    double maxAbs = 0;
    for (int p = 0; p < n; ++p) {
        for (int t = 0; t < n; ++t) {
            const double v = values[size_t(p * n + t)];
            map->data()->setCell(t, p, v);
            maxAbs = std::max(maxAbs, std::abs(v));
        }
    }
    // The scale first: attaching a map to a scale gives the map the scale's range and gradient.
    auto scale = new QCPColorScale(plot);
    plot->plotLayout()->addElement(1, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->setBarWidth(10);
    map->setColorScale(scale);
    QCPColorGradient gradient;
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    if (side == Side::Delta) {
        // Diverging and symmetric, so white is "no change": blue where A has more, red where B.
        gradient.setColorStopAt(0.0, QColor(0x21, 0x66, 0xac));
        gradient.setColorStopAt(0.5, Qt::white);
        gradient.setColorStopAt(1.0, QColor(0xb2, 0x18, 0x2b));
        const double range = maxAbs > 0 ? maxAbs : 1.0;
        map->setDataRange(QCPRange(-range, range));
    } else {
        gradient.setColorStopAt(0.0, Qt::white);
        gradient.setColorStopAt(1.0, sideColor(side).darker(130));
        map->setDataRange(QCPRange(0, maxAbs > 0 ? maxAbs : 1.0));
    }
    map->setGradient(gradient);
    auto margins = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, margins);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, margins);

    const QStringList names = classNames(comparison, nc);
    QStringList labels;
    for (int k = 0; k + 1 < n; ++k)
        labels << names.value(shown[k].toInt());
    labels << tr("background");
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis}) {
        axis->setTicker(textTicker(labels));
        axis->setSubTicks(false);
        axis->grid()->setVisible(false);
        axis->setRange(-0.5, n - 0.5);
    }
    // Names that do not fit under their cells are written at a slant.
    int longest = 0;
    for (const QString &label : labels)
        longest = std::max<int>(longest, label.size());
    plot->xAxis->setTickLabelRotation(n > 6 || longest > 6 ? 45 : 0);
    plot->yAxis->setRangeReversed(true); // class 0 on top, as Ultralytics draws it
    plot->xAxis->setLabel(tr("true"));
    plot->yAxis->setLabel(tr("predicted"));

    if (n <= kMaxCellTexts) {
        QFont font = plot->font();
        font.setPointSizeF(font.pointSizeF() * (n > 8 ? 0.7 : 0.85));
        for (int p = 0; p < n; ++p) {
            for (int t = 0; t < n; ++t) {
                const double v = values[size_t(p * n + t)];
                if (v == 0)
                    continue;
                auto text = new QCPItemText(plot);
                text->position->setCoords(t, p);
                text->setFont(font);
                QString s;
                if (normalise)
                    s = QString::number(v, 'f', 2);
                else
                    s = QString::number(std::lround(v));
                if (side == Side::Delta && v > 0)
                    s.prepend(QLatin1Char('+'));
                text->setText(s);
                const double strength = maxAbs > 0 ? std::abs(v) / maxAbs : 0;
                text->setColor(strength > 0.6 ? Qt::white : Qt::black);
                text->setClipToAxisRect(true);
            }
        }
    }
    plot->setProperty(kConfusionClassesProperty, shown);
}

bool ComparisonCharts::confusionCellAt(const QCustomPlot *plot, const QPointF &pixel,
                                       int *predicted, int *truth)
{
    // The class index of each row and column as drawn (background last).
    const QVariantList shown = plot->property(kConfusionClassesProperty).toList();
    if (shown.isEmpty())
        return false;
    const int n = int(shown.size());
    if (!plot->axisRect()->rect().contains(pixel.toPoint()))
        return false;
    const int t = int(std::lround(plot->xAxis->pixelToCoord(pixel.x())));
    const int p = int(std::lround(plot->yAxis->pixelToCoord(pixel.y())));
    if (t < 0 || t >= n || p < 0 || p >= n)
        return false;
    *predicted = shown[p].toInt();
    *truth = shown[t].toInt();
    return true;
}

void ComparisonCharts::fillLayerChange(QCustomPlot *plot, const Comparison &comparison)
{
    resetPlot(plot);
    addTitle(plot, tr("Weight change per layer, ‖B − A‖ / ‖A‖"));
    QStringList names;
    QVector<double> keys, values;
    for (const LayerChange &layer : comparison.layers) {
        keys << keys.size();
        names << layer.layer;
        values << layer.relativeChange;
    }
    auto bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setData(keys, values, true);
    bars->setWidth(0.7);
    bars->setPen(Qt::NoPen);
    // Neither model's colour: the bars are a property of the pair.
    bars->setBrush(QColor(0x6a, 0x5a, 0xcd));
    plot->xAxis->setTicker(textTicker(names));
    plot->xAxis->setSubTicks(false);
    plot->xAxis->setTickLabelRotation(names.size() > 6 ? 90 : 0);
    plot->xAxis->grid()->setVisible(false);
    plot->xAxis->setRange(-0.6, std::max<double>(names.size(), 1) - 0.4);
    const double top = values.isEmpty() ? 0.0 : *std::max_element(values.begin(), values.end());
    plot->yAxis->setRange(0, top > 0 ? top * 1.1 : 1.0);
    plot->yAxis->setLabel(tr("relative L2 change"));
    if (comparison.layers.empty()) {
        auto text = new QCPItemText(plot);
        text->position->setType(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(0.5, 0.5);
        text->setText(comparison.sameWeights ? tr("A and B hold the same weights")
                                             : tr("No layer changes were computed"));
    }
}

void ComparisonCharts::fillMapByEpoch(QCustomPlot *plot, const Comparison &comparison)
{
    resetPlot(plot);
    addTitle(plot, tr("mAP50-95 by epoch"));
    std::vector<std::pair<QCPItemText *, double>> positions;
    double top = 0.05;
    int lastEpoch = 1;
    for (const Side side : {Side::A, Side::B}) {
        const ComparedModel &model = side == Side::A ? comparison.a : comparison.b;
        QVector<double> keys, values;
        for (const EpochRecord &r : model.history) {
            keys << r.epoch;
            values << r.map50_95;
            top = std::max(top, r.map50_95);
            lastEpoch = std::max(lastEpoch, r.epoch);
        }
        QCPGraph *graph = plot->addGraph();
        graph->setData(keys, values, true);
        QPen pen(sideColor(side), side == Side::A ? 3.5 : 1.8);
        graph->setPen(pen);
        graph->setName(tr("%1 history").arg(modelLabel(comparison, side)));

        // The checkpoint itself: its epoch's row, or the file's own metrics.
        double y = model.info.map50_95;
        for (const EpochRecord &r : model.history) {
            if (r.epoch == model.info.epoch)
                y = r.map50_95;
        }
        if (model.info.epoch > 0 && std::isfinite(y)) {
            QCPGraph *mark = plot->addGraph();
            mark->setLineStyle(QCPGraph::lsNone);
            mark->setScatterStyle(
                QCPScatterStyle(QCPScatterStyle::ssDisc, QPen(Qt::black, 1), sideColor(side), 11));
            mark->setData({double(model.info.epoch)}, {y});
            mark->removeFromLegend();
            // A dashed line at the checkpoint's epoch, named at the top of the chart.
            auto line = new QCPItemStraightLine(plot);
            line->point1->setCoords(model.info.epoch, 0);
            line->point2->setCoords(model.info.epoch, 1);
            line->setPen(QPen(sideColor(side), 1, Qt::DashLine));
            auto text = new QCPItemText(plot);
            text->position->setTypeX(QCPItemPosition::ptPlotCoords);
            text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
            text->position->setCoords(model.info.epoch, side == Side::A ? 0.02 : 0.09);
            text->setPositionAlignment(Qt::AlignTop | Qt::AlignHCenter);
            positions.push_back({text, double(model.info.epoch)});
            text->setText(side == Side::A ? tr("A (epoch %1)").arg(model.info.epoch)
                                          : tr("B (epoch %1)").arg(model.info.epoch));
            text->setColor(sideColor(side).darker(120));
            text->setBrush(QColor(255, 255, 255, 200));
            text->setClipToAxisRect(false);
            QFont font = plot->font();
            font.setBold(true);
            text->setFont(font);
            top = std::max(top, y);
            lastEpoch = std::max(lastEpoch, model.info.epoch);
        }
    }
    plot->xAxis->setLabel(tr("epoch"));
    plot->yAxis->setLabel(tr("mAP50-95"));
    const double pad = std::max(0.5, 0.04 * lastEpoch);
    // A name near the right edge ends at its line, elsewhere it starts there: never cut off.
    for (const auto &[text, epoch] : positions)
        text->setPositionAlignment(
            Qt::AlignTop | (epoch > (1 + lastEpoch) / 2.0 ? Qt::AlignRight : Qt::AlignLeft));
    plot->xAxis->setRange(1 - pad, lastEpoch + pad);
    // Room above the curve for the A and B names.
    plot->yAxis->setRange(0, std::min(1.0, top * 1.35 + 0.01));
    styleLegend(plot, Qt::AlignRight | Qt::AlignBottom);
}

std::vector<ChartImage> renderComparisonCharts(const Comparison &comparison, float confidence)
{
    struct Spec
    {
        QString file, title;
        int width, height;
        std::function<void(QCustomPlot *)> fill;
    };
    using C = ComparisonCharts;
    const std::vector<Spec> specs = {
        {QStringLiteral("pr_curve.png"), C::curveTitle(C::Curve::PrecisionRecall), 800, 600,
         [&](QCustomPlot *p) {
             C::fillCurve(p, comparison, C::Curve::PrecisionRecall, C::kAllClasses);
         }},
        {QStringLiteral("f1_curve.png"), C::curveTitle(C::Curve::F1), 800, 600,
         [&](QCustomPlot *p) {
             C::fillCurve(p, comparison, C::Curve::F1, C::kAllClasses, confidence);
         }},
        {QStringLiteral("p_curve.png"), C::curveTitle(C::Curve::Precision), 800, 600,
         [&](QCustomPlot *p) {
             C::fillCurve(p, comparison, C::Curve::Precision, C::kAllClasses, confidence);
         }},
        {QStringLiteral("r_curve.png"), C::curveTitle(C::Curve::Recall), 800, 600,
         [&](QCustomPlot *p) {
             C::fillCurve(p, comparison, C::Curve::Recall, C::kAllClasses, confidence);
         }},
        {QStringLiteral("class_ap.png"), ComparisonCharts::tr("AP50-95 per class"), 900, 500,
         [&](QCustomPlot *p) { C::fillClassAp(p, comparison); }},
        {QStringLiteral("confusion_a.png"), ComparisonCharts::tr("Confusion matrix A"), 760, 640,
         [&](QCustomPlot *p) { C::fillConfusion(p, comparison, C::Side::A, false); }},
        {QStringLiteral("confusion_b.png"), ComparisonCharts::tr("Confusion matrix B"), 760, 640,
         [&](QCustomPlot *p) { C::fillConfusion(p, comparison, C::Side::B, false); }},
        {QStringLiteral("confusion_delta.png"), ComparisonCharts::tr("Confusion matrix Δ (B − A)"),
         760, 640, [&](QCustomPlot *p) { C::fillConfusion(p, comparison, C::Side::Delta, false); }},
        {QStringLiteral("layer_change.png"), ComparisonCharts::tr("Weight change per layer"), 1000,
         520, [&](QCustomPlot *p) { C::fillLayerChange(p, comparison); }},
        {QStringLiteral("map_by_epoch.png"), ComparisonCharts::tr("mAP50-95 by epoch"), 800, 500,
         [&](QCustomPlot *p) { C::fillMapByEpoch(p, comparison); }},
    };
    std::vector<ChartImage> images;
    QCustomPlot plot;
    for (const Spec &spec : specs) {
        plot.resize(spec.width, spec.height);
        spec.fill(&plot);
        const QPixmap pixmap = plot.toPixmap(spec.width, spec.height);
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        pixmap.save(&buffer, "PNG");
        images.push_back({spec.file, spec.title, buffer.data()});
    }
    return images;
}

} // namespace yolodeck
