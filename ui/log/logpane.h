#pragma once

#include "core/train/trainingobserver.h"
#include "ui/log/logmodel.h"

#include <QDateTime>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QTimer;
class QTreeView;

namespace yolodeck {

// The Log tab: the trainer's messages with time and level (LogModel), filtered by a minimum level
// and a text (case-insensitive). Keeps the newest LogModel::kMaxEntries messages. The view follows
// new lines while it is scrolled to the end; selected lines copy with Ctrl+C or the context menu.
class LogPane final : public QWidget
{
    Q_OBJECT

public:
    explicit LogPane(QWidget *parent = nullptr);

    void append(yolodeck::LogLevel level, const QString &message,
                const QDateTime &time = QDateTime::currentDateTime());
    void clear();

    void setMinimumLevel(LogLevel level);
    void setFilterText(const QString &text);
    int entryCount() const { return m_model->entryCount(); }
    QStringList visibleLines() const;
    QString selectedText() const; // the selected lines in order, one per line
    void copySelection() const;   // to the clipboard
    QTreeView *view() const { return m_view; }

Q_SIGNALS:
    void errorLogged(const QString &message);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    LogModel *m_model = nullptr;
    QComboBox *m_levelBox = nullptr;
    QLineEdit *m_filterEdit = nullptr;
    QTreeView *m_view = nullptr;
    // New lines scroll the view to its end once the event loop is back (one relayout for a burst
    // of messages, not one per message) while the view follows the log: it does until the user
    // scrolls up, and again once they scroll back to the end. A hidden view (another tab) keeps
    // what it was doing, and catches up when it is shown.
    QTimer *m_followTimer = nullptr;
    bool m_following = true;
    // The column is as wide as the widest line that came (measured once, as it comes), so a long
    // line scrolls sideways wherever it is; sizing to the lines in sight would cut off the long
    // ones out of sight, and sizing over every line on each change costs milliseconds per line.
    int m_columnWidth = 0;
};

} // namespace yolodeck
