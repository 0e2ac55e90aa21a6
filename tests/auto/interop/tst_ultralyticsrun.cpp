// Ultralytics run folders (runs/detect/trainN) read into YoloDeck's history: results.csv as every
// 8.x version writes it, args.yaml, and telling such a folder from a YoloDeck one.

#include "core/interop/ultralyticsrun.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace yolodeck;

namespace {

// Ultralytics 8.3's results.csv for the first epochs of `yolo train model=yolov8n.pt
// data=coco8.yaml`: "%.6g" numbers, `time` after `epoch`.
const QByteArray kHeader83 =
    "epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),"
    "metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,"
    "val/dfl_loss,lr/pg0,lr/pg1,lr/pg2\n";
const QByteArray kRow1 = "1,11.6052,1.22375,2.83641,1.29548,0.65186,0.51667,0.61371,0.44921,"
                         "1.12003,2.34652,1.23481,0.000664,0.000664,0.000664\n";
const QByteArray kRow2 = "2,20.3371,1.18942,2.61905,1.27211,0.66912,0.53335,0.62857,0.46032,"
                         "1.10589,2.01436,1.22163,0.00132144,0.00132144,0.00132144\n";
const QByteArray kRow3 = "3,28.9903,1.20315,2.4408,1.28007,0.70411,0.55,0.65283,0.47719,1.09002,"
                         "1.78523,1.21322,0.00196572,0.00196572,0.00196572\n";
const QByteArray kRow4 = "4,37.7214,1.15872,2.2093,1.25551,0.72203,0.56667,0.68818,0.50306,"
                         "1.07781,1.60014,1.20511,0.00193,0.00193,0.00193\n";

// args.yaml as Ultralytics writes it (yaml.safe_dump of its argument namespace, abridged).
const QByteArray kArgs = "task: detect\n"
                         "mode: train\n"
                         "model: yolov8n.pt\n"
                         "data: /home/ana/datasets/coco8.yaml\n"
                         "epochs: 100\n"
                         "time: null\n"
                         "patience: 100\n"
                         "batch: 16\n"
                         "imgsz: 640\n"
                         "save: true\n"
                         "save_period: -1\n"
                         "cache: false\n"
                         "device: null\n"
                         "workers: 8\n"
                         "project: null\n"
                         "name: train3\n"
                         "exist_ok: false\n"
                         "optimizer: auto\n"
                         "classes:\n"
                         "- 0\n"
                         "- 2\n"
                         "lr0: 0.01\n"
                         "label: '640'\n"
                         "save_dir: runs/detect/train3\n";

// The padded layout of Ultralytics 8.0.x: every name and value right-aligned in 25 characters, no
// `time` column.
QByteArray paddedLine(const QStringList &cells)
{
    QStringList padded;
    for (const QString &c : cells)
        padded << QStringLiteral("%1").arg(c, 25);
    return padded.join(QLatin1Char(',')).toUtf8() + '\n';
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QList<int> epochsOf(const History &history)
{
    QList<int> out;
    for (const EpochRecord &r : history)
        out << r.epoch;
    return out;
}

} // namespace

class TestUltralyticsRun : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }
    void readsCurrentHeader();
    void readsPaddedHeaderWithoutTime();
    void ignoresUnknownColumnsInAnyOrder();
    void leavesOutTornLastLine_data();
    void leavesOutTornLastLine();
    void namesFileAndLineOfMalformedRow_data();
    void namesFileAndLineOfMalformedRow();
    void laterSessionReplacesRepeatedEpochs();
    void restartedClockMarksResume();
    void readsArgsYaml();
    void plannedEpochsUnknownWithTimeLimit();
    void reportsBrokenArgsYaml();
    void recognisesUltralyticsFolders_data();
    void recognisesUltralyticsFolders();
    void readRunFillsBestAndProgress();
    void readRunIsFinished_data();
    void readRunIsFinished();
    void readRunRefusesYoloDeckFolder();

private:
    QString file(const QString &relative) const { return m_dir.filePath(relative); }
    QTemporaryDir m_dir;
};

