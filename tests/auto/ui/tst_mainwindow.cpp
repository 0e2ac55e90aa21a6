#include "core/checkpoint/checkpointmeta.h"
#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "ui/chartspanel.h"
#include "ui/chartview.h"
#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/log/logpane.h"
#include "ui/mainwindow.h"
#include "ui/metatypes.h"
#include "ui/resumedialog.h"
#include "ui/runsetup/runsetuppanel.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <qcustomplot.h>

#include <functional>
#include <memory>

#include "windowtesthelpers.h"

using namespace yolodeck;
using namespace windowtest;

namespace {

constexpr int kBatchesPerEpoch = 4; // 32 training images in batches of 8

// Threads of this process whose kernel name is `name`. QThread names its thread after its
// objectName, and TrainingController names its thread "Training"; threads started from it (the
// loader, the checkpoint writer) inherit the name.
int threadsNamed(const QString &name)
{
    int n = 0;
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile comm(tasks.filePath(task + QStringLiteral("/comm")));
        if (comm.open(QIODevice::ReadOnly) && QString::fromUtf8(comm.readAll()).trimmed() == name)
            ++n;
    }
    return n;
}

} // namespace

// The window end to end against the real trainer: the run set up in the panel, started and stopped
// from the toolbar, resumed from the Checkpoints tab, and the window closed while training.
class TestMainWindow : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_yaml;

    void setUpRun(RunSetupPanel *setup, const QString &name, int epochs) const
    {
        const std::pair<const char *, QString> keys[] = {
            {"data", m_yaml},
            {"model", QStringLiteral("tiny")},
            {"epochs", QString::number(epochs)},
            {"imgsz", QStringLiteral("64")},
            {"batch", QStringLiteral("8")},
            {"nbs", QStringLiteral("8")},
            {"warmup_epochs", QStringLiteral("0")},
            {"mosaic", QStringLiteral("0")},
            {"workers", QStringLiteral("1")},
            // One intra-op thread: the GUI thread keeps a core of the two, and no torch pool
            // thread outlives the run under the training thread's name.
            {"threads", QStringLiteral("1")},
            {"project", m_dir.filePath(QStringLiteral("runs"))},
            {"name", name},
        };
        for (const auto &[key, value] : keys)
            setup->setText(QLatin1String(key), value);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        isolateWindowTest(this, QStringLiteral("tst_mainwindow"));

        m_yaml = writeSmallDataset(m_dir.filePath(QStringLiteral("synth")));
        QVERIFY(!m_yaml.isEmpty());
    }

    // Start is only offered for a batch that splits evenly over the processes.
    void startNeedsABatchThatSplitsOverTheProcesses()
    {
        MainWindow window;
        setUpRun(window.setupPanel(), QStringLiteral("split"), 1);
        QAction *start = actionWithText(&window, QStringLiteral("&Start"));
        QVERIFY(start);
        QVERIFY2(start->isEnabled(), qPrintable(window.setupPanel()->config().error()));
        window.setupPanel()->setText(QStringLiteral("nproc"), QStringLiteral("3")); // batch 8
        QVERIFY(!start->isEnabled());
        QVERIFY(window.setupPanel()
                    ->errorFor(QStringLiteral("nproc"))
                    .contains(QLatin1String("batch=8 is not valid with nproc=3")));
        window.setupPanel()->setText(QStringLiteral("batch"), QStringLiteral("9"));
        QVERIFY(start->isEnabled());
    }

    void stopResumeFromBrowserKeepsChartsContinuous()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrainingController *controller = window.controller();
        QSignalSpy started(controller, &TrainingController::runStarted);
        QSignalSpy batches(controller, &TrainingController::batchFinished);
        QSignalSpy epochs(controller, &TrainingController::epochFinished);
        QSignalSpy finished(controller, &TrainingController::runFinished);

        setUpRun(window.setupPanel(), QStringLiteral("continuous"), 3);
        QVERIFY2(window.setupPanel()->isValid(), qPrintable(window.setupPanel()->config().error()));
        QAction *start = actionWithText(&window, QStringLiteral("&Start"));
        QAction *stop = actionWithText(&window, QStringLiteral("S&top"));
        QVERIFY(start && stop);
        QVERIFY(start->isEnabled());
        QVERIFY(!stop->isEnabled());

        // Stop from the toolbar after the first batch of epoch 2. The trainer acts on the flag at
        // the next batch boundary, so it stops inside epoch 2 at the batch it reported last.
        constexpr int kStopAfter = kBatchesPerEpoch + 1;
        int seen = 0;
        connect(controller, &TrainingController::batchFinished, &window, [&] {
            if (++seen == kStopAfter) {
                QVERIFY(stop->isEnabled());
                stop->trigger();
            }
        });
        start->trigger();
        QCOMPARE(controller->state(), TrainingController::State::Starting);
        QVERIFY(!start->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);

        QCOMPARE(started.count(), 1);
        const RunStarted run = started.at(0).at(0).value<RunStarted>();
        QCOMPARE(run.mode, QStringLiteral("new"));
        QCOMPARE(run.batchesPerEpoch, kBatchesPerEpoch);
        // The log's run line names the training engine the trainer chose.
        QVERIFY(run.engine == QLatin1String("oneDNN") || run.engine == QLatin1String("LibTorch"));
        const LogPane *log = window.findChild<LogPane *>();
        QVERIFY(log);
        QVERIFY2(!log->visibleLines()
                      .filter(QStringLiteral("(%1 training engine)").arg(run.engine))
                      .isEmpty(),
                 qPrintable(log->visibleLines().join(QLatin1Char('\n'))));
        const RunFinished stopped = finished.at(0).at(0).value<RunFinished>();
        QVERIFY2(!stopped.failed, qPrintable(stopped.message));
        QVERIFY(stopped.stopped);
        QCOMPARE(epochs.count(), 1);
        const int batchesBeforeStop = batches.count();
        QVERIFY2(batchesBeforeStop > kBatchesPerEpoch && batchesBeforeStop < 2 * kBatchesPerEpoch,
                 qPrintable(QString::number(batchesBeforeStop)));
        const BatchProgress lastBatch = batches.last().at(0).value<BatchProgress>();
        QCOMPARE(lastBatch.epoch, 2);

        // last.pt holds the exact batch where training stopped.
        const QString last = run.runDir + QStringLiteral("/weights/last.pt");
        const CheckpointInfo stopInfo = readCheckpointInfo(last);
        QVERIFY2(stopInfo.isValid(), qPrintable(stopInfo.error));
        QCOMPARE(stopInfo.kind, QStringLiteral("full"));
        QCOMPARE(stopInfo.epoch, 1);
        QCOMPARE(stopInfo.batch, lastBatch.batch);
        QVERIFY(stopInfo.batch > 0);
        QCOMPARE(controller->state(), TrainingController::State::Idle);
        QVERIFY(start->isEnabled());

        ChartView *losses = window.chartsPanel()->chart(ChartView::Kind::Losses);
        QCOMPARE(losses->batchPointCount(), batchesBeforeStop);
        QCOMPARE(losses->epochPointCount(), 1);

        // Resume from the Checkpoints tab: select last.pt and press Resume; the confirmation is
        // answered with its own Resume button.
        window.tabs()->setCurrentIndex(MainWindow::CheckpointsTab);
        auto browser = window.findChild<CheckpointBrowser *>();
        QVERIFY(browser);
        QTableView *view = browser->view();
        auto lastRow = [&] {
            for (int r = 0; r < view->model()->rowCount(); ++r) {
                const QModelIndex index = view->model()->index(r, 0);
                if (QFileInfo(index.data(CheckpointTableModel::PathRole).toString()).fileName() ==
                        QLatin1String("last.pt") &&
                    view->model()
                            ->index(r, CheckpointTableModel::Batch)
                            .data(CheckpointTableModel::SortRole)
                            .toInt() == stopInfo.batch)
                    return r;
            }
            return -1;
        };
        QTRY_VERIFY_WITH_TIMEOUT(lastRow() >= 0, 20000);
        view->selectRow(lastRow());
        QCOMPARE(QFileInfo(browser->selectedPath()).fileName(), QStringLiteral("last.pt"));
        QPushButton *resume = buttonWithText(browser, QStringLiteral("Resume"));
        QVERIFY(resume);
        QVERIFY(resume->isEnabled());

        QString dialogClass;
        ResumeRequest request;
        ModalAnswerer answer([&](QWidget *modal) {
            dialogClass = QString::fromLatin1(modal->metaObject()->className());
            auto dialog = qobject_cast<ResumeDialog *>(modal);
            QPushButton *confirm =
                dialog ? buttonWithText(dialog, QStringLiteral("Resume")) : nullptr;
            if (!confirm) {
                modal->close();
                return;
            }
            request = dialog->request();
            confirm->click();
        });
        resume->click();
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);
        QCOMPARE(dialogClass, QStringLiteral("yolodeck::ResumeDialog"));
        QVERIFY(request.action == ResumeRequest::Action::Continue);
        QVERIFY(request.exact);
        QCOMPARE(request.completedEpochs, 1);
        QCOMPARE(request.completedBatch, stopInfo.batch);

        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
        QCOMPARE(started.count(), 2);
        const RunStarted resumed = started.at(1).at(0).value<RunStarted>();
        QCOMPARE(resumed.mode, QStringLiteral("resume"));
        QVERIFY(resumed.exact);
        QCOMPARE(resumed.runDir, run.runDir);
        QCOMPARE(resumed.startEpoch, 1);
        QCOMPARE(resumed.startBatch, stopInfo.batch);
        const RunFinished done = finished.at(1).at(0).value<RunFinished>();
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(!done.stopped);
        QCOMPARE(done.epochsDone, 3);
        // Every batch trained exactly once over the two sessions, every epoch reported once.
        QCOMPARE(batches.count(), 3 * kBatchesPerEpoch);
        QCOMPARE(epochs.count(), 3);
        const Result<History> rows =
            RunLog::readResults(run.runDir + QStringLiteral("/results.csv"));
        QVERIFY2(rows, qPrintable(rows.error()));
        QCOMPARE(int(rows.value().size()), 3);

        // One continuous loss curve: 12 batch points at epoch + batch/4, strictly increasing,
        // no point of the stopped session repeated, and one resume marker at the stop point.
        losses->flush();
        QCPGraph *raw = losses->plot()->graph(0);
        QCOMPARE(raw->name(), QStringLiteral("train box"));
        QCOMPARE(raw->dataCount(), 3 * kBatchesPerEpoch);
        for (int i = 0; i < raw->dataCount(); ++i) {
            const double expected = double(i + 1) / kBatchesPerEpoch;
            QVERIFY2(qAbs(raw->dataMainKey(i) - expected) < 1e-9,
                     qPrintable(QStringLiteral("point %1 at x=%2, expected %3")
                                    .arg(i)
                                    .arg(raw->dataMainKey(i))
                                    .arg(expected)));
            if (i > 0)
                QVERIFY(raw->dataMainKey(i) > raw->dataMainKey(i - 1));
        }
        const double stopPoint = 1.0 + double(stopInfo.batch) / kBatchesPerEpoch;
        QCOMPARE(losses->resumeMarkers().size(), size_t(1));
        QCOMPARE(losses->resumeMarkers().front(), stopPoint);
        int drawnMarkers = 0;
        for (int i = 0; i < losses->plot()->itemCount(); ++i) {
            auto text = qobject_cast<QCPItemText *>(losses->plot()->item(i));
            if (text && text->text().startsWith(QLatin1String("resumed at")))
                ++drawnMarkers;
        }
        QCOMPARE(drawnMarkers, 1);
        for (ChartView::Kind kind : {ChartView::Kind::Losses, ChartView::Kind::Metrics,
                                     ChartView::Kind::LearningRate, ChartView::Kind::EpochTime})
            QCOMPARE(window.chartsPanel()->chart(kind)->epochPointCount(), 3);

        // On the step axis the same curve is steps 1..12: the global step continues across the
        // resume.
        window.chartsPanel()->setXAxis(ChartView::XAxis::Step);
        losses->flush();
        QCOMPARE(raw->dataCount(), 3 * kBatchesPerEpoch);
        for (int i = 0; i < raw->dataCount(); ++i)
            QCOMPARE(raw->dataMainKey(i), double(i + 1));
        window.chartsPanel()->setXAxis(ChartView::XAxis::Epoch);
    }

    void closingWhileTrainingAsksThenStopsAndJoins()
    {
        // A QThread destroyed while running prints this and aborts: the window must wait for it.
        QTest::failOnWarning(
            QRegularExpression(QStringLiteral("QThread.*(still running|terminat)")));
        auto window = std::make_unique<MainWindow>();
        window->show();
        QVERIFY(QTest::qWaitForWindowExposed(window.get()));
        TrainingController *controller = window->controller();
        QSignalSpy batches(controller, &TrainingController::batchFinished);
        QSignalSpy finished(controller, &TrainingController::runFinished);
        QSignalSpy started(controller, &TrainingController::runStarted);
        setUpRun(window->setupPanel(), QStringLiteral("closing"), 200); // never reached
        QAction *start = actionWithText(window.get(), QStringLiteral("&Start"));
        QVERIFY(start && start->isEnabled());
        start->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() >= 2, 60000);
        QVERIFY(threadsNamed(QStringLiteral("Training")) >= 1);

        // Cancel: the window stays and training goes on.
        QString question;
        {
            ModalAnswerer cancel([&](QWidget *modal) {
                auto box = qobject_cast<QMessageBox *>(modal);
                if (!box) {
                    modal->close();
                    return;
                }
                question = box->text();
                box->button(QMessageBox::Cancel)->click();
            });
            QVERIFY(!window->close());
            QCOMPARE(cancel.answered(), 1);
        }
        QVERIFY2(question.contains(QLatin1String("Stop training and quit?")), qPrintable(question));
        QVERIFY(window->isVisible());
        QVERIFY(controller->isBusy());
        const int beforeCancel = batches.count();
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() >= beforeCancel + 2, 30000);
        QCOMPARE(finished.count(), 0);

        // Yes: the trainer stops at the next batch (saving last.pt there), then the window closes
        // by itself.
        {
            ModalAnswerer yes([&](QWidget *modal) {
                auto box = qobject_cast<QMessageBox *>(modal);
                if (!box) {
                    modal->close();
                    return;
                }
                box->button(QMessageBox::Yes)->click();
            });
            QVERIFY(!window->close()); // not yet: it closes once the trainer has stopped
            QCOMPARE(yes.answered(), 1);
        }
        QVERIFY(controller->state() == TrainingController::State::Stopping ||
                finished.count() == 1);
        QTRY_VERIFY_WITH_TIMEOUT(!window->isVisible(), 60000);
        QCOMPARE(finished.count(), 1);
        const RunFinished done = finished.at(0).at(0).value<RunFinished>();
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(done.stopped);
        QCOMPARE(controller->state(), TrainingController::State::Idle);

        // last.pt is where the trainer stopped: the last reported batch, or the end of its epoch.
        const RunStarted run = started.at(0).at(0).value<RunStarted>();
        const BatchProgress lastBatch = batches.last().at(0).value<BatchProgress>();
        const CheckpointInfo info =
            readCheckpointInfo(run.runDir + QStringLiteral("/weights/last.pt"));
        QVERIFY2(info.isResumable(), qPrintable(info.error));
        if (lastBatch.batch < lastBatch.batches) {
            QCOMPARE(info.epoch, lastBatch.epoch - 1);
            QCOMPARE(info.batch, lastBatch.batch);
        } else {
            QCOMPARE(info.epoch, lastBatch.epoch);
            QCOMPARE(info.batch, 0);
        }

        // Destroying the window joins the training thread (and everything it started).
        window.reset();
        QCOMPARE(threadsNamed(QStringLiteral("Training")), 0);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
