// The window program itself, as a user starts it: `yolodeck --train key=value...` offscreen. The
// in-process window tests never run app/main.cpp; this one does, and checks what only main()
// sets up: the thread policy under which the window trains.

#include "core/checkpoint/checkpointmeta.h"
#include "core/data/synthdataset.h"
#include "tests/auto/common/threadenvironment.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <thread>

using namespace yolodeck;

class TestWindowProgram : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void trainsUnderTheThreadPolicy_data();
    void trainsUnderTheThreadPolicy();

private:
    QTemporaryDir m_dir;
    QString m_yaml;
};

void TestWindowProgram::initTestCase()
{
    QVERIFY(m_dir.isValid());
    SynthOptions o;
    o.dir = m_dir.filePath(QStringLiteral("data"));
    o.train = 16;
    o.val = 8;
    o.imgsz = 64;
    o.classes = 2;
    o.seed = 3;
    QVERIFY(writeSynthDataset(o).isOk());
    m_yaml = o.dir + QStringLiteral("/data.yaml");
}

void TestWindowProgram::trainsUnderTheThreadPolicy_data()
{
    QTest::addColumn<QStringList>("environment"); // NAME=value over an environment without them
    QTest::addColumn<int>("blasThreads");         // 0: every core

    QTest::newRow("unset: YoloDeck's policy") << QStringList() << 1;
    QTest::newRow("the user's value wins")
        << QStringList{QStringLiteral("OPENBLAS_NUM_THREADS=2")} << 2;
    QTest::newRow("policy off") << QStringList{QStringLiteral("YOLODECK_THREAD_POLICY=0")} << 0;
}

// OpenBLAS has read its variable before main() runs, so only the program's own start can apply the
// policy. The checkpoint records the thread count read back from the loaded library while the
// window trained (meta blas_threads): 1 under the policy, where OpenBLAS alone would take every
// core.
void TestWindowProgram::trainsUnderTheThreadPolicy()
{
    QFETCH(QStringList, environment);
    QFETCH(int, blasThreads);
    QProcessEnvironment env = testing::environmentWithThreadSettings(environment);
    // A private home: the window saves its geometry and settings there.
    QTemporaryDir home;
    env.insert(QStringLiteral("HOME"), home.path());
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral(".config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral(".local/share")));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));

    const QString project = m_dir.filePath(QString::fromLatin1(QTest::currentDataTag()));
    QProcess window;
    window.setProcessEnvironment(env);
    window.setProcessChannelMode(QProcess::MergedChannels);
    window.start(QStringLiteral(YOLODECK_APP),
                 {QStringLiteral("--train"), QStringLiteral("data=") + m_yaml,
                  QStringLiteral("project=") + project, QStringLiteral("name=train"),
                  QStringLiteral("model=tiny"), QStringLiteral("imgsz=64"),
                  QStringLiteral("batch=8"), QStringLiteral("epochs=1"),
                  QStringLiteral("warmup_epochs=0"), QStringLiteral("mosaic=0"),
                  QStringLiteral("workers=1"), QStringLiteral("tensorboard=false")});
    QVERIFY(window.waitForStarted());
    // The window stays open when its run ends: wait for the run's last record, then close it.
    const QString events = project + QStringLiteral("/train/events.jsonl");
    const auto ended = [&] {
        QFile f(events);
        return f.open(QIODevice::ReadOnly) && f.readAll().contains("\"type\":\"run_end\"");
    };
    QDeadlineTimer deadline(240000);
    while (!ended() && window.state() == QProcess::Running && !deadline.hasExpired())
        window.waitForFinished(200);
    const bool stillRunning = window.state() == QProcess::Running;
    window.terminate();
    if (!window.waitForFinished(20000)) {
        window.kill();
        window.waitForFinished();
    }
    QVERIFY2(stillRunning && ended(), window.readAll().constData());

    const CheckpointInfo last =
        readCheckpointInfo(project + QStringLiteral("/train/weights/last.pt"));
    QVERIFY2(last.meta.contains(QStringLiteral("blas_threads")), qPrintable(last.error));
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    QCOMPARE(last.meta.value(QStringLiteral("blas_threads")).toInt(),
             blasThreads > 0 ? blasThreads : cores);
}

QTEST_GUILESS_MAIN(TestWindowProgram)
#include "tst_windowprogram.moc"