void TestUltralyticsRun::readsCurrentHeader()
{
    const QString csv = file(QStringLiteral("v83/results.csv"));
    QVERIFY(writeFile(csv, kHeader83 + kRow1 + kRow2 + kRow3));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    const History &h = read.value().history;
    QCOMPARE(epochsOf(h), (QList<int>{1, 2, 3}));
    const EpochRecord &r = h[1];
    QCOMPARE(r.time, 20.3371);
    QCOMPARE(r.trainLoss[0], 1.18942);
    QCOMPARE(r.trainLoss[1], 2.61905);
    QCOMPARE(r.trainLoss[2], 1.27211);
    QCOMPARE(r.precision, 0.66912);
    QCOMPARE(r.recall, 0.53335);
    QCOMPARE(r.map50, 0.62857);
    QCOMPARE(r.map50_95, 0.46032);
    QCOMPARE(r.valLoss[0], 1.10589);
    QCOMPARE(r.valLoss[2], 1.22163);
    QCOMPARE(r.lr[1], 0.00132144);
    QCOMPARE(r.fitness, 0.1 * 0.62857 + 0.9 * 0.46032);
    QVERIFY(read.value().resumedAfter.empty());
}

void TestUltralyticsRun::readsPaddedHeaderWithoutTime()
{
    const QStringList header{QStringLiteral("epoch"),
                             QStringLiteral("train/box_loss"),
                             QStringLiteral("train/cls_loss"),
                             QStringLiteral("train/dfl_loss"),
                             QStringLiteral("metrics/precision(B)"),
                             QStringLiteral("metrics/recall(B)"),
                             QStringLiteral("metrics/mAP50(B)"),
                             QStringLiteral("metrics/mAP50-95(B)"),
                             QStringLiteral("val/box_loss"),
                             QStringLiteral("val/cls_loss"),
                             QStringLiteral("val/dfl_loss"),
                             QStringLiteral("lr/pg0"),
                             QStringLiteral("lr/pg1"),
                             QStringLiteral("lr/pg2")};
    const QByteArray text =
        paddedLine(header) +
        paddedLine(QStringLiteral("1,1.2341,3.0112,1.3017,0.61,0.49333,0.58601,0.42113,1.1501,"
                                  "2.5133,1.2417,0.070297,0.0033035,0.0033035")
                       .split(QLatin1Char(','))) +
        paddedLine(QStringLiteral("2,1.1999,2.7904,1.2845,0.6297,0.5,0.60105,0.43588,1.1322,"
                                  "2.2109,1.2301,0.040264,0.0065681,0.0065681")
                       .split(QLatin1Char(',')));
    QVERIFY(text.startsWith(QByteArray(20, ' ') + "epoch," + QByteArray(11, ' ') +
                            "train/box_loss,")); // the layout under test
    const QString csv = file(QStringLiteral("v80/results.csv"));
    QVERIFY(writeFile(csv, text));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    const History &h = read.value().history;
    QCOMPARE(epochsOf(h), (QList<int>{1, 2}));
    QVERIFY(std::isnan(h[0].time)); // no such column: unknown, not 0
    QVERIFY(std::isnan(h[1].time));
    QCOMPARE(h[1].trainLoss[0], 1.1999);
    QCOMPARE(h[1].map50_95, 0.43588);
    QCOMPARE(h[1].lr[0], 0.040264);
    QCOMPARE(h[0].fitness, 0.1 * 0.58601 + 0.9 * 0.42113);
}

