#include "ui/metatypes.h"
#include "ui/trainingcontroller.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

// The worker-thread bridge against the real trainer: the tiny model on the generated demo
// dataset, started, paused, continued and stopped from the GUI thread.
class TestTrainingController : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    TrainConfig demoConfig() const
    {
        TrainConfig c;
        c.data = m_dir.filePath(QStringLiteral("demo/data.yaml"));
        c.model = QStringLiteral("tiny");
        c.imgsz = 64;
        c.batch = 8;
        c.epochs = 200; // never reached: the test stops it
        c.workers = 1;
        c.threads = 1;
        c.project = m_dir.filePath(QStringLiteral("runs"));
        c.name = QStringLiteral("ctl");
        return c;
    }

private Q_SLOTS:
    void startPauseContinueStop()
    {
        TrainingController controller;
        QSignalSpy started(&controller, &TrainingController::runStarted);
        QSignalSpy batches(&controller, &TrainingController::batchFinished);
        QSignalSpy finished(&controller, &TrainingController::runFinished);
        QSignalSpy states(&controller, &TrainingController::stateChanged);

        controller.start(demoConfig(), true);
        QCOMPARE(controller.state(), TrainingController::State::Starting);
        QVERIFY(!controller.planResume(QStringLiteral("x.pt"))); // busy: refused
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 120000);
        QCOMPARE(controller.state(), TrainingController::State::Running);
        const RunStarted run = started.at(0).at(0).value<RunStarted>();
        QCOMPARE(run.mode, QStringLiteral("new"));
        QVERIFY(run.batchesPerEpoch > 0);
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() >= 2, 60000);

        controller.setPaused(true);
        QCOMPARE(controller.state(), TrainingController::State::Paused);
        QTest::qWait(1500); // a batch in flight may still arrive
        const int whilePaused = batches.count();
        QTest::qWait(1500);
        QCOMPARE(batches.count(), whilePaused);

        controller.setPaused(false);
        QTRY_VERIFY_WITH_TIMEOUT(batches.count() > whilePaused, 60000);

        controller.stop();
        QCOMPARE(controller.state(), TrainingController::State::Stopping);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 120000);
        const RunFinished done = finished.at(0).at(0).value<RunFinished>();
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(done.stopped);
        QCOMPARE(controller.state(), TrainingController::State::Idle);
        QVERIFY(QFileInfo::exists(run.runDir + QStringLiteral("/weights/last.pt")));
        QCOMPARE(states.last().at(0).value<TrainingController::State>(),
                 TrainingController::State::Idle);
    }

    void badConfigFailsWithAMessage()
    {
        TrainingController controller;
        QSignalSpy finished(&controller, &TrainingController::runFinished);
        TrainConfig c = demoConfig();
        c.data = m_dir.filePath(QStringLiteral("missing/data.yaml"));
        controller.start(c, false);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const RunFinished done = finished.at(0).at(0).value<RunFinished>();
        QVERIFY(done.failed);
        QVERIFY2(!done.message.isEmpty(), "a failure carries its reason");
        QCOMPARE(controller.state(), TrainingController::State::Idle);
    }

    void destructorStopsARunningTrainer()
    {
        QSignalSpy *batches = nullptr;
        QString runDir;
        {
            TrainingController controller;
            QSignalSpy started(&controller, &TrainingController::runStarted);
            batches = new QSignalSpy(&controller, &TrainingController::batchFinished);
            TrainConfig c = demoConfig();
            c.name = QStringLiteral("dtor");
            controller.start(c, true);
            QTRY_VERIFY_WITH_TIMEOUT(batches->count() >= 1, 120000);
            runDir = started.at(0).at(0).value<RunStarted>().runDir;
        } // must return: stop requested, thread joined
        delete batches;
        QVERIFY(QFileInfo::exists(runDir + QStringLiteral("/weights/last.pt")));
    }
};

QTEST_MAIN(TestTrainingController)
#include "tst_trainingcontroller.moc"
