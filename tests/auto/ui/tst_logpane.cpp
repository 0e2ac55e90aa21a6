#include "ui/log/logpane.h"

#include <QAbstractItemModelTester>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTest>
#include <QTreeView>

using namespace yolodeck;

class TestLogPane : public QObject
{
    Q_OBJECT

    // Whether the last row shows whole, top to bottom (it may be wider than the view).
    static bool lastRowInSight(const QTreeView *view)
    {
        const QRect row = view->visualRect(view->model()->index(view->model()->rowCount() - 1, 0));
        return row.isValid() && row.top() >= 0 && row.bottom() <= view->viewport()->height();
    }

    static void fill(LogPane &pane)
    {
        const QDateTime t(QDate(2024, 5, 1), QTime(9, 30, 0));
        pane.append(LogLevel::Info, QStringLiteral("Scanning dataset coco8"), t);
        pane.append(LogLevel::Warning, QStringLiteral("image 12.jpg: corrupt JPEG, skipped"), t);
        pane.append(LogLevel::Info, QStringLiteral("Epoch 1/3 done"), t);
        pane.append(LogLevel::Error, QStringLiteral("checkpoint not saved: disk full"), t);
        pane.append(LogLevel::Info, QStringLiteral("Epoch 2/3 done"), t);
    }

private Q_SLOTS:
    void filter_data()
    {
        QTest::addColumn<int>("level");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("everything")
            << int(LogLevel::Info) << QString()
            << QStringList{QStringLiteral("09:30:00 [info] Scanning dataset coco8"),
                           QStringLiteral("09:30:00 [warning] image 12.jpg: corrupt JPEG, skipped"),
                           QStringLiteral("09:30:00 [info] Epoch 1/3 done"),
                           QStringLiteral("09:30:00 [error] checkpoint not saved: disk full"),
                           QStringLiteral("09:30:00 [info] Epoch 2/3 done")};
        QTest::newRow("warnings and errors")
            << int(LogLevel::Warning) << QString()
            << QStringList{QStringLiteral("09:30:00 [warning] image 12.jpg: corrupt JPEG, skipped"),
                           QStringLiteral("09:30:00 [error] checkpoint not saved: disk full")};
        QTest::newRow("errors") << int(LogLevel::Error) << QString()
                                << QStringList{QStringLiteral(
                                       "09:30:00 [error] checkpoint not saved: disk full")};
        QTest::newRow("text, any case")
            << int(LogLevel::Info) << QStringLiteral("EPOCH")
            << QStringList{QStringLiteral("09:30:00 [info] Epoch 1/3 done"),
                           QStringLiteral("09:30:00 [info] Epoch 2/3 done")};
        QTest::newRow("text and level")
            << int(LogLevel::Warning) << QStringLiteral("epoch") << QStringList{};
    }

    void filter()
    {
        QFETCH(int, level);
        QFETCH(QString, text);
        QFETCH(QStringList, expected);
        LogPane pane;
        fill(pane);
        pane.setMinimumLevel(LogLevel(level));
        pane.setFilterText(text);
        QCOMPARE(pane.visibleLines(), expected);
        QCOMPARE(pane.entryCount(), 5); // filtering hides, never drops

        // New lines obey the filter in force.
        pane.append(LogLevel::Error, QStringLiteral("Epoch 3/3 failed"));
        const bool shown = level <= int(LogLevel::Error) &&
                           (text.isEmpty() ||
                            QStringLiteral("Epoch 3/3 failed").contains(text, Qt::CaseInsensitive));
        QCOMPARE(pane.visibleLines().size(), expected.size() + (shown ? 1 : 0));

        // Clearing the filter brings everything back.
        pane.setMinimumLevel(LogLevel::Info);
        pane.setFilterText(QString());
        QCOMPARE(pane.visibleLines().size(), 6);
    }