void TestUltralyticsRun::ignoresUnknownColumnsInAnyOrder()
{
    // A newer version with a column YoloDeck does not know, in another order, and without lr/pg2.
    const QString csv = file(QStringLiteral("newer/results.csv"));
    QVERIFY(writeFile(csv, "epoch,metrics/mAP50-95(B),time,train/box_loss,train/cls_loss,"
                           "train/dfl_loss,train/rle_loss,metrics/mAP50(B),lr/pg0,lr/pg1\n"
                           "1,0.44921,11.6,1.22375,2.83641,1.29548,0.0412,0.61371,0.000664,"
                           "0.000665\n"
                           "2,0.46032,20.3,1.18942,nan,1.27211,0.0398,0.62857,0.00132,0.00133\n"));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    const History &h = read.value().history;
    QCOMPARE(epochsOf(h), (QList<int>{1, 2}));
    QCOMPARE(h[0].map50_95, 0.44921);
    QCOMPARE(h[0].map50, 0.61371);
    QCOMPARE(h[0].time, 11.6);
    QCOMPARE(h[0].trainLoss[2], 1.29548);
    QCOMPARE(h[0].lr[1], 0.000665);
    QVERIFY(std::isnan(h[0].lr[2]));        // missing column
    QVERIFY(std::isnan(h[0].precision));    // missing column
    QVERIFY(std::isnan(h[0].valLoss[0]));   // missing column
    QVERIFY(std::isnan(h[1].trainLoss[1])); // a diverged loss, as Python prints it
    QCOMPARE(h[1].fitness, 0.1 * 0.62857 + 0.9 * 0.46032);
}

void TestUltralyticsRun::leavesOutTornLastLine_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<int>>("epochs");
    QTest::newRow("row cut after a few cells")
        << kHeader83 + kRow1 + kRow2 + kRow3.left(17) << QList<int>{1, 2};
    QTest::newRow("row cut inside the epoch")
        << kHeader83 + kRow1 + QByteArray("2") << QList<int>{1};
    QTest::newRow("row cut after its last comma")
        << kHeader83 + kRow1 + kRow2.left(kRow2.lastIndexOf(',') + 1) << QList<int>{1};
    QTest::newRow("header cut") << kHeader83.left(30) << QList<int>{};
    QTest::newRow("header alone") << kHeader83 << QList<int>{};
    QTest::newRow("empty file (being rewritten)") << QByteArray() << QList<int>{};
    // A complete last row without its newline (a hand-edited file) is a row.
    QTest::newRow("complete row, no newline")
        << kHeader83 + kRow1 + kRow2.chopped(1) << QList<int>{1, 2};
    QTest::newRow("windows line ends")
        << QByteArray(kHeader83 + kRow1 + kRow2).replace("\n", "\r\n") << QList<int>{1, 2};
}

void TestUltralyticsRun::leavesOutTornLastLine()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<int>, epochs);
    const QString csv = file(QStringLiteral("torn/results.csv"));
    QVERIFY(writeFile(csv, text));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    QCOMPARE(epochsOf(read.value().history), epochs);
}

void TestUltralyticsRun::namesFileAndLineOfMalformedRow_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("why");
    QByteArray word = kRow2;
    word.replace("2.61905", "2.6l905");
    QTest::newRow("not a number") << kHeader83 + kRow1 + word + kRow3 << QStringLiteral(":3:")
                                  << QStringLiteral("'2.6l905' in column train/cls_loss");
    // Cut short but followed by more rows: not a row being written.
    QTest::newRow("short row in the middle")
        << kHeader83 + kRow1 + kRow2 + kRow3.left(20) + "\n" + kRow4 << QStringLiteral(":4:")
        << QStringLiteral("4 values under a header of 15 columns");
    QTest::newRow("short last row with its newline")
        << kHeader83 + kRow1 + kRow2.left(30) + "\n"
        << QStringLiteral(":3:") << QStringLiteral("values under a header of 15 columns");
    QByteArray zero = kRow1;
    zero.replace(0, 1, "0");
    QTest::newRow("epoch 0") << kHeader83 + zero << QStringLiteral(":2:")
                             << QStringLiteral("epoch must be 1 or more");
}

void TestUltralyticsRun::namesFileAndLineOfMalformedRow()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, where);
    QFETCH(QString, why);
    const QString csv = file(QStringLiteral("malformed/results.csv"));
    QVERIFY(writeFile(csv, text));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY(!read);
    QVERIFY2(read.error().startsWith(csv + where), qPrintable(read.error()));
    QVERIFY2(read.error().contains(why), qPrintable(read.error()));
}

