#include "ui/logpane.h"

#include <QSignalSpy>
#include <QTest>

using namespace yolodeck;

class TestLogPane : public QObject
{
    Q_OBJECT

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
