#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "ui/chartspanel.h"
#include "ui/chartview.h"
#include "ui/mainwindow.h"
#include "ui/metatypes.h"

#include <QAction>
#include <QApplication>
#include <QFile>
#include <QFileDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
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
        losses->flush();
        QVERIFY(strictlyIncreasingKeys(losses->plot()->graph(0)));
        QCOMPARE(losses->epochPointCount(), kEpochs);
    }
};

QTEST_MAIN(TestRunAttach)
#include "tst_runattach.moc"
