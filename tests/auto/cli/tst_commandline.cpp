#include "core/checkpoint/checkpointfile.h"
#include "core/checkpoint/checkpointmeta.h"
#include "core/cli/commandline.h"
#include "core/data/synthdataset.h"
#include "core/model/modelscale.h"
#include "core/model/onednnforward.h"
#include "core/train/resumeplanner.h"
#include "core/train/trainconfig.h"
#include "tests/auto/cli/clirun.h"
#include "tests/auto/common/testfiles.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

#include <sys/types.h>

using namespace yolodeck;
using namespace yolodeck::testing;

namespace {

// What one yolodeck-cli invocation left behind.

// The arguments of the short training runs: the tiny scale on 64 px images, one optimizer step
// per batch, no warmup and no mosaic so an epoch takes well under a second. threads=1 because
// LibTorch's OpenMP threads spin-wait: on two cores shared with other work, two threads made an
// epoch 10-50 times slower than one.
QStringList shortTrainArgs(const QString &yaml, const QString &project, const QString &name,
                           int epochs, int batch = 8)
{
    return {QStringLiteral("train"),
            QStringLiteral("data=") + yaml,
            QStringLiteral("model=tiny"),
            QStringLiteral("imgsz=64"),
            QStringLiteral("batch=%1").arg(batch),
            QStringLiteral("nbs=%1").arg(batch),
            QStringLiteral("epochs=%1").arg(epochs),
            QStringLiteral("warmup_epochs=0"),
            QStringLiteral("mosaic=0"),
            QStringLiteral("workers=1"),
            QStringLiteral("threads=1"),
            QStringLiteral("save_period=1"),
            QStringLiteral("project=") + project,
            QStringLiteral("name=") + name};
}

QStringList lines(const QString &text)
{
    return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

QStringList words(const QString &line)
{
    static const QRegularExpression space(QStringLiteral("\\s+"));
    return line.split(space, Qt::SkipEmptyParts);
}

QJsonObject readJson(const QString &path)
{
    return QJsonDocument::fromJson(readAll(path)).object();
}

// The file named by the "Results saved to PATH" line a mode prints last.
QString savedPath(const QString &out)
{
    static const QRegularExpression saved(QStringLiteral("Results saved to (\\S+)"));
    QString path;
    auto it = saved.globalMatch(out);
    while (it.hasNext())
        path = it.next().captured(1);
    return path;
}

// The numbers of the "all" row of a metrics table: images, instances, P, R, mAP50, mAP50-95.
QStringList allRow(const QString &out)
{
    for (const QString &line : lines(out)) {
        const QStringList w = words(line);
        if (w.size() == 7 && w.first() == QLatin1String("all"))
            return w.mid(1);
    }
    return {};
}

QString modelHash(const QString &inspectOutput)
{
    static const QRegularExpression hash(QStringLiteral("sha256\\(model\\.\\*\\) ([0-9a-f]{64})"));
    return hash.match(inspectOutput).captured(1);
}

// The stopped run trains this many epochs: long enough that SIGINT always lands well before the
// end, short enough that resuming it twice stays cheap.
constexpr int kStoppedEpochs = 5;

// The full epochN.pt a finished run keeps (best.pt and last.pt are stripped to weights).
QString finalCheckpoint(const QString &runDir)
{
    return runDir + QStringLiteral("/weights/epoch%1.pt").arg(kStoppedEpochs);
}

// Every "batch" event of events.jsonl as (epoch, batch, batches).
QList<std::array<int, 3>> batchEvents(const QString &eventsPath)
{
    QList<std::array<int, 3>> out;
    for (const QByteArray &line : readAll(eventsPath).split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.value(QStringLiteral("type")).toString() == QLatin1String("batch")) {
            out.append({e.value(QStringLiteral("epoch")).toInt(),
                        e.value(QStringLiteral("batch")).toInt(),
                        e.value(QStringLiteral("batches")).toInt()});
        }
    }
    return out;
}

// A folder as Ultralytics 8.3 leaves it four epochs into `yolo train model=yolov8n.pt
// data=coco8.yaml epochs=5`: args.yaml, results.csv (epoch 3 the best so far) and weights/. The
// .pt files are stand-ins: what this exercises is the folder, not the pickle reader.
void writeUltralyticsRun(const QString &dir)
{
    QVERIFY(writeFile(dir + QStringLiteral("/args.yaml"),
                      "task: detect\nmode: train\nmodel: yolov8n.pt\ndata: coco8.yaml\n"
                      "epochs: 5\ntime: null\npatience: 100\nbatch: 16\nimgsz: 640\n"
                      "save: true\nsave_period: -1\ndevice: null\nname: train3\n"
                      "save_dir: runs/detect/train3\n"));
    QVERIFY(writeFile(
        dir + QStringLiteral("/results.csv"),
        "epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),"
        "metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,"
        "val/dfl_loss,lr/pg0,lr/pg1,lr/pg2\n"
        "1,11.6052,1.22375,2.83641,1.29548,0.65186,0.51667,0.61371,0.44921,1.12003,2.34652,"
        "1.23481,0.000664,0.000664,0.000664\n"
        "2,20.3371,1.18942,2.61905,1.27211,0.66912,0.53335,0.62857,0.46032,1.10589,2.01436,"
        "1.22163,0.00132144,0.00132144,0.00132144\n"
        "3,28.9903,1.20315,2.4408,1.28007,0.70411,0.55,0.65283,0.47719,1.09002,1.78523,1.21322,"
        "0.00196572,0.00196572,0.00196572\n"
        "4,37.7214,1.15872,2.2093,1.25551,0.69023,0.55,0.64,0.47,1.07781,1.60014,1.20511,"
        "0.00193,0.00193,0.00193\n"));
    QVERIFY(writeFile(dir + QStringLiteral("/weights/last.pt"), "stand-in for last.pt\n"));
    QVERIFY(writeFile(dir + QStringLiteral("/weights/best.pt"), "stand-in for best.pt\n"));
}

} // namespace

// yolodeck-cli's promises (core/cli/commandline.h): most cases run in-process through
// CommandLine; what only a process shows (exit codes of a real process, SIGINT, a non-terminal
// stdout) runs the built executable.
class TestCommandLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void infoPrintsParametersAndGflops_data();
    void infoPrintsParametersAndGflops();
    void badArgumentsAreRefused_data();
    void badArgumentsAreRefused();
    void synthWritesDataset();
    void resizeWritesCopyAndOneSummaryLine();
    void resizeRefusesNonEmptyOutput();
    void resizeReportsCorruptImageAndExitsWithOne();
    void trainWritesRunWithOneLinePerEpoch();
    void valOfCheckpointWritesMetrics();
    void compareWritesReportEqualToTwoVals();
    void compareRefusesBadInput_data();
    void compareRefusesBadInput();
    void valOfPerfectPredictionsReachesCeiling();
    void valOfMissingPredictionsScoresLower();
    void valWarnsAboutMalformedPredictionFile();
    void valRefusesMissingPredictionFolder();
    void predictWritesAnnotatedImagesAndLabels();
    void predictAcceptsThreads();
    void checkpointsListsEveryFile();
    void checkpointsRefusesMissingFolder();
    void inspectShowsMetaArchiveAndHash();
    void inspectRefusesBadFiles_data();
    void inspectRefusesBadFiles();
    void inspectSummarisesUltralyticsRun();
    void inspectRefusesOtherFolders();
    void checkpointsListsUltralyticsWeights();
    void resumeOfWeightsOnlyFileOffersFineTuning();
    void resumeWithChangedBatchNeedsForce();
    void ctrlCStopsAndSaysHowToResume();
    void resumeFromLastFinishesRun();
    void resumeTrueFindsNewestLast();
    void stopDuringValidationSaysHowToResume();

private:
    CliRun runInProcess(const QStringList &args) const;
    CliRun runProcess(const QStringList &args, int timeoutMs = 60000) const;
    QString path(const QString &relative) const { return m_dir.filePath(relative); }

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_run;         // the short training run (2 epochs)
    QString m_stopped;     // the run stopped with SIGINT, later resumed with resume=FILE
    QString m_stoppedCopy; // a copy of it as stopped, under another project: resume=true
};

