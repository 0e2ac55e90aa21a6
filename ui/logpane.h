#pragma once

#include "core/train/trainingobserver.h"

#include <QDateTime>
#include <QWidget>

#include <deque>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;

namespace yolodeck {

// The Log tab: the trainer's messages with time and level, filtered by a minimum level and a
// text (case-insensitive). Keeps the newest kMaxEntries lines.
class LogPane final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kMaxEntries = 20000;

    explicit LogPane(QWidget *parent = nullptr);

    void append(yolodeck::LogLevel level, const QString &message,
                const QDateTime &time = QDateTime::currentDateTime());
    void clear();

    void setMinimumLevel(LogLevel level);
    void setFilterText(const QString &text);
    int entryCount() const { return int(m_entries.size()); }
    QStringList visibleLines() const;

Q_SIGNALS:
    void errorLogged(const QString &message);

private:
    struct Entry
    {
        QDateTime time;
        LogLevel level;
        QString message;
    };
    bool accepts(const Entry &entry) const;
    QString format(const Entry &entry) const;
    void refilter();

    std::deque<Entry> m_entries;
    LogLevel m_minimumLevel = LogLevel::Info;
    QString m_filter;
    QComboBox *m_levelBox = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QPlainTextEdit *m_view = nullptr;
};

} // namespace yolodeck
