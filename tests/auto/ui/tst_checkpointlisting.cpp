// ATen before any Qt header: this target keeps Qt's `slots` keyword, which ATen uses as a name.
#include <torch/types.h>

#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/retention.h"
#include "ui/checkpoints/checkpointlisting.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

namespace {
void write(const QString &path, const QByteArray &text)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write(text);
}

// A run folder with args.yaml (when given) and weights/epoch1..n.pt. The .pt files are not real
// checkpoints: each is listed with its error, and keep= treats it as a periodic file all the same
// (only a readable meta.json can say "final").
QString makeRun(const QTemporaryDir &dir, const QByteArray &args, int epochs)
{
    const QString run = dir.filePath(QStringLiteral("train"));
    if (!QDir().mkpath(run + QStringLiteral("/weights")))
        return {};
    if (!args.isNull())
        write(run + QStringLiteral("/args.yaml"), args);
    for (int e = 1; e <= epochs; ++e)
        write(run + QStringLiteral("/weights/epoch%1.pt").arg(e), "not a checkpoint");
    return run;
}

QStringList names(const QSet<QString> &paths)
{
    QStringList out;
    for (const QString &p : paths)
        out << QFileInfo(p).fileName();
    out.sort();
    return out;
}
} // namespace

// What the checkpoint browser's worker finds in a run folder: the Keep marks and the files that
// the run's keep= setting (read from its args.yaml) removes at the next save.
class TestCheckpointListing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void keepIsReadFromArgsYaml_data()
    {
        QTest::addColumn<QByteArray>("args"); // null: no args.yaml
        QTest::addColumn<bool>("fromWeightsFolder");
        QTest::addColumn<int>("expected");
        const QByteArray written = "epochs: 4\nsave_period: 1\nkeep: 2\ncache: 'false'\n";
        QTest::newRow("as the trainer writes it") << written << false << 2;
        QTest::newRow("given the weights folder") << written << true << 2;
        QTest::newRow("quoted, with a comment") << QByteArray("keep: '3'  # three\n") << false << 3;
        QTest::newRow("keep everything") << QByteArray("keep: 0\n") << false << 0;
        // Runs written before keep= existed, and Ultralytics runs, have no such line.
        QTest::newRow("no keep line") << QByteArray("epochs: 4\nkeeper: 5\n") << false << 0;
        QTest::newRow("not a number") << QByteArray("keep: all\n") << false << 0;
        QTest::newRow("no args.yaml") << QByteArray() << false << 0;
    }

    void keepIsReadFromArgsYaml()
    {
        QFETCH(QByteArray, args);
        QFETCH(bool, fromWeightsFolder);
        QFETCH(int, expected);
        QTemporaryDir dir;
        const QString run = makeRun(dir, args, 1);
        QVERIFY(!run.isEmpty());
        QCOMPARE(runKeepSetting(fromWeightsFolder ? run + QStringLiteral("/weights") : run),
                 expected);
    }

    void listingNamesKeptFilesAndWhatKeepRemoves()
    {
        QTemporaryDir dir;
        const QString run = makeRun(dir, "save_period: 1\nkeep: 2\n", 4);
        QVERIFY(!run.isEmpty());
        write(run + QStringLiteral("/weights/last.pt"), "not a checkpoint");

        CheckpointListing listing = listRunCheckpoints(run);
        QCOMPARE(int(listing.checkpoints.size()), 5);
        QCOMPARE(listing.keep, 2);
        QVERIFY(listing.kept.isEmpty());
        // Four periodic files, two kept by keep=2: the two oldest go. last.pt never does.
        QCOMPARE(names(listing.toPrune),
                 (QStringList{QStringLiteral("epoch1.pt"), QStringLiteral("epoch2.pt")}));
        for (const QString &path : listing.toPrune)
            QVERIFY2(QFileInfo(path).isAbsolute(), qPrintable(path));

        // A Keep mark takes the file out of the count: the next oldest goes instead.
        QVERIFY(setKept(run + QStringLiteral("/weights/epoch1.pt"), true));
        listing = listRunCheckpoints(run + QStringLiteral("/weights"));
        QCOMPARE(names(listing.kept), QStringList{QStringLiteral("epoch1.pt")});
        QCOMPARE(names(listing.toPrune), QStringList{QStringLiteral("epoch2.pt")});

        // keep=0 (the default) removes nothing.
        write(run + QStringLiteral("/args.yaml"), "save_period: 1\nkeep: 0\n");
        listing = listRunCheckpoints(run);
        QCOMPARE(listing.keep, 0);
        QVERIFY(listing.toPrune.isEmpty());
        QCOMPARE(names(listing.kept), QStringList{QStringLiteral("epoch1.pt")});
    }

    // The window lists the folder again after every save for the whole run; the history that each
    // file carries grows with the run and is left out of the listing (the file keeps it).
    void listingLeavesTheHistoryOut()
    {
        QTemporaryDir dir;
        const QString run = makeRun(dir, "keep: 0\n", 0);
        QVERIFY(!run.isEmpty());
        QJsonArray history;
        for (int e = 1; e <= 50; ++e)
            history.append(QJsonObject{{QStringLiteral("epoch"), e}});
        const QString path = run + QStringLiteral("/weights/last.pt");
        CheckpointData data;
        data.meta = QJsonObject{{QStringLiteral("format"), 1},
                                {QStringLiteral("kind"), QStringLiteral("full")},
                                {QStringLiteral("epoch"), 50},
                                {QStringLiteral("history"), history}};
        data.tensors["w"] = torch::zeros({2});
        QVERIFY(saveCheckpointAtomically(path, data).isOk());
        QCOMPARE(readCheckpointInfo(path).meta.value(QStringLiteral("history")).toArray().size(),
                 50);

        const CheckpointListing listing = listRunCheckpoints(run);
        QCOMPARE(int(listing.checkpoints.size()), 1);
        const CheckpointInfo &info = listing.checkpoints.front();
        QVERIFY2(info.error.isEmpty(), qPrintable(info.error));
        QCOMPARE(info.epoch, 50);
        QVERIFY(!info.meta.contains(QStringLiteral("history")));
        QCOMPARE(info.meta.value(QStringLiteral("kind")).toString(), QStringLiteral("full"));
    }

    void emptyFolderNameListsNothing()
    {
        const CheckpointListing listing = listRunCheckpoints(QString());
        QVERIFY(listing.checkpoints.empty());
        QVERIFY(listing.kept.isEmpty());
        QVERIFY(listing.toPrune.isEmpty());
        QCOMPARE(listing.keep, 0);
    }
};

QTEST_GUILESS_MAIN(TestCheckpointListing)
#include "tst_checkpointlisting.moc"
