#pragma once

#include <QStringList>
#include <QWidget>

#include <utility>
#include <vector>

class QAction;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QLabel;

namespace yolodeck {

class CheckpointTableModel;

// The Checkpoints tab: the run's checkpoint table (sortable) with the actions on the selected
// file. Resume and fine-tune are requests: the window shows the resume confirmation first.
// Up to two rows can be selected: Compare… compares two selected rows (A the older epoch, B the
// newer) or, with one row or none, the run's best.pt against last.pt (defaultComparisonPair).
// Resume, Fine-tune, Show and Delete act on a single selected row. Keep (the Keep column's check
// box, or the table's context menu for every selected row) marks files that the run's keep=K
// setting must never remove; the rows keep=K removes at the next epochN.pt are greyed.
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
    QString selectedPath() const;      // the single selected row's file; empty otherwise
    QStringList selectedPaths() const; // every selected row's file, in table order
    // The pair Compare… would compare now (A, B), or empty strings with `reason` set.
    std::pair<QString, QString> comparisonPair(QString *reason = nullptr) const;
    // The context menu's Keep: checked when every selected row is kept; toggling it marks or
    // unmarks them all.
    QAction *keepAction() const { return m_keep; }

Q_SIGNALS:
    void resumeRequested(const QString &path);
    void fineTuneRequested(const QString &path);
    void compareRequested(const QString &a, const QString &b);

private:
    void updateActions();
    void deleteSelected();
    void compareSelected();
    void updateDefaultPair();
    void updateFolderText();
    void keepSelected(bool kept);

    CheckpointTableModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_folder = nullptr;
    QPushButton *m_resume = nullptr;
    QAction *m_testResume = nullptr;
    QPushButton *m_fineTune = nullptr;
    QPushButton *m_show = nullptr;
    QPushButton *m_delete = nullptr;
    QPushButton *m_compare = nullptr;
    QAction *m_keep = nullptr;
    std::vector<std::pair<QAction *, QPushButton *>> m_menuActions; // context menu = buttons
    QStringList m_inUse;
    std::pair<QString, QString> m_defaultPair; // best.pt vs last.pt of the run, when it has them
    QString m_defaultPairError;
};

} // namespace yolodeck
