#include "ui/compare/classcomparisonmodel.h"

#include <QBrush>
#include <QColor>

namespace yolodeck {

namespace {
const QColor kGood(0x1b, 0x7a, 0x2e);
const QColor kBad(0xc0, 0x27, 0x27);
const QColor kRegressionTint(0xfb, 0xe4, 0xe4);
} // namespace

int ClassComparisonModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ClassComparisonModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

double ClassComparisonModel::valueOf(const ClassComparison &row, int column)
{
    switch (column) {
    case Instances:
        return row.instances;
    case Ap50A:
        return row.ap50A;
    case Ap50B:
        return row.ap50B;
    case Ap50Delta:
        return row.ap50B - row.ap50A;
    case Ap50_95A:
        return row.ap50_95A;
    case Ap50_95B:
        return row.ap50_95B;
    case Ap50_95Delta:
        return row.deltaAp50_95();
    case PrecisionA:
        return row.pA;
    case PrecisionB:
        return row.pB;
    case RecallA:
        return row.rA;
    case RecallB:
        return row.rB;
    }
    return 0;
}

QVariant ClassComparisonModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const ClassComparison &row = m_rows[size_t(index.row())];
    const int column = index.column();
    const bool isDelta = column == Ap50Delta || column == Ap50_95Delta;
    switch (role) {
    case Qt::DisplayRole: {
        if (column == Class)
            return row.name.isEmpty() ? QString::number(row.cls) : row.name;
        if (column == Instances)
            return QString::number(row.instances);
        const double v = valueOf(row, column);
        const QString s = QString::number(v, 'f', 3);
        return isDelta && v > 0 ? QLatin1Char('+') + s : s;
    }
    case ValueRole:
        if (column == Class)
            return row.name;
        return valueOf(row, column);
    case ClassRole:
        return row.cls;
    case Qt::ForegroundRole:
        if (isDelta) {
            const double v = valueOf(row, column);
            if (v < 0)
                return QBrush(kBad);
            if (v > 0)
                return QBrush(kGood);
        }
        break;
    case Qt::BackgroundRole:
        if (column == Ap50_95Delta && row.deltaAp50_95() < 0)
            return QBrush(kRegressionTint);
        break;
    case Qt::TextAlignmentRole:
        return column == Class ? int(Qt::AlignLeft | Qt::AlignVCenter)
                               : int(Qt::AlignRight | Qt::AlignVCenter);
    }
    return {};
}

QVariant ClassComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == Ap50_95Delta)
        return tr("Δ AP50-95 (B − A); the table lists regressions first");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Class:
        return tr("Class");
    case Instances:
        return tr("Instances");
    case Ap50A:
        return tr("AP50 A");
    case Ap50B:
        return tr("AP50 B");
    case Ap50Delta:
        return tr("Δ AP50");
    case Ap50_95A:
        return tr("AP50-95 A");
    case Ap50_95B:
        return tr("AP50-95 B");
    case Ap50_95Delta:
        return tr("Δ AP50-95");
    case PrecisionA:
        return tr("P A");
    case PrecisionB:
        return tr("P B");
    case RecallA:
        return tr("R A");
    case RecallB:
        return tr("R B");
    }
    return {};
}

void ClassComparisonModel::setRows(std::vector<ClassComparison> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

} // namespace yolodeck