void TestUltralyticsRun::laterSessionReplacesRepeatedEpochs()
{
    // Ultralytics writes the row, then saves last.pt. A crash between the two makes the resumed
    // session train that epoch again and append its row a second time; its clock starts at 0.
    QByteArray again = "3,8.1544,1.20107,2.43922,1.27998,0.70532,0.55,0.65301,0.47744,1.09,1.785,"
                       "1.2132,0.00196572,0.00196572,0.00196572\n";
    QByteArray next = "4,16.9021,1.15872,2.2093,1.25551,0.72203,0.56667,0.68818,0.50306,1.07781,"
                      "1.60014,1.20511,0.00193,0.00193,0.00193\n";
    const QString csv = file(QStringLiteral("resumed/results.csv"));
    QVERIFY(writeFile(csv, kHeader83 + kRow1 + kRow2 + kRow3 + again + next));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    const History &h = read.value().history;
    QCOMPARE(epochsOf(h), (QList<int>{1, 2, 3, 4}));
    QCOMPARE(h[2].map50_95, 0.47744); // the later session's row
    // The clock counts on from epoch 2 of the first session.
    QCOMPARE(h[2].time, 20.3371 + 8.1544);
    QCOMPARE(h[3].time, 20.3371 + 16.9021);
    QCOMPARE(read.value().resumedAfter, (std::vector<int>{2}));

    // A new training into the same folder (exist_ok=True) starts again at epoch 1.
    QVERIFY(writeFile(csv, kHeader83 + kRow1 + kRow2 + kRow3 + kRow1 + kRow2));
    const Result<UltralyticsResults> fresh = readUltralyticsResults(csv);
    QVERIFY2(fresh, qPrintable(fresh.error()));
    QCOMPARE(epochsOf(fresh.value().history), (QList<int>{1, 2}));
    QCOMPARE(fresh.value().history[1].time, 20.3371);
    QVERIFY(fresh.value().resumedAfter.empty());
}

void TestUltralyticsRun::restartedClockMarksResume()
{
    // Resumed from last.pt after epoch 2: epoch 3 follows, with `time` restarted.
    QByteArray row3 = kRow3;
    row3.replace("28.9903", "8.6531");
    QByteArray row4 = kRow4;
    row4.replace("37.7214", "17.4001");
    const QString csv = file(QStringLiteral("restarted/results.csv"));
    QVERIFY(writeFile(csv, kHeader83 + kRow1 + kRow2 + row3 + row4));
    const Result<UltralyticsResults> read = readUltralyticsResults(csv);
    QVERIFY2(read, qPrintable(read.error()));
    const History &h = read.value().history;
    QCOMPARE(epochsOf(h), (QList<int>{1, 2, 3, 4}));
    QCOMPARE(h[2].map50_95, 0.47719);
    QCOMPARE(h[2].time, 20.3371 + 8.6531);
    QCOMPARE(h[3].time, 20.3371 + 17.4001);
    QCOMPARE(read.value().resumedAfter, (std::vector<int>{2}));
}

