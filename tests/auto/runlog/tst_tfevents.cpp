// TensorBoard event files (core/runlog/tfeventswriter), read back by an independent reader.
#include "core/runlog/tfeventswriter.h"
#include "tfeventsreader.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace yolodeck;

class TestTfEvents : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void crcMatchesTheStandardVector();
    void recordsReadBackIndependently();
    void unwritableFolderIsAMessage();
};

void TestTfEvents::crcMatchesTheStandardVector()
{
    QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
    QCOMPARE(crc32c("", 0), 0u);
}

void TestTfEvents::recordsReadBackIndependently()
{
    QTemporaryDir dir;
    Result<std::unique_ptr<TfEventsWriter>> w = TfEventsWriter::create(dir.path());
    QVERIFY2(w, qPrintable(w.error()));
    const QString name = QFileInfo(w.value()->path()).fileName();
    QVERIFY2(name.startsWith(QLatin1String("events.out.tfevents.")), qPrintable(name));
    QVERIFY(w.value()->scalar(QStringLiteral("train/box_loss"), 1.25, 1));
    QVERIFY(w.value()->scalar(QStringLiteral("metrics/mAP50(B)"), 0.375, 2));
    QVERIFY(w.value()->purgeFrom(7));
    QVERIFY(w.value()->scalar(QStringLiteral("batch/box_loss"), -3.5, 7));
    QVERIFY(w.value()->flush());

    QString error;
    const std::vector<QJsonObject> records = readTfEvents(w.value()->path(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(int(records.size()), 5);
    QCOMPARE(records[0].value(QStringLiteral("file_version")).toString(),
             QStringLiteral("brain.Event:2"));
    QVERIFY(records[0].value(QStringLiteral("wall_time")).toDouble() > 1.7e9);
    const auto scalar = [&](int i) {
        return records[size_t(i)].value(QStringLiteral("scalars")).toArray().at(0).toArray();
    };
    QCOMPARE(scalar(1).at(0).toString(), QStringLiteral("train/box_loss"));
    QCOMPARE(scalar(1).at(1).toDouble(), 1.25);
    QCOMPARE(records[1].value(QStringLiteral("step")).toInt(), 1);
    QCOMPARE(scalar(2).at(0).toString(), QStringLiteral("metrics/mAP50(B)"));
    QCOMPARE(scalar(2).at(1).toDouble(), 0.375);
    QCOMPARE(records[3].value(QStringLiteral("step")).toInt(), 7);
    QCOMPARE(records[3].value(QStringLiteral("session_log_status")).toInt(), 1); // START
    QCOMPARE(scalar(4).at(1).toDouble(), -3.5);
}

void TestTfEvents::unwritableFolderIsAMessage()
{
    const Result<std::unique_ptr<TfEventsWriter>> w =
        TfEventsWriter::create(QStringLiteral("/nonexistent/run"));
    QVERIFY(!w);
    QVERIFY2(w.error().contains(QLatin1String("/nonexistent/run/events.out.tfevents.")),
             qPrintable(w.error()));
}

QTEST_GUILESS_MAIN(TestTfEvents)
#include "tst_tfevents.moc"