CliRun TestCommandLine::runInProcess(const QStringList &args) const
{
    return runCliInProcess(args);
}

CliRun TestCommandLine::runProcess(const QStringList &args, int timeoutMs) const
{
    CliRun r;
    QProcess cli;
    cli.setWorkingDirectory(m_dir.path()); // nothing may land in the build folder
    cli.start(QStringLiteral(YOLODECK_CLI), args);
    if (!cli.waitForStarted()) {
        r.err = cli.errorString();
        return r;
    }
    if (!cli.waitForFinished(timeoutMs)) {
        cli.kill();
        cli.waitForFinished();
        r.crashed = true;
    }
    r.out = QString::fromUtf8(cli.readAllStandardOutput());
    r.err += QString::fromUtf8(cli.readAllStandardError());
    r.crashed = r.crashed || cli.exitStatus() != QProcess::NormalExit;
    r.code = r.crashed ? -1 : cli.exitCode();
    return r;
}

void TestCommandLine::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFileInfo(QStringLiteral(YOLODECK_CLI)).isExecutable(), YOLODECK_CLI);
}

void TestCommandLine::infoPrintsParametersAndGflops_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("parameters");
    QTest::addColumn<QString>("gflops"); // empty: not checked
    // Ultralytics' YOLOv8 model summaries for nc=80 at 640 (REFERENCE.md).
    QTest::newRow("n") << QStringLiteral("n") << QStringLiteral("3157200 parameters")
                       << QStringLiteral(" 8.7 GFLOPs");
    QTest::newRow("s") << QStringLiteral("s") << QStringLiteral("11166560 parameters") << QString();
    QTest::newRow("m") << QStringLiteral("m") << QStringLiteral("25902640 parameters") << QString();
}

void TestCommandLine::infoPrintsParametersAndGflops()
{
    QFETCH(QString, model);
    QFETCH(QString, parameters);
    QFETCH(QString, gflops);
    const CliRun r = runInProcess({QStringLiteral("info"), QStringLiteral("model=") + model,
                                   QStringLiteral("nc=80"), QStringLiteral("imgsz=640")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(parameters), qPrintable(r.out.right(300)));
    if (!gflops.isEmpty())
        QVERIFY2(r.out.contains(gflops), qPrintable(r.out.right(300)));
}

void TestCommandLine::badArgumentsAreRefused_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("mentions"); // each must appear in the message

    QStringList everyTrainKey = TrainConfig::keys();
    QVERIFY(everyTrainKey.size() > 40);
    QTest::newRow("train unknown key")
        << QStringList{QStringLiteral("train"), QStringLiteral("epochz=5")}
        << (QStringList{QStringLiteral("'epochz' (did you mean 'epochs'?)")} + everyTrainKey);
    QTest::newRow("train int out of range")
        << QStringList{QStringLiteral("train"), QStringLiteral("epochs=0")}
        << QStringList{QStringLiteral("epochs=0"), QStringLiteral("1..100000")};
    QTest::newRow("train double out of range")
        << QStringList{QStringLiteral("train"), QStringLiteral("mosaic=1.5")}
        << QStringList{QStringLiteral("mosaic=1.5"), QStringLiteral("0..1")};
    QTest::newRow("train not a number")
        << QStringList{QStringLiteral("train"), QStringLiteral("batch=many")}
        << QStringList{QStringLiteral("batch=many"), QStringLiteral("1..4096")};
    QTest::newRow("train bad choice")
        << QStringList{QStringLiteral("train"), QStringLiteral("optimizer=Adam")}
        << QStringList{QStringLiteral("optimizer=Adam"), QStringLiteral("auto"),
                       QStringLiteral("SGD"), QStringLiteral("AdamW")};
    QTest::newRow("train bad bool")
        << QStringList{QStringLiteral("train"), QStringLiteral("amp=maybe")}
        << QStringList{QStringLiteral("amp=maybe"), QStringLiteral("true or false")};
    QTest::newRow("train not key=value")
        << QStringList{QStringLiteral("train"), QStringLiteral("epochs")}
        << QStringList{QStringLiteral("'epochs'"), QStringLiteral("key=value")};
    QTest::newRow("val unknown key")
        << QStringList{QStringLiteral("val"), QStringLiteral("data=x.yaml"),
                       QStringLiteral("confidence=0.5")}
        << QStringList{QStringLiteral("'confidence'"), QStringLiteral("conf"),
                       QStringLiteral("iou"), QStringLiteral("predictions"),
                       QStringLiteral("split")};
    QTest::newRow("val bad split")
        << QStringList{QStringLiteral("val"), QStringLiteral("data=x.yaml"),
                       QStringLiteral("split=dev")}
        << QStringList{QStringLiteral("split=dev"), QStringLiteral("val, test, train")};
    QTest::newRow("info bad model")
        << QStringList{QStringLiteral("info"), QStringLiteral("model=q")}
        << (QStringList{QStringLiteral("model=q")} + modelScaleNames());
    QTest::newRow("info nc out of range")
        << QStringList{QStringLiteral("info"), QStringLiteral("nc=0")}
        << QStringList{QStringLiteral("nc=0"), QStringLiteral("1..100000")};
    QTest::newRow("synth without out")
        << QStringList{QStringLiteral("synth"), QStringLiteral("train=4")}
        << QStringList{QStringLiteral("out=")};
    QTest::newRow("resize without imgsz")
        << QStringList{QStringLiteral("resize"), QStringLiteral("data=x.yaml")}
        << QStringList{QStringLiteral("data="), QStringLiteral("imgsz=")};
    QTest::newRow("resize unknown key")
        << QStringList{QStringLiteral("resize"), QStringLiteral("data=x.yaml"),
                       QStringLiteral("imgsz=64"), QStringLiteral("size=3")}
        << QStringList{QStringLiteral("'size'"), QStringLiteral("out"), QStringLiteral("quality"),
                       QStringLiteral("threads")};
    QTest::newRow("resize imgsz out of range")
        << QStringList{QStringLiteral("resize"), QStringLiteral("data=x.yaml"),
                       QStringLiteral("imgsz=8")}
        << QStringList{QStringLiteral("imgsz=8"), QStringLiteral("32..8192")};
    QTest::newRow("resize bad quality")
        << QStringList{QStringLiteral("resize"), QStringLiteral("data=x.yaml"),
                       QStringLiteral("imgsz=64"), QStringLiteral("quality=101")}
        << QStringList{QStringLiteral("quality=101"), QStringLiteral("1..100")};
    QTest::newRow("resize missing data.yaml")
        << QStringList{QStringLiteral("resize"), QStringLiteral("data=/nonexistent/data.yaml"),
                       QStringLiteral("imgsz=64")}
        << QStringList{QStringLiteral("/nonexistent/data.yaml"), QStringLiteral("does not exist")};
    QTest::newRow("unknown mode") << QStringList{QStringLiteral("tran"), QStringLiteral("epochs=1")}
                                  << QStringList{
                                         QStringLiteral("'tran'"),      QStringLiteral("train"),
                                         QStringLiteral("val"),         QStringLiteral("predict"),
                                         QStringLiteral("info"),        QStringLiteral("synth"),
                                         QStringLiteral("checkpoints"), QStringLiteral("inspect")};
    QTest::newRow("no mode") << QStringList{} << QStringList{QStringLiteral("usage")};
}

void TestCommandLine::badArgumentsAreRefused()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, mentions);
    const CliRun r = runInProcess(arguments);
    QCOMPARE(r.code, 2);
    for (const QString &m : mentions)
        QVERIFY2(r.err.contains(m), qPrintable(QStringLiteral("'%1' not in: %2").arg(m, r.err)));
    // Refused before doing anything: nothing was trained, nothing printed as a result.
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
}

