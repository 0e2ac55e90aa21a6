#include "ui/log/logmodel.h"

#include <QColor>

namespace yolodeck {

namespace {

// The line'th line of text (0-based), without its line break.
QStringView lineOf(const QString &text, int line)
{
    qsizetype begin = 0;
    for (int i = 0; i < line; ++i)
        begin = text.indexOf(QLatin1Char('\n'), begin) + 1;
    const qsizetype end = text.indexOf(QLatin1Char('\n'), begin);
    return QStringView(text).mid(begin, end < 0 ? -1 : end - begin);
}

} // namespace

LogModel::LogModel(QObject *parent, int maxEntries)
    : QAbstractListModel(parent)
    , m_maxEntries(qMax(1, maxEntries))
{}

void LogModel::append(LogLevel level, const QString &message, const QDateTime &time)
{
    m_entries.push_back({time, level, int(message.count(QLatin1Char('\n'))) + 1, message});
    if (int(m_entries.size()) > m_maxEntries)
        dropOldest();
    const Entry &entry = m_entries.back();
    if (!accepts(entry))
        return;
    const qint64 serial = m_first + qint64(m_entries.size()) - 1;
    const int first = int(m_rows.size());
    beginInsertRows({}, first, first + entry.lines - 1);
    for (int line = 0; line < entry.lines; ++line)
        m_rows.push_back({serial, line});
    endInsertRows();
}

void LogModel::dropOldest()
{
    int rows = 0;
    while (rows < int(m_rows.size()) && m_rows[size_t(rows)].serial == m_first)
        ++rows;
    if (rows > 0) {
        beginRemoveRows({}, 0, rows - 1);
        m_rows.erase(m_rows.begin(), m_rows.begin() + rows);
        endRemoveRows();
    }
    m_entries.pop_front();
    ++m_first;
}

void LogModel::clear()
{
    beginResetModel();
    m_first += qint64(m_entries.size());
    m_entries.clear();
    m_rows.clear();
    endResetModel();
}

void LogModel::setFilter(LogLevel minimumLevel, const QString &text)
{
    if (minimumLevel == m_minimumLevel && text == m_filter)
        return;
    beginResetModel();
    m_minimumLevel = minimumLevel;
    m_filter = text;
    m_rows.clear();
    for (size_t i = 0; i < m_entries.size(); ++i) {
        if (!accepts(m_entries[i]))
            continue;
        for (int line = 0; line < m_entries[i].lines; ++line)
            m_rows.push_back({m_first + qint64(i), line});
    }
    endResetModel();
}

bool LogModel::accepts(const Entry &entry) const
{
    return int(entry.level) >= int(m_minimumLevel) &&
           (m_filter.isEmpty() || entry.message.contains(m_filter, Qt::CaseInsensitive));
}

QString LogModel::lineAt(int row) const
{
    const Row &r = m_rows[size_t(row)];
    return format(entryOf(r), r.line);
}

QStringList LogModel::linesOfNewest() const
{
    QStringList lines;
    if (m_entries.empty())
        return lines;
    for (int line = 0; line < m_entries.back().lines; ++line)
        lines << format(m_entries.back(), line);
    return lines;
}

QString LogModel::format(const Entry &entry, int line) const
{
    QString level;
    switch (entry.level) {
    case LogLevel::Info:
        level = tr("info");
        break;
    case LogLevel::Warning:
        level = tr("warning");
        break;
    case LogLevel::Error:
        level = tr("error");
        break;
    }
    const QString text = lineOf(entry.message, line).toString();
    const QString first =
        tr("%1 [%2] %3").arg(entry.time.toString(QStringLiteral("HH:mm:ss")), level, text);
    if (line == 0)
        return first;
    // A table's later lines start under its first line's text, so its columns line up.
    return QString(first.size() - text.size(), QLatin1Char(' ')) + text;
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const LogLevel level = entryOf(m_rows[size_t(index.row())]).level;
    switch (role) {
    case Qt::DisplayRole:
        return lineAt(index.row());
    case Qt::ForegroundRole:
        // Readable on light and dark palettes alike.
        if (level == LogLevel::Error)
            return QColor(0xd3, 0x2f, 0x2f);
        if (level == LogLevel::Warning)
            return QColor(0xc7, 0x7c, 0x02);
        return {};
    case LevelRole:
        return int(level);
    default:
        return {};
    }
}

} // namespace yolodeck
