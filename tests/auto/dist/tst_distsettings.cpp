// How a process finds its place in a job (core/dist/distsettings) and how the local launcher
// reports ranks that ended badly; no process group is formed here (tst_distributed does that).
#include "core/dist/distsettings.h"
#include "core/dist/locallauncher.h"

#include <QTemporaryDir>
#include <QtTest>

#include <csignal>

using namespace yolodeck;
using namespace yolodeck::dist;

namespace {

QProcessEnvironment envOf(std::initializer_list<std::pair<const char *, const char *>> values)
{
    QProcessEnvironment env;
    for (const auto &[k, v] : values)
        env.insert(QString::fromLatin1(k), QString::fromLatin1(v));
    return env;
}

} // namespace

class TestDistSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noJobIsOneProcess();
    void torchrunAgentStore();
    void torchrunStandalone();
    void handWrittenLauncher();
    void slurm();
    void nprocChild();
    void malformedValuesNameTheVariable_data();
    void malformedValuesNameTheVariable();
    void launcherNamesRanksThatEndedBadly();
    void launcherRefusesAMissingProgram();
};

void TestDistSettings::noJobIsOneProcess()
{
    const Result<DistSettings> s = DistSettings::fromEnvironment(envOf({}));
    QVERIFY(s);
    QCOMPARE(s.value().worldSize, 1);
    QVERIFY(!s.value().isDistributed());
    // WORLD_SIZE=1 (a one-process torchrun) is no job either, whatever else is set.
    const Result<DistSettings> one =
        DistSettings::fromEnvironment(envOf({{"WORLD_SIZE", "1"}, {"RANK", "0"}}));
    QVERIFY(one);
    QVERIFY(!one.value().isDistributed());
}

void TestDistSettings::torchrunAgentStore()
{
    const Result<DistSettings> s =
        DistSettings::fromEnvironment(envOf({{"RANK", "3"},
                                             {"LOCAL_RANK", "1"},
                                             {"WORLD_SIZE", "4"},
                                             {"LOCAL_WORLD_SIZE", "2"},
                                             {"MASTER_ADDR", "10.0.0.5"},
                                             {"MASTER_PORT", "29500"},
                                             {"TORCHELASTIC_RESTART_COUNT", "2"},
                                             {"TORCHELASTIC_USE_AGENT_STORE", "True"}}));
    QVERIFY2(s, qPrintable(s.error()));
    QCOMPARE(s.value().rank, 3);
    QCOMPARE(s.value().localRank, 1);
    QCOMPARE(s.value().worldSize, 4);
    QCOMPARE(s.value().localWorldSize, 2);
    QCOMPARE(s.value().masterAddr, QStringLiteral("10.0.0.5"));
    QCOMPARE(s.value().masterPort, 29500);
    QVERIFY(s.value().agentStore);
    QCOMPARE(s.value().restartCount, 2);
    QCOMPARE(s.value().launcher, QStringLiteral("torchrun, agent store"));
}

void TestDistSettings::torchrunStandalone()
{
    const Result<DistSettings> s =
        DistSettings::fromEnvironment(envOf({{"RANK", "0"},
                                             {"WORLD_SIZE", "2"},
                                             {"MASTER_ADDR", "127.0.0.1"},
                                             {"MASTER_PORT", "41234"},
                                             {"TORCHELASTIC_RESTART_COUNT", "0"},
                                             {"TORCHELASTIC_USE_AGENT_STORE", "False"}}));
    QVERIFY2(s, qPrintable(s.error()));
    QVERIFY(!s.value().agentStore);
    QCOMPARE(s.value().launcher, QStringLiteral("torchrun, store on rank 0"));
}

void TestDistSettings::handWrittenLauncher()
{
    const Result<DistSettings> s = DistSettings::fromEnvironment(envOf(
        {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "node0"}, {"MASTER_PORT", "29400"}}));
    QVERIFY2(s, qPrintable(s.error()));
    QCOMPARE(s.value().launcher, QStringLiteral("environment"));
    QCOMPARE(s.value().localRank, 1); // LOCAL_RANK defaults to RANK
    QCOMPARE(s.value().localWorldSize, 2);
    QVERIFY(!s.value().agentStore);
}