void TestCommandLine::synthWritesDataset()
{
    const QString dir = path(QStringLiteral("synth"));
    const CliRun r = runInProcess({QStringLiteral("synth"), QStringLiteral("out=") + dir,
                                   QStringLiteral("train=32"), QStringLiteral("val=8"),
                                   QStringLiteral("imgsz=64")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    m_yaml = dir + QStringLiteral("/data.yaml");
    QVERIFY(QFile::exists(m_yaml));
    QVERIFY2(r.out.contains(m_yaml), qPrintable(r.out));
    QCOMPARE(QDir(dir + QStringLiteral("/images/train")).entryList(QDir::Files).size(), 32);
    QCOMPARE(QDir(dir + QStringLiteral("/images/val")).entryList(QDir::Files).size(), 8);
    QCOMPARE(QDir(dir + QStringLiteral("/labels/val")).entryList(QDir::Files).size(), 8);
}

// The summary line of `resize`, split into its numbers.
struct ResizeLine
{
    int resized = -1, images = -1, imgsz = -1, copied = -1;
    QString data;
};

ResizeLine resizeLine(const QString &out)
{
    static const QRegularExpression line(QStringLiteral(
        "^Resized (\\d+) of (\\d+) images to long side (\\d+) \\((\\d+) already smaller, "
        "copied(; \\d+ failed and left out, see the warnings)?\\), [0-9.]+ [kMG]B -> "
        "[0-9.]+ [kMG]B, in [0-9.]+ s: data=(\\S+)$"));
    ResizeLine r;
    for (const QString &l : lines(out)) {
        const QRegularExpressionMatch m = line.match(l);
        if (!m.hasMatch())
            continue;
        r.resized = m.captured(1).toInt();
        r.images = m.captured(2).toInt();
        r.imgsz = m.captured(3).toInt();
        r.copied = m.captured(4).toInt();
        r.data = m.captured(6);
    }
    return r;
}

void TestCommandLine::resizeWritesCopyAndOneSummaryLine()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const CliRun r = runInProcess(
        {QStringLiteral("resize"), QStringLiteral("data=") + m_yaml, QStringLiteral("imgsz=48")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
    const ResizeLine summary = resizeLine(r.out);
    QVERIFY2(summary.images == 40, qPrintable(r.out));
    QCOMPARE(summary.resized, 40); // every 64 px image shrinks to 48
    QCOMPARE(summary.copied, 0);
    QCOMPARE(summary.imgsz, 48);
    // Beside the original, named after imgsz; the data= part is ready to paste.
    QCOMPARE(summary.data, path(QStringLiteral("synth-48/data.yaml")));
    QCOMPARE(lines(r.out).size(), 2); // what it starts, and the summary
    const QString image = path(QStringLiteral("synth-48/images/val/val_0000.jpg"));
    const cv::Mat copy = cv::imread(image.toStdString());
    QCOMPARE(copy.cols, 48);
    QCOMPARE(copy.rows, 48);

    // At a size above every image, everything is copied as it is.
    const CliRun large = runInProcess(
        {QStringLiteral("resize"), QStringLiteral("data=") + m_yaml, QStringLiteral("imgsz=64"),
         QStringLiteral("out=") + path(QStringLiteral("synth-copy"))});
    QVERIFY2(large.code == 0, qPrintable(large.err));
    const ResizeLine same = resizeLine(large.out);
    QCOMPARE(same.resized, 0);
    QCOMPARE(same.copied, 40);
    QCOMPARE(same.data, path(QStringLiteral("synth-copy/data.yaml")));
    QCOMPARE(readAll(path(QStringLiteral("synth-copy/images/val/val_0000.jpg"))),
             readAll(path(QStringLiteral("synth/images/val/val_0000.jpg"))));
}

void TestCommandLine::resizeRefusesNonEmptyOutput()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString out = path(QStringLiteral("resize-full"));
    QVERIFY(writeFile(out + QStringLiteral("/notes.txt"), "mine\n"));
    const CliRun r = runInProcess({QStringLiteral("resize"), QStringLiteral("data=") + m_yaml,
                                   QStringLiteral("imgsz=32"), QStringLiteral("out=") + out});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(out) && r.err.contains(QStringLiteral("not empty")), qPrintable(r.err));
    QCOMPARE(lines(r.err).size(), 1);
    QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    QCOMPARE(QDir(out).entryList(QDir::AllEntries | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("notes.txt")});
}

void TestCommandLine::resizeReportsCorruptImageAndExitsWithOne()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString data = path(QStringLiteral("synth-broken"));
    QVERIFY(copyTree(path(QStringLiteral("synth")), data));
    const QString broken = data + QStringLiteral("/images/train/broken.jpg");
    QVERIFY(writeFile(broken, "\xff\xd8 truncated"));
    // The built executable: the exit code a shell sees, and no crash.
    const CliRun r = runProcess({QStringLiteral("resize"),
                                 QStringLiteral("data=") + data + QStringLiteral("/data.yaml"),
                                 QStringLiteral("imgsz=32"), QStringLiteral("threads=2")});
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.startsWith(QStringLiteral("WARNING ") + broken + QStringLiteral(": ")),
             qPrintable(r.err));
    QCOMPARE(lines(r.err).size(), 1);
    QVERIFY2(r.out.contains(QStringLiteral("; 1 failed and left out")), qPrintable(r.out));
    const ResizeLine summary = resizeLine(r.out);
    QCOMPARE(summary.images, 41);
    QCOMPARE(summary.resized, 40);
    QCOMPARE(summary.data, data + QStringLiteral("-32/data.yaml"));
    QVERIFY(QFile::exists(summary.data));
    QVERIFY(!QFile::exists(data + QStringLiteral("-32/images/train/broken.jpg")));
}

void TestCommandLine::trainWritesRunWithOneLinePerEpoch()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString project = path(QStringLiteral("runs"));
    const CliRun r = runProcess(shortTrainArgs(m_yaml, project, QStringLiteral("x"), 2), 120000);
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    m_run = project + QStringLiteral("/x");

    const QStringList csv =
        lines(QString::fromUtf8(readAll(m_run + QStringLiteral("/results.csv"))));
    QCOMPARE(csv.size(), 3); // header + 2 epochs
    QVERIFY(csv[1].trimmed().startsWith(QLatin1Char('1')));
    QVERIFY(csv[2].trimmed().startsWith(QLatin1Char('2')));
    QVERIFY(QFile::exists(m_run + QStringLiteral("/weights/epoch2.pt")));
    QVERIFY(QFile::exists(m_run + QStringLiteral("/weights/best.pt")));

    // stdout is not a terminal here: no progress bar redrawn with '\r', one line per epoch.
    QVERIFY2(!r.out.contains(QLatin1Char('\r')), qPrintable(r.out));
    static const QRegularExpression epochLine(QStringLiteral("^\\s*(\\d+)/2\\s"));
    QStringList epochs;
    for (const QString &line : lines(r.out)) {
        const QRegularExpressionMatch m = epochLine.match(line);
        if (m.hasMatch())
            epochs << m.captured(1);
    }
    QCOMPARE(epochs, (QStringList{QStringLiteral("1"), QStringLiteral("2")}));

    // The run's first line names the training engine (engine=auto: oneDNN where the build has
    // it), and events.jsonl's run_start and the checkpoints record the same one.
    const QString engine =
        OneDnnForward::available() ? QStringLiteral("oneDNN") : QStringLiteral("LibTorch");
    const QStringList startLines =
        lines(r.out).filter(QRegularExpression(QStringLiteral("^YoloDeck .* parameters · ")));
    QCOMPARE(startLines.size(), 1);
    QVERIFY2(startLines.front().endsWith(QStringLiteral("%1 training engine)").arg(engine)),
             qPrintable(startLines.front()));
    bool started = false;
    for (const QString &line :
         lines(QString::fromUtf8(readAll(m_run + QStringLiteral("/events.jsonl"))))) {
        const QJsonObject event = QJsonDocument::fromJson(line.toUtf8()).object();
        if (event.value(QStringLiteral("type")).toString() == QLatin1String("run_start")) {
            QCOMPARE(event.value(QStringLiteral("engine")).toString(), engine);
            started = true;
        }
    }
    QVERIFY(started);
    QCOMPARE(readCheckpointInfo(m_run + QStringLiteral("/weights/epoch2.pt"))
                 .meta.value(QStringLiteral("engine"))
                 .toString(),
             engine);

    // The closing table is best.pt's epoch (highest fitness, the first of equals), as Ultralytics
    // ends a run.
    int bestEpoch = 0;
    double bestFitness = -1, bestMap50 = 0;
    for (int row = 1; row < csv.size(); ++row) {
        const QStringList cells = csv[row].split(QLatin1Char(','));
        const double map50 = cells[7].toDouble(), map5095 = cells[8].toDouble();
        if (0.1 * map50 + 0.9 * map5095 > bestFitness) {
            bestFitness = 0.1 * map50 + 0.9 * map5095;
            bestEpoch = row;
            bestMap50 = map50;
        }
    }
    QVERIFY2(r.out.contains(QStringLiteral("best.pt (epoch %1):").arg(bestEpoch)),
             qPrintable(r.out));
    const QStringList all = allRow(r.out);
    QVERIFY2(all.size() == 6, qPrintable(r.out));
    QVERIFY2(std::abs(all[4].toDouble() - bestMap50) < 0.0006, qPrintable(r.out));
}

