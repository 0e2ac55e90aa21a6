#include "ui/checkpoints/checkpointtablemodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFont>
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

    void keepColumnWritesAndRemovesTheMark()
    {
        QTemporaryDir run;
        QVERIFY(QDir(run.path()).mkpath(QStringLiteral("weights")));
        const QString epoch1 = run.filePath(QStringLiteral("weights/epoch1.pt"));
        const QString epoch2 = run.filePath(QStringLiteral("weights/epoch2.pt"));
        touch(epoch1);
        touch(epoch2);

        CheckpointTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy refreshed(&model, &CheckpointTableModel::refreshed);
        QSignalSpy failed(&model, &CheckpointTableModel::keepFailed);
        model.setDirectory(run.path());
        QTRY_COMPARE(refreshed.count(), 1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.headerData(CheckpointTableModel::Keep, Qt::Horizontal).toString(),
                 QStringLiteral("Keep"));
        const QModelIndex keep = model.index(0, CheckpointTableModel::Keep);
        QCOMPARE(model.checkpoint(0).path, epoch1);
        QVERIFY(model.flags(keep) & Qt::ItemIsUserCheckable);
        QVERIFY(
            !(model.flags(model.index(0, CheckpointTableModel::File)) & Qt::ItemIsUserCheckable));
        QCOMPARE(keep.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
        QCOMPARE(keep.data().toString(), QString());

        // Checking the box is what a click on it does: the mark is written beside the file.
        QSignalSpy changed(&model, &CheckpointTableModel::dataChanged);
        QVERIFY(model.setData(keep, Qt::Checked, Qt::CheckStateRole));
        QVERIFY(QFileInfo::exists(epoch1 + QStringLiteral(".keep")));
        QVERIFY(!QFileInfo::exists(epoch2 + QStringLiteral(".keep")));
        QVERIFY(changed.count() >= 1);
        QCOMPARE(keep.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Checked);
        QCOMPARE(keep.data().toString(), QStringLiteral("kept"));
        QVERIFY(keep.data(CheckpointTableModel::KeptRole).toBool());
        QVERIFY(keep.data(Qt::ToolTipRole).toString().contains(QLatin1String("Marked Keep")));
        QVERIFY(!model.index(1, CheckpointTableModel::Keep)
                     .data(CheckpointTableModel::KeptRole)
                     .toBool());

        // A refresh reads the mark back from the disk (and keeps the row where it was).
        const int before = refreshed.count();
        model.refresh();
        QTRY_VERIFY(refreshed.count() > before);
        QTRY_VERIFY(!model.isRefreshing());
        QVERIFY(model.isKept(0));
        QVERIFY(!model.isKept(1));

        QVERIFY(model.setData(keep, Qt::Unchecked, Qt::CheckStateRole));
        QVERIFY(!QFileInfo::exists(epoch1 + QStringLiteral(".keep")));
        QCOMPARE(keep.data(Qt::CheckStateRole).value<Qt::CheckState>(), Qt::Unchecked);
        QCOMPARE(keep.data().toString(), QString());
        QCOMPARE(failed.count(), 0);

        // Only the Keep column's check state sets a mark.
        QVERIFY(!model.setData(model.index(0, CheckpointTableModel::File), Qt::Checked,
                               Qt::CheckStateRole));
        QVERIFY(!QFileInfo::exists(epoch1 + QStringLiteral(".keep")));
    }

    void keepFailureIsReported()
    {
        // A file in a folder that does not exist: its mark cannot be written.
        CheckpointTableModel model;
        std::vector<CheckpointInfo> rows{info(QStringLiteral("epoch1.pt"), 1, 0.1)};
        rows[0].path = QStringLiteral("/nonexistent-yolodeck-folder/weights/epoch1.pt");
        model.setCheckpoints(rows);
        QSignalSpy failed(&model, &CheckpointTableModel::keepFailed);
        QVERIFY(!model.setData(model.index(0, CheckpointTableModel::Keep), Qt::Checked,
                               Qt::CheckStateRole));
        QCOMPARE(failed.count(), 1);
        QVERIFY2(failed.at(0).at(0).toString().contains(QLatin1String("epoch1.pt.keep")),
                 qPrintable(failed.at(0).at(0).toString()));
        QVERIFY(!model.isKept(0));
    }

    void rowsThatKeepRemovesAreMarked()
    {
        // keep=2 in args.yaml and epoch1..4.pt on the disk: the two oldest go at the next save.
        QTemporaryDir run;
        QVERIFY(QDir(run.path()).mkpath(QStringLiteral("weights")));
        QFile args(run.filePath(QStringLiteral("args.yaml")));
        QVERIFY(args.open(QIODevice::WriteOnly));
        args.write("epochs: 10\nsave_period: 1\nkeep: 2\n");
        args.close();
        for (int e = 1; e <= 4; ++e)
            touch(run.filePath(QStringLiteral("weights/epoch%1.pt").arg(e)));

        CheckpointTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy refreshed(&model, &CheckpointTableModel::refreshed);
        model.setDirectory(run.path());
        QTRY_COMPARE(refreshed.count(), 1);
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.keepSetting(), 2);
        auto rowOf = [&model](const QString &name) {
            for (int r = 0; r < model.rowCount(); ++r) {
                if (QFileInfo(model.checkpoint(r).path).fileName() == name)
                    return r;
            }
            return -1;
        };
        auto pruned = [&model] {
            QStringList names;
            for (int r = 0; r < model.rowCount(); ++r) {
                if (model.index(r, 0).data(CheckpointTableModel::PruneRole).toBool())
                    names << QFileInfo(model.checkpoint(r).path).fileName();
            }
            names.sort();
            return names;
        };
        QCOMPARE(pruned(), (QStringList{QStringLiteral("epoch1.pt"), QStringLiteral("epoch2.pt")}));

        // How a doomed row looks: italics, the Keep column and the tooltip say why (these files are
        // unreadable, so they keep the red of their error; pruneLooksGreyed has a readable one).
        const int doomed = rowOf(QStringLiteral("epoch1.pt"));
        const int safe = rowOf(QStringLiteral("epoch4.pt"));
        QVERIFY(model.index(doomed, CheckpointTableModel::Epoch)
                    .data(Qt::FontRole)
                    .value<QFont>()
                    .italic());
        QCOMPARE(model.index(doomed, CheckpointTableModel::Keep).data().toString(),
                 QStringLiteral("removed at the next save"));
        const QString tip =
            model.index(doomed, CheckpointTableModel::File).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QLatin1String("Will be removed by keep=2 when the run saves its "
                                            "next epochN.pt")),
                 qPrintable(tip));
        QVERIFY(!model.index(safe, CheckpointTableModel::Epoch)
                     .data(Qt::FontRole)
                     .value<QFont>()
                     .italic());
        QCOMPARE(model.index(safe, CheckpointTableModel::Keep).data().toString(), QString());
        QVERIFY(!model.index(safe, 0)
                     .data(Qt::ToolTipRole)
                     .toString()
                     .contains(QLatin1String("keep=")));

        // Keeping the oldest saves it; the next oldest unmarked one takes its place.
        QVERIFY(model.setKept(doomed, true));
        QVERIFY(!model.isToBePruned(doomed)); // at once, before the listing comes back
        QTRY_COMPARE(pruned(), QStringList{QStringLiteral("epoch2.pt")});
        QTRY_VERIFY(!model.isRefreshing());
        const int kept = rowOf(QStringLiteral("epoch1.pt"));
        QVERIFY(model.isKept(kept));
        QCOMPARE(model.index(kept, CheckpointTableModel::Keep).data().toString(),
                 QStringLiteral("kept"));
        QVERIFY(!model.index(kept, CheckpointTableModel::Epoch)
                     .data(Qt::FontRole)
                     .value<QFont>()
                     .italic());

        // Un-keeping it puts it back among the files keep=2 removes.
        QVERIFY(model.setKept(kept, false));
        QTRY_COMPARE(pruned(),
                     (QStringList{QStringLiteral("epoch1.pt"), QStringLiteral("epoch2.pt")}));
    }

    void pruneLooksGreyed()
    {
        CheckpointListing listing;
        listing.checkpoints = {info(QStringLiteral("epoch10.pt"), 10, 0.30),
                               info(QStringLiteral("epoch20.pt"), 20, 0.40),
                               info(QStringLiteral("epoch30.pt"), 30, 0.50)};
        listing.keep = 1;
        listing.toPrune = {listing.checkpoints[0].path};
        listing.kept = {listing.checkpoints[1].path};
        CheckpointTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setListing(listing);
        QCOMPARE(model.keepSetting(), 1);
        for (int column = 0; column < CheckpointTableModel::ColumnCount; ++column) {
            QCOMPARE(model.index(0, column).data(Qt::ForegroundRole).value<QColor>(),
                     QColor(0x80, 0x80, 0x80));
            QVERIFY(model.index(0, column).data(Qt::FontRole).value<QFont>().italic());
            QCOMPARE(model.index(1, column).data(Qt::ForegroundRole), QVariant());
            // The best row (highest fitness) stays bold, and is not greyed.
            QVERIFY(model.index(2, column).data(Qt::FontRole).value<QFont>().bold());
            QVERIFY(!model.index(2, column).data(Qt::FontRole).value<QFont>().italic());
        }
        QVERIFY(model.index(0, 0)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QLatin1String("Will be removed by keep=1")));
        QCOMPARE(model.index(1, CheckpointTableModel::Keep).data().toString(),
                 QStringLiteral("kept"));

        // Sorting by Keep: kept files first when descending, the doomed ones last.
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(CheckpointTableModel::SortRole);
        proxy.sort(CheckpointTableModel::Keep, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, CheckpointTableModel::File).data().toString(),
                 QStringLiteral("epoch20.pt"));
        QCOMPARE(proxy.index(2, CheckpointTableModel::File).data().toString(),
                 QStringLiteral("epoch10.pt"));

        // The same files listed again update in place (a view keeps its selection): no reset.
        QSignalSpy reset(&model, &CheckpointTableModel::modelReset);
        QSignalSpy changed(&model, &CheckpointTableModel::dataChanged);
        listing.toPrune.clear();
        model.setListing(listing);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(changed.count(), 1);
        QVERIFY(!model.isToBePruned(0));
        // Other files: a reset.
        listing.checkpoints.pop_back();
        model.setListing(listing);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 2);
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
