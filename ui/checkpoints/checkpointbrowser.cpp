#include "ui/checkpoints/checkpointbrowser.h"

#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/doctor/rehearsaldialog.h"

#include "core/checkpoint/retention.h"
#include "core/compare/checkpointcomparer.h"

#include <QAction>
#include <QDesktopServices>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <tuple>

namespace yolodeck {

CheckpointBrowser::CheckpointBrowser(QWidget *parent)
    : QWidget(parent)
    , m_model(new CheckpointTableModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(CheckpointTableModel::SortRole);
    m_view = new QTableView;
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(CheckpointTableModel::Epoch, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Two rows make a comparison; the other actions want one (updateActions).
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(CheckpointTableModel::File,
                                                     QHeaderView::Stretch);
    m_view->setAlternatingRowColors(true);
    // Right click: the actions on the selected rows, Keep among them.
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);

    m_folder = new QLabel(tr("No run open."));
    m_folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_folder->setWordWrap(true); // a long folder and the keep= note must not widen the window
    m_resume = new QPushButton(QIcon(QStringLiteral(":/icons/resume.svg")), tr("Resume"));
    m_resume->setToolTip(tr("Continue training from this checkpoint (exact resume)"));
    m_fineTune = new QPushButton(tr("Fine-tune from"));
    m_fineTune->setToolTip(tr("Start a new run from these weights with a fresh optimizer"));
    m_show = new QPushButton(tr("Show in folder"));
    m_delete = new QPushButton(tr("Delete…"));
    m_compare = new QPushButton(tr("Compare…"));
    auto refresh = new QPushButton(tr("Refresh"));
    m_keep = new QAction(tr("Keep"), this);
    m_keep->setCheckable(true);
    m_keep->setToolTip(tr("Never remove the selected files: the run's keep= setting leaves "
                          "files marked Keep on the disk"));

    auto buttons = new QHBoxLayout;
    buttons->addWidget(m_resume);
    buttons->addWidget(m_fineTune);
    buttons->addWidget(m_compare);
    buttons->addWidget(m_show);
    buttons->addWidget(m_delete);
    buttons->addStretch();
    buttons->addWidget(refresh);
    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_folder);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);

    // The context menu repeats the buttons for the rows under the mouse, and holds Keep.
    auto separator = [this] {
        auto action = new QAction(this);
        action->setSeparator(true);
        m_view->addAction(action);
    };
    for (QPushButton *button : {m_resume, m_fineTune, m_compare, m_show}) {
        auto action = new QAction(button->icon(), button->text(), this);
        connect(action, &QAction::triggered, button, &QPushButton::click);
        m_menuActions.emplace_back(action, button);
        m_view->addAction(action);
    }
    // Only in the menu: a check before trusting the file with a long run, not an everyday action.
    m_testResume = new QAction(tr("Test resume…"), this);
    m_testResume->setToolTip(tr("Train a few batches from this checkpoint in a scratch folder and "
                                "compare them with what the run recorded"));
    connect(m_testResume, &QAction::triggered, this, [this] {
        const QString path = selectedPath();
        if (path.isEmpty())
            return;
        auto dialog = new RehearsalDialog(path, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
    });
    m_view->addAction(m_testResume);
    separator();
    m_view->addAction(m_keep);
    separator();
    auto deleteAction = new QAction(m_delete->text(), this);
    connect(deleteAction, &QAction::triggered, m_delete, &QPushButton::click);
    m_menuActions.emplace_back(deleteAction, m_delete);
    m_view->addAction(deleteAction);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &CheckpointBrowser::updateActions);
    connect(m_model, &CheckpointTableModel::modelReset, this, [this] {
        updateDefaultPair();
        updateActions();
    });
    connect(m_resume, &QPushButton::clicked, this,
            [this] { Q_EMIT resumeRequested(selectedPath()); });
    connect(m_fineTune, &QPushButton::clicked, this,
            [this] { Q_EMIT fineTuneRequested(selectedPath()); });
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        // A double click on the Keep check box toggles it twice; it is not a request to resume.
        if (m_resume->isEnabled() && index.column() != CheckpointTableModel::Keep)
            Q_EMIT resumeRequested(selectedPath());
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(selectedPath()).absolutePath()));
    });
    connect(m_delete, &QPushButton::clicked, this, &CheckpointBrowser::deleteSelected);
    connect(m_compare, &QPushButton::clicked, this, &CheckpointBrowser::compareSelected);
    connect(refresh, &QPushButton::clicked, m_model, &CheckpointTableModel::refresh);
    connect(m_keep, &QAction::triggered, this, &CheckpointBrowser::keepSelected);
    // A refresh that finds the same files updates the rows in place (Keep marks, the prune set,
    // a last.pt rewritten by a resume): what the selection allows may change all the same.
    connect(m_model, &CheckpointTableModel::dataChanged, this, &CheckpointBrowser::updateActions);
    connect(m_model, &CheckpointTableModel::refreshed, this, &CheckpointBrowser::updateFolderText);
    connect(m_model, &CheckpointTableModel::keepFailed, this, [this](const QString &message) {
        QMessageBox::warning(this, tr("Keep checkpoint"), message);
    });
    updateDefaultPair();
    updateActions();
}

void CheckpointBrowser::setDirectory(const QString &runDir)
{
    m_model->setDirectory(runDir);
    updateFolderText();
}

void CheckpointBrowser::updateFolderText()
{
    const QString runDir = m_model->directory();
    if (runDir.isEmpty())
        m_folder->setText(tr("No run open."));
    else if (m_model->keepSetting() > 0)
        m_folder->setText(tr("Run folder: %1 — keep=%2: only the newest %2 periodic epochN.pt "
                             "files stay, besides best.pt, last.pt, the final epoch and files "
                             "marked Keep")
                              .arg(runDir)
                              .arg(m_model->keepSetting()));
    else
        m_folder->setText(tr("Run folder: %1").arg(runDir));
}

