#include "ui/checkpointtablemodel.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

namespace {
CheckpointInfo info(const QString &name, int epoch, double fitness, const QString &kind = {})
{
    CheckpointInfo c;
    c.path = QStringLiteral("/runs/detect/train/weights/") + name;
    c.kind = kind.isEmpty() ? QStringLiteral("full") : kind;
    c.epoch = epoch;
    c.map50 = fitness * 1.5;
    c.map50_95 = fitness * 0.9;
    c.fitness = fitness;
    c.size = 1000 * epoch;
    c.created = QDateTime(QDate(2024, 5, 1), QTime(12, epoch));
    return c;
}

std::vector<CheckpointInfo> sample()
{
    CheckpointInfo broken;
    broken.path = QStringLiteral("/runs/detect/train/weights/broken.pt");
    broken.error = QStringLiteral("broken.pt: not a PyTorch zip archive");
    return {info(QStringLiteral("epoch10.pt"), 10, 0.30), info(QStringLiteral("best.pt"), 20, 0.55),
            info(QStringLiteral("epoch30.pt"), 30, 0.50),
            info(QStringLiteral("last.pt"), 35, 0.48, QStringLiteral("weights")), broken};
}

void touch(const QString &path)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("not a checkpoint");
}
} // namespace

class TestCheckpointTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void columnsAndBest()
    {
        CheckpointTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setCheckpoints(sample());
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.columnCount(), int(CheckpointTableModel::ColumnCount));
        QCOMPARE(model.headerData(CheckpointTableModel::Map50_95, Qt::Horizontal).toString(),
                 QStringLiteral("mAP50-95"));
        QCOMPARE(model.headerData(CheckpointTableModel::File, Qt::Horizontal).toString(),
                 QStringLiteral("File"));

        // Highest fitness: best.pt (row 1), marked by a star, bold text and BestRole.
        QCOMPARE(model.bestRow(), 1);
        const QModelIndex best = model.index(1, CheckpointTableModel::File);
        QVERIFY(best.data().toString().contains(QLatin1String("best.pt")));
        QVERIFY(best.data().toString().startsWith(QStringLiteral("★")));
        QVERIFY(best.data(CheckpointTableModel::BestRole).toBool());
        QVERIFY(best.data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!model.index(0, 0).data(CheckpointTableModel::BestRole).toBool());
        QVERIFY(!model.index(0, 0).data().toString().startsWith(QStringLiteral("★")));

        QCOMPARE(model.index(0, CheckpointTableModel::Epoch).data().toInt(), 10);
        QCOMPARE(model.index(0, CheckpointTableModel::Fitness).data().toString(),
                 QStringLiteral("0.3000"));
        QCOMPARE(model.index(0, CheckpointTableModel::Batch).data(), QVariant()); // not mid-epoch
        QVERIFY(model.index(0, 0).data(CheckpointTableModel::ResumableRole).toBool());
        QVERIFY(!model.index(3, 0).data(CheckpointTableModel::ResumableRole).toBool()); // weights
        QVERIFY(model.index(3, CheckpointTableModel::Kind)
                    .data()
                    .toString()
                    .contains(QLatin1String("fine-tune")));

        // An unreadable file is listed, with its reason in the tooltip, never best.
        QCOMPARE(model.index(4, CheckpointTableModel::Kind).data().toString(),
                 QStringLiteral("unreadable"));
        QVERIFY(model.index(4, 0)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QLatin1String("not a PyTorch zip")));
        QCOMPARE(model.index(4, CheckpointTableModel::Fitness).data(), QVariant());
        QCOMPARE(model.index(0, 0).data(CheckpointTableModel::PathRole).toString(),
                 QStringLiteral("/runs/detect/train/weights/epoch10.pt"));
    }

    void sorting_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("order");
        QTest::addColumn<QStringList>("expectedFiles");
        const QString best = QStringLiteral("★ best.pt");
        QTest::newRow("fitness descending")
            << int(CheckpointTableModel::Fitness) << int(Qt::DescendingOrder)
            << QStringList{best, QStringLiteral("epoch30.pt"), QStringLiteral("last.pt"),
                           QStringLiteral("epoch10.pt"), QStringLiteral("broken.pt")};
        QTest::newRow("epoch ascending")
            << int(CheckpointTableModel::Epoch) << int(Qt::AscendingOrder)
            << QStringList{QStringLiteral("broken.pt"), QStringLiteral("epoch10.pt"), best,
                           QStringLiteral("epoch30.pt"), QStringLiteral("last.pt")};
        // Sizes are compared as numbers (10000 > 9000), not as text.
        QTest::newRow("size descending")
            << int(CheckpointTableModel::Size) << int(Qt::DescendingOrder)
            << QStringList{QStringLiteral("last.pt"), QStringLiteral("epoch30.pt"), best,
                           QStringLiteral("epoch10.pt"), QStringLiteral("broken.pt")};
    }

    void sorting()
    {
        QFETCH(int, column);
        QFETCH(int, order);
        QFETCH(QStringList, expectedFiles);
        CheckpointTableModel model;
        model.setCheckpoints(sample());
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(CheckpointTableModel::SortRole);
        QAbstractItemModelTester tester(&proxy,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.sort(column, Qt::SortOrder(order));
        QStringList files;
        for (int r = 0; r < proxy.rowCount(); ++r)
            files << proxy.index(r, CheckpointTableModel::File).data().toString();
        QCOMPARE(files, expectedFiles);
    }

    void refreshRunsOffTheGuiThreadAndFollowsTheFolder()
    {
        QTemporaryDir run;
        QVERIFY(QDir(run.path()).mkpath(QStringLiteral("weights")));
        touch(run.filePath(QStringLiteral("weights/last.pt")));
        touch(run.filePath(QStringLiteral("weights/notes.txt"))); // not a .pt: not listed

        CheckpointTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy refreshed(&model, &CheckpointTableModel::refreshed);
        model.setDirectory(run.path());
        QVERIFY(model.isRefreshing());
        QCOMPARE(model.rowCount(), 0); // the listing has not come back yet
        QTRY_COMPARE(refreshed.count(), 1);
        QCOMPARE(model.rowCount(), 1);
        QVERIFY(!model.checkpoint(0).error.isEmpty()); // garbage file: listed with its reason
        QCOMPARE(model.bestRow(), -1);

        // A new file in the weights folder is picked up by the watcher.
        touch(run.filePath(QStringLiteral("weights/epoch5.pt")));
        QTRY_COMPARE(model.rowCount(), 2);

        model.setDirectory(QString());
        QTRY_COMPARE(model.rowCount(), 0);
    }

    void staleResultIsDropped()
    {
        QTemporaryDir first;
        QTemporaryDir second;
        touch(first.filePath(QStringLiteral("a.pt")));
        touch(first.filePath(QStringLiteral("b.pt")));
        touch(second.filePath(QStringLiteral("c.pt")));
        CheckpointTableModel model;
        QSignalSpy refreshed(&model, &CheckpointTableModel::refreshed);
        model.setDirectory(first.path());
        model.setDirectory(second.path()); // before the first listing returns
        QTRY_VERIFY(!model.isRefreshing());
        QCOMPARE(refreshed.count(), 1);
        QCOMPARE(model.rowCount(), 1);
        QVERIFY(model.checkpoint(0).path.endsWith(QLatin1String("c.pt")));
    }
};

QTEST_MAIN(TestCheckpointTableModel)
#include "tst_checkpointtablemodel.moc"
