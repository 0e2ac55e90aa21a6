#pragma once

#include "core/checkpoint/checkpointmeta.h"

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
        BestRole
    };

    explicit CheckpointTableModel(QObject *parent = nullptr);
    ~CheckpointTableModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // A run folder or its weights folder; empty clears the table.
    void setDirectory(const QString &dir);
    QString directory() const { return m_dir; }
    void refresh();
    bool isRefreshing() const { return m_pending > 0; }

    // Replaces the rows directly (tests, and the result of a refresh).
    void setCheckpoints(std::vector<CheckpointInfo> checkpoints);
    const CheckpointInfo &checkpoint(int row) const { return m_rows.at(size_t(row)); }
    int bestRow() const { return m_bestRow; }

Q_SIGNALS:
    void refreshed();
    void requestList(const QString &dir, quint64 generation);

private:
    void onListed(const QString &dir, quint64 generation,
                  const std::vector<CheckpointInfo> &checkpoints);
    QString watchedFolder() const;

    std::vector<CheckpointInfo> m_rows;
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