void TestUltralyticsRun::readsArgsYaml()
{
    const QString yaml = file(QStringLiteral("args/args.yaml"));
    QVERIFY(writeFile(yaml, kArgs));
    const Result<QVariantMap> args = readUltralyticsArgs(yaml);
    QVERIFY2(args, qPrintable(args.error()));
    const QVariantMap &a = args.value();
    QCOMPARE(a.value(QStringLiteral("epochs")), QVariant(100));
    QCOMPARE(a.value(QStringLiteral("batch")), QVariant(16));
    QCOMPARE(a.value(QStringLiteral("save_period")), QVariant(-1));
    QCOMPARE(a.value(QStringLiteral("lr0")), QVariant(0.01));
    QCOMPARE(a.value(QStringLiteral("save")), QVariant(true));
    QCOMPARE(a.value(QStringLiteral("cache")), QVariant(false));
    QCOMPARE(a.value(QStringLiteral("model")), QVariant(QStringLiteral("yolov8n.pt")));
    QCOMPARE(a.value(QStringLiteral("data")),
             QVariant(QStringLiteral("/home/ana/datasets/coco8.yaml")));
    QVERIFY(a.contains(QStringLiteral("device")));
    QVERIFY(!a.value(QStringLiteral("device")).isValid()); // null
    QCOMPARE(a.value(QStringLiteral("classes")), QVariant(QVariantList{0, 2}));
    QCOMPARE(a.value(QStringLiteral("label")), QVariant(QStringLiteral("640"))); // quoted: text

    QVERIFY(writeFile(file(QStringLiteral("args/results.csv")), kHeader83 + kRow1));
    const Result<UltralyticsRunInfo> run = readUltralyticsRun(file(QStringLiteral("args")));
    QVERIFY2(run, qPrintable(run.error()));
    QCOMPARE(run.value().plannedEpochs, 100);
    QVERIFY(run.value().argsError.isEmpty());
    QCOMPARE(run.value().args.value(QStringLiteral("imgsz")), QVariant(640));
}

void TestUltralyticsRun::plannedEpochsUnknownWithTimeLimit()
{
    // time=2.5 (hours): Ultralytics recomputes epochs after every epoch, args.yaml keeps 100.
    QByteArray args = kArgs;
    args.replace("time: null", "time: 2.5");
    QVERIFY(writeFile(file(QStringLiteral("timed/args.yaml")), args));
    QVERIFY(writeFile(file(QStringLiteral("timed/results.csv")), kHeader83 + kRow1));
    const Result<UltralyticsRunInfo> run = readUltralyticsRun(file(QStringLiteral("timed")));
    QVERIFY2(run, qPrintable(run.error()));
    QCOMPARE(run.value().plannedEpochs, 0);
    QCOMPARE(run.value().args.value(QStringLiteral("epochs")), QVariant(100));
}

void TestUltralyticsRun::reportsBrokenArgsYaml()
{
    const QString yaml = file(QStringLiteral("badargs/args.yaml"));
    QVERIFY(writeFile(yaml, "task: detect\nmode: [train\nepochs: 5\n"));
    const Result<QVariantMap> args = readUltralyticsArgs(yaml);
    QVERIFY(!args);
    QVERIFY2(args.error().startsWith(yaml) && args.error().contains(QStringLiteral("line")),
             qPrintable(args.error()));

    // The folder still reads through its results.csv; the reason is kept.
    QVERIFY(writeFile(file(QStringLiteral("badargs/results.csv")), kHeader83 + kRow1 + kRow2));
    const Result<UltralyticsRunInfo> run = readUltralyticsRun(file(QStringLiteral("badargs")));
    QVERIFY2(run, qPrintable(run.error()));
    QCOMPARE(run.value().argsError, args.error());
    QCOMPARE(run.value().plannedEpochs, 0);
    QCOMPARE(run.value().epochsDone(), 2);
    QVERIFY(!run.value().finished);
}

void TestUltralyticsRun::recognisesUltralyticsFolders_data()
{
    // Files of the folder, by name; "events.jsonl" makes it a YoloDeck run.
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<bool>("ultralytics");
    const QString args = QStringLiteral("args.yaml");
    const QString csv = QStringLiteral("results.csv");
    const QString events = QStringLiteral("events.jsonl");
    const QString yoloDeckArgs = QStringLiteral("yolodeck-args.yaml");
    const QString otherCsv = QStringLiteral("other.csv");
    const QString paddedCsv = QStringLiteral("padded.csv");
    QTest::newRow("args.yaml and results.csv") << QStringList{args, csv} << true;
    QTest::newRow("args.yaml only (first epoch running)") << QStringList{args} << true;
    QTest::newRow("results.csv only") << QStringList{csv} << true;
    QTest::newRow("8.0 padded results.csv only") << QStringList{paddedCsv} << true;
    QTest::newRow("YoloDeck run") << QStringList{yoloDeckArgs, csv, events} << false;
    QTest::newRow("YoloDeck run, first epoch") << QStringList{yoloDeckArgs, events} << false;
    QTest::newRow("Ultralytics files plus events.jsonl") << QStringList{args, csv, events} << false;
    QTest::newRow("YoloDeck args.yaml only") << QStringList{yoloDeckArgs} << false;
    QTest::newRow("another tool's csv") << QStringList{otherCsv} << false;
    QTest::newRow("empty folder") << QStringList{} << false;
}

