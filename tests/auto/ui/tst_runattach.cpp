#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "ui/chartspanel.h"
#include "ui/chartview.h"
#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/mainwindow.h"
#include "ui/metatypes.h"
#include "ui/system/systempanel.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <qcustomplot.h>

#include <functional>

#include "windowtesthelpers.h"

using namespace yolodeck;
using namespace windowtest;

#ifndef YOLODECK_CLI
#error "YOLODECK_CLI must name the yolodeck-cli executable"
#endif

namespace {

constexpr int kBatchesPerEpoch = 4; // 32 training images in batches of 8
// About 3 s of training per 10 epochs here: long enough to attach while it runs.
constexpr int kEpochs = 40;

// Complete "batch" lines of a run's events.jsonl so far.
int batchEvents(const QString &runDir)
{
    QFile file(runDir + QStringLiteral("/events.jsonl"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    int n = 0;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.contains("\"type\":\"batch\"") && line.endsWith('}'))
            ++n;
    }
    return n;
}

int resultRows(const QString &runDir)
{
    const Result<History> rows = RunLog::readResults(runDir + QStringLiteral("/results.csv"));
    return rows ? int(rows.value().size()) : -1;
}

// What Ultralytics 8.3 writes while `yolo train model=yolov8n.pt data=coco8.yaml epochs=5` runs:
// args.yaml at the start, then one results.csv row per epoch, appended.
const QByteArray kUltralyticsArgs = "task: detect\nmode: train\nmodel: yolov8n.pt\n"
                                    "data: coco8.yaml\nepochs: 5\ntime: null\npatience: 100\n"
                                    "batch: 16\nimgsz: 640\nsave: true\nsave_period: -1\n"
                                    "device: null\nname: train3\n";
const QByteArray kUltralyticsRows[] = {
    "epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),"
    "metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,"
    "val/dfl_loss,lr/pg0,lr/pg1,lr/pg2\n",
    "1,11.6052,1.22375,2.83641,1.29548,0.65186,0.51667,0.61371,0.44921,1.12003,2.34652,1.23481,"
    "0.000664,0.000664,0.000664\n",
    "2,20.3371,1.18942,2.61905,1.27211,0.66912,0.53335,0.62857,0.46032,1.10589,2.01436,1.22163,"
    "0.00132144,0.00132144,0.00132144\n",
    "3,28.9903,1.20315,2.4408,1.28007,0.70411,0.55,0.65283,0.47719,1.09002,1.78523,1.21322,"
    "0.00196572,0.00196572,0.00196572\n",
    "4,37.7214,1.15872,2.2093,1.25551,0.72203,0.56667,0.68818,0.50306,1.07781,1.60014,1.20511,"
    "0.00193,0.00193,0.00193\n",
    "5,46.5301,1.13025,2.01187,1.24003,0.71109,0.56667,0.67733,0.49915,1.07002,1.55021,1.20078,"
    "0.00127,0.00127,0.00127\n"};

// events.jsonl lines as the trainer writes them. A data-parallel run's (nproc=2, torchrun, a
// cluster job) run_start names the world size, and each batch line every rank's images/s and the
// share of rank 0's step spent in all-reduce.
QByteArray runStartLine(int worldSize)
{
    return QByteArrayLiteral("{\"batches_per_epoch\":4,\"device\":\"cpu\",\"epochs\":3,"
                             "\"exact\":true,\"launcher\":\"") +
           (worldSize > 1 ? "nproc" : "single") +
           "\",\"mode\":\"new\",\"model\":\"tiny\",\"start_batch\":0,\"start_epoch\":0,"
           "\"type\":\"run_start\",\"wall\":1700000000,\"world_size\":" +
           QByteArray::number(worldSize) + "}\n";
}

QByteArray batchLine(int batch, const QByteArray &rankIps, double comm)
{
    return QByteArrayLiteral("{\"batch\":") + QByteArray::number(batch) +
           ",\"batches\":4,\"epoch\":1,\"ips\":1000,\"loss\":[1.2,2.5,1.1],"
           "\"lr\":[0.01,0.01,0.01],\"step\":" +
           QByteArray::number(batch) +
           (rankIps.isEmpty()
                ? QByteArray()
                : ",\"rank_ips\":" + rankIps + ",\"comm\":" + QByteArray::number(comm)) +
           ",\"type\":\"batch\",\"wait\":0.05,\"wall\":1700000001}\n";
}

bool appendTo(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Append) && f.write(bytes) == bytes.size();
}