void TestCommandLine::valOfCheckpointWritesMetrics()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    const CliRun r = runInProcess(
        {QStringLiteral("val"),
         QStringLiteral("model=") + m_run + QStringLiteral("/weights/epoch2.pt"),
         QStringLiteral("data=") + m_yaml, QStringLiteral("project=") + path(QStringLiteral("val")),
         QStringLiteral("name=model"), QStringLiteral("threads=1")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList all = allRow(r.out);
    QVERIFY2(all.size() == 6, qPrintable(r.out));
    QCOMPARE(all[0], QStringLiteral("8")); // images
    // The speed line names the engine that ran the network (the inference copy on oneDNN where
    // the build has it).
    const QString engine = OneDnnForward::available() ? QStringLiteral("network on oneDNN)")
                                                      : QStringLiteral("network on LibTorch (");
    QVERIFY2(r.out.contains(engine), qPrintable(r.out));
    int classRows = 0;
    for (const QString &name : synthClassNames(3))
        classRows += r.out.contains(name) ? 1 : 0;
    QVERIFY2(classRows > 0, qPrintable(r.out));

    const QString jsonPath = savedPath(r.out);
    QVERIFY2(jsonPath.endsWith(QLatin1String("/metrics.json")), qPrintable(r.out));
    QVERIFY(jsonPath.startsWith(path(QStringLiteral("val"))));
    const QJsonObject json = readJson(jsonPath);
    for (const char *key : {"metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
                            "metrics/mAP50-95(B)", "fitness", "per_class"})
        QVERIFY2(json.contains(QLatin1String(key)), key);
    QVERIFY(json.value(QStringLiteral("per_class")).isArray());
    QCOMPARE(json.value(QStringLiteral("per_class")).toArray().size(), classRows);
    const double map50 = json.value(QStringLiteral("metrics/mAP50(B)")).toDouble(-1);
    QVERIFY(map50 >= 0 && map50 <= 1);
}

void TestCommandLine::compareWritesReportEqualToTwoVals()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    qputenv("YOLODECK_CACHE_DIR", path(QStringLiteral("cache")).toLocal8Bit());
    const QString a = m_run + QStringLiteral("/weights/epoch1.pt");
    const QString b = m_run + QStringLiteral("/weights/epoch2.pt");
    // The real executable: its report has the window's charts, rendered offscreen.
    const CliRun r = runProcess({QStringLiteral("compare"), QStringLiteral("a=") + a,
                                 QStringLiteral("b=") + b, QStringLiteral("threads=1"),
                                 QStringLiteral("project=") + path(QStringLiteral("cmp")),
                                 QStringLiteral("name=e1-e2")},
                                120000);
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    const QString dir = savedPath(r.out);
    QCOMPARE(dir, path(QStringLiteral("cmp/e1-e2")));
    const QJsonObject json = readJson(dir + QStringLiteral("/compare.json"));
    QVERIFY2(!json.isEmpty(), qPrintable(r.out));

    // Each side's numbers are those of `val` of that file alone.
    const char *keys[] = {"metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
                          "metrics/mAP50-95(B)",  "val/box_loss",      "val/cls_loss",
                          "val/dfl_loss"};
    for (const auto &[side, file] : {std::pair{"a", a}, std::pair{"b", b}}) {
        const CliRun val =
            runInProcess({QStringLiteral("val"), QStringLiteral("model=") + file,
                          QStringLiteral("data=") + m_yaml,
                          QStringLiteral("project=") + path(QStringLiteral("cmp-val")),
                          QStringLiteral("threads=1")});
        QVERIFY2(val.code == 0, qPrintable(val.err));
        const QJsonObject metrics = readJson(savedPath(val.out));
        const QJsonObject compared = json.value(QLatin1String(side)).toObject();
        for (const char *key : keys) {
            QVERIFY2(compared.contains(QLatin1String(key)), key);
            QCOMPARE(compared.value(QLatin1String(key)).toDouble(),
                     metrics.value(QLatin1String(key)).toDouble());
        }
        QCOMPARE(compared.value(QStringLiteral("file")).toString(), file);
    }

    // The printed table: A and B of mAP50-95 as in compare.json.
    QString mapRow;
    for (const QString &line : lines(r.out)) {
        if (line.startsWith(QLatin1String("mAP50-95 ")))
            mapRow = line;
    }
    const QStringList row = words(mapRow);
    QVERIFY2(row.size() == 5, qPrintable(r.out));
    const double mapA = json.value(QStringLiteral("a"))
                            .toObject()
                            .value(QStringLiteral("metrics/mAP50-95(B)"))
                            .toDouble();
    const double mapB = json.value(QStringLiteral("b"))
                            .toObject()
                            .value(QStringLiteral("metrics/mAP50-95(B)"))
                            .toDouble();
    QCOMPARE(row[1], QString::number(mapA, 'f', 4));
    QCOMPARE(row[2], QString::number(mapB, 'f', 4));
    QVERIFY(r.out.contains(QStringLiteral("bootstrap resamples")));
    QVERIFY(r.out.contains(QStringLiteral("objects that A misses")));

    // report.html: both models' numbers, the charts and the images inline, nothing fetched.
    const QString html = QString::fromUtf8(readAll(dir + QStringLiteral("/report.html")));
    QVERIFY(html.contains(QString::number(mapA, 'f', 4)));
    QVERIFY(html.contains(QString::number(mapB, 'f', 4)));
    QVERIFY(html.contains(QStringLiteral("epoch1.pt")) &&
            html.contains(QStringLiteral("epoch2.pt")));
    QVERIFY(html.contains(QStringLiteral("data:image/jpeg;base64,")));
    QVERIFY(!html.contains(QStringLiteral("src=\"http")));
    const QStringList pngs = QDir(dir).entryList({QStringLiteral("*.png")}, QDir::Files);
    QVERIFY2(pngs.contains(QStringLiteral("pr_curve.png")),
             qPrintable(pngs.join(QLatin1Char(' '))));
    QVERIFY(pngs.contains(QStringLiteral("confusion_delta.png")));
    QVERIFY(html.count(QStringLiteral("data:image/png;base64,")) == pngs.size());

    // A second comparison of the same files reads both prediction sets from the cache.
    const CliRun again = runInProcess({QStringLiteral("compare"), QStringLiteral("a=") + a,
                                       QStringLiteral("b=") + b, QStringLiteral("threads=1"),
                                       QStringLiteral("project=") + path(QStringLiteral("cmp")),
                                       QStringLiteral("name=e1-e2")});
    QVERIFY2(again.code == 0, qPrintable(again.err));
    QCOMPARE(again.out.count(QStringLiteral("[cached predictions]")), 2);
    QCOMPARE(savedPath(again.out), path(QStringLiteral("cmp/e1-e22")));
    qunsetenv("YOLODECK_CACHE_DIR");
}

