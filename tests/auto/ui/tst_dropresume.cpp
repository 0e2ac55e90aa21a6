#include "core/checkpoint/checkpointmeta.h"
#include "core/data/synthdataset.h"
#include "core/runlog/runlog.h"
#include "core/train/trainer.h"
#include "ui/mainwindow.h"
#include "ui/metatypes.h"
#include "ui/resumedialog.h"
#include "ui/runsetup/runsetuppanel.h"

#include <QApplication>
#include <QDirIterator>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

#include "../interop/ultralyticsfiles.h"
#include "windowtesthelpers.h"

using namespace yolodeck;
using namespace windowtest;

namespace {

// The Python that has PyTorch on the test machines (`python3` on PATH may be a pyenv without it).
const QString kTorchPython = QStringLiteral("/usr/bin/python3");

// What a resume confirmation showed, taken while it was open.
struct DialogContents
{
    QString className;
    QString title;
    QString text;        // every label, one per line
    QStringList buttons; // push buttons, in the order of creation
    bool epochsShown = false;
    int epochsMinimum = 0;
    int epochsValue = 0;
    ResumeRequest request;
};

DialogContents contentsOf(QWidget *modal)
{
    DialogContents c;
    c.className = QString::fromLatin1(modal->metaObject()->className());
    c.title = modal->windowTitle();
    QStringList labels;
    for (const QLabel *label : modal->findChildren<QLabel *>())
        labels << label->text();
    c.text = labels.join(QLatin1Char('\n'));
    for (const QPushButton *button : modal->findChildren<QPushButton *>()) {
        if (button->isVisibleTo(modal))
            c.buttons << button->text();
    }
    if (const QSpinBox *epochs = modal->findChild<QSpinBox *>()) {
        c.epochsShown = epochs->isVisibleTo(modal);
        c.epochsMinimum = epochs->minimum();
        c.epochsValue = epochs->value();
    }
    if (auto dialog = qobject_cast<ResumeDialog *>(modal))
        c.request = dialog->request();
    return c;
}

struct DropResult
{
    bool enterAccepted = false;
    bool dropAccepted = false;
};

// What a file manager does: a drag enters the window, and if the window takes it, the file is
// dropped on it.
DropResult dropFile(QWidget *target, const QString &path)
{
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    const QPoint pos = target->rect().center();
    DropResult result;
    QDragEnterEvent enter(pos, Qt::CopyAction | Qt::LinkAction, &mime, Qt::LeftButton,
                          Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    result.enterAccepted = enter.isAccepted();
    if (!result.enterAccepted)
        return result;
    QDropEvent drop(QPointF(pos), Qt::CopyAction | Qt::LinkAction, &mime, Qt::LeftButton,
                    Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
    result.dropAccepted = drop.isAccepted();
    return result;
}

// Copies a folder with everything in it (a run folder, to resume a copy of it).
bool copyFolder(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString source = it.next();
        const QString target = to + source.mid(from.size());
        if (!QDir().mkpath(QFileInfo(target).absolutePath()) || !QFile::copy(source, target))
            return false;
    }
    return QFileInfo(to).isDir();
}

// Stops its trainer once a given batch (1-based epoch and batch) has been reported: a mid-epoch
// stop at an exact position, as the Stop button makes one.
class StopAtBatch final : public TrainingObserver
{
public:
    StopAtBatch(Trainer &trainer, int epoch, int batch)
        : m_trainer(trainer)
        , m_epoch(epoch)
        , m_batch(batch)
    {}
    void batchFinished(const BatchProgress &p) override
    {
        if (p.epoch == m_epoch && p.batch == m_batch)
            m_trainer.requestStop();
    }

private:
    Trainer &m_trainer;
    int m_epoch;
    int m_batch;
};

} // namespace

// Dropping a file on the window: each kind of .pt ends in the resume confirmation that says what
// can be done with it and why.
class TestDropResume : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_finishedRun; // 2 epochs, save_period=1, stripped at the end
    QString m_stoppedRun;  // stopped at epoch 1, batch 2
    QMap<QString, QString> m_files;