// The value the chart holds for a series at an epoch, from its CSV export ("" when absent).
QString chartValue(ChartView *chart, const QString &series, int epoch)
{
    const QString prefix = QStringLiteral("%1,%2,").arg(series).arg(epoch);
    for (const QString &line : chart->toCsv().split(QLatin1Char('\n'))) {
        if (line.startsWith(prefix))
            return line.split(QLatin1Char(',')).value(3);
    }
    return {};
}

QString statusText(QMainWindow *window)
{
    QStringList texts;
    for (const QLabel *label : window->statusBar()->findChildren<QLabel *>())
        texts << label->text();
    return texts.join(QLatin1Char('|'));
}

bool strictlyIncreasingKeys(const QCPGraph *graph)
{
    for (int i = 1; i < graph->dataCount(); ++i) {
        if (!(graph->dataMainKey(i) > graph->dataMainKey(i - 1)))
            return false;
    }
    return true;
}

} // namespace

// File → Open Run on a run that yolodeck-cli is still training (as a cluster job writing to a
// shared disk would): the window shows what is there and follows the run to its end.
class TestRunAttach : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_yaml;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        isolateWindowTest(this, QStringLiteral("tst_runattach"));
        // Qt's own file dialog, which the test can fill in on any platform.
        QCoreApplication::setAttribute(Qt::AA_DontUseNativeDialogs);
        QVERIFY2(QFileInfo(QStringLiteral(YOLODECK_CLI)).isExecutable(), YOLODECK_CLI);

        m_yaml = writeSmallDataset(m_dir.filePath(QStringLiteral("synth")));
        QVERIFY(!m_yaml.isEmpty());
    }

    void openRunFollowsALiveCliRun()
    {
        const QString runDir = m_dir.filePath(QStringLiteral("runs/attach"));
        QProcess cli; // killed by its destructor if the test gives up early
        cli.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        cli.setStandardOutputFile(QProcess::nullDevice());
        cli.start(QStringLiteral(YOLODECK_CLI),
                  {QStringLiteral("train"), QStringLiteral("data=") + m_yaml,
                   QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                   QStringLiteral("batch=8"), QStringLiteral("nbs=8"),
                   QStringLiteral("warmup_epochs=0"), QStringLiteral("mosaic=0"),
                   QStringLiteral("epochs=%1").arg(kEpochs), QStringLiteral("workers=1"),
                   QStringLiteral("threads=1"),
                   QStringLiteral("project=") + m_dir.filePath(QStringLiteral("runs")),
                   QStringLiteral("name=attach")});
        QVERIFY2(cli.waitForStarted(), qPrintable(cli.errorString()));
        // Attach once a few batches are on disk, well before the run ends.
        QTRY_VERIFY_WITH_TIMEOUT(batchEvents(runDir) >= 2 || cli.state() != QProcess::Running,
                                 60000);
        QVERIFY2(cli.state() == QProcess::Running, "yolodeck-cli ended before the test attached");

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ChartView *losses = window.chartsPanel()->chart(ChartView::Kind::Losses);
        ChartView *metrics = window.chartsPanel()->chart(ChartView::Kind::Metrics);

        QAction *openRun = actionWithText(&window, QStringLiteral("&Open Run…"));
        QVERIFY(openRun);
        QVERIFY(openRun->isEnabled());
        QString dialogClass;
        ModalAnswerer answer([&](QWidget *modal) {
            dialogClass = QString::fromLatin1(modal->metaObject()->className());
            auto dialog = qobject_cast<QFileDialog *>(modal);
            if (!dialog) {
                modal->close();
                return;
            }
            // Typed into the name field, as a user pastes a path (selectFile() leaves a field
            // that has the focus alone).
            dialog->setDirectory(runDir);
            if (auto name = dialog->findChild<QLineEdit *>(QStringLiteral("fileNameEdit")))
                name->setText(runDir);
            static_cast<QDialog *>(dialog)->accept(); // QFileDialog::accept() is protected
        });
        const int onDiskAtOpen = batchEvents(runDir);
        openRun->trigger();
        QCOMPARE(answer.answered(), 1);
        QCOMPARE(dialogClass, QStringLiteral("QFileDialog"));

        // What existed is replayed.
        QTRY_VERIFY_WITH_TIMEOUT(losses->batchPointCount() >= onDiskAtOpen, 20000);
        const int replayedBatches = losses->batchPointCount();
        const int replayedEpochs = metrics->epochPointCount();
        QVERIFY2(cli.state() == QProcess::Running,
                 "yolodeck-cli ended before the replay: make the run longer");
        QVERIFY2(replayedEpochs < kEpochs, qPrintable(QString::number(replayedEpochs)));

        // The System tab watches the process: which one, where, and its throughput from the batch
        // lines, diagnosed by the rules of the window's own runs.
        SystemPanel *system = window.systemPanel();
        QTRY_VERIFY2_WITH_TIMEOUT(
            system->isWatching() && !system->throughputText().startsWith(QStringLiteral("\u2014")),
            qPrintable(system->throughputText()), 20000);
        QVERIFY2(system->watchedText().startsWith(QStringLiteral("pid %1 on %2 (this machine)")
                                                      .arg(cli.processId())
                                                      .arg(QSysInfo::machineHostName())),
                 qPrintable(system->watchedText()));
        QVERIFY(system->throughputText().contains(QStringLiteral("% of each step")));
        QVERIFY(system->machineRowsShown());
        QTRY_VERIFY2_WITH_TIMEOUT(
            !system->diagnosisText().contains(QStringLiteral("starts when training runs")),
            qPrintable(system->diagnosisText()), 10000);

        // While yolodeck-cli trains, the charts grow: batch points and epoch rows.
        QTRY_VERIFY2_WITH_TIMEOUT(
            losses->batchPointCount() > replayedBatches &&
                metrics->epochPointCount() > replayedEpochs,
            qPrintable(QStringLiteral("the charts did not follow the live run: %1 batch points "
                                      "and %2 epochs shown, %3 batches and %4 epochs on disk")
                           .arg(losses->batchPointCount())
                           .arg(metrics->epochPointCount())
                           .arg(batchEvents(runDir))
                           .arg(resultRows(runDir))),
            15000);

        // After the run ends, the window shows all of it: as many epochs as results.csv, every
        // batch once, in order.
        QVERIFY(cli.waitForFinished(120000));
        QCOMPARE(cli.exitStatus(), QProcess::NormalExit);
        QCOMPARE(cli.exitCode(), 0);
        QCOMPARE(resultRows(runDir), kEpochs);
        QTRY_COMPARE_WITH_TIMEOUT(metrics->epochPointCount(), resultRows(runDir), 20000);
        QTRY_COMPARE_WITH_TIMEOUT(losses->batchPointCount(), kEpochs * kBatchesPerEpoch, 20000);
        // Ended: nothing live is left to watch.
        QTRY_VERIFY_WITH_TIMEOUT(!system->isWatching(), 10000);
        QCOMPARE(system->throughputText(), QStringLiteral("\u2014 | \u2014"));
        losses->flush();
        QVERIFY(strictlyIncreasingKeys(losses->plot()->graph(0)));
        QCOMPARE(losses->epochPointCount(), kEpochs);
    }

    // An Ultralytics run folder: no events.jsonl, results.csv grown by another program (Python).
    void openRunFollowsAnUltralyticsRun()
    {
        const QString runDir = m_dir.filePath(QStringLiteral("ultralytics/runs/detect/train3"));
        const QString csv = runDir + QStringLiteral("/results.csv");
        QVERIFY(appendTo(runDir + QStringLiteral("/args.yaml"), kUltralyticsArgs));
        QVERIFY(appendTo(csv, kUltralyticsRows[0] + kUltralyticsRows[1] + kUltralyticsRows[2] +
                                  kUltralyticsRows[3]));
        QVERIFY(appendTo(runDir + QStringLiteral("/weights/last.pt"), "stand-in for last.pt"));
        QVERIFY(appendTo(runDir + QStringLiteral("/weights/best.pt"), "stand-in for best.pt"));

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ChartView *losses = window.chartsPanel()->chart(ChartView::Kind::Losses);
        ChartView *metrics = window.chartsPanel()->chart(ChartView::Kind::Metrics);
        ChartView *epochTime = window.chartsPanel()->chart(ChartView::Kind::EpochTime);

        window.openRun(csv); // the file names its folder
        QTRY_COMPARE_WITH_TIMEOUT(metrics->epochPointCount(), 3, 20000);
        QCOMPARE(losses->epochPointCount(), 3);
        QCOMPARE(losses->batchPointCount(), 0); // Ultralytics logs no batch losses
        QCOMPARE(chartValue(metrics, QStringLiteral("mAP50-95"), 2), QStringLiteral("0.46032"));
        QCOMPARE(chartValue(epochTime, QStringLiteral("seconds per epoch"), 3),
                 QString::number(28.9903 - 20.3371, 'g', 6));
        QCOMPARE(metrics->bestEpoch(), 3);
        QVERIFY2(window.windowTitle().contains(QStringLiteral("train3 (Ultralytics)")),
                 qPrintable(window.windowTitle()));
        const QString dir = QDir::toNativeSeparators(runDir);
        QVERIFY2(
            statusText(&window).contains(
                QStringLiteral("Following Ultralytics run %1 (results.csv, 3/5 epochs)").arg(dir)),
            qPrintable(statusText(&window)));
        // The Checkpoints tab lists weights/*.pt.
        QTRY_COMPARE_WITH_TIMEOUT(window.checkpointBrowser()->model()->rowCount(), 2, 10000);

        // Ultralytics appends epoch 4: the window follows.
        QVERIFY(appendTo(csv, kUltralyticsRows[4]));
        QTRY_COMPARE_WITH_TIMEOUT(metrics->epochPointCount(), 4, 10000);
        QCOMPARE(chartValue(metrics, QStringLiteral("mAP50-95"), 4), QStringLiteral("0.50306"));
        QTRY_COMPARE_WITH_TIMEOUT(metrics->bestEpoch(), 4, 5000);
        QTRY_VERIFY2_WITH_TIMEOUT(
            statusText(&window).contains(QStringLiteral("(results.csv, 4/5 epochs)")),
            qPrintable(statusText(&window)), 5000);

        // Half of epoch 5's row is on disk: not a row yet, and no error.
        const QByteArray last = kUltralyticsRows[5];
        QVERIFY(appendTo(csv, last.left(40)));
        QTest::qWait(2500); // two ticks of the follow timer
        QCOMPARE(metrics->epochPointCount(), 4);
        QCOMPARE(QApplication::activeModalWidget(), nullptr);

        // The rest of it: the fifth of five epochs ends the run, and the window stops following.
        QVERIFY(appendTo(csv, last.mid(40)));
        QTRY_COMPARE_WITH_TIMEOUT(metrics->epochPointCount(), 5, 10000);
        QTRY_VERIFY2_WITH_TIMEOUT(
            statusText(&window).contains(
                QStringLiteral("Showing Ultralytics run %1: 5/5 epochs").arg(dir)),
            qPrintable(statusText(&window)), 5000);
        QVERIFY(appendTo(csv, kUltralyticsRows[5])); // nobody follows any more
        QTest::qWait(2500);
        QCOMPARE(metrics->epochPointCount(), 5);
    }

    // A run another machine trains (a cluster job writing to a shared disk): its own recorded
    // figures, none of this machine's, and the diagnosis the oversized-image case needs.
    void watchedRunOnAnotherMachine()
    {
        const QString runDir = m_dir.filePath(QStringLiteral("remote/train"));
        const QString events = runDir + QStringLiteral("/events.jsonl");
        QByteArray lines =
            "{\"type\":\"run_start\",\"wall\":1700000000,\"mode\":\"new\",\"epochs\":3,"
            "\"batches_per_epoch\":25,\"device\":\"cuda:0\",\"pid\":4242,"
            "\"host\":\"gpu-node-3.elsewhere\",\"cores\":2,\"workers\":8,\"imgsz\":64,"
            "\"cache\":\"false\",\"data\":\"/data/big/data.yaml\",\"train_images\":100,"
            "\"image_median\":3000,\"cache_ram_bytes\":1228800}\n";
        for (int i = 1; i <= 10; ++i)
            lines += QByteArrayLiteral("{\"type\":\"batch\",\"wall\":") +
                     QByteArray::number(1700000000 + i) +
                     ",\"epoch\":1,\"batch\":" + QByteArray::number(i) +
                     ",\"batches\":25,\"loss\":[1,2,1],\"lr\":[0.01,0.01,0.01],\"ips\":3.1,"
                     "\"wait\":0.87,\"read_ms\":0.4,\"decode_ms\":81.5,\"cpu\":195,"
                     "\"sys_cpu\":98,\"rss\":1288490188,\"mem_avail\":5368709120,"
                     "\"gpu_mem\":3221225472,\"gpu_name\":\"NVIDIA H200\",\"gpu_util\":31,"
                     "\"gpu_used\":4294967296,\"gpu_total\":151397597184}\n";
        QVERIFY(appendTo(events, lines));

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        SystemPanel *system = window.systemPanel();
        QVERIFY(system->machineRowsShown());
        window.openRun(runDir);
        QTRY_VERIFY_WITH_TIMEOUT(system->isWatching(), 20000);
        QCOMPARE(system->watchedText(),
                 QStringLiteral("pid 4242 on gpu-node-3.elsewhere (another machine: this "
                                "machine's GPU and system figures are hidden) | 195% (100% = "
                                "one core; 2 cores) | 1.2 GiB resident | 3.0 GiB on NVIDIA "
                                "H200, 31% busy"));
        QVERIFY(!system->machineRowsShown());
        QCOMPARE(system->throughputText(), QStringLiteral("3.1 | 87% of each step"));
        QTRY_VERIFY2_WITH_TIMEOUT(system->diagnosisText().contains(QStringLiteral(
                                      "yolodeck-cli resize data=/data/big/data.yaml imgsz=64")),
                                  qPrintable(system->diagnosisText()), 10000);
        const QString diagnosis = system->diagnosisText();
        QVERIFY2(diagnosis.contains(QStringLiteral("98% of 2 cores")), qPrintable(diagnosis));
        QVERIFY2(diagnosis.contains(QStringLiteral("47× imgsz=64")), qPrintable(diagnosis));
        QVERIFY2(!diagnosis.contains(QStringLiteral("Try more loader workers")),
                 qPrintable(diagnosis));
        // Its GPU, as recorded there, judged by the same rule as a local one.
        QVERIFY2(diagnosis.contains(QStringLiteral("NVIDIA H200 averaged 31% utilisation")),
                 qPrintable(diagnosis));
        QVERIFY2(diagnosis.contains(QStringLiteral("Data loading (above) is the likely cause")),
                 qPrintable(diagnosis));

        // The run ends: this machine's rows come back.
        QVERIFY(appendTo(events, "{\"type\":\"run_end\",\"wall\":1700000020}\n"));
        QTRY_VERIFY_WITH_TIMEOUT(!system->isWatching(), 10000);
        QVERIFY(system->machineRowsShown());
    }

    // A run on this machine whose process died without writing its end (killed, or a crash).
    void watchedRunWhoseProcessDied()
    {
        QProcess child;
        child.start(QStringLiteral("true"), {});
        QVERIFY(child.waitForStarted());
        const qint64 pid = child.processId();
        QVERIFY(child.waitForFinished());

        const QString runDir = m_dir.filePath(QStringLiteral("died/train"));
        QVERIFY(appendTo(runDir + QStringLiteral("/events.jsonl"),
                         "{\"type\":\"run_start\",\"wall\":1700000000,\"mode\":\"new\","
                         "\"epochs\":3,\"batches_per_epoch\":4,\"device\":\"cpu\",\"pid\":" +
                             QByteArray::number(pid) + ",\"host\":\"" +
                             QSysInfo::machineHostName().toUtf8() + "\"}\n" +
                             batchLine(1, QByteArray(), 0)));
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.openRun(runDir);
        SystemPanel *system = window.systemPanel();
        QTRY_VERIFY_WITH_TIMEOUT(system->isWatching(), 20000);
        QVERIFY2(
            system->watchedText().contains(QStringLiteral("(this machine; no longer running)")),
            qPrintable(system->watchedText()));
        QVERIFY(system->machineRowsShown());
        QTRY_VERIFY2_WITH_TIMEOUT(system->diagnosisText().contains(
                                      QStringLiteral("Process %1 is no longer running").arg(pid)),
                                  qPrintable(system->diagnosisText()), 10000);
        QCOMPARE(system->throughputText(), QStringLiteral("\u2014 | \u2014"));
    }

    // A data-parallel run trained by other processes: the System tab shows its processes and each
    // rank's images/s from events.jsonl, as for a run of the window's own, and follows them.
    void openRunShowsTheProcessesOfADataParallelRun()
    {
        const QString runDir = m_dir.filePath(QStringLiteral("ddp/runs/detect/train"));
        const QString events = runDir + QStringLiteral("/events.jsonl");
        QVERIFY(appendTo(events, runStartLine(2) + batchLine(1, "[512.3,497.8]", 0.12)));

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        SystemPanel *system = window.systemPanel();
        QVERIFY(system->processesText().isEmpty());

        window.openRun(runDir);
        QTRY_VERIFY_WITH_TIMEOUT(!system->processesText().isEmpty(), 20000);
        QCOMPARE(system->processesText(),
                 QStringLiteral("2 \u00b7 all-reduce 12% of each step | "
                                "rank 0 512 img/s \u00b7 rank 1 498 img/s"));

        // The next step: the window follows the figures.
        QVERIFY(appendTo(events, batchLine(2, "[530,401]", 0.31)));
        QTRY_COMPARE_WITH_TIMEOUT(system->processesText(),
                                  QStringLiteral("2 \u00b7 all-reduce 31% of each step | "
                                                 "rank 0 530 img/s \u00b7 rank 1 401 img/s"),
                                  10000);

        // The run has ended: the count stays, the figures of its last step go.
        QVERIFY(appendTo(events, "{\"type\":\"run_end\",\"wall\":1700000002}\n"));
        QTRY_COMPARE_WITH_TIMEOUT(system->processesText(), QStringLiteral("2 | \u2014"), 10000);

        // A one-process run shows no processes.
        const QString single = m_dir.filePath(QStringLiteral("ddp/runs/detect/single"));
        QVERIFY(appendTo(single + QStringLiteral("/events.jsonl"),
                         runStartLine(1) + batchLine(1, QByteArray(), 0)));
        window.openRun(single);
        QTRY_VERIFY_WITH_TIMEOUT(window.windowTitle().contains(QLatin1String("single")), 20000);
        QVERIFY(system->processesText().isEmpty());
    }
};

QTEST_MAIN(TestRunAttach)
#include "tst_runattach.moc"
