// Listing a run's checkpoints for the browser: metadata only, fast, sorted, and unreadable files
// shown with their reason instead of disappearing.

#include "core/checkpoint/checkpointfile.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <numeric>
#include <random>

using namespace yolodeck;

class TestCheckpointList : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void listsHundredFilesQuickly_data();
    void listsHundredFilesQuickly();
    void fillsInfoFromMeta();

private:
    QTemporaryDir m_run;
    static constexpr int kFiles = 100;
};

void TestCheckpointList::initTestCase()
{
    QVERIFY(m_run.isValid());
    QDir run(m_run.path());
    QVERIFY(run.mkdir(QStringLiteral("weights")));
    // Written in shuffled order, so the sort cannot come from the file system's order.
    std::vector<int> epochs(kFiles);
    std::iota(epochs.begin(), epochs.end(), 1);
    std::shuffle(epochs.begin(), epochs.end(), std::mt19937(42));
    for (const int epoch : epochs) {
        CheckpointData data;
        const double map50_95 = epoch / 200.0;
        data.meta = QJsonObject{
            {QStringLiteral("format"), 1},
            {QStringLiteral("kind"),
             epoch == kFiles ? QStringLiteral("weights") : QStringLiteral("full")},
            {QStringLiteral("epoch"), epoch},
            {QStringLiteral("batch"), 0},
            {QStringLiteral("metrics"),
             QJsonObject{{QStringLiteral("metrics/mAP50(B)"), 2 * map50_95},
                         {QStringLiteral("metrics/mAP50-95(B)"), map50_95}}},
            {QStringLiteral("fitness"), 0.1 * 2 * map50_95 + 0.9 * map50_95},
            {QStringLiteral("created"),
             QStringLiteral("2024-05-01T10:%1:00Z").arg(epoch % 60, 2, 10, QLatin1Char('0'))}};
        data.tensors["model.w"] = torch::randn({64, 64});
        const Status saved = saveCheckpointAtomically(
            run.filePath(QStringLiteral("weights/epoch%1.pt").arg(epoch)), data);
        QVERIFY2(saved, qPrintable(saved.error()));
    }
    QFile broken(run.filePath(QStringLiteral("weights/broken.pt")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("not a checkpoint");
    broken.close();
    // The writer's temporary files and other files are not checkpoints.
    QFile::copy(run.filePath(QStringLiteral("weights/epoch1.pt")),
                run.filePath(QStringLiteral("weights/.last.pt.tmp-1-0")));
    QFile::copy(run.filePath(QStringLiteral("weights/epoch1.pt")),
                run.filePath(QStringLiteral("weights/epoch1.pt.bak")));
}

void TestCheckpointList::listsHundredFilesQuickly_data()
{
    QTest::addColumn<QString>("folder");
    QTest::newRow("run folder") << QString();
    QTest::newRow("weights folder") << QStringLiteral("weights");
}

void TestCheckpointList::listsHundredFilesQuickly()
{
    QFETCH(QString, folder);
    QElapsedTimer timer;
    timer.start();
    const std::vector<CheckpointInfo> list =
        listCheckpoints(folder.isEmpty() ? m_run.path() : QDir(m_run.path()).filePath(folder));
    const qint64 ms = timer.elapsed();
    qInfo("listed %zu checkpoints in %lld ms", list.size(), ms);
    // A sanity bound far above the few ms it takes: reading a tensor would blow it.
    QVERIFY2(ms < 1000, qPrintable(QStringLiteral("%1 ms").arg(ms)));

    QCOMPARE(int(list.size()), kFiles + 1);
    for (int i = 0; i < kFiles; ++i) {
        QVERIFY2(list[size_t(i)].isValid(), qPrintable(list[size_t(i)].error));
        QCOMPARE(list[size_t(i)].epoch, i + 1);
        QCOMPARE(QFileInfo(list[size_t(i)].path).fileName(),
                 QStringLiteral("epoch%1.pt").arg(i + 1));
    }
    const CheckpointInfo &broken = list.back();
    QVERIFY(!broken.isValid());
    QCOMPARE(QFileInfo(broken.path).fileName(), QStringLiteral("broken.pt"));
    QVERIFY2(broken.error.contains(QLatin1String("broken.pt")), qPrintable(broken.error));
    QVERIFY2(broken.error.contains(QLatin1String("not a PyTorch zip archive")),
             qPrintable(broken.error));
    QCOMPARE(broken.size, qint64(16));
}

void TestCheckpointList::fillsInfoFromMeta()
{
    const std::vector<CheckpointInfo> list = listCheckpoints(m_run.path());
    QVERIFY(list.size() > size_t(kFiles));
    const CheckpointInfo &e50 = list[49];
    QCOMPARE(e50.epoch, 50);
    QCOMPARE(e50.kind, QStringLiteral("full"));
    QVERIFY(e50.isResumable());
    QCOMPARE(e50.map50_95, 0.25);
    QCOMPARE(e50.map50, 0.5);
    QCOMPARE(e50.fitness, 0.1 * 0.5 + 0.9 * 0.25);
    QCOMPARE(e50.created, QDateTime(QDate(2024, 5, 1), QTime(10, 50), Qt::UTC));
    QCOMPARE(e50.size, QFileInfo(e50.path).size());
    QCOMPARE(e50.meta.value(QStringLiteral("epoch")).toInt(), 50);
    const CheckpointInfo &e100 = list[99];
    QCOMPARE(e100.kind, QStringLiteral("weights"));
    QVERIFY(e100.isValid());
    QVERIFY(!e100.isResumable());
}

QTEST_GUILESS_MAIN(TestCheckpointList)
#include "tst_checkpointlist.moc"
