#pragma once

#include <QStringList>
#include <QWidget>

class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QLabel;

namespace yolodeck {

class CheckpointTableModel;

// The Checkpoints tab: the run's checkpoint table (sortable) with the actions on the selected
// file. Resume and fine-tune are requests: the window shows the resume confirmation first.
class CheckpointBrowser final : public QWidget
{
    Q_OBJECT

public:
    explicit CheckpointBrowser(QWidget *parent = nullptr);

    CheckpointTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    void setDirectory(const QString &runDir);
    // Files the running training writes or resumed from: Delete refuses them.
    void setFilesInUse(const QStringList &paths);
    QString selectedPath() const;

Q_SIGNALS:
    void resumeRequested(const QString &path);
    void fineTuneRequested(const QString &path);

private:
    void updateActions();
    void deleteSelected();

    CheckpointTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_folder = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_fineTune = nullptr;
    QPushButton *m_show = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_compare = nullptr;
    QStringList m_inUse;
};

} // namespace yolodeck
