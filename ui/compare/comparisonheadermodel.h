#pragma once

#include "core/compare/comparison.h"

#include <QAbstractTableModel>

#include <vector>

namespace yolodeck {

// The header table of a comparison: one row per metric (headerRows()), A, B, Δ and Δ %. The
// better of A and B is bold on a green tint (for losses and ms/image the lower one); Δ is green
// when B is better and red when it is worse.
class ComparisonHeaderModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Metric,
        A,
        B,
        Delta,
        DeltaPercent,
        ColumnCount
    };
    enum Role
    {
        // Which model the row favours: -1 A, +1 B, 0 neither (HeaderRow::better()).
        BetterRole = Qt::UserRole + 1,
        ValueRole // the unformatted number of a value cell
    };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Rows of the same metrics in the same order (a slider move) update in place; anything else
    // resets the model.
    void setRows(std::vector<HeaderRow> rows);
    const std::vector<HeaderRow> &rows() const { return m_rows; }
    // Column header names, "A: best.pt" and "B: last.pt"; empty gives plain "A" and "B".
    void setModelNames(const QString &a, const QString &b);

    static QString formatValue(const HeaderRow &row, double value);
    static QString formatDelta(const HeaderRow &row);
    static QString formatDeltaPercent(const HeaderRow &row);

private:
    std::vector<HeaderRow> m_rows;
    QString m_nameA, m_nameB;
};

} // namespace yolodeck
