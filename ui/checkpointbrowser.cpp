#include "ui/checkpointbrowser.h"

#include "ui/checkpointtablemodel.h"

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
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setSectionResizeMode(CheckpointTableModel::File,
                                                     QHeaderView::Stretch);
    m_view->setAlternatingRowColors(true);

    m_folder = new QLabel(tr("No run open."));
    m_folder->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_resume = new QPushButton(QIcon(QStringLiteral(":/icons/resume.svg")), tr("Resume"));
    m_resume->setToolTip(tr("Continue training from this checkpoint (exact resume)"));
    m_fineTune = new QPushButton(tr("Fine-tune from"));
    m_fineTune->setToolTip(tr("Start a new run from these weights with a fresh optimizer"));
    m_show = new QPushButton(tr("Show in folder"));
    m_delete = new QPushButton(tr("Delete…"));
    // Best-vs-last comparison is specified for a later version; the action is shown, disabled.
    m_compare = new QPushButton(tr("Compare…"));
    m_compare->setEnabled(false);
    m_compare->setToolTip(tr("Comparing two checkpoints comes in a later version"));
    auto refresh = new QPushButton(tr("Refresh"));

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

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &CheckpointBrowser::updateActions);
    connect(m_model, &CheckpointTableModel::modelReset, this, &CheckpointBrowser::updateActions);
    connect(m_resume, &QPushButton::clicked, this,
            [this] { Q_EMIT resumeRequested(selectedPath()); });
    connect(m_fineTune, &QPushButton::clicked, this,
            [this] { Q_EMIT fineTuneRequested(selectedPath()); });
    connect(m_view, &QTableView::doubleClicked, this, [this] {
        if (m_resume->isEnabled())
            Q_EMIT resumeRequested(selectedPath());
    });
    connect(m_show, &QPushButton::clicked, this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(selectedPath()).absolutePath()));
    });
    connect(m_delete, &QPushButton::clicked, this, &CheckpointBrowser::deleteSelected);
    connect(refresh, &QPushButton::clicked, m_model, &CheckpointTableModel::refresh);
    updateActions();
}

void CheckpointBrowser::setDirectory(const QString &runDir)
{
    m_folder->setText(runDir.isEmpty() ? tr("No run open.") : tr("Run folder: %1").arg(runDir));
    m_model->setDirectory(runDir);
}

QString CheckpointBrowser::selectedPath() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return rows.first().data(CheckpointTableModel::PathRole).toString();
}

void CheckpointBrowser::updateActions()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    const bool selected = !rows.isEmpty();
    const bool resumable =
        selected && rows.first().data(CheckpointTableModel::ResumableRole).toBool();
    m_resume->setEnabled(resumable);
    m_fineTune->setEnabled(selected);
    m_show->setEnabled(selected);
    m_delete->setEnabled(selected);
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
    m_model->refresh();
}

void CheckpointBrowser::setFilesInUse(const QStringList &paths)
{
    m_inUse.clear();
    for (const QString &p : paths)
        m_inUse << QFileInfo(p).absoluteFilePath();
}

} // namespace yolodeck