void TestUltralyticsRun::recognisesUltralyticsFolders()
{
    QFETCH(QStringList, files);
    QFETCH(bool, ultralytics);
    const QString dir = file(QStringLiteral("detect/%1").arg(QTest::currentDataTag()));
    QVERIFY(QDir().mkpath(dir));
    for (const QString &name : files) {
        QByteArray text;
        QString target = name;
        if (name == QLatin1String("args.yaml")) {
            text = kArgs;
        } else if (name == QLatin1String("results.csv")) {
            text = kHeader83 + kRow1;
        } else if (name == QLatin1String("events.jsonl")) {
            text = "{\"type\":\"run_start\",\"epochs\":5,\"wall\":1714557600.1}\n";
        } else if (name == QLatin1String("yolodeck-args.yaml")) {
            target = QStringLiteral("args.yaml"); // TrainConfig::toYaml(): no task, no mode
            text = "model: tiny\ndata: /data/synth/data.yaml\nepochs: 5\npatience: 100\n";
        } else if (name == QLatin1String("other.csv")) {
            target = QStringLiteral("results.csv");
            text = "step,loss,accuracy\n1,0.93,0.41\n";
        } else if (name == QLatin1String("padded.csv")) {
            target = QStringLiteral("results.csv");
            text = paddedLine({QStringLiteral("epoch"), QStringLiteral("train/box_loss"),
                               QStringLiteral("metrics/mAP50(B)")});
        }
        QVERIFY(writeFile(dir + QLatin1Char('/') + target, text));
    }
    QCOMPARE(isUltralyticsRunFolder(dir), ultralytics);
    QCOMPARE(readUltralyticsRun(dir).isOk(), ultralytics);
    if (QFileInfo::exists(dir + QStringLiteral("/results.csv")))
        QCOMPARE(isUltralyticsRunFolder(dir + QStringLiteral("/results.csv")), false); // a file
}

void TestUltralyticsRun::readRunFillsBestAndProgress()
{
    const QString dir = file(QStringLiteral("runs/detect/train3"));
    QByteArray args = kArgs;
    args.replace("epochs: 100", "epochs: 5");
    QVERIFY(writeFile(dir + QStringLiteral("/args.yaml"), args));
    // Epoch 4 is the best so far; epoch 5 is being written.
    QVERIFY(writeFile(dir + QStringLiteral("/results.csv"),
                      kHeader83 + kRow1 + kRow2 + kRow3 + kRow4 + kRow1.left(8)));
    const Result<UltralyticsRunInfo> read =
        readUltralyticsRun(dir + QStringLiteral("/results.csv")); // the file names its folder
    QVERIFY2(read, qPrintable(read.error()));
    const UltralyticsRunInfo &run = read.value();
    QCOMPARE(run.runDir, QDir::cleanPath(QDir(dir).absolutePath()));
    QCOMPARE(run.weightsDir, run.runDir + QStringLiteral("/weights"));
    QCOMPARE(run.resultsPath, run.runDir + QStringLiteral("/results.csv"));
    QCOMPARE(run.plannedEpochs, 5);
    QCOMPARE(run.epochsDone(), 4);
    QCOMPARE(run.bestEpoch, 4);
    QCOMPARE(run.bestFitness, 0.1 * 0.68818 + 0.9 * 0.50306);
    QVERIFY(!run.finished);

    // Equal fitness: the earlier epoch stays best (Ultralytics replaces best.pt only on a gain).
    QByteArray tie = kRow4;
    tie.replace(0, 1, "5");
    QVERIFY(writeFile(dir + QStringLiteral("/results.csv"),
                      kHeader83 + kRow1 + kRow2 + kRow3 + kRow4 + tie));
    const Result<UltralyticsRunInfo> done = readUltralyticsRun(dir);
    QVERIFY2(done, qPrintable(done.error()));
    QCOMPARE(done.value().bestEpoch, 4);
    QCOMPARE(done.value().epochsDone(), 5);
    QVERIFY(done.value().finished); // 5 of 5
}