    TrainConfig config(const QString &name, int epochs) const
    {
        TrainConfig c;
        c.data = m_yaml;
        c.model = QStringLiteral("tiny");
        c.imgsz = 64;
        c.batch = 8;
        c.nbs = 8;
        c.warmupEpochs = 0;
        c.mosaic = 0;
        c.epochs = epochs;
        c.workers = 1;
        c.threads = 1;
        c.project = m_dir.filePath(QStringLiteral("runs"));
        c.name = name;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        isolateWindowTest(this, QStringLiteral("tst_dropresume"));

        m_yaml = writeSmallDataset(m_dir.filePath(QStringLiteral("synth")));
        QVERIFY(!m_yaml.isEmpty());

        // A finished run: epoch1.pt and epoch2.pt stay full, best.pt and last.pt are stripped to
        // weights.
        TrainConfig finishedConfig = config(QStringLiteral("finished"), 2);
        finishedConfig.savePeriod = 1;
        finishedConfig.strip = true;
        Trainer finished(finishedConfig);
        TrainingObserver quiet;
        const RunFinished done = finished.run(&quiet);
        QVERIFY2(!done.failed, qPrintable(done.message));
        m_finishedRun = done.runDir;

        // A run stopped mid-epoch: its last.pt is the newest state of the run.
        Trainer stopping(config(QStringLiteral("stopped"), 3));
        StopAtBatch stopAt(stopping, 1, 2);
        const RunFinished stopped = stopping.run(&stopAt);
        QVERIFY2(!stopped.failed, qPrintable(stopped.message));
        QVERIFY(stopped.stopped);
        m_stoppedRun = stopped.runDir;

        m_files[QStringLiteral("stopped last")] = m_stoppedRun + QStringLiteral("/weights/last.pt");
        m_files[QStringLiteral("older epoch")] =
            m_finishedRun + QStringLiteral("/weights/epoch1.pt");
        m_files[QStringLiteral("final epoch")] =
            m_finishedRun + QStringLiteral("/weights/epoch2.pt");
        m_files[QStringLiteral("weights only")] =
            m_finishedRun + QStringLiteral("/weights/best.pt");
        QCOMPARE(readCheckpointInfo(m_files[QStringLiteral("stopped last")]).batch, 2);
        QCOMPARE(readCheckpointInfo(m_files[QStringLiteral("weights only")]).kind,
                 QStringLiteral("weights"));
        QCOMPARE(readCheckpointInfo(m_files[QStringLiteral("older epoch")]).kind,
                 QStringLiteral("full"));

        // A checkpoint cut off while being written.
        const QString truncated = m_dir.filePath(QStringLiteral("truncated.pt"));
        QVERIFY(QFile::copy(m_files[QStringLiteral("older epoch")], truncated));
        QFile cut(truncated);
        QVERIFY(cut.open(QIODevice::ReadWrite));
        QVERIFY(cut.resize(cut.size() * 6 / 10));
        cut.close();
        m_files[QStringLiteral("truncated")] = truncated;

        // A PyTorch file that YoloDeck did not write (what an Ultralytics .pt is to us).
        const QString foreign = m_dir.filePath(QStringLiteral("ultralytics.pt"));
        QProcess python;
        python.start(kTorchPython,
                     {QStringLiteral("-c"),
                      QStringLiteral("import sys, torch; torch.save({'epoch': 3}, sys.argv[1])"),
                      foreign});
        QVERIFY2(
            python.waitForFinished(120000),
            qPrintable(kTorchPython + QStringLiteral(" did not run: ") + python.errorString()));
        QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0,
                 qPrintable(QStringLiteral("%1 with PyTorch is needed to write a foreign .pt "
                                           "(apt install python3-torch): %2")
                                .arg(kTorchPython,
                                     QString::fromLocal8Bit(python.readAllStandardError()))));
        QVERIFY(QFileInfo(foreign).size() > 0);
        m_files[QStringLiteral("foreign pickle")] = foreign;

