#include "ui/log/logpane.h"

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QFontMetrics>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QStyle>
#include <QTimer>
#include <QTreeView>

#include <algorithm>

namespace yolodeck {

LogPane::LogPane(QWidget *parent)
    : QWidget(parent)
{
    m_model = new LogModel(this);
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

    // QTreeView rather than QListView: with uniform row heights it lays out a long log cheaply,
    // and its one column can be as wide as the widest line (QListView's uniform item size is the
    // first line's: longer lines would be cut).
    m_view = new QTreeView;
    m_view->setModel(m_model);
    m_view->setHeaderHidden(true);
    m_view->setRootIsDecorated(false);
    m_view->setItemsExpandable(false);
    m_view->setUniformRowHeights(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setTextElideMode(Qt::ElideNone);
    m_view->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    m_view->header()->setStretchLastSection(false);
    // Not ResizeToContents: it measures the lines in sight and 1,000 more on every change, ~28 ms
    // for each message at 20,000 lines (bench_log), and with fewer it cuts the long lines off.
    m_view->header()->setSectionResizeMode(0, QHeaderView::Fixed);
    m_view->header()->setMinimumSectionSize(0);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto copyAction = new QAction(tr("Copy"), m_view);
    copyAction->setShortcut(QKeySequence::Copy);
    // The view's own Ctrl+C copies the current line only.
    copyAction->setShortcutContext(Qt::WidgetShortcut);
    connect(copyAction, &QAction::triggered, this, &LogPane::copySelection);
    auto selectAllAction = new QAction(tr("Select All"), m_view);
    selectAllAction->setShortcut(QKeySequence::SelectAll);
    selectAllAction->setShortcutContext(Qt::WidgetShortcut);
    connect(selectAllAction, &QAction::triggered, m_view, &QTreeView::selectAll);
    m_view->addActions({copyAction, selectAllAction});

    m_followTimer = new QTimer(this);
    m_followTimer->setSingleShot(true);
    m_followTimer->setInterval(0);
    connect(m_followTimer, &QTimer::timeout, m_view, &QTreeView::scrollToBottom);
    QScrollBar *scrollBar = m_view->verticalScrollBar();
    connect(scrollBar, &QScrollBar::valueChanged, this, [this, scrollBar] {
        if (m_view->isVisible())
            m_following = scrollBar->value() == scrollBar->maximum();
    });
    m_view->installEventFilter(this);

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
    const int rows = m_model->rowCount();
    m_model->append(level, message, time);
    const QFontMetrics metrics(m_view->font());
    int widest = 0;
    for (const QString &line : m_model->linesOfNewest())
        widest = qMax(widest, metrics.horizontalAdvance(line));
    // The item's text margins (QCommonStyle: the focus frame's margin and one pixel, each side).
    const int margins = 2 * (m_view->style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 1) + 2;
    if (widest + margins > m_columnWidth) {
        m_columnWidth = widest + margins;
        m_view->header()->resizeSection(0, m_columnWidth);
    }
    if (m_following && m_model->rowCount() != rows)
        m_followTimer->start();
    if (level == LogLevel::Error)
        Q_EMIT errorLogged(message);
}

void LogPane::clear()
{
    m_model->clear();
    m_columnWidth = 0;
    m_view->header()->resizeSection(0, 0);
}

void LogPane::setMinimumLevel(LogLevel level)
{
    const QSignalBlocker block(m_levelBox);
    m_levelBox->setCurrentIndex(m_levelBox->findData(int(level)));
    m_model->setFilter(level, m_model->filterText());
    m_followTimer->start();
}

void LogPane::setFilterText(const QString &text)
{
    if (m_filterEdit->text() != text) {
        const QSignalBlocker block(m_filterEdit);
        m_filterEdit->setText(text);
    }
    m_model->setFilter(m_model->minimumLevel(), text);
    m_followTimer->start();
}

bool LogPane::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view && event->type() == QEvent::Show && m_following)
        m_followTimer->start();
    return QWidget::eventFilter(watched, event);
}

QStringList LogPane::visibleLines() const
{
    QStringList lines;
    lines.reserve(m_model->rowCount());
    for (int row = 0; row < m_model->rowCount(); ++row)
        lines << m_model->lineAt(row);
    return lines;
}

QString LogPane::selectedText() const
{
    QModelIndexList selected = m_view->selectionModel()->selectedRows();
    std::sort(selected.begin(), selected.end(),
              [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList lines;
    lines.reserve(selected.size());
    for (const QModelIndex &index : selected)
        lines << m_model->lineAt(index.row());
    return lines.join(QLatin1Char('\n'));
}

void LogPane::copySelection() const
{
    const QString text = selectedText();
    if (!text.isEmpty())
        QGuiApplication::clipboard()->setText(text);
}

} // namespace yolodeck