void CheckpointBrowser::keepSelected(bool kept)
{
    // Source rows first: a mark may re-sort the proxy while the loop runs.
    std::vector<int> rows;
    for (const QModelIndex &index : m_view->selectionModel()->selectedRows())
        rows.push_back(m_proxy->mapToSource(index).row());
    QStringList failures;
    for (int row : rows) {
        const Status s = m_model->setKept(row, kept);
        if (!s)
            failures << s.error();
    }
    if (!failures.isEmpty())
        QMessageBox::warning(this, tr("Keep checkpoint"), failures.join(QLatin1Char('\n')));
    updateActions();
}

QString CheckpointBrowser::selectedPath() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.size() != 1)
        return {};
    return rows.first().data(CheckpointTableModel::PathRole).toString();
}

QStringList CheckpointBrowser::selectedPaths() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(),
              [](const QModelIndex &x, const QModelIndex &y) { return x.row() < y.row(); });
    QStringList paths;
    for (const QModelIndex &row : rows)
        paths << row.data(CheckpointTableModel::PathRole).toString();
    return paths;
}

void CheckpointBrowser::updateDefaultPair()
{
    m_defaultPair = {};
    m_defaultPairError.clear();
    if (m_model->directory().isEmpty()) {
        m_defaultPairError = tr("Open a run to compare its checkpoints.");
        return;
    }
    const Result<std::pair<QString, QString>> pair = defaultComparisonPair(m_model->directory());
    if (pair)
        m_defaultPair = pair.value();
    else
        m_defaultPairError = pair.error();
}

std::pair<QString, QString> CheckpointBrowser::comparisonPair(QString *reason) const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.size() == 2) {
        // A is the older state (epoch, then batch within the next epoch), B the newer.
        auto stateOf = [this](const QModelIndex &index) {
            const CheckpointInfo &info = m_model->checkpoint(m_proxy->mapToSource(index).row());
            return std::make_tuple(info.epoch, info.batch, info.created);
        };
        QModelIndex a = rows[0], b = rows[1];
        if (stateOf(b) < stateOf(a) || (stateOf(a) == stateOf(b) && b.row() < a.row()))
            std::swap(a, b);
        return {a.data(CheckpointTableModel::PathRole).toString(),
                b.data(CheckpointTableModel::PathRole).toString()};
    }
    if (rows.size() > 2) {
        if (reason)
            *reason = tr("Select two checkpoints to compare them (or none, for best.pt against "
                         "last.pt).");
        return {};
    }
    if (reason)
        *reason = m_defaultPairError;
    return m_defaultPair;
}

void CheckpointBrowser::compareSelected()
{
    QString reason;
    const auto [a, b] = comparisonPair(&reason);
    if (a.isEmpty() || b.isEmpty()) {
        QMessageBox::warning(this, tr("Compare checkpoints"), reason);
        return;
    }
    Q_EMIT compareRequested(a, b);
}

void CheckpointBrowser::updateActions()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    const bool single = rows.size() == 1;
    const bool resumable =
        single && rows.first().data(CheckpointTableModel::ResumableRole).toBool();
    m_resume->setEnabled(resumable);
    m_testResume->setEnabled(resumable);
    m_fineTune->setEnabled(single);
    m_show->setEnabled(single);
    m_delete->setEnabled(single);
    bool allKept = !rows.isEmpty();
    for (const QModelIndex &row : rows)
        allKept = allKept && row.data(CheckpointTableModel::KeptRole).toBool();
    m_keep->setEnabled(!rows.isEmpty());
    m_keep->setChecked(allKept);

    QString reason;
    const auto [a, b] = comparisonPair(&reason);
    const bool pair = !a.isEmpty() && !b.isEmpty();
    // Enabled also when there is no pair to compare (no run, no best.pt): the click says why.
    m_compare->setEnabled(rows.size() <= 2);
    if (pair)
        m_compare->setToolTip(tr("Compare %1 (A) with %2 (B)%3")
                                  .arg(QFileInfo(a).fileName(), QFileInfo(b).fileName(),
                                       rows.size() == 2 ? QString()
                                                        : tr(", the run's default pair; select "
                                                             "two rows to compare others")));
    else
        m_compare->setToolTip(reason);
    for (const auto &[action, button] : m_menuActions)
        action->setEnabled(button->isEnabled());
}

void CheckpointBrowser::deleteSelected()
{
    const QString path = selectedPath();
    if (path.isEmpty())
        return;
    if (m_inUse.contains(QFileInfo(path).absoluteFilePath())) {
        QMessageBox::information(this, tr("Delete checkpoint"),
                                 tr("%1 is in use by the running training (it is being written "
                                    "or was resumed from). Stop the training first.")
                                     .arg(QFileInfo(path).fileName()));
        return;
    }
    const auto answer = QMessageBox::question(
        this, tr("Delete checkpoint"),
        tr("Delete %1?\nThis cannot be undone.").arg(QFileInfo(path).fileName()),
        QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
    if (answer != QMessageBox::Yes)
        return;
    if (!QFile::remove(path))
        QMessageBox::warning(this, tr("Delete checkpoint"), tr("Could not delete %1.").arg(path));
    else
        yolodeck::setKept(path, false); // a stale mark would keep a later file of the same name
    m_model->refresh();
}

void CheckpointBrowser::setFilesInUse(const QStringList &paths)
{
    m_inUse.clear();
    for (const QString &p : paths)
        m_inUse << QFileInfo(p).absoluteFilePath();
}

} // namespace yolodeck