void TestCommandLine::compareRefusesBadInput_data()
{
    QTest::addColumn<QString>("a");
    QTest::addColumn<QString>("extra");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not a checkpoint")
        << QStringLiteral("notes.txt") << QString() << QStringLiteral("notes.txt");
    QTest::newRow("other class names")
        << QStringLiteral("renamed.pt") << QString() << QStringLiteral("different class names");
    QTest::newRow("dataset missing")
        << QStringLiteral("epoch1.pt") << QStringLiteral("data=/nonexistent/data.yaml")
        << QStringLiteral("/nonexistent/data.yaml");
    QTest::newRow("unknown key") << QStringLiteral("epoch1.pt") << QStringLiteral("modle=x")
                                 << QStringLiteral("unknown key 'modle'");
}

void TestCommandLine::compareRefusesBadInput()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    QFETCH(QString, a);
    QFETCH(QString, extra);
    QFETCH(QString, expected);
    const QString dir = path(QStringLiteral("bad-compare"));
    QDir().mkpath(dir);
    QVERIFY(writeFile(dir + QStringLiteral("/notes.txt"), "not a checkpoint\n"));
    if (!QFile::exists(dir + QStringLiteral("/renamed.pt"))) {
        // epoch1.pt with other class names: meta.json says so, the tensors are the same.
        Result<CheckpointData> d = loadCheckpoint(m_run + QStringLiteral("/weights/epoch1.pt"));
        QVERIFY(d.isOk());
        d.value().meta.insert(
            QStringLiteral("names"),
            QJsonArray{QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")});
        QVERIFY(saveCheckpointAtomically(dir + QStringLiteral("/renamed.pt"), d.value()).isOk());
    }
    const QString fileA = a == QLatin1String("epoch1.pt")
                              ? m_run + QStringLiteral("/weights/epoch1.pt")
                              : dir + QLatin1Char('/') + a;
    QStringList args{QStringLiteral("compare"), QStringLiteral("a=") + fileA,
                     QStringLiteral("b=") + m_run + QStringLiteral("/weights/epoch2.pt"),
                     QStringLiteral("project=") + dir, QStringLiteral("threads=1")};
    if (!extra.isEmpty())
        args << extra;
    const CliRun r = runInProcess(args);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(expected), qPrintable(r.err));
    QCOMPARE(lines(r.err).size(), 1);
    QVERIFY(r.err.startsWith(QStringLiteral("ERROR ")));
    // Nothing was written: no report folder.
    QVERIFY(!QFileInfo::exists(dir + QStringLiteral("/compare")));
}

namespace {

// YOLO prediction files equal to the ground truth with confidence 0.9; every `keepEvery`-th image
// gets its file (1 = all).
bool writeTruthAsPredictions(const QString &labelDir, const QString &outDir, int keepEvery)
{
    QDir().mkpath(outDir);
    const QStringList files =
        QDir(labelDir).entryList({QStringLiteral("*.txt")}, QDir::Files, QDir::Name);
    if (files.isEmpty())
        return false;
    for (int i = 0; i < files.size(); ++i) {
        if (i % keepEvery != 0)
            continue;
        QByteArray out;
        for (const QByteArray &line : readAll(labelDir + QLatin1Char('/') + files[i]).split('\n')) {
            if (!line.trimmed().isEmpty())
                out += line.trimmed() + " 0.9\n";
        }
        if (!writeFile(outDir + QLatin1Char('/') + files[i], out))
            return false;
    }
    return true;
}

} // namespace

