#pragma once

#include "core/checkpoint/checkpointmeta.h"
#include "core/common/result.h"
#include "ui/checkpoints/checkpointlisting.h"

#include <QAbstractTableModel>
#include <QFileSystemWatcher>
#include <QThread>
#include <QTimer>

#include <vector>

namespace yolodeck {

class CheckpointListWorker;

// The checkpoints of one run, one row per .pt file. The row with the highest fitness is the best
// one (marked with a star and bold text). Sorting is left to a QSortFilterProxyModel, which sorts
// by SortRole: numbers as numbers, times as times.
//
// The Keep column is a check box: checking it writes the file's Keep mark (core/checkpoint/
// retention.h), unchecking removes it. Rows that the run's keep=K removes when it saves its next
// epochN.pt are grey and italic, say so in the Keep column and in their tooltip (PruneRole).
//
// setDirectory() watches the run's weights folder; listing (which opens every file) runs on the
// model's own worker thread, and a result for a folder or request that has been superseded is
// dropped.
class CheckpointTableModel final : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        File,
        Keep,
        Kind,
        Epoch,
        Batch,
        Map50,
        Map50_95,
        Fitness,
        Size,
        Created,
        ColumnCount
    };
    enum Role
    {
        SortRole = Qt::UserRole + 1,
        PathRole,
        ResumableRole,
        BestRole,
        KeptRole,  // bool: the file carries a Keep mark
        PruneRole, // bool: keep=K removes the file when the run saves its next epochN.pt
    };

    explicit CheckpointTableModel(QObject *parent = nullptr);
    ~CheckpointTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    // Qt::CheckStateRole on the Keep column: setKept() on that row.
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    // A run folder or its weights folder; empty clears the table.
    void setDirectory(const QString &dir);
    QString directory() const { return m_dir; }
    void refresh();
    bool isRefreshing() const { return m_pending > 0; }

    // Replaces the rows (the result of a refresh). When the same files come back in the same
    // order, the rows are updated in place, so the view keeps its selection.
    void setListing(CheckpointListing listing);
    // Replaces the rows with files that carry no Keep mark and that no keep= removes (tests).
    void setCheckpoints(std::vector<CheckpointInfo> checkpoints);
    const CheckpointInfo &checkpoint(int row) const { return m_rows.at(size_t(row)); }
    int bestRow() const { return m_bestRow; }
    int keepSetting() const { return m_keep; } // the run's keep=; 0 keeps every epochN.pt
    bool isKept(int row) const;
    bool isToBePruned(int row) const;

    // Writes (kept) or removes the Keep mark of a row's file and shows it at once; the rows that
    // keep= removes are worked out again by a refresh.
    Status setKept(int row, bool kept);

Q_SIGNALS:
    void refreshed();
    void requestList(const QString &dir, quint64 generation);
    // A Keep mark could not be written or removed (the check box of the Keep column).
    void keepFailed(const QString &message);

private:
    void onListed(const QString &dir, quint64 generation, const CheckpointListing &listing);
    QString watchedFolder() const;
    QString keyOf(int row) const;

    std::vector<CheckpointInfo> m_rows;
    QSet<QString> m_kept;    // absolute paths, as CheckpointListing has them
    QSet<QString> m_toPrune; // absolute paths
    int m_keep = 0;
    int m_bestRow = -1;
    QString m_dir;
    quint64 m_generation = 0;
    int m_pending = 0;
    QThread m_thread;
    CheckpointListWorker *m_worker = nullptr;
    QFileSystemWatcher m_watcher;
    QTimer m_debounce; // a checkpoint write is a temp file plus a rename: refresh once after both
};

} // namespace yolodeck