void TestUltralyticsRun::readRunIsFinished_data()
{
    QTest::addColumn<int>("plannedEpochs");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("plotAge"); // seconds results.png is newer than results.csv; none: 0
    QTest::addColumn<bool>("finished");
    QTest::newRow("running") << 5 << 3 << 0 << false;
    QTest::newRow("all epochs") << 5 << 5 << 0 << true;
    QTest::newRow("stopped early: results.png drawn") << 100 << 3 << 2 << true;
    QTest::newRow("results.png of an earlier run") << 100 << 3 << -60 << false;
    QTest::newRow("no args.yaml epochs") << 0 << 4 << 0 << false;
}

void TestUltralyticsRun::readRunIsFinished()
{
    QFETCH(int, plannedEpochs);
    QFETCH(int, rows);
    QFETCH(int, plotAge);
    QFETCH(bool, finished);
    const QString dir = file(QStringLiteral("finished/%1").arg(QTest::currentDataTag()));
    QByteArray args = kArgs;
    args.replace("epochs: 100\n", plannedEpochs > 0 ? QByteArray("epochs: ") +
                                                          QByteArray::number(plannedEpochs) + '\n'
                                                    : QByteArray());
    QVERIFY(writeFile(dir + QStringLiteral("/args.yaml"), args));
    const QByteArray all[] = {kRow1, kRow2, kRow3, kRow4, QByteArray(kRow4).replace(0, 1, "5")};
    QByteArray text = kHeader83;
    for (int i = 0; i < rows; ++i)
        text += all[i];
    const QString csv = dir + QStringLiteral("/results.csv");
    QVERIFY(writeFile(csv, text));
    if (plotAge != 0) {
        const QString png = dir + QStringLiteral("/results.png");
        QVERIFY(writeFile(png, QByteArray("\x89PNG\r\n\x1a\n", 8)));
        QFile plot(png);
        QVERIFY(plot.open(QIODevice::ReadWrite));
        QVERIFY(plot.setFileTime(QFileInfo(csv).lastModified().addSecs(plotAge),
                                 QFileDevice::FileModificationTime));
    }
    const Result<UltralyticsRunInfo> run = readUltralyticsRun(dir);
    QVERIFY2(run, qPrintable(run.error()));
    QCOMPARE(run.value().epochsDone(), rows);
    QCOMPARE(run.value().finished, finished);
}

void TestUltralyticsRun::readRunRefusesYoloDeckFolder()
{
    const QString dir = file(QStringLiteral("yolodeck-run"));
    QVERIFY(writeFile(dir + QStringLiteral("/results.csv"), kHeader83 + kRow1));
    QVERIFY(writeFile(dir + QStringLiteral("/events.jsonl"), "{\"type\":\"run_start\"}\n"));
    const Result<UltralyticsRunInfo> run = readUltralyticsRun(dir);
    QVERIFY(!run);
    QVERIFY2(run.error().contains(QStringLiteral("events.jsonl")), qPrintable(run.error()));

    const QString nothing = file(QStringLiteral("not-a-run"));
    QVERIFY(QDir().mkpath(nothing));
    const Result<UltralyticsRunInfo> none = readUltralyticsRun(nothing);
    QVERIFY(!none);
    QVERIFY2(none.error().startsWith(QDir(nothing).absolutePath()), qPrintable(none.error()));
}

QTEST_GUILESS_MAIN(TestUltralyticsRun)
#include "tst_ultralyticsrun.moc"