void TestCommandLine::valOfPerfectPredictionsReachesCeiling()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString preds = path(QStringLiteral("preds/perfect"));
    QVERIFY(writeTruthAsPredictions(path(QStringLiteral("synth/labels/val")), preds, 1));
    const CliRun r = runInProcess({QStringLiteral("val"), QStringLiteral("data=") + m_yaml,
                                   QStringLiteral("predictions=") + preds,
                                   QStringLiteral("project=") + path(QStringLiteral("val")),
                                   QStringLiteral("name=perfect")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(!r.err.contains(QStringLiteral("WARNING")), qPrintable(r.err));
    // 101-point interpolated AP of a perfect detector: Ultralytics' ceiling is 0.995.
    const QStringList all = allRow(r.out);
    QVERIFY2(all.size() == 6, qPrintable(r.out));
    QCOMPARE(all[4], QStringLiteral("0.995"));
    const QJsonObject json = readJson(savedPath(r.out));
    QVERIFY(qAbs(json.value(QStringLiteral("metrics/mAP50(B)")).toDouble() - 0.995) < 1e-3);
    QVERIFY(qAbs(json.value(QStringLiteral("metrics/mAP50-95(B)")).toDouble() - 0.995) < 1e-3);
    QVERIFY(json.value(QStringLiteral("metrics/precision(B)")).toDouble() > 0.99);
    QVERIFY(json.value(QStringLiteral("metrics/recall(B)")).toDouble() > 0.99);
}

void TestCommandLine::valOfMissingPredictionsScoresLower()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString preds = path(QStringLiteral("preds/half"));
    QVERIFY(writeTruthAsPredictions(path(QStringLiteral("synth/labels/val")), preds, 2));
    QCOMPARE(QDir(preds).entryList(QDir::Files).size(), 4);
    const CliRun r = runInProcess({QStringLiteral("val"), QStringLiteral("data=") + m_yaml,
                                   QStringLiteral("predictions=") + preds,
                                   QStringLiteral("project=") + path(QStringLiteral("val")),
                                   QStringLiteral("name=half")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject json = readJson(savedPath(r.out));
    const double map50 = json.value(QStringLiteral("metrics/mAP50(B)")).toDouble(-1);
    QVERIFY2(map50 > 0.1 && map50 < 0.9, qPrintable(QString::number(map50)));
    QVERIFY(json.value(QStringLiteral("metrics/recall(B)")).toDouble() < 0.9);
}

void TestCommandLine::valWarnsAboutMalformedPredictionFile()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString preds = path(QStringLiteral("preds/malformed"));
    QVERIFY(writeTruthAsPredictions(path(QStringLiteral("synth/labels/val")), preds, 1));
    const QString bad =
        preds + QLatin1Char('/') + QDir(preds).entryList(QDir::Files, QDir::Name)[3];
    QFile f(bad);
    QVERIFY(f.open(QIODevice::Append));
    f.write("1 0.5 oops 0.2 0.2 0.9\n");
    f.close();
    const CliRun r = runInProcess({QStringLiteral("val"), QStringLiteral("data=") + m_yaml,
                                   QStringLiteral("predictions=") + preds,
                                   QStringLiteral("project=") + path(QStringLiteral("val")),
                                   QStringLiteral("name=malformed")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    int warnings = 0;
    for (const QString &line : lines(r.err)) {
        if (line.startsWith(QLatin1String("WARNING"))) {
            ++warnings;
            QVERIFY2(line.contains(QFileInfo(bad).fileName()), qPrintable(line));
        }
    }
    QCOMPARE(warnings, 1);
    // The good lines of that file still count.
    const QJsonObject json = readJson(savedPath(r.out));
    QVERIFY(json.value(QStringLiteral("metrics/mAP50(B)")).toDouble() > 0.99);
}

void TestCommandLine::valRefusesMissingPredictionFolder()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString missing = path(QStringLiteral("preds/does-not-exist"));
    const CliRun r = runInProcess({QStringLiteral("val"), QStringLiteral("data=") + m_yaml,
                                   QStringLiteral("predictions=") + missing,
                                   QStringLiteral("project=") + path(QStringLiteral("val")),
                                   QStringLiteral("name=missing")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(missing), qPrintable(r.err));
}

void TestCommandLine::predictWritesAnnotatedImagesAndLabels()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    const QString source = path(QStringLiteral("synth/images/val"));
    auto predict = [&](const QString &name, const QString &conf) {
        return runInProcess({QStringLiteral("predict"),
                             QStringLiteral("model=") + m_run + QStringLiteral("/weights/best.pt"),
                             QStringLiteral("source=") + source, QStringLiteral("conf=") + conf,
                             QStringLiteral("project=") + path(QStringLiteral("predict")),
                             QStringLiteral("name=") + name});
    };
    // conf=1 keeps no detection: the same images without any drawing, to compare with.
    const CliRun plain = predict(QStringLiteral("plain"), QStringLiteral("1"));
    QVERIFY2(plain.code == 0, qPrintable(plain.err));
    const CliRun r = predict(QStringLiteral("annotated"), QStringLiteral("0.001"));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString plainDir = savedPath(plain.out);
    const QString dir = savedPath(r.out);
    QCOMPARE(dir, path(QStringLiteral("predict/annotated")));

    const QStringList images = QDir(source).entryList(QDir::Files, QDir::Name);
    QCOMPARE(images.size(), 8);
    QCOMPARE(QDir(dir).entryList({QStringLiteral("*.jpg")}, QDir::Files).size(), images.size());
    QCOMPARE(QDir(dir + QStringLiteral("/labels")).entryList(QDir::Files).size(), images.size());
    int annotated = 0;
    for (const QString &image : images) {
        const QString stem = QFileInfo(image).completeBaseName();
        const QString jpg = dir + QLatin1Char('/') + stem + QStringLiteral(".jpg");
        const cv::Mat drawn = cv::imread(jpg.toStdString());
        const cv::Mat original = cv::imread((source + QLatin1Char('/') + image).toStdString());
        QVERIFY2(!drawn.empty(), qPrintable(jpg));
        QCOMPARE(drawn.cols, original.cols);
        QCOMPARE(drawn.rows, original.rows);

        const QString labels = dir + QStringLiteral("/labels/") + stem + QStringLiteral(".txt");
        QVERIFY2(QFile::exists(labels), qPrintable(labels));
        QVERIFY(readAll(plainDir + QStringLiteral("/labels/") + stem + QStringLiteral(".txt"))
                    .isEmpty());
        const QStringList rows = lines(QString::fromUtf8(readAll(labels)));
        for (const QString &row : rows) {
            const QStringList w = words(row);
            QCOMPARE(w.size(), 6); // cls cx cy w h conf
            QVERIFY(w[0].toInt() >= 0 && w[0].toInt() < 3);
            QVERIFY(w[5].toDouble() >= 0.001 && w[5].toDouble() <= 1.0);
        }
        if (rows.isEmpty())
            continue;
        // Boxes drawn: the image differs from the undrawn one by more than JPEG noise.
        const cv::Mat undrawn =
            cv::imread((plainDir + QLatin1Char('/') + stem + QStringLiteral(".jpg")).toStdString());
        cv::Mat diff;
        cv::absdiff(drawn, undrawn, diff);
        cv::Mat gray;
        cv::extractChannel(diff, gray, 1);
        if (cv::countNonZero(gray > 40) > 20)
            ++annotated;
    }
    QVERIFY2(annotated > 0, "no image with detections shows drawn boxes");
}

void TestCommandLine::predictAcceptsThreads()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    // val and predict share the threads=/device=/model= handling; predict must accept threads= too.
    const CliRun r = runInProcess(
        {QStringLiteral("predict"),
         QStringLiteral("model=") + m_run + QStringLiteral("/weights/best.pt"),
         QStringLiteral("source=") + path(QStringLiteral("synth/images/val/val_0000.jpg")),
         QStringLiteral("threads=1"), QStringLiteral("project=") + path(QStringLiteral("predict")),
         QStringLiteral("name=threads")});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(QDir(savedPath(r.out)).entryList({QStringLiteral("*.jpg")}, QDir::Files).size(), 1);
}

void TestCommandLine::checkpointsListsEveryFile()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    // A copy of the run's weights plus a file that only looks like a checkpoint.
    const QString dir = path(QStringLiteral("ckpts"));
    QVERIFY(copyTree(m_run + QStringLiteral("/weights"), dir + QStringLiteral("/weights")));
    QVERIFY(writeFile(dir + QStringLiteral("/weights/broken.pt"), "not a checkpoint\n"));
    const CliRun r = runInProcess({QStringLiteral("checkpoints"), dir});
    QVERIFY2(r.code == 0, qPrintable(r.err));

    QMap<QString, QStringList> rows;
    for (const QString &line : lines(r.out)) {
        const QStringList w = words(line);
        if (!w.isEmpty() && w.first().endsWith(QLatin1String(".pt")))
            rows.insert(w.first(), w.mid(1));
    }
    QCOMPARE(rows.keys(), (QStringList{QStringLiteral("best.pt"), QStringLiteral("broken.pt"),
                                       QStringLiteral("epoch1.pt"), QStringLiteral("epoch2.pt"),
                                       QStringLiteral("last.pt")}));
    // kind, epoch
    QCOMPARE(rows[QStringLiteral("epoch1.pt")].mid(0, 2),
             (QStringList{QStringLiteral("full"), QStringLiteral("1")}));
    QCOMPARE(rows[QStringLiteral("epoch2.pt")].mid(0, 2),
             (QStringList{QStringLiteral("full"), QStringLiteral("2")}));
    QCOMPARE(rows[QStringLiteral("last.pt")].mid(0, 2),
             (QStringList{QStringLiteral("weights"), QStringLiteral("2")}));
    QCOMPARE(rows[QStringLiteral("best.pt")].value(0), QStringLiteral("weights"));
    const QStringList broken = rows[QStringLiteral("broken.pt")];
    QVERIFY2(broken.value(0) == QLatin1String("unreadable:") && broken.size() >= 2,
             qPrintable(broken.join(QLatin1Char(' '))));
}

void TestCommandLine::checkpointsRefusesMissingFolder()
{
    const QString missing = path(QStringLiteral("no-such-run"));
    const CliRun r = runInProcess({QStringLiteral("checkpoints"), missing});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(missing), qPrintable(r.err));
}

void TestCommandLine::inspectShowsMetaArchiveAndHash()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    const QString epoch2 = m_run + QStringLiteral("/weights/epoch2.pt");
    auto inspect = [&](const QString &file) {
        return runInProcess({QStringLiteral("inspect"), file, QStringLiteral("hash=true")});
    };
    const CliRun r = inspect(epoch2);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains(QStringLiteral("\"epoch\": 2")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("\"kind\": \"full\"")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("archive ok")), qPrintable(r.out));
    const QString hash = modelHash(r.out);
    QVERIFY2(!hash.isEmpty(), qPrintable(r.out));

    // The hash is of the tensors, not of the file name: the same state gives the same hash.
    QCOMPARE(modelHash(inspect(epoch2).out), hash);
    const QString copy = path(QStringLiteral("copy-of-epoch2.pt"));
    QVERIFY(QFile::copy(epoch2, copy));
    QCOMPARE(modelHash(inspect(copy).out), hash);
    // Another epoch has other weights.
    const QString epoch1Hash = modelHash(inspect(m_run + QStringLiteral("/weights/epoch1.pt")).out);
    QVERIFY(!epoch1Hash.isEmpty());
    QVERIFY(epoch1Hash != hash);
    // Without hash=true no hash is computed.
    QVERIFY(modelHash(runInProcess({QStringLiteral("inspect"), epoch2}).out).isEmpty());
}

void TestCommandLine::inspectRefusesBadFiles_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("empty") << QStringLiteral("empty");
    QTest::newRow("text") << QStringLiteral("text");
    QTest::newRow("png") << QStringLiteral("png");
    QTest::newRow("truncated") << QStringLiteral("truncated");
    QTest::newRow("ultralytics pickle") << QStringLiteral("ultralytics");
}

