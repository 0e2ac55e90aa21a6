#include "ui/compare/comparisonheadermodel.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <cmath>

namespace yolodeck {

namespace {
const QColor kBetterTint(0xdd, 0xf3, 0xe0);
const QColor kGood(0x1b, 0x7a, 0x2e);
const QColor kBad(0xc0, 0x27, 0x27);

QString signedNumber(double v, int decimals)
{
    const QString s = QString::number(v, 'f', decimals);
    return v > 0 ? QLatin1Char('+') + s : s;
}

int decimalsOf(const HeaderRow &row)
{
    if (row.integer)
        return 0;
    // ms/image and the like: a tenth is precise enough; metrics in [0, 1] need three places.
    return std::max(std::abs(row.a), std::abs(row.b)) >= 10 ? 1 : 3;
}
} // namespace

int ComparisonHeaderModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ComparisonHeaderModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ComparisonHeaderModel::formatValue(const HeaderRow &row, double value)
{
    if (!std::isfinite(value))
        return QStringLiteral("—");
    return QString::number(value, 'f', decimalsOf(row));
}

QString ComparisonHeaderModel::formatDelta(const HeaderRow &row)
{
    if (!std::isfinite(row.delta()))
        return QStringLiteral("—");
    return signedNumber(row.delta(), decimalsOf(row));
}

QString ComparisonHeaderModel::formatDeltaPercent(const HeaderRow &row)
{
    const double p = row.deltaPercent();
    if (!std::isfinite(p))
        return QStringLiteral("—");
    return signedNumber(p, 1) + QLatin1Char('%');
}

QVariant ComparisonHeaderModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const HeaderRow &row = m_rows[size_t(index.row())];
    const int better = row.better();
    const bool betterCell =
        (index.column() == A && better < 0) || (index.column() == B && better > 0);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Metric:
            return row.name;
        case A:
            return formatValue(row, row.a);
        case B:
            return formatValue(row, row.b);
        case Delta:
            return formatDelta(row);
        case DeltaPercent:
            return formatDeltaPercent(row);
        }
        break;
    case ValueRole:
        switch (index.column()) {
        case A:
            return row.a;
        case B:
            return row.b;
        case Delta:
            return row.delta();
        case DeltaPercent:
            return row.deltaPercent();
        }
        break;
    case BetterRole:
        return better;
    case Qt::FontRole:
        if (betterCell) {
            QFont font;
            font.setBold(true);
            return font;
        }
        break;
    case Qt::BackgroundRole:
        if (betterCell)
            return QBrush(kBetterTint);
        break;
    case Qt::ForegroundRole:
        if ((index.column() == Delta || index.column() == DeltaPercent) && better != 0)
            return QBrush(better > 0 ? kGood : kBad);
        break;
    case Qt::TextAlignmentRole:
        return index.column() == Metric ? int(Qt::AlignLeft | Qt::AlignVCenter)
                                        : int(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        if (index.column() == Metric)
            return row.lowerIsBetter ? tr("%1: lower is better").arg(row.name)
                                     : tr("%1: higher is better").arg(row.name);
        break;
    }
    return {};
}

QVariant ComparisonHeaderModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Metric:
        return tr("Metric");
    case A:
        return m_nameA.isEmpty() ? tr("A") : tr("A: %1").arg(m_nameA);
    case B:
        return m_nameB.isEmpty() ? tr("B") : tr("B: %1").arg(m_nameB);
    case Delta:
        return tr("Δ");
    case DeltaPercent:
        return tr("Δ %");
    }
    return {};
}

void ComparisonHeaderModel::setRows(std::vector<HeaderRow> rows)
{
    bool sameShape = rows.size() == m_rows.size();
    for (size_t i = 0; sameShape && i < rows.size(); ++i)
        sameShape = rows[i].name == m_rows[i].name;
    if (sameShape && !m_rows.empty()) {
        m_rows = std::move(rows);
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
        return;
    }
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

void ComparisonHeaderModel::setModelNames(const QString &a, const QString &b)
{
    m_nameA = a;
    m_nameB = b;
    Q_EMIT headerDataChanged(Qt::Horizontal, A, B);
}

} // namespace yolodeck
