#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace yolodeck;

// Delete asks, and refuses a file that the running training writes or resumed from.
class TestCheckpointBrowser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deleteRefusesFilesInUse();
    void compareWithoutARunSaysWhy();
    void keepActionMarksTheSelectedRows();
    void doubleClickOnKeepDoesNotResume();

private:
    static QPushButton *button(CheckpointBrowser &browser, const QString &text);
    static void answerNextMessageBox(QMessageBox::StandardButton answer, QString *seenText);
};

QPushButton *TestCheckpointBrowser::button(CheckpointBrowser &browser, const QString &text)
{
    for (QPushButton *b : browser.findChildren<QPushButton *>()) {
        if (b->text() == text)
            return b;
    }
    return nullptr;
}

void TestCheckpointBrowser::answerNextMessageBox(QMessageBox::StandardButton answer,
                                                 QString *seenText)
{
    QTimer::singleShot(50, [answer, seenText] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (!box)
            return;
        *seenText = box->text();
        if (QAbstractButton *b = box->button(answer))
            b->click();
        else
            box->reject();
    });
}

void TestCheckpointBrowser::deleteRefusesFilesInUse()
{
    QTemporaryDir dir;
    QDir().mkpath(dir.filePath(QStringLiteral("weights")));
    const QString last = dir.filePath(QStringLiteral("weights/last.pt"));
    QFile f(last);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not really a checkpoint, listed with its error");
    f.close();

    CheckpointBrowser browser;
    QSignalSpy refreshed(browser.model(), &CheckpointTableModel::refreshed);
    browser.setDirectory(dir.path());
    QTRY_VERIFY(browser.model()->rowCount() == 1);
    browser.view()->selectRow(0);
    QPushButton *del = button(browser, QStringLiteral("Delete…"));
    QVERIFY(del);
    QVERIFY(del->isEnabled());

    browser.setFilesInUse({last});
    QString seen;
    answerNextMessageBox(QMessageBox::Ok, &seen);
    del->click();
    QVERIFY2(seen.contains(QStringLiteral("in use")), qPrintable(seen));
    QVERIFY(QFile::exists(last));

    browser.setFilesInUse({});
    answerNextMessageBox(QMessageBox::Cancel, &seen);
    del->click();
    QVERIFY2(seen.contains(QStringLiteral("Delete last.pt?")), qPrintable(seen));
    QVERIFY(QFile::exists(last)); // cancelled

    answerNextMessageBox(QMessageBox::Yes, &seen);
    del->click();
    QVERIFY(!QFile::exists(last));
}

// Compare… is always offered; without a run to take best.pt and last.pt from, it says why
// instead of asking for a comparison (tst_comparisonview covers the comparisons it asks for).
void TestCheckpointBrowser::compareWithoutARunSaysWhy()
{
    CheckpointBrowser browser;
    QPushButton *compare = button(browser, QStringLiteral("Compare…"));
    QVERIFY(compare);
    QVERIFY(compare->isEnabled());
    QSignalSpy requested(&browser, &CheckpointBrowser::compareRequested);
    QString seen;
    answerNextMessageBox(QMessageBox::Ok, &seen);
    compare->click();
    QVERIFY2(seen.contains(QStringLiteral("Open a run")), qPrintable(seen));
    QCOMPARE(requested.count(), 0);
}

