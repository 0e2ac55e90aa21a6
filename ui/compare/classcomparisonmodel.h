#pragma once

#include "core/compare/comparison.h"

#include <QAbstractTableModel>

#include <vector>

namespace yolodeck {

// The per-class table: classComparisons() as they come, regressions (most negative
// Δ AP50-95) first. A negative Δ is red, a positive one green.
class ClassComparisonModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Class,
        Instances,
        Ap50A,
        Ap50B,
        Ap50Delta,
        Ap50_95A,
        Ap50_95B,
        Ap50_95Delta,
        PrecisionA,
        PrecisionB,
        RecallA,
        RecallB,
        ColumnCount
    };
    enum Role
    {
        ValueRole = Qt::UserRole + 1, // the unformatted number
        ClassRole                     // the class index of the row
    };

    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    void setRows(std::vector<ClassComparison> rows);
    const std::vector<ClassComparison> &rows() const { return m_rows; }

private:
    static double valueOf(const ClassComparison &row, int column);

    std::vector<ClassComparison> m_rows;
};

} // namespace yolodeck
