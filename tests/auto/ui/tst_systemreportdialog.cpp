#include "core/checkpoint/checkpointmeta.h"
#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/doctor/rehearsaldialog.h"
#include "ui/doctor/systemreportdialog.h"
#include "ui/mainwindow.h"
#include "ui/resumedialog.h"
#include "ui/runsetup/runsetuppanel.h"

#include "windowtesthelpers.h"

#include <QAction>
#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

// Help -> System Report (the doctor's report measured off the GUI thread, copied for a bug
// report) and Test resume… (a rehearsal that cannot run says why, and Cancel closes cleanly).
class TestSystemReportDialog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QStringList rehearsalScratchFolders()
    {
        return QDir(QDir::tempPath())
            .entryList({QStringLiteral("yolodeck-rehearsal-*")}, QDir::Dirs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        windowtest::isolateWindowTest(this, QStringLiteral("tst_systemreportdialog"));
    }

    void reportIsMeasuredAndCopied()
    {
        EnvironmentOptions options;
        options.project = m_dir.filePath(QStringLiteral("runs"));
        options.gemmSeconds = 0.2;
        options.diskMegabytes = 4;
        SystemReportDialog dialog(options);
        QSignalSpy ready(&dialog, &SystemReportDialog::reportReady);
        dialog.show();
        // The GUI thread stays free while it measures: the dialog paints and answers events.
        QVERIFY(!dialog.isFinished());
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isFinished(), 30000);
        QCOMPARE(ready.count(), 1);

        auto view = dialog.findChild<QPlainTextEdit *>();
        QVERIFY(view);
        QVERIFY(view->isReadOnly());
        QVERIFY(view->toPlainText().contains(QStringLiteral("BLAS")));
        QCOMPARE(view->toPlainText(), dialog.reportText());

        QPushButton *copyButton = nullptr;
        for (QPushButton *button : dialog.findChildren<QPushButton *>())
            if (button->text() == QStringLiteral("Copy"))
                copyButton = button;
        QVERIFY(copyButton);
        QVERIFY(copyButton->isEnabled());
        QGuiApplication::clipboard()->clear();
        copyButton->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), dialog.reportText());
    }

    // Closing before the measurement ends waits for it instead of leaving a thread behind.
    void closingEarlyJoinsTheWorker()
    {
        EnvironmentOptions options;
        options.project = m_dir.filePath(QStringLiteral("runs"));
        options.gemmSeconds = 0.2;
        options.diskMegabytes = 4;
        auto dialog = new SystemReportDialog(options);
        dialog->show();
        delete dialog; // joins; a crash or a hang here is the failure
    }

    void helpMenuOpensTheReport()
    {
        MainWindow window;
        QAction *report = nullptr;
        for (QAction *menu : window.menuBar()->actions()) {
            if (menu->text() != QStringLiteral("&Help") || !menu->menu())
                continue;
            for (QAction *action : menu->menu()->actions())
                if (action->text() == QStringLiteral("&System Report…"))
                    report = action;
        }
        QVERIFY(report);
        // The report measures with the run setup's thread count, as training would run.
        QVERIFY(window.setupPanel()->editorFor(QStringLiteral("threads")));
        window.setupPanel()->setText(QStringLiteral("threads"), QStringLiteral("1"));
        report->trigger();
        auto dialog = window.findChild<SystemReportDialog *>();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isFinished(), 60000);
        QVERIFY2(dialog->reportText().contains(QStringLiteral("(threads=1)")),
                 qPrintable(dialog->reportText()));
        dialog->close(); // deletes itself
        QTRY_VERIFY(!window.findChild<SystemReportDialog *>());
    }

    void rehearsalOfAMissingFileSaysWhy_data()
    {
        QTest::addColumn<QByteArray>("contents"); // empty: no file at all
        QTest::newRow("missing") << QByteArray();
        QTest::newRow("not a checkpoint") << QByteArray("this is not a TorchScript archive");
    }

    void rehearsalOfAMissingFileSaysWhy()
    {
        QFETCH(QByteArray, contents);
        const QString path =
            m_dir.filePath(QStringLiteral("%1.pt").arg(QString::fromUtf8(QTest::currentDataTag())));
        if (!contents.isEmpty()) {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(contents);
        }
        const QStringList scratchBefore = rehearsalScratchFolders();
        RehearsalDialog dialog(path);
        QSignalSpy finished(&dialog, &RehearsalDialog::rehearsalFinished);
        dialog.show();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isRunning(), 30000);
        QCOMPARE(finished.count(), 1);
        QVERIFY(!dialog.verdict().isEmpty());
        auto view = dialog.findChild<QPlainTextEdit *>();
        QVERIFY(view);
        QVERIFY(view->toPlainText().startsWith(QStringLiteral("Rehearsal failed: ")));
        QVERIFY(view->toPlainText().contains(dialog.verdict()));
        QCOMPARE(rehearsalScratchFolders(), scratchBefore);
        // Done: the one button now closes.
        dialog.reject();
        QVERIFY(!dialog.isVisible());
    }

    // Cancel while the worker runs closes only once the worker is done, scratch folder removed.
    void cancelClosesCleanly()
    {
        const QStringList scratchBefore = rehearsalScratchFolders();
        RehearsalDialog dialog(m_dir.filePath(QStringLiteral("absent.pt")));
        QSignalSpy finished(&dialog, &RehearsalDialog::rehearsalFinished);
        QSignalSpy rejected(&dialog, &QDialog::rejected);
        dialog.show();
        dialog.reject();
        QTRY_COMPARE_WITH_TIMEOUT(rejected.count(), 1, 30000);
        QCOMPARE(finished.count(), 1);
        QVERIFY(!dialog.isRunning());
        QVERIFY(!dialog.isVisible());
        QCOMPARE(rehearsalScratchFolders(), scratchBefore);
    }
    // The browser's context menu offers Test resume… for a full checkpoint only, and it opens
    // the rehearsal (here of a file that is gone, so it says why).
    void browserOffersTestResumeForFullCheckpoints()
    {
        CheckpointInfo full;
        full.path = m_dir.filePath(QStringLiteral("gone/weights/epoch1.pt"));
        full.kind = QStringLiteral("full");
        full.epoch = 1;
        CheckpointInfo weights;
        weights.path = m_dir.filePath(QStringLiteral("gone/weights/best.pt"));
        weights.kind = QStringLiteral("weights");
        CheckpointBrowser browser;
        browser.model()->setCheckpoints({full, weights});
        QAction *test = nullptr;
        for (QAction *action : browser.view()->actions())
            if (action->text() == QStringLiteral("Test resume…"))
                test = action;
        QVERIFY(test);
        const QAbstractItemModel *m = browser.view()->model();
        int opened = 0;
        for (int row = 0; row < m->rowCount(); ++row) {
            browser.view()->selectRow(row);
            const bool isFull = m->index(row, CheckpointTableModel::File)
                                    .data()
                                    .toString()
                                    .contains(QStringLiteral("epoch1"));
            QCOMPARE(test->isEnabled(), isFull);
            if (!isFull)
                continue;
            test->trigger();
            ++opened;
            auto dialog = browser.findChild<RehearsalDialog *>();
            QVERIFY(dialog);
            QTRY_VERIFY_WITH_TIMEOUT(!dialog->isRunning(), 30000);
            QVERIFY(dialog->reportText().startsWith(QStringLiteral("Rehearsal failed: ")));
            dialog->reject(); // deletes itself
            QTRY_VERIFY(!browser.findChild<RehearsalDialog *>());
        }
        QCOMPARE(opened, 1);
    }

    // The resume dialog offers it for files that resume, not for weights that only fine-tune.
    void resumeDialogOffersTestResumeForResumableFiles_data()
    {
        QTest::addColumn<int>("action");
        QTest::addColumn<bool>("offered");
        QTest::newRow("continue") << int(ResumeRequest::Action::Continue) << true;
        QTest::newRow("branch") << int(ResumeRequest::Action::Branch) << true;
        QTest::newRow("fine-tune") << int(ResumeRequest::Action::FineTune) << false;
        QTest::newRow("refused") << int(ResumeRequest::Action::Refused) << false;
    }

    void resumeDialogOffersTestResumeForResumableFiles()
    {
        QFETCH(int, action);
        QFETCH(bool, offered);
        ResumeRequest request;
        request.checkpoint = m_dir.filePath(QStringLiteral("gone/weights/last.pt"));
        request.action = ResumeRequest::Action(action);
        request.canFineTune = true;
        ResumeDialog dialog(request);
        QPushButton *test = nullptr;
        for (QPushButton *button : dialog.findChildren<QPushButton *>())
            if (button->text() == QStringLiteral("Test resume…"))
                test = button;
        QCOMPARE(test != nullptr, offered);
        if (!test)
            return;
        test->click();
        auto rehearsal = dialog.findChild<RehearsalDialog *>();
        QVERIFY(rehearsal);
        QVERIFY(rehearsal->isModal());
        QTRY_VERIFY_WITH_TIMEOUT(!rehearsal->isRunning(), 30000);
        QVERIFY(rehearsal->reportText().contains(QStringLiteral("Rehearsal failed: ")));
        rehearsal->reject();
        QTRY_VERIFY(!dialog.findChild<RehearsalDialog *>());
    }
};

QTEST_MAIN(TestSystemReportDialog)
#include "tst_systemreportdialog.moc"