    void modelStaysConsistent()
    {
        // Appends, the cap dropping the oldest entries, refiltering and clearing, under Qt's
        // model checker (it fails the test on any inconsistent signal or row count). A cap of 100
        // entries: the checker walks the whole model after each change.
        constexpr int kCap = 100;
        LogModel model(nullptr, kCap);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QDateTime t(QDate(2024, 5, 1), QTime(9, 30, 0));
        for (int i = 0; i < 3 * kCap; ++i) {
            const LogLevel level = i % 7 == 0 ? LogLevel::Warning : LogLevel::Info;
            model.append(level,
                         i % 11 == 0 ? QStringLiteral("table %1\n  a\n  b").arg(i)
                                     : QStringLiteral("line %1").arg(i),
                         t);
            if (i == 50)
                model.setFilter(LogLevel::Warning, QString());
            if (i == 150)
                model.setFilter(LogLevel::Info, QStringLiteral("TABLE"));
            if (i == 200)
                model.setFilter(LogLevel::Info, QString());
        }
        QCOMPARE(model.entryCount(), kCap);
        // The oldest kept entry is the 201st: entries 0..199 were dropped, rows with them.
        QCOMPARE(model.lineAt(0), QStringLiteral("09:30:00 [info] line 200"));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        model.append(LogLevel::Error, QStringLiteral("after clearing"), t);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.lineAt(0), QStringLiteral("09:30:00 [error] after clearing"));
    }

    void keepsTheNewestEntries()
    {
        LogPane pane;
        const QDateTime t(QDate(2024, 5, 1), QTime(9, 30, 0));
        // The oldest entry has three lines: dropping it takes its three rows.
        pane.append(LogLevel::Info, QStringLiteral("first\nsecond\nthird"), t);
        for (int i = 1; i < LogModel::kMaxEntries; ++i)
            pane.append(LogLevel::Info, QStringLiteral("message %1").arg(i), t);
        QCOMPARE(pane.entryCount(), LogModel::kMaxEntries);
        QCOMPARE(pane.visibleLines().size(), LogModel::kMaxEntries + 2);
        QCOMPARE(pane.visibleLines().first(), QStringLiteral("09:30:00 [info] first"));

        pane.append(LogLevel::Info, QStringLiteral("newest"), t);
        QCOMPARE(pane.entryCount(), LogModel::kMaxEntries);
        const QStringList lines = pane.visibleLines();
        QCOMPARE(lines.size(), LogModel::kMaxEntries);
        QCOMPARE(lines.first(), QStringLiteral("09:30:00 [info] message 1"));
        QCOMPARE(lines.last(), QStringLiteral("09:30:00 [info] newest"));
    }

    void aTableIsFilteredWhole()
    {
        LogPane pane;
        const QDateTime t(QDate(2024, 5, 1), QTime(9, 30, 0));
        pane.append(LogLevel::Info, QStringLiteral("best.pt (epoch 3):"), t);
        pane.append(LogLevel::Info,
                    QStringLiteral("   Class  mAP50\n     all  0.512\n  person  0.498"), t);
        QCOMPARE(pane.visibleLines(),
                 (QStringList{QStringLiteral("09:30:00 [info] best.pt (epoch 3):"),
                              QStringLiteral("09:30:00 [info]    Class  mAP50"),
                              QStringLiteral("                     all  0.512"),
                              QStringLiteral("                  person  0.498")}));
        // The table's later lines start under its first line's text: its columns line up.
        // "person" is on the table's last line: the whole table stays, the other message goes.
        pane.setFilterText(QStringLiteral("PERSON"));
        QCOMPARE(pane.visibleLines(),
                 (QStringList{QStringLiteral("09:30:00 [info]    Class  mAP50"),
                              QStringLiteral("                     all  0.512"),
                              QStringLiteral("                  person  0.498")}));
    }

    void copiesTheSelectedLines()
    {
        LogPane pane;
        fill(pane);
        pane.resize(600, 300);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QTreeView *view = pane.view();
        QGuiApplication::clipboard()->clear();
        // Rows 1 and 3, picked out of order: they copy in the log's order.
        view->selectionModel()->select(view->model()->index(3, 0), QItemSelectionModel::Select);
        view->selectionModel()->select(view->model()->index(1, 0), QItemSelectionModel::Select);
        const QString expected =
            QStringLiteral("09:30:00 [warning] image 12.jpg: corrupt JPEG, skipped\n"
                           "09:30:00 [error] checkpoint not saved: disk full");
        QCOMPARE(pane.selectedText(), expected);
        view->setFocus();
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        QCOMPARE(QGuiApplication::clipboard()->text(), expected);

        QTest::keyClick(view, Qt::Key_A, Qt::ControlModifier); // select all
        QCOMPARE(pane.selectedText().split(QLatin1Char('\n')), pane.visibleLines());
    }

    void followsNewLinesOnlyFromTheEnd()
    {
        LogPane pane;
        pane.resize(600, 200);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        for (int i = 0; i < 200; ++i)
            pane.append(LogLevel::Info, QStringLiteral("message %1").arg(i));
        QScrollBar *bar = pane.view()->verticalScrollBar();
        QTRY_VERIFY(bar->maximum() > 0);
        QTRY_COMPARE(bar->value(), bar->maximum()); // at the end, it follows

        // Scrolled up to read, new lines leave the view where it is.
        bar->setValue(10);
        for (int i = 0; i < 50; ++i)
            pane.append(LogLevel::Info, QStringLiteral("later %1").arg(i));
        QTest::qWait(50);
        QCOMPARE(bar->value(), 10);
        QVERIFY(bar->maximum() > 10);

        // Back at the end, it follows again.
        bar->setValue(bar->maximum());
        const int before = bar->maximum();
        pane.append(LogLevel::Info, QStringLiteral("newest"));
        QTRY_VERIFY(bar->maximum() > before);
        QTRY_COMPARE(bar->value(), bar->maximum());
    }

    void longLinesScrollSideways()
    {
        // A long line out of sight still widens the column: scrolled to, it is whole. And the
        // horizontal scroll bar it brings (the view a line shorter) does not stop the view
        // following.
        LogPane pane;
        pane.resize(400, 200);
        pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&pane));
        QTreeView *view = pane.view();
        QScrollBar *bar = view->verticalScrollBar();
        for (int i = 0; i < 100; ++i)
            pane.append(LogLevel::Info, QStringLiteral("short %1").arg(i));
        QTRY_VERIFY(bar->maximum() > 0);
        QTRY_COMPARE(bar->value(), bar->maximum());
        QCOMPARE(view->horizontalScrollBar()->maximum(), 0);

        const QString longLine = QStringLiteral("/very/long/path").repeated(20) +
                                 QStringLiteral(": not writable, last.pt was not saved");
        pane.append(LogLevel::Error, longLine);
        QCoreApplication::processEvents();
        for (int i = 0; i < 100; ++i)
            pane.append(LogLevel::Info, QStringLiteral("later %1").arg(i));
        const int needed =
            QFontMetrics(view->font()).horizontalAdvance(pane.visibleLines().at(100));
        QVERIFY2(
            view->header()->sectionSize(0) >= needed,
            qPrintable(QStringLiteral("%1 < %2").arg(view->header()->sectionSize(0)).arg(needed)));
        QTRY_VERIFY(view->horizontalScrollBar()->maximum() > 0);
        QTRY_COMPARE(bar->value(), bar->maximum());
        QTRY_VERIFY(lastRowInSight(view));
    }

    void catchesUpWhenItsTabIsShown()
    {
        // As in the window: the Log tab behind another one from the start, lines coming in,
        // then the user opens the tab. It shows the newest lines.
        QTabWidget tabs;
        tabs.addTab(new QWidget, QStringLiteral("Charts"));
        auto pane = new LogPane;
        tabs.addTab(pane, QStringLiteral("Log"));
        tabs.resize(600, 300);
        tabs.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tabs));
        for (int i = 0; i < 300; ++i) {
            pane->append(LogLevel::Info, QStringLiteral("message %1").arg(i));
            if (i % 3 == 0)
                QCoreApplication::processEvents();
        }
        tabs.setCurrentWidget(pane);
        QTreeView *view = pane->view();
        QTRY_VERIFY(lastRowInSight(view));
        QScrollBar *bar = view->verticalScrollBar();
        QCOMPARE(bar->value(), bar->maximum());

        // Scrolled up and left for another tab: back on the Log tab, it is where the user left
        // it, though more lines came meanwhile.
        bar->setValue(5);
        tabs.setCurrentIndex(0);
        for (int i = 0; i < 50; ++i)
            pane->append(LogLevel::Info, QStringLiteral("later %1").arg(i));
        QCoreApplication::processEvents();
        tabs.setCurrentWidget(pane);
        QTest::qWait(50);
        QCOMPARE(bar->value(), 5);
    }

    void errorsAreSignalled()
    {
        LogPane pane;
        QSignalSpy spy(&pane, &LogPane::errorLogged);
        fill(pane);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral("checkpoint not saved: disk full"));
    }

    void clearEmpties()
    {
        LogPane pane;
        fill(pane);
        pane.clear();
        QCOMPARE(pane.entryCount(), 0);
        QVERIFY(pane.visibleLines().isEmpty());
    }
};

QTEST_MAIN(TestLogPane)
#include "tst_logpane.moc"
