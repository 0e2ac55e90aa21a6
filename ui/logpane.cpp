#include "ui/logpane.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>

namespace yolodeck {

LogPane::LogPane(QWidget *parent)
    : QWidget(parent)
{
    m_levelBox = new QComboBox;
    m_levelBox->addItem(tr("All messages"), int(LogLevel::Info));
    m_levelBox->addItem(tr("Warnings and errors"), int(LogLevel::Warning));
    m_levelBox->addItem(tr("Errors only"), int(LogLevel::Error));
    m_filterEdit = new QLineEdit;
    m_filterEdit->setPlaceholderText(tr("Filter text"));
    m_filterEdit->setClearButtonEnabled(true);
    auto clearButton = new QPushButton(tr("Clear"));
    auto levelLabel = new QLabel(tr("Show:"));
    levelLabel->setBuddy(m_levelBox);

    m_view = new QPlainTextEdit;
    m_view->setReadOnly(true);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setMaximumBlockCount(kMaxEntries);

    auto bar = new QHBoxLayout;
    bar->addWidget(levelLabel);
    bar->addWidget(m_levelBox);
    bar->addWidget(m_filterEdit, 1);
    bar->addWidget(clearButton);
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    connect(m_levelBox, &QComboBox::currentIndexChanged, this,
            [this] { setMinimumLevel(LogLevel(m_levelBox->currentData().toInt())); });
    connect(m_filterEdit, &QLineEdit::textChanged, this, &LogPane::setFilterText);
    connect(clearButton, &QPushButton::clicked, this, &LogPane::clear);
}

void LogPane::append(LogLevel level, const QString &message, const QDateTime &time)
{
    // A multi-line message (a metrics table) stays one entry: filtering keeps it whole.
    m_entries.push_back({time, level, message});
    if (int(m_entries.size()) > kMaxEntries)
        m_entries.pop_front();
    const Entry &entry = m_entries.back();
    if (accepts(entry)) {
        QScrollBar *bar = m_view->verticalScrollBar();
        const bool atEnd = bar->value() == bar->maximum();
        m_view->appendPlainText(format(entry));
        if (atEnd)
            bar->setValue(bar->maximum());
    }
    if (level == LogLevel::Error)
        Q_EMIT errorLogged(message);
}

void LogPane::clear()
{
    m_entries.clear();
    m_view->clear();
}

void LogPane::setMinimumLevel(LogLevel level)
{
    m_minimumLevel = level;
    const QSignalBlocker block(m_levelBox);
    m_levelBox->setCurrentIndex(m_levelBox->findData(int(level)));
    refilter();
}

void LogPane::setFilterText(const QString &text)
{
    m_filter = text;
    if (m_filterEdit->text() != text) {
        const QSignalBlocker block(m_filterEdit);
        m_filterEdit->setText(text);
    }
    refilter();
}

bool LogPane::accepts(const Entry &entry) const
{
    return int(entry.level) >= int(m_minimumLevel) &&
           (m_filter.isEmpty() || entry.message.contains(m_filter, Qt::CaseInsensitive));
}

QString LogPane::format(const Entry &entry) const
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
    return tr("%1 [%2] %3")
        .arg(entry.time.toString(QStringLiteral("HH:mm:ss")), level, entry.message);
}

void LogPane::refilter()
{
    QStringList lines;
    for (const Entry &entry : m_entries) {
        if (accepts(entry))
            lines << format(entry);
    }
    m_view->setPlainText(lines.join(QLatin1Char('\n')));
    m_view->verticalScrollBar()->setValue(m_view->verticalScrollBar()->maximum());
}

QStringList LogPane::visibleLines() const
{
    const QString text = m_view->toPlainText();
    return text.isEmpty() ? QStringList() : text.split(QLatin1Char('\n'));
}

} // namespace yolodeck