void TestDistSettings::slurm()
{
    const Result<DistSettings> s =
        DistSettings::fromEnvironment(envOf({{"SLURM_PROCID", "5"},
                                             {"SLURM_NTASKS", "8"},
                                             {"SLURM_LOCALID", "1"},
                                             {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                                             {"MASTER_ADDR", "gpu01"},
                                             {"MASTER_PORT", "29500"}}));
    QVERIFY2(s, qPrintable(s.error()));
    QCOMPARE(s.value().rank, 5);
    QCOMPARE(s.value().worldSize, 8);
    QCOMPARE(s.value().localRank, 1);
    QCOMPARE(s.value().localWorldSize, 4);
    QCOMPARE(s.value().launcher, QStringLiteral("slurm"));
}

void TestDistSettings::nprocChild()
{
    const Result<DistSettings> s =
        DistSettings::fromEnvironment(envOf({{"RANK", "1"},
                                             {"WORLD_SIZE", "2"},
                                             {"YOLODECK_DIST_STORE", "/tmp/x/store"},
                                             {"YOLODECK_DIST_TIMEOUT", "7"}}));
    QVERIFY2(s, qPrintable(s.error()));
    QCOMPARE(s.value().fileStore, QStringLiteral("/tmp/x/store"));
    QCOMPARE(s.value().timeoutSeconds, 7);
    QCOMPARE(s.value().masterAddr, QStringLiteral("127.0.0.1"));
    QCOMPARE(s.value().launcher, QStringLiteral("nproc"));
}

void TestDistSettings::malformedValuesNameTheVariable_data()
{
    QTest::addColumn<QStringList>("variables");
    QTest::addColumn<QString>("message");
    QTest::newRow("rank missing") << QStringList{QStringLiteral("WORLD_SIZE=2")}
                                  << QStringLiteral("WORLD_SIZE=2 is set but RANK is not");
    QTest::newRow("rank too big") << QStringList{QStringLiteral("WORLD_SIZE=2"),
                                                 QStringLiteral("RANK=2")}
                                  << QStringLiteral("RANK=2 is not below WORLD_SIZE=2");
    QTest::newRow("rank not a number")
        << QStringList{QStringLiteral("WORLD_SIZE=2"), QStringLiteral("RANK=one")}
        << QStringLiteral("RANK=one is not valid");
    QTest::newRow("no address") << QStringList{QStringLiteral("WORLD_SIZE=2"),
                                               QStringLiteral("RANK=0")}
                                << QStringLiteral("MASTER_ADDR is not");
    QTest::newRow("no port") << QStringList{QStringLiteral("WORLD_SIZE=2"),
                                            QStringLiteral("RANK=0"),
                                            QStringLiteral("MASTER_ADDR=a")}
                             << QStringLiteral("MASTER_PORT is not");
    QTest::newRow("port out of range")
        << QStringList{QStringLiteral("WORLD_SIZE=2"), QStringLiteral("RANK=0"),
                       QStringLiteral("MASTER_ADDR=a"), QStringLiteral("MASTER_PORT=70000")}
        << QStringLiteral("MASTER_PORT=70000 is not a TCP port");
}

void TestDistSettings::malformedValuesNameTheVariable()
{
    QFETCH(QStringList, variables);
    QFETCH(QString, message);
    QProcessEnvironment env;
    for (const QString &kv : variables)
        env.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    const Result<DistSettings> s = DistSettings::fromEnvironment(env);
    QVERIFY(!s);
    QVERIFY2(s.error().contains(message), qPrintable(s.error()));
}

void TestDistSettings::launcherNamesRanksThatEndedBadly()
{
    QTemporaryDir dir;
    // A stand-in worker: rank 1 exits with code 3, rank 2 waits to be killed.
    const QString script = dir.filePath(QStringLiteral("worker.sh"));
    QFile f(script);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("#!/bin/sh\n[ \"$RANK\" = 1 ] && [ \"$1\" = train ] && exit 3\nexec sleep 30\n");
    f.close();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    LocalLauncher launcher;
    LocalLauncher::Options o;
    o.program = script;
    o.worldSize = 3;
    o.storePath = dir.filePath(QStringLiteral("store"));
    QVERIFY(launcher.start(o));
    QCOMPARE(int(launcher.children().size()), 2);
    QTRY_VERIFY(launcher.children()[0].exited || (launcher.poll(), false));
    ::kill(launcher.children()[1].pid, SIGKILL);
    QVERIFY(launcher.waitAll(5000));
    const QString text = launcher.describeEnded();
    QVERIFY2(
        text.contains(
            QStringLiteral("rank 1 (pid %1) exited with code 3").arg(launcher.children()[0].pid)),
        qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("rank 2 (pid %1) was killed by SIGKILL")
                               .arg(launcher.children()[1].pid)),
             qPrintable(text));
}

void TestDistSettings::launcherRefusesAMissingProgram()
{
    LocalLauncher launcher;
    LocalLauncher::Options o;
    o.program = QStringLiteral("/nonexistent/yolodeck-cli");
    const Status started = launcher.start(o);
    QVERIFY(!started);
    QVERIFY2(started.error().startsWith(QLatin1String("/nonexistent/yolodeck-cli: cannot start")),
             qPrintable(started.error()));
    QVERIFY(launcher.children().empty());
}

QTEST_GUILESS_MAIN(TestDistSettings)
#include "tst_distsettings.moc"
