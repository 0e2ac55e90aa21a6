#include "ui/checkpoints/checkpointtablemodel.h"

#include "core/checkpoint/retention.h"
#include "ui/checkpoints/checkpointlistworker.h"
#include "ui/metatypes.h"

#include <QColor>
#include <QDir>
#include <QFileInfo>
#include <QFont>
#include <QLocale>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {
QVariant metric(double v)
{
    return std::isfinite(v) ? QVariant(QString::number(v, 'f', 4)) : QVariant();
}
} // namespace

CheckpointTableModel::CheckpointTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_worker(new CheckpointListWorker)
{
    registerMetaTypes();
    m_thread.setObjectName(QStringLiteral("CheckpointList"));
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &CheckpointTableModel::requestList, m_worker, &CheckpointListWorker::list);
    connect(m_worker, &CheckpointListWorker::listed, this, &CheckpointTableModel::onListed);
    m_thread.start();

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, &CheckpointTableModel::refresh);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, &m_debounce,
            qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, &m_debounce, qOverload<>(&QTimer::start));
}

CheckpointTableModel::~CheckpointTableModel()
{
    m_thread.quit();
    m_thread.wait();
}

int CheckpointTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CheckpointTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CheckpointTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const CheckpointInfo &c = m_rows[size_t(index.row())];
    const bool best = index.row() == m_bestRow;
    const bool kept = isKept(index.row());
    const bool pruned = isToBePruned(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case File:
            return best ? tr("★ %1").arg(QFileInfo(c.path).fileName())
                        : QFileInfo(c.path).fileName();
        case Keep:
            if (kept)
                return tr("kept");
            if (pruned)
                return tr("removed at the next save");
            return {};
        case Kind:
            if (!c.isValid())
                return tr("unreadable");
            if (c.source == QLatin1String("ultralytics"))
                return c.kind == QLatin1String("full") ? tr("Ultralytics (continue, not exact)")
                                                       : tr("Ultralytics weights (fine-tune)");
            return c.kind == QLatin1String("full") ? tr("full (resumable)")
                                                   : tr("weights (fine-tune)");
        case Epoch:
            return c.epoch >= 0 ? QVariant(c.epoch) : QVariant();
        case Batch:
            return c.batch > 0 ? QVariant(c.batch) : QVariant();
        case Map50:
            return metric(c.map50);
        case Map50_95:
            return metric(c.map50_95);
        case Fitness:
            return metric(c.fitness);
        case Size:
            return QLocale().formattedDataSize(c.size, 1);
        case Created:
            return QLocale().toString(c.created.toLocalTime(), QLocale::ShortFormat);
        case ColumnCount:
            break;
        }
        return {};
    case SortRole:
        switch (Column(index.column())) {
        case File:
            return QFileInfo(c.path).fileName();
        case Keep:
            return kept ? 2 : pruned ? 0 : 1; // kept first when descending, doomed last
        case Kind:
            return c.kind;
        case Epoch:
            return c.epoch;
        case Batch:
            return c.batch;
        case Map50:
            return std::isfinite(c.map50) ? c.map50 : -1.0;
        case Map50_95:
            return std::isfinite(c.map50_95) ? c.map50_95 : -1.0;
        case Fitness:
            return std::isfinite(c.fitness) ? c.fitness : -1.0;
        case Size:
            return c.size;
        case Created:
            return c.created;
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole: {
        QString tip = c.isValid() ? c.path : tr("%1\n%2").arg(c.path, c.error);
        if (kept)
            tip += QLatin1Char('\n') +
                   tr("Marked Keep: keep= never removes it. Uncheck Keep to let it go.");
        else if (pruned)
            tip += QLatin1Char('\n') + tr("Will be removed by keep=%1 when the run saves its next "
                                          "epochN.pt. Check Keep to keep it.")
                                           .arg(m_keep);
        return tip;
    }
    case Qt::CheckStateRole:
        if (index.column() == Keep)
            return kept ? Qt::Checked : Qt::Unchecked;
        return {};
    case Qt::FontRole:
        if (best || pruned) {
            QFont font;
            font.setBold(best);
            font.setItalic(pruned);
            return font;
        }
        return {};
    case Qt::ForegroundRole:
        if (!c.isValid())
            return QColor(0xb0, 0x30, 0x30);
        if (pruned)
            return QColor(0x80, 0x80, 0x80);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() != File && index.column() != Keep && index.column() != Kind)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case PathRole:
        return c.path;
    case ResumableRole:
        return c.isResumable();
    case BestRole:
        return best;
    case KeptRole:
        return kept;
    case PruneRole:
        return pruned;
    default:
        return {};
    }
}

