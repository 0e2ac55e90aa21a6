#pragma once

#include "core/train/trainingobserver.h"

#include <QAbstractListModel>
#include <QDateTime>

#include <deque>

namespace yolodeck {

// The Log tab's lines: the newest kMaxEntries messages with their time and level, filtered by a
// minimum level and a text (case-insensitive). A message of several lines (a metrics table) is one
// entry shown as one row per line, and a filter keeps or hides it whole.
//
// Only the messages are kept; a row's text is made when the view paints it. A QPlainTextEdit held
// about 900 bytes for each 100-character line on top of the message itself, so a long run's log
// grew the window by ~3 KB an epoch (bench_log has the figures for both).
class LogModel final : public QAbstractListModel
{
    Q_OBJECT

public:
    static constexpr int kMaxEntries = 20000;
    enum Role
    {
        LevelRole = Qt::UserRole, // int(LogLevel) of the row's message
    };

    explicit LogModel(QObject *parent = nullptr, int maxEntries = kMaxEntries);

    void append(LogLevel level, const QString &message, const QDateTime &time);
    void clear();
    void setFilter(LogLevel minimumLevel, const QString &text);
    LogLevel minimumLevel() const { return m_minimumLevel; }
    QString filterText() const { return m_filter; }

    int entryCount() const { return int(m_entries.size()); }
    int maxEntries() const { return m_maxEntries; }
    QString lineAt(int row) const; // the row as shown: "HH:mm:ss [level] text" or a continuation
    // The newest entry's lines as they show, whether or not the filter shows them now.
    QStringList linesOfNewest() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    struct Entry
    {
        QDateTime time;
        LogLevel level;
        int lines; // 1 + the message's line breaks
        QString message;
    };
    // A visible row: the entry by its serial number (entries are numbered as they arrive, so a
    // row stays valid while older entries are dropped) and the line of its message.
    struct Row
    {
        qint64 serial;
        int line;
    };

    bool accepts(const Entry &entry) const;
    QString format(const Entry &entry, int line) const;
    const Entry &entryOf(const Row &row) const { return m_entries[size_t(row.serial - m_first)]; }
    void dropOldest();

    int m_maxEntries;
    std::deque<Entry> m_entries;
    qint64 m_first = 0; // serial number of m_entries.front()
    std::deque<Row> m_rows;
    LogLevel m_minimumLevel = LogLevel::Info;
    QString m_filter;
};

} // namespace yolodeck