        // An image someone renamed.
        const QString png = m_dir.filePath(QStringLiteral("picture.pt"));
        QImage image(16, 16, QImage::Format_RGB32);
        image.fill(Qt::red);
        QVERIFY(image.save(png, "PNG"));
        m_files[QStringLiteral("renamed png")] = png;
    }

    void dropOpensTheRightDialog_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("action"); // ResumeRequest::Action
        QTest::addColumn<QString>("headline");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("resumeButton"); // empty: none
        QTest::addColumn<bool>("fineTune");
        QTest::addColumn<int>("epochsMinimum"); // 0: no epochs field

        QTest::newRow("full, newest state of its run: continue")
            << QStringLiteral("stopped last") << int(ResumeRequest::Action::Continue)
            << QStringLiteral("Exact resume</b> in the same run folder")
            << QStringLiteral("0 epochs completed, stopped at batch 2 of the next")
            << QStringLiteral("Resume") << true << 1;
        QTest::newRow("full, older than the run's newest: branch")
            << QStringLiteral("older epoch") << int(ResumeRequest::Action::Branch)
            << QStringLiteral("Exact resume as a branch") << QStringLiteral("-from-e1")
            << QStringLiteral("Resume as branch") << true << 2;
        // DESIGN.md §4: "the final epochN.pt stays full, so 'train 50 more epochs' always works".
        QTest::newRow("full, the finished run's final epoch: extend")
            << QStringLiteral("final epoch") << int(ResumeRequest::Action::Continue)
            << QStringLiteral("in the same run folder") << QStringLiteral("2 epochs completed")
            << QStringLiteral("Resume") << true << 3;
        QTest::newRow("weights only: fine-tune")
            << QStringLiteral("weights only") << int(ResumeRequest::Action::FineTune)
            << QStringLiteral("it cannot be resumed")
            << QStringLiteral("weights-only (stripped) checkpoint holds no optimizer state")
            << QString() << true << 0;
        QTest::newRow("foreign PyTorch pickle")
            << QStringLiteral("foreign pickle") << int(ResumeRequest::Action::Refused)
            << QStringLiteral("This file cannot be resumed")
            << QStringLiteral("a PyTorch file without an Ultralytics model (keys: epoch)")
            << QString() << false << 0;
        QTest::newRow("PNG renamed .pt")
            << QStringLiteral("renamed png") << int(ResumeRequest::Action::Refused)
            << QStringLiteral("This file cannot be resumed")
            << QStringLiteral("not a PyTorch zip archive") << QString() << false << 0;
        QTest::newRow("truncated checkpoint")
            << QStringLiteral("truncated") << int(ResumeRequest::Action::Refused)
            << QStringLiteral("This file cannot be resumed")
            << QStringLiteral("truncated zip archive") << QString() << false << 0;
    }

    void dropOpensTheRightDialog()
    {
        QFETCH(QString, file);
        QFETCH(int, action);
        QFETCH(QString, headline);
        QFETCH(QString, reason);
        QFETCH(QString, resumeButton);
        QFETCH(bool, fineTune);
        QFETCH(int, epochsMinimum);
        const QString path = m_files.value(file);
        QVERIFY(QFileInfo::exists(path));

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy started(window.controller(), &TrainingController::runStarted);
        DialogContents seen;
        ModalAnswerer answer([&](QWidget *modal) {
            seen = contentsOf(modal);
            modal->close(); // Cancel
        });
        const DropResult dropped = dropFile(&window, path);
        QVERIFY(dropped.enterAccepted);
        QVERIFY(dropped.dropAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);

        QCOMPARE(seen.className, QStringLiteral("yolodeck::ResumeDialog"));
        QVERIFY2(seen.title.contains(QFileInfo(path).fileName()), qPrintable(seen.title));
        QCOMPARE(QFileInfo(seen.request.checkpoint).canonicalFilePath(),
                 QFileInfo(path).canonicalFilePath());
        QVERIFY2(int(seen.request.action) == action,
                 qPrintable(QStringLiteral("action %1 instead of %2; the dialog said:\n%3")
                                .arg(int(seen.request.action))
                                .arg(action)
                                .arg(seen.text)));
        QVERIFY2(seen.text.contains(headline), qPrintable(seen.text));
        QVERIFY2(seen.text.contains(reason), qPrintable(seen.text));
        if (action == int(ResumeRequest::Action::Continue) ||
            action == int(ResumeRequest::Action::Branch)) {
            // What was checked is shown, not only the verdict.
            QVERIFY2(seen.text.contains(QLatin1String("Checks passed")), qPrintable(seen.text));
            QVERIFY2(seen.text.contains(QLatin1String("architecture: YOLOv8tiny")),
                     qPrintable(seen.text));
            QVERIFY2(seen.text.contains(QLatin1String("dataset unchanged")), qPrintable(seen.text));
        }
        if (resumeButton.isEmpty()) {
            QVERIFY2(!seen.buttons.contains(QStringLiteral("Resume")) &&
                         !seen.buttons.contains(QStringLiteral("Resume as branch")),
                     qPrintable(seen.buttons.join(QLatin1Char('|'))));
        } else {
            QVERIFY2(seen.buttons.contains(resumeButton),
                     qPrintable(seen.buttons.join(QLatin1Char('|'))));
        }
        QCOMPARE(seen.buttons.contains(QStringLiteral("Fine-tune from it")), fineTune);
        QVERIFY(seen.buttons.contains(QStringLiteral("Cancel")));
        // The extend option: the total epochs, which can only go up from the next epoch.
        QCOMPARE(seen.epochsShown, epochsMinimum > 0);
        if (epochsMinimum > 0) {
            QCOMPARE(seen.epochsMinimum, epochsMinimum);
            QVERIFY(seen.epochsValue >= epochsMinimum);
        }

        // Cancelled: nothing runs.
        QTRY_VERIFY(!QApplication::activeModalWidget());
        QTest::qWait(200);
        QCOMPARE(started.count(), 0);
        QCOMPARE(window.controller()->state(), TrainingController::State::Idle);
    }

    void dragOfOtherFilesIsRefused()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        ModalAnswerer answer([](QWidget *modal) { modal->close(); });
        const QString png = m_dir.filePath(QStringLiteral("image.png"));
        QVERIFY(QFile::copy(m_files.value(QStringLiteral("renamed png")), png));
        const DropResult dropped = dropFile(&window, png);
        QVERIFY(!dropped.enterAccepted);
        QTest::qWait(300);
        QCOMPARE(answer.answered(), 0);
    }

    void extendingABranchStartsItWithMoreEpochs()
    {
        const QString epoch1 = m_files.value(QStringLiteral("older epoch"));
        const QByteArray resultsBefore = [&] {
            QFile f(m_finishedRun + QStringLiteral("/results.csv"));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        QVERIFY(!resultsBefore.isEmpty());

        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrainingController *controller = window.controller();
        QSignalSpy started(controller, &TrainingController::runStarted);
        QSignalSpy finished(controller, &TrainingController::runFinished);
        // Stop the branch at its first batch: only its start matters here.
        connect(controller, &TrainingController::batchFinished, &window,
                [controller] { controller->stop(); });

        bool clicked = false;
        ModalAnswerer answer([&](QWidget *modal) {
            auto epochs = modal->findChild<QSpinBox *>();
            QPushButton *resume = buttonWithText(modal, QStringLiteral("Resume as branch"));
            if (!epochs || !resume) {
                modal->close();
                return;
            }
            epochs->setValue(4); // the run had 2
            clicked = true;
            resume->click();
        });
        QVERIFY(dropFile(&window, epoch1).dropAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);
        QVERIFY(clicked);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QCOMPARE(started.count(), 1);
        const RunStarted run = started.at(0).at(0).value<RunStarted>();
        QCOMPARE(run.mode, QStringLiteral("branch"));
        QCOMPARE(run.epochs, 4);
        QCOMPARE(run.startEpoch, 1);
        QCOMPARE(run.startBatch, 0);
        QCOMPARE(run.runDir, m_finishedRun + QStringLiteral("-from-e1"));
        QCOMPARE(int(run.history.size()), 1);
        const RunFinished done = finished.at(0).at(0).value<RunFinished>();
        QVERIFY2(!done.failed, qPrintable(done.message));
        QVERIFY(done.stopped);
        QVERIFY(readCheckpointInfo(run.runDir + QStringLiteral("/weights/last.pt")).isResumable());
        // The run it branched from is untouched.
        QFile results(m_finishedRun + QStringLiteral("/results.csv"));
        QVERIFY(results.open(QIODevice::ReadOnly));
        QCOMPARE(results.readAll(), resultsBefore);
    }

    void extendingAFinishedRunShowsTheNewTotalInTheSetup()
    {
        // A copy of the finished run, so that extending it leaves the other tests' files alone.
        const QString run = m_dir.filePath(QStringLiteral("runs/finished-extend"));
        QVERIFY(copyFolder(m_finishedRun, run));
        const QString finalEpoch = run + QStringLiteral("/weights/epoch2.pt");
        QVERIFY(QFileInfo::exists(finalEpoch));

        MainWindow window;
        // What a user typed for the first start: the run's 2 epochs.
        window.setupPanel()->setText(QStringLiteral("epochs"), QStringLiteral("2"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        TrainingController *controller = window.controller();
        QSignalSpy started(controller, &TrainingController::runStarted);
        QSignalSpy finished(controller, &TrainingController::runFinished);
        // Only the start matters: stop at the first batch of epoch 3.
        connect(controller, &TrainingController::batchFinished, &window,
                [controller] { controller->stop(); });

        bool clicked = false;
        ModalAnswerer answer([&](QWidget *modal) {
            auto epochs = modal->findChild<QSpinBox *>();
            QPushButton *resume = buttonWithText(modal, QStringLiteral("Resume"));
            if (!epochs || !resume) {
                modal->close();
                return;
            }
            epochs->setValue(5); // the extension: 3 more epochs
            clicked = true;
            resume->click();
        });
        QVERIFY(dropFile(&window, finalEpoch).dropAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);
        QVERIFY(clicked);
        QTRY_COMPARE_WITH_TIMEOUT(started.count(), 1, 60000);
        const RunStarted runStarted = started.at(0).at(0).value<RunStarted>();
        QCOMPARE(runStarted.mode, QStringLiteral("resume"));
        QCOMPARE(runStarted.epochs, 5);
        QCOMPARE(QFileInfo(runStarted.runDir).canonicalFilePath(),
                 QFileInfo(run).canonicalFilePath());
        // The setup shows the total the run now trains to.
        QCOMPARE(window.setupPanel()->text(QStringLiteral("epochs")), QStringLiteral("5"));
        auto epochsField =
            qobject_cast<QSpinBox *>(window.setupPanel()->editorFor(QStringLiteral("epochs")));
        QVERIFY(epochsField);
        QCOMPARE(epochsField->value(), 5);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const RunFinished done = finished.at(0).at(0).value<RunFinished>();
        QVERIFY2(!done.failed, qPrintable(done.message));
        // Still there once the session has ended: Start would train to 5 as well.
        QCOMPARE(window.setupPanel()->text(QStringLiteral("epochs")), QStringLiteral("5"));
        QTRY_VERIFY(window.setupPanel()->editorFor(QStringLiteral("epochs"))->isEnabled());
    }

    void ultralyticsLastPtContinuesWithTheDatasetField()
    {
        // An Ultralytics last.pt names a data.yaml from the machine it trained on: the Dataset
        // field stands in for it, and the dialog offers a not-exact continuation in YoloDeck.
        const QString ultra = m_dir.filePath(QStringLiteral("ultralytics"));
        const QString failed = makeUltralyticsFiles(ultra);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        SynthOptions synth;
        synth.dir = m_dir.filePath(QStringLiteral("shapes3"));
        synth.train = 8;
        synth.val = 4;
        synth.imgsz = 64;
        synth.classes = 3; // the names of the Ultralytics run's last.pt
        QVERIFY(writeSynthDataset(synth));
        const QString yaml = synth.dir + QStringLiteral("/data.yaml");

        MainWindow window;
        window.setupPanel()->setText(QStringLiteral("data"), yaml);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        DialogContents seen;
        ModalAnswerer answer([&](QWidget *modal) {
            seen = contentsOf(modal);
            modal->close(); // Cancel
        });
        const QString last = ultra + QStringLiteral("/runs/detect/train/weights/last.pt");
        QVERIFY(dropFile(&window, last).dropAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);
        QCOMPARE(seen.request.action, ResumeRequest::Action::Branch);
        QVERIFY(seen.request.foreign);
        QVERIFY(!seen.request.exact);
        QCOMPARE(seen.request.dataOverride, yaml);
        QCOMPARE(seen.request.runDir, ultra + QStringLiteral("/runs/detect/train-yolodeck"));
        QVERIFY2(seen.text.contains(QStringLiteral("Continue this Ultralytics run (not exact)")),
                 qPrintable(seen.text));
        QVERIFY2(seen.text.contains(QStringLiteral("the Dataset field")), qPrintable(seen.text));
        QVERIFY2(seen.buttons.contains(QStringLiteral("Continue in YoloDeck")),
                 qPrintable(seen.buttons.join(QLatin1Char('|'))));
        QCOMPARE(seen.request.completedEpochs, 5);
    }

    void weightsOnlyFileSetsUpAFineTune()
    {
        const QString best = m_files.value(QStringLiteral("weights only"));
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QSignalSpy started(window.controller(), &TrainingController::runStarted);
        ModalAnswerer answer([&](QWidget *modal) {
            if (QPushButton *fineTune = buttonWithText(modal, QStringLiteral("Fine-tune from it")))
                fineTune->click();
            else
                modal->close();
        });
        QVERIFY(dropFile(&window, best).dropAccepted);
        QTRY_COMPARE_WITH_TIMEOUT(answer.answered(), 1, 30000);
        // A fine-tune is a new run the user checks and starts: model= names the file, nothing
        // has started.
        QTRY_COMPARE(
            QFileInfo(window.setupPanel()->text(QStringLiteral("model"))).canonicalFilePath(),
            QFileInfo(best).canonicalFilePath());
        QCOMPARE(started.count(), 0);
        QCOMPARE(window.controller()->state(), TrainingController::State::Idle);
    }
};

QTEST_MAIN(TestDropResume)
#include "tst_dropresume.moc"
