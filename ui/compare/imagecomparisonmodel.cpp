#include "ui/compare/imagecomparisonmodel.h"

#include <QFileInfo>

#include <algorithm>

namespace yolodeck {

int ImageComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ImageComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ImageComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()) || !m_comparison)
        return {};
    const int image = m_rows[size_t(index.row())];
    const ImageComparison &c = m_all[size_t(image)];
    auto count = [&c](int column) -> int {
        switch (column) {
        case Labels:
            return c.labels;
        case TruePositivesA:
            return c.tpA;
        case FalsePositivesA:
            return c.fpA;
        case FalseNegativesA:
            return c.fnA;
        case TruePositivesB:
            return c.tpB;
        case FalsePositivesB:
            return c.fpB;
        case FalseNegativesB:
            return c.fnB;
        case OnlyA:
            return c.onlyA;
        case OnlyB:
            return c.onlyB;
        }
        return 0;
    };
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == Image)
            return QFileInfo(m_comparison->a.predictions.images[size_t(image)].imagePath)
                .fileName();
        return QString::number(count(index.column()));
    case Qt::ToolTipRole:
        if (index.column() == Image)
            return m_comparison->a.predictions.images[size_t(image)].imagePath;
        break;
    case ValueRole:
        if (index.column() != Image)
            return count(index.column());
        break;
    case ImageIndexRole:
        return image;
    case Qt::TextAlignmentRole:
        return index.column() == Image ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                       : int(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant ImageComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case OnlyA:
            return tr("Labels A finds and B misses");
        case OnlyB:
            return tr("Labels B finds and A misses");
        case FalseNegativesA:
        case FalseNegativesB:
            return tr("Labels the model misses");
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Image:
        return tr("Image");
    case Labels:
        return tr("Labels");
    case TruePositivesA:
        return tr("TP A");
    case FalsePositivesA:
        return tr("FP A");
    case FalseNegativesA:
        return tr("FN A");
    case TruePositivesB:
        return tr("TP B");
    case FalsePositivesB:
        return tr("FP B");
    case FalseNegativesB:
        return tr("FN B");
    case OnlyA:
        return tr("Only A");
    case OnlyB:
        return tr("Only B");
    }
    return {};
}

void ImageComparisonModel::setComparison(std::shared_ptr<const Comparison> comparison,
                                         float confidence)
{
    beginResetModel();
    m_comparison = std::move(comparison);
    m_confidence = confidence;
    m_class = kNoClass;
    m_hasImageFilter = false;
    m_inImageFilter.clear();
    m_filterDescription.clear();
    m_all.clear();
    m_rows.clear();
    if (m_comparison)
        m_all = compareImages(m_comparison->a.matches, m_comparison->b.matches, m_confidence);
    endResetModel();
    rerank();
}

void ImageComparisonModel::setConfidence(float confidence)
{
    if (confidence == m_confidence)
        return;
    m_confidence = confidence;
    recompute();
}

void ImageComparisonModel::setOrder(DisagreementOrder order)
{
    if (order == m_order)
        return;
    m_order = order;
    rerank();
}

void ImageComparisonModel::setClassFilter(int cls)
{
    if (cls == m_class)
        return;
    m_class = cls;
    rerank();
}

void ImageComparisonModel::setImageFilter(std::vector<int> images, const QString &description)
{
    m_hasImageFilter = true;
    m_inImageFilter.assign(m_all.size(), 0);
    for (int i : images) {
        if (i >= 0 && i < int(m_inImageFilter.size()))
            m_inImageFilter[size_t(i)] = 1;
    }
    m_filterDescription = description;
    rerank();
}

void ImageComparisonModel::clearImageFilter()
{
    if (!m_hasImageFilter)
        return;
    m_hasImageFilter = false;
    m_inImageFilter.clear();
    m_filterDescription.clear();
    rerank();
}

int ImageComparisonModel::imageAt(int row) const
{
    return row >= 0 && row < int(m_rows.size()) ? m_rows[size_t(row)] : -1;
}

int ImageComparisonModel::rowOfImage(int image) const
{
    const auto it = std::find(m_rows.begin(), m_rows.end(), image);
    return it == m_rows.end() ? -1 : int(it - m_rows.begin());
}

bool ImageComparisonModel::hasClass(int image, int cls) const
{
    for (const PredictionSet *set : {&m_comparison->a.predictions, &m_comparison->b.predictions}) {
        const ImagePredictions &p = set->images[size_t(image)];
        for (const GroundTruth &g : p.labels) {
            if (g.cls == cls)
                return true;
        }
        for (const Detection &d : p.detections) {
            if (d.conf >= m_confidence && d.cls == cls)
                return true;
        }
    }
    return false;
}

void ImageComparisonModel::recompute()
{
    if (!m_comparison)
        return;
    m_all = compareImages(m_comparison->a.matches, m_comparison->b.matches, m_confidence);
    rerank();
}

void ImageComparisonModel::rerank()
{
    std::vector<int> rows;
    if (m_comparison) {
        const std::vector<int> ranked = rankImages(m_all, m_order);
        rows.reserve(ranked.size());
        for (int image : ranked) {
            if (image < 0 || image >= int(m_all.size()))
                continue;
            if (m_hasImageFilter && !m_inImageFilter[size_t(image)])
                continue;
            if (m_class != kNoClass && !hasClass(image, m_class))
                continue;
            rows.push_back(image);
        }
    }
    if (rows.size() == m_rows.size() && !rows.empty()) {
        // Same number of rows: a layout change keeps the view's scroll position and lets it
        // follow the selected image to its new row.
        Q_EMIT layoutAboutToBeChanged();
        const QModelIndexList before = persistentIndexList();
        std::vector<int> imagesBefore;
        for (const QModelIndex &i : before)
            imagesBefore.push_back(imageAt(i.row()));
        m_rows = std::move(rows);
        QModelIndexList after;
        for (size_t k = 0; k < imagesBefore.size(); ++k) {
            const int row = rowOfImage(imagesBefore[k]);
            after << (row < 0 ? QModelIndex() : index(row, before[int(k)].column()));
        }
        changePersistentIndexList(before, after);
        Q_EMIT layoutChanged();
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    } else {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
    }
    Q_EMIT rowsRanked();
}

} // namespace yolodeck