// Keep in the table's context menu marks the selected files, and the table shows the mark; the
// folder line says what the run's keep= does.
void TestCheckpointBrowser::keepActionMarksTheSelectedRows()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("weights")));
    QFile args(dir.filePath(QStringLiteral("args.yaml")));
    QVERIFY(args.open(QIODevice::WriteOnly));
    args.write("save_period: 1\nkeep: 2\n");
    args.close();
    QStringList epochs;
    for (int e = 1; e <= 4; ++e) {
        epochs << dir.filePath(QStringLiteral("weights/epoch%1.pt").arg(e));
        QFile f(epochs.last());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not really a checkpoint, listed with its error");
    }

    CheckpointBrowser browser;
    QSignalSpy refreshed(browser.model(), &CheckpointTableModel::refreshed);
    browser.setDirectory(dir.path());
    QTRY_COMPARE(refreshed.count(), 1);
    QCOMPARE(browser.model()->rowCount(), 4);
    QAction *keep = browser.keepAction();
    QVERIFY(keep);
    QCOMPARE(browser.view()->contextMenuPolicy(), Qt::ActionsContextMenu);
    QVERIFY(browser.view()->actions().contains(keep));
    QVERIFY(keep->isCheckable());
    QVERIFY(!keep->isEnabled()); // nothing selected
    auto label = browser.findChild<QLabel *>();
    QVERIFY(label);
    QVERIFY2(label->text().contains(QLatin1String("keep=2")), qPrintable(label->text()));

    // keep=2 with epoch1..4.pt: epoch1.pt and epoch2.pt go at the next save.
    auto viewRowOf = [&browser](const QString &path) {
        const QAbstractItemModel *m = browser.view()->model();
        for (int r = 0; r < m->rowCount(); ++r) {
            if (m->index(r, 0).data(CheckpointTableModel::PathRole).toString() == path)
                return r;
        }
        return -1;
    };
    auto keepCell = [&browser, &viewRowOf](const QString &path) {
        return browser.view()->model()->index(viewRowOf(path), CheckpointTableModel::Keep);
    };
    QVERIFY(keepCell(epochs[0]).data(CheckpointTableModel::PruneRole).toBool());
    browser.view()->selectRow(viewRowOf(epochs[0]));
    QCOMPARE(browser.selectedPath(), epochs[0]);
    QVERIFY(keep->isEnabled());
    QVERIFY(!keep->isChecked());

    keep->trigger();
    QVERIFY(QFileInfo::exists(epochs[0] + QStringLiteral(".keep")));
    QVERIFY(!QFileInfo::exists(epochs[1] + QStringLiteral(".keep")));
    QCOMPARE(keepCell(epochs[0]).data().toString(), QStringLiteral("kept"));
    QCOMPARE(keepCell(epochs[0]).data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Checked);
    QVERIFY(keep->isChecked());
    // The listing that follows the mark: epoch1.pt is safe, the selection survives it.
    QTRY_VERIFY(!browser.model()->isRefreshing() &&
                !keepCell(epochs[0]).data(CheckpointTableModel::PruneRole).toBool());
    QTRY_VERIFY(keepCell(epochs[1]).data(CheckpointTableModel::PruneRole).toBool());
    QCOMPARE(browser.selectedPath(), epochs[0]);
    QVERIFY(keep->isChecked());

    // Two rows, one kept: Keep is unchecked, and checking it marks both.
    browser.view()->selectionModel()->select(
        browser.view()->model()->index(viewRowOf(epochs[1]), 0),
        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(browser.selectedPaths().size(), 2);
    QVERIFY(!keep->isChecked());
    keep->trigger();
    QVERIFY(QFileInfo::exists(epochs[0] + QStringLiteral(".keep")));
    QVERIFY(QFileInfo::exists(epochs[1] + QStringLiteral(".keep")));
    QVERIFY(keep->isChecked());

    QTRY_VERIFY(!browser.model()->isRefreshing() &&
                !keepCell(epochs[1]).data(CheckpointTableModel::PruneRole).toBool());
    QVERIFY(!keepCell(epochs[0]).data(CheckpointTableModel::PruneRole).toBool());

    // And unchecking it takes both marks away: both go at the next save again.
    keep->trigger();
    QVERIFY(!QFileInfo::exists(epochs[0] + QStringLiteral(".keep")));
    QVERIFY(!QFileInfo::exists(epochs[1] + QStringLiteral(".keep")));
    QCOMPARE(keepCell(epochs[0]).data().toString(), QString());
    QVERIFY(!keep->isChecked());
    QTRY_VERIFY(keepCell(epochs[0]).data(CheckpointTableModel::PruneRole).toBool());
    QTRY_VERIFY(keepCell(epochs[1]).data(CheckpointTableModel::PruneRole).toBool());
    QVERIFY(!keepCell(epochs[2]).data(CheckpointTableModel::PruneRole).toBool());
}

// A double click on the Keep check box toggles the mark; it does not ask to resume the file.
void TestCheckpointBrowser::doubleClickOnKeepDoesNotResume()
{
    CheckpointInfo full;
    full.path = QStringLiteral("/runs/train/weights/epoch1.pt");
    full.kind = QStringLiteral("full");
    full.epoch = 1;
    CheckpointBrowser browser;
    browser.model()->setCheckpoints({full});
    QSignalSpy resume(&browser, &CheckpointBrowser::resumeRequested);
    browser.view()->selectRow(0);
    const QAbstractItemModel *m = browser.view()->model();
    Q_EMIT browser.view()->doubleClicked(m->index(0, CheckpointTableModel::Keep));
    QCOMPARE(resume.count(), 0);
    // Anywhere else on the row it does.
    Q_EMIT browser.view()->doubleClicked(m->index(0, CheckpointTableModel::File));
    QCOMPARE(resume.count(), 1);
    QCOMPARE(resume.at(0).at(0).toString(), full.path);
}

QTEST_MAIN(TestCheckpointBrowser)
#include "tst_checkpointbrowser.moc"