QVariant CheckpointTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == Keep)
        return tr("A file marked Keep is never removed by the run's keep= setting, which "
                  "otherwise leaves only the newest periodic epochN.pt files");
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case File:
        return tr("File");
    case Keep:
        return tr("Keep");
    case Kind:
        return tr("Kind");
    case Epoch:
        return tr("Epoch");
    case Batch:
        return tr("Batch");
    case Map50:
        return tr("mAP50");
    case Map50_95:
        return tr("mAP50-95");
    case Fitness:
        return tr("Fitness");
    case Size:
        return tr("Size");
    case Created:
        return tr("Saved");
    case ColumnCount:
        break;
    }
    return {};
}

Qt::ItemFlags CheckpointTableModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Keep)
        f |= Qt::ItemIsUserCheckable;
    return f;
}

bool CheckpointTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::CheckStateRole || index.column() != Keep ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return false;
    const Status s = setKept(index.row(), value.value<Qt::CheckState>() == Qt::Checked);
    if (!s)
        Q_EMIT keepFailed(s.error());
    return s.isOk();
}

QString CheckpointTableModel::keyOf(int row) const
{
    return QFileInfo(m_rows.at(size_t(row)).path).absoluteFilePath();
}

bool CheckpointTableModel::isKept(int row) const
{
    return m_kept.contains(keyOf(row));
}

bool CheckpointTableModel::isToBePruned(int row) const
{
    return m_toPrune.contains(keyOf(row));
}

Status CheckpointTableModel::setKept(int row, bool kept)
{
    if (row < 0 || row >= rowCount())
        return Status::fail(tr("No such checkpoint row: %1").arg(row));
    const QString path = keyOf(row);
    const Status s = yolodeck::setKept(path, kept);
    if (!s)
        return s;
    if (kept) {
        m_kept.insert(path);
        m_toPrune.remove(path); // never removed once kept; un-keeping waits for the refresh
    } else {
        m_kept.remove(path);
    }
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    // Which other files keep= removes depends on this mark (a kept file no longer counts).
    if (!m_dir.isEmpty())
        refresh();
    return okStatus();
}

void CheckpointTableModel::setCheckpoints(std::vector<CheckpointInfo> checkpoints)
{
    CheckpointListing listing;
    listing.checkpoints = std::move(checkpoints);
    setListing(std::move(listing));
}

void CheckpointTableModel::setListing(CheckpointListing listing)
{
    const bool sameFiles = !m_rows.empty() && listing.checkpoints.size() == m_rows.size() &&
                           std::equal(m_rows.begin(), m_rows.end(), listing.checkpoints.begin(),
                                      [](const CheckpointInfo &a, const CheckpointInfo &b) {
                                          return a.path == b.path;
                                      });
    if (!sameFiles)
        beginResetModel();
    m_rows = std::move(listing.checkpoints);
    m_kept = std::move(listing.kept);
    m_toPrune = std::move(listing.toPrune);
    m_keep = listing.keep;
    m_bestRow = -1;
    double bestFitness = -1;
    for (size_t i = 0; i < m_rows.size(); ++i) {
        const CheckpointInfo &c = m_rows[i];
        if (c.isValid() && std::isfinite(c.fitness) && c.fitness > bestFitness) {
            bestFitness = c.fitness;
            m_bestRow = int(i);
        }
    }
    if (sameFiles)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
    else
        endResetModel();
}

QString CheckpointTableModel::watchedFolder() const
{
    if (m_dir.isEmpty())
        return {};
    const QString weights = QDir(m_dir).filePath(QStringLiteral("weights"));
    return QFileInfo(weights).isDir() ? weights : m_dir;
}

void CheckpointTableModel::setDirectory(const QString &dir)
{
    if (!m_watcher.directories().isEmpty())
        m_watcher.removePaths(m_watcher.directories());
    m_dir = dir;
    if (!watchedFolder().isEmpty() && QFileInfo(watchedFolder()).isDir())
        m_watcher.addPath(watchedFolder());
    refresh();
}

void CheckpointTableModel::refresh()
{
    // The weights folder may appear after the run folder (first checkpoint): watch it then.
    const QString folder = watchedFolder();
    if (!folder.isEmpty() && QFileInfo(folder).isDir() && !m_watcher.directories().contains(folder))
        m_watcher.addPath(folder);
    ++m_pending;
    Q_EMIT requestList(m_dir, ++m_generation);
}

void CheckpointTableModel::onListed(const QString &dir, quint64 generation,
                                    const CheckpointListing &listing)
{
    --m_pending;
    if (generation != m_generation || dir != m_dir)
        return; // superseded by a newer request
    setListing(listing);
    Q_EMIT refreshed();
}

} // namespace yolodeck