void TestCommandLine::inspectRefusesBadFiles()
{
    QFETCH(QString, kind);
    const QString file = path(QStringLiteral("bad/%1.pt").arg(kind));
    if (kind == QLatin1String("empty")) {
        QVERIFY(writeFile(file, QByteArray()));
    } else if (kind == QLatin1String("text")) {
        QVERIFY(writeFile(file, "epoch: 3\nthis is not a checkpoint\n"));
    } else if (kind == QLatin1String("png")) {
        QVERIFY(writeFile(file, QByteArray("\x89PNG\r\n\x1a\n", 8) + QByteArray(64, 'x')));
    } else if (kind == QLatin1String("truncated")) {
        QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
        const QByteArray good = readAll(m_run + QStringLiteral("/weights/epoch2.pt"));
        QVERIFY(good.size() > 1000);
        QVERIFY(writeFile(file, good.left(good.size() / 2)));
    } else {
        // What an Ultralytics .pt is at heart: torch.save() of a pickled dict. Debian's python has
        // torch; the python first on PATH may not.
        QDir().mkpath(QFileInfo(file).absolutePath());
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"),
                     {QStringLiteral("-c"),
                      QStringLiteral("import sys, torch; torch.save({'model': None, 'epoch': 3}, "
                                     "sys.argv[1])"),
                      file});
        QVERIFY2(python.waitForStarted(), "/usr/bin/python3 is missing: it is needed (with torch) "
                                          "to write an Ultralytics-style file");
        QVERIFY(python.waitForFinished(120000));
        QVERIFY2(
            python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0,
            qPrintable(QStringLiteral("/usr/bin/python3 could not torch.save (is python3-torch "
                                      "installed?): ") +
                       QString::fromUtf8(python.readAllStandardError())));
        QVERIFY(QFileInfo(file).size() > 0);
    }

    const CliRun r = runProcess({QStringLiteral("inspect"), file, QStringLiteral("hash=true")});
    QVERIFY2(!r.crashed, qPrintable(QStringLiteral("crashed: ") + r.err));
    QCOMPARE(r.code, 2);
    QStringList errors;
    for (const QString &line : lines(r.err)) {
        if (line.contains(QLatin1String("ERROR")))
            errors << line;
    }
    QVERIFY2(errors.size() == 1, qPrintable(r.err));
    QVERIFY2(errors.first().contains(QFileInfo(file).fileName()), qPrintable(errors.first()));
    QVERIFY2(!r.out.contains(QLatin1String("archive ok")), qPrintable(r.out));
}

void TestCommandLine::inspectSummarisesUltralyticsRun()
{
    const QString dir = path(QStringLiteral("ultralytics/runs/detect/train3"));
    writeUltralyticsRun(dir);
    if (QTest::currentTestFailed())
        return;
    const CliRun r = runInProcess({QStringLiteral("inspect"), dir});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QStringList expected = {
        QStringLiteral("Ultralytics run: ") + QDir(dir).absolutePath(),
        QStringLiteral("args.yaml: model=yolov8n.pt data=coco8.yaml epochs=5 imgsz=640 batch=16"),
        QStringLiteral("epochs: 4/5 (not finished: training, or stopped)"),
        // fitness 0.1 * 0.65283 + 0.9 * 0.47719
        QStringLiteral("best: epoch 3, fitness 0.4948, mAP50 0.6528, mAP50-95 0.4772"),
        QStringLiteral("last: epoch 4, time 0:00:38, precision 0.6902, recall 0.5500, mAP50 "
                       "0.6400, mAP50-95 0.4700, fitness 0.4870"),
        QStringLiteral("last losses: train box 1.1587 cls 2.2093 dfl 1.2555, val box 1.0778 cls "
                       "1.6001 dfl 1.2051"),
        QStringLiteral("last lr: pg0 0.00193 pg1 0.00193 pg2 0.00193"),
        QStringLiteral("weights: ") + QDir(dir).absolutePath() + QStringLiteral("/weights")};
    const QStringList out = lines(r.out);
    for (const QString &line : expected)
        QVERIFY2(out.contains(line), qPrintable(line + QStringLiteral("\nnot in:\n") + r.out));
    QStringList files;
    for (const QString &line : out) {
        if (words(line).value(0).endsWith(QLatin1String(".pt")))
            files << words(line).value(0);
    }
    files.sort();
    QCOMPARE(files, (QStringList{QStringLiteral("best.pt"), QStringLiteral("last.pt")}));

    // The fifth row makes it finished; the file may be given instead of its folder.
    QFile csv(dir + QStringLiteral("/results.csv"));
    QVERIFY(csv.open(QIODevice::Append));
    csv.write("5,46.5301,1.13,2.01,1.24,0.73,0.57,0.70,0.51,1.07,1.55,1.2,0.00127,0.00127,"
              "0.00127\n");
    csv.close();
    const CliRun done = runInProcess({QStringLiteral("inspect"), dir});
    QVERIFY2(done.code == 0, qPrintable(done.err));
    QVERIFY2(lines(done.out).contains(QStringLiteral("epochs: 5/5 (finished)")),
             qPrintable(done.out));
    QVERIFY2(done.out.contains(QStringLiteral("best: epoch 5,")), qPrintable(done.out));
}

void TestCommandLine::inspectRefusesOtherFolders()
{
    // A YoloDeck run folder (events.jsonl) and a folder of something else.
    const QString yolodeck = path(QStringLiteral("folders/yolodeck-run"));
    writeUltralyticsRun(yolodeck);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(writeFile(yolodeck + QStringLiteral("/events.jsonl"), "{\"type\":\"run_start\"}\n"));
    const QString other = path(QStringLiteral("folders/photos"));
    QVERIFY(writeFile(other + QStringLiteral("/notes.txt"), "not a run\n"));
    for (const QString &dir : {yolodeck, other}) {
        const CliRun r = runInProcess({QStringLiteral("inspect"), dir});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith(QStringLiteral("ERROR ") + dir) &&
                     r.err.contains(QStringLiteral("not an Ultralytics run folder")),
                 qPrintable(r.err));
        QVERIFY2(r.out.isEmpty(), qPrintable(r.out));
    }
}

void TestCommandLine::checkpointsListsUltralyticsWeights()
{
    const QString dir = path(QStringLiteral("ultralytics/runs/detect/train4"));
    writeUltralyticsRun(dir);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(writeFile(dir + QStringLiteral("/weights/epoch2.pt"), "stand-in for epoch2.pt\n"));
    const CliRun r = runInProcess({QStringLiteral("checkpoints"), dir});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QStringList files;
    for (const QString &line : lines(r.out)) {
        if (words(line).value(0).endsWith(QLatin1String(".pt")))
            files << words(line).value(0);
    }
    files.sort();
    QCOMPARE(files, (QStringList{QStringLiteral("best.pt"), QStringLiteral("epoch2.pt"),
                                 QStringLiteral("last.pt")}));
    QVERIFY2(lines(r.out).contains(QStringLiteral(
                 "Ultralytics run: 4/5 epochs in results.csv, best epoch 3 (fitness 0.4948)")),
             qPrintable(r.out));
    // The weights folder itself is listed the same way, without the run's summary.
    const CliRun weights =
        runInProcess({QStringLiteral("checkpoints"), dir + QStringLiteral("/weights")});
    QVERIFY2(weights.code == 0, qPrintable(weights.err));
    QVERIFY2(weights.out.contains(QStringLiteral("last.pt")), qPrintable(weights.out));
    QVERIFY2(!weights.out.contains(QStringLiteral("Ultralytics run")), qPrintable(weights.out));
}

void TestCommandLine::resumeOfWeightsOnlyFileOffersFineTuning()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    const QString best = m_run + QStringLiteral("/weights/best.pt");
    QCOMPARE(readCheckpointInfo(best).kind, QStringLiteral("weights")); // strip=true is the default
    const QByteArray csvBefore = readAll(m_run + QStringLiteral("/results.csv"));
    const CliRun r = runInProcess({QStringLiteral("train"), QStringLiteral("resume=") + best});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("cannot be resumed")), qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("model=")), qPrintable(r.err));
    QCOMPARE(readAll(m_run + QStringLiteral("/results.csv")), csvBefore);
}

void TestCommandLine::resumeWithChangedBatchNeedsForce()
{
    QVERIFY2(!m_run.isEmpty(), "needs trainWritesRunWithOneLinePerEpoch");
    // epoch1.pt of the 2-epoch run: a full state with training left to do.
    const QString epoch1 = m_run + QStringLiteral("/weights/epoch1.pt");
    QVERIFY(ResumePlanner::plan(epoch1, {}).mode == ResumePlan::Mode::Branch);
    const CliRun r = runInProcess(
        {QStringLiteral("train"), QStringLiteral("resume=") + epoch1, QStringLiteral("batch=4")});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("batch")), qPrintable(r.err));
    QVERIFY2(r.err.contains(QStringLiteral("force=true")), qPrintable(r.err));
    QVERIFY2(!QFileInfo::exists(m_run + QStringLiteral("-from-e1")),
             "a refused resume made a branch");
}

