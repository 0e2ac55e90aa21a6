#include "ui/checkpointbrowser.h"
#include "ui/checkpointtablemodel.h"

#include <QDir>
#include <QFile>
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

QTEST_MAIN(TestCheckpointBrowser)
#include "tst_checkpointbrowser.moc"