void TestCommandLine::ctrlCStopsAndSaysHowToResume()
{
    QVERIFY2(!m_yaml.isEmpty(), "needs synthWritesDataset");
    const QString project = path(QStringLiteral("ctrlc"));
    m_stopped = project + QStringLiteral("/stopped");
    // batch=4: eight batches per epoch, so SIGINT lands between two batches of epoch 2 rather than
    // in its last batch or validation (that case is stopDuringValidationSaysHowToResume).
    QProcess cli;
    cli.setWorkingDirectory(m_dir.path());
    cli.start(QStringLiteral(YOLODECK_CLI),
              shortTrainArgs(m_yaml, project, QStringLiteral("stopped"), kStoppedEpochs, 4));
    QVERIFY(cli.waitForStarted());

    // Wait until the trainer is inside epoch 2, then press Ctrl+C.
    const QString events = m_stopped + QStringLiteral("/events.jsonl");
    QElapsedTimer timer;
    timer.start();
    bool inEpoch2 = false;
    while (!inEpoch2 && cli.state() == QProcess::Running && timer.elapsed() < 60000) {
        cli.waitForReadyRead(10);
        for (const auto &[epoch, batch, batches] : batchEvents(events))
            inEpoch2 = inEpoch2 || epoch >= 2;
    }
    QVERIFY2(inEpoch2 && cli.state() == QProcess::Running,
             qPrintable(QStringLiteral("no batch of epoch 2 seen while running: ") +
                        QString::fromUtf8(cli.readAllStandardError())));
    QCOMPARE(::kill(pid_t(cli.processId()), SIGINT), 0);
    QVERIFY2(cli.waitForFinished(30000), "yolodeck-cli did not stop within 30 s of SIGINT");
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
    QVERIFY2(cli.exitCode() == 130, qPrintable(out + err));

    const QString last = m_stopped + QStringLiteral("/weights/last.pt");
    const CheckpointInfo info = readCheckpointInfo(last);
    QVERIFY2(info.isValid(), qPrintable(info.error));
    QCOMPARE(info.kind, QStringLiteral("full")); // a stopped run is not stripped
    QVERIFY2(info.batch > 0 || info.epoch >= 2,
             qPrintable(QStringLiteral("epoch %1 batch %2").arg(info.epoch).arg(info.batch)));
    QVERIFY(info.epoch >= 1);
    QVERIFY2((out + err).contains(QStringLiteral("resume=") + last), qPrintable(out + err));

    // The same stopped run under a second project, next to an older run whose last.pt cannot be
    // resumed: resume=true must pick the newest.
    m_stoppedCopy = path(QStringLiteral("ctrlc2/stopped"));
    QVERIFY(copyTree(m_run, path(QStringLiteral("ctrlc2/older"))));
    QFile older(path(QStringLiteral("ctrlc2/older/weights/last.pt")));
    QVERIFY(older.open(QIODevice::ReadWrite));
    QVERIFY(older.setFileTime(QDateTime::currentDateTime().addSecs(-3600),
                              QFileDevice::FileModificationTime));
    older.close();
    QVERIFY(copyTree(m_stopped, m_stoppedCopy));
}

void TestCommandLine::resumeFromLastFinishesRun()
{
    QVERIFY2(!m_stopped.isEmpty() &&
                 QFile::exists(m_stoppedCopy + QStringLiteral("/weights/last.pt")),
             "needs ctrlCStopsAndSaysHowToResume");
    const QString last = m_stopped + QStringLiteral("/weights/last.pt");
    const CliRun r = runInProcess({QStringLiteral("train"), QStringLiteral("resume=") + last});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(QStringLiteral("same run folder")), qPrintable(r.out));
    const QStringList csv =
        lines(QString::fromUtf8(readAll(m_stopped + QStringLiteral("/results.csv"))));
    QCOMPARE(csv.size(), 1 + kStoppedEpochs); // header + every epoch once
    for (int epoch = 1; epoch <= kStoppedEpochs; ++epoch)
        QCOMPARE(csv[epoch].split(QLatin1Char(',')).first().trimmed().toInt(), epoch);
    QCOMPARE(readCheckpointInfo(finalCheckpoint(m_stopped)).kind, QStringLiteral("full"));
}

void TestCommandLine::resumeTrueFindsNewestLast()
{
    QVERIFY2(!m_stoppedCopy.isEmpty(), "needs ctrlCStopsAndSaysHowToResume");
    const QString project = path(QStringLiteral("ctrlc2"));
    const QByteArray olderCsv = readAll(project + QStringLiteral("/older/results.csv"));
    const CliRun r = runInProcess({QStringLiteral("train"), QStringLiteral("resume=true"),
                                   QStringLiteral("project=") + project});
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains(m_stoppedCopy + QStringLiteral("/weights/last.pt")), qPrintable(r.out));
    QCOMPARE(
        lines(QString::fromUtf8(readAll(m_stoppedCopy + QStringLiteral("/results.csv")))).size(),
        1 + kStoppedEpochs);
    QCOMPARE(readAll(project + QStringLiteral("/older/results.csv")), olderCsv);

    // Both resumes continued the same state with the same seed and threads: the same weights.
    const QString a = finalCheckpoint(m_stopped);
    const QString b = finalCheckpoint(m_stoppedCopy);
    const CliRun ia = runInProcess({QStringLiteral("inspect"), a, QStringLiteral("hash=true")});
    const CliRun ib = runInProcess({QStringLiteral("inspect"), b, QStringLiteral("hash=true")});
    QVERIFY2(!modelHash(ia.out).isEmpty(), qPrintable(ia.err));
    QCOMPARE(modelHash(ib.out), modelHash(ia.out));
}

void TestCommandLine::stopDuringValidationSaysHowToResume()
{
    // Ctrl+C during an epoch's last batch or its validation takes effect at the end of the epoch
    // instead of between two batches. With one batch per epoch every stop lands there, so this
    // does not depend on timing.
    const QString data = path(QStringLiteral("synth-onebatch"));
    const CliRun synth = runInProcess({QStringLiteral("synth"), QStringLiteral("out=") + data,
                                       QStringLiteral("train=8"), QStringLiteral("val=8"),
                                       QStringLiteral("imgsz=64")});
    QVERIFY2(synth.code == 0, qPrintable(synth.err));
    const QString project = path(QStringLiteral("edge"));
    const QString events = project + QStringLiteral("/edge/events.jsonl");

    std::atomic<bool> done{false};
    std::atomic<bool> requested{false};
    std::thread watcher([&] {
        while (!done.load()) {
            for (const auto &[epoch, batch, batches] : batchEvents(events)) {
                if (epoch == 1 && batch == batches && !requested.exchange(true))
                    CommandLine::requestStop();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    });
    const CliRun r = runInProcess(
        shortTrainArgs(data + QStringLiteral("/data.yaml"), project, QStringLiteral("edge"), 3));
    done.store(true);
    watcher.join();
    QVERIFY(requested.load());
    QCOMPARE(r.code, 130);
    const QString last = project + QStringLiteral("/edge/weights/last.pt");
    const CheckpointInfo info = readCheckpointInfo(last);
    QVERIFY2(info.isValid(), qPrintable(info.error));
    QVERIFY2(info.epoch >= 1 && info.epoch < 3 && info.batch == 0,
             qPrintable(QStringLiteral("epoch %1 batch %2").arg(info.epoch).arg(info.batch)));
    QCOMPARE(info.kind, QStringLiteral("full"));
    // Like a stop between batches, the user is told how to continue, not that training completed.
    QVERIFY2(r.out.contains(QStringLiteral("resume=") + last), qPrintable(r.out + r.err));
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
