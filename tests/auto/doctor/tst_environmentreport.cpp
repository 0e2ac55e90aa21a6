// yolodeck-cli doctor / Help -> System Report (core/doctor): the BLAS library actually loaded,
// findings with their fixes, and an exit code that follows them.
#include "core/doctor/environmentreport.h"
#include "core/model/onednnforward.h"
#include "tests/auto/common/threadenvironment.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <climits>
#include <cstdlib>
#include <thread>

using namespace yolodeck;

namespace {

// One row of `yolodeck-cli doctor` ("CPU engine", "Memory policy"), run with CTest's thread
// settings and the variables in `removed` taken out of the environment and `environment`'s
// NAME=value settings put in; "(no row) " and the whole output when the row is missing.
QString doctorRow(const QString &row, const QStringList &removed, const QStringList &environment)
{
    QTemporaryDir dir;
    QProcess cli;
    QProcessEnvironment env = testing::environmentWithThreadSettings({});
    for (const QString &name : removed)
        env.remove(name);
    for (const QString &setting : environment)
        env.insert(setting.section(QLatin1Char('='), 0, 0), setting.section(QLatin1Char('='), 1));
    cli.setProcessEnvironment(env);
    cli.start(QStringLiteral(YOLODECK_CLI),
              {QStringLiteral("doctor"), QStringLiteral("project=") + dir.path(),
               QStringLiteral("gemm_seconds=0.1")});
    cli.waitForFinished(60000);
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    const QRegularExpressionMatch m =
        QRegularExpression(QRegularExpression::escape(row) + QStringLiteral(" +(.+)\n")).match(out);
    return m.hasMatch() ? m.captured(1).trimmed() : QStringLiteral("(no row) ") + out;
}

} // namespace

class TestEnvironmentReport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void reportsTheBlasLibraryActuallyLoaded();
    void findingsSetTheExitCode();
    void cliExitCodeFollowsTheFindings();
    void cliStartsWithTheThreadPolicy_data();
    void cliStartsWithTheThreadPolicy();
    void cliNamesTheInferenceEngine();
    void cliStartsWithTheMemoryPolicy();
};

// Checked against /proc/self/maps: the BLAS the report names is the one mapped in this process.
void TestEnvironmentReport::reportsTheBlasLibraryActuallyLoaded()
{
    const auto [kind, path] = loadedBlasLibrary();
    QVERIFY2(!path.isEmpty(), qPrintable(kind));
    QFile maps(QStringLiteral("/proc/self/maps"));
    QVERIFY(maps.open(QIODevice::ReadOnly));
    bool mapped = false;
    for (const QByteArray &line : maps.readAll().split('\n')) {
        const int slash = line.indexOf('/');
        if (slash < 0)
            continue;
        char resolved[PATH_MAX];
        const QByteArray file = line.mid(slash);
        if (::realpath(file.constData(), resolved) && QString::fromLocal8Bit(resolved) == path)
            mapped = true;
    }
    QVERIFY2(mapped, qPrintable(path));
    // Debian's LibTorch with libopenblas0-pthread installed (scripts/install-deps.sh).
    QCOMPARE(kind, QStringLiteral("OpenBLAS"));
    EnvironmentOptions o;
    o.gemmSeconds = 0.2;
    o.diskMegabytes = 4;
    QTemporaryDir dir;
    o.project = dir.filePath(QStringLiteral("runs"));
    const EnvironmentReport report = buildEnvironmentReport(o);
    QVERIFY(report.blasLibrary.startsWith(QLatin1String("OpenBLAS (")));
    QVERIFY(report.toText().contains(report.blasLibrary));
    QVERIFY(report.gemmGflops > 0);
}

void TestEnvironmentReport::findingsSetTheExitCode()
{
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    EnvironmentOptions o;
    o.gemmSeconds = 0.2;
    o.diskMegabytes = 4;
    o.threads = 1;
    o.project = QStringLiteral("/proc/yolodeck-runs"); // nowhere to write
    const EnvironmentReport bad = buildEnvironmentReport(o);
    QVERIFY(!bad.findings.empty());
    QCOMPARE(bad.exitCode(), 1);
    const QString text = bad.toText();
    QVERIFY2(text.contains(QLatin1String("runs folder /proc is not writable")), qPrintable(text));
    QCOMPARE(
        text.contains(QStringLiteral("1 intra-op thread on %1 cores: use threads=0").arg(cores)),
        cores >= 2);

    QTemporaryDir dir;
    o.threads = 0;
    o.project = dir.filePath(QStringLiteral("runs"));
    const EnvironmentReport good = buildEnvironmentReport(o);
    QCOMPARE(good.exitCode(), good.findings.empty() ? 0 : 1);
    for (const EnvironmentReport::Finding &f : good.findings) {
        QVERIFY2(!f.problem.contains(QLatin1String("intra-op")), qPrintable(f.problem));
        QVERIFY2(!f.problem.contains(QLatin1String("not writable")), qPrintable(f.problem));
    }
}

void TestEnvironmentReport::cliExitCodeFollowsTheFindings()
{
    QProcess cli;
    cli.start(QStringLiteral(YOLODECK_CLI),
              {QStringLiteral("doctor"), QStringLiteral("project=/proc/x"),
               QStringLiteral("gemm_seconds=0.2")});
    QVERIFY(cli.waitForFinished(60000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    QCOMPARE(cli.exitCode(), 1);
    QVERIFY2(out.contains(QLatin1String("Findings (")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("BLAS")), qPrintable(out));
}

void TestEnvironmentReport::cliStartsWithTheThreadPolicy_data()
{
    QTest::addColumn<QStringList>("environment"); // NAME=value over an environment without them
    QTest::addColumn<QString>("policyRow");
    QTest::addColumn<int>("blasThreads"); // 0: every core

    QTest::newRow("unset: YoloDeck's policy")
        << QStringList() << QStringLiteral("OPENBLAS_NUM_THREADS=1 (YoloDeck's policy)") << 1;
    QTest::newRow("the user's value wins")
        << QStringList{QStringLiteral("OPENBLAS_NUM_THREADS=2")}
        << QStringLiteral("OPENBLAS_NUM_THREADS=2 (set in the environment)") << 2;
    QTest::newRow("policy off") << QStringList{QStringLiteral("YOLODECK_THREAD_POLICY=0")}
                                << QStringLiteral("OPENBLAS_NUM_THREADS unset; the policy is off "
                                                  "(YOLODECK_THREAD_POLICY=0)")
                                << 0;
}

// OpenBLAS reads OPENBLAS_NUM_THREADS when it loads, before main(): the CLI sets the variable and
// tells the loaded library. OpenBLAS's own thread count, read back by the doctor, proves the
// setting reached the library.
void TestEnvironmentReport::cliStartsWithTheThreadPolicy()
{
    QFETCH(QStringList, environment);
    QFETCH(QString, policyRow);
    QFETCH(int, blasThreads);
    QTemporaryDir dir;
    QProcess cli;
    cli.setProcessEnvironment(testing::environmentWithThreadSettings(environment));
    cli.start(QStringLiteral(YOLODECK_CLI),
              {QStringLiteral("doctor"), QStringLiteral("project=") + dir.path(),
               QStringLiteral("gemm_seconds=0.1")});
    QVERIFY(cli.waitForFinished(60000));
    const QString out = QString::fromUtf8(cli.readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("Thread policy")) && out.contains(policyRow),
             qPrintable(out));
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const QRegularExpression threads(QStringLiteral("OpenBLAS threads +(\\d+)"));
    const QRegularExpressionMatch m = threads.match(out);
    QVERIFY2(m.hasMatch(), qPrintable(out));
    QCOMPARE(m.captured(1).toInt(), blasThreads > 0 ? blasThreads : cores);
}

// Which engine runs training, validation and predict on the CPU, and that YOLODECK_ONEDNN=0 turns
// oneDNN off, as the doctor reports them.
void TestEnvironmentReport::cliNamesTheInferenceEngine()
{
    const auto doctor = [](const QStringList &environment) {
        return doctorRow(QStringLiteral("CPU engine"), {QStringLiteral("YOLODECK_ONEDNN")},
                         environment);
    };
    const QString standard = doctor({});
    if (OneDnnForward::available())
        QVERIFY2(QRegularExpression(QStringLiteral("^oneDNN \\d+\\.\\d+\\.\\d+ directly"))
                     .match(standard)
                     .hasMatch(),
                 qPrintable(standard));
    else
        QCOMPARE(standard, QStringLiteral("LibTorch (oneDNN: this build has no oneDNN)"));
    QCOMPARE(doctor({QStringLiteral("YOLODECK_ONEDNN=0")}),
             QStringLiteral("LibTorch (oneDNN: turned off (YOLODECK_ONEDNN=0))"));
}

// yolodeck-cli applies the memory policy first in main() (core/common/memorypolicy), and the
// doctor says so; YOLODECK_MEMORY_POLICY=0 and a user's own malloc settings turn it off.
void TestEnvironmentReport::cliStartsWithTheMemoryPolicy()
{
    const auto doctor = [](const QStringList &environment) {
        return doctorRow(
            QStringLiteral("Memory policy"),
            {QStringLiteral("YOLODECK_MEMORY_POLICY"), QStringLiteral("YOLODECK_MEMORY_POLICY_SET"),
             QStringLiteral("MALLOC_MMAP_THRESHOLD_"), QStringLiteral("MALLOC_TRIM_THRESHOLD_"),
             QStringLiteral("GLIBC_TUNABLES")},
            environment);
    };
#ifdef YOLODECK_TEST_ASAN_MALLOC
    // The sanitized yolodeck-cli's malloc is AddressSanitizer's, which takes no glibc setting.
    QCOMPARE(doctor({}), QStringLiteral("not applied: this process's malloc refused the settings "
                                        "(a sanitizer's?)"));
#else
    QCOMPARE(doctor({}), QStringLiteral("malloc keeps blocks up to 256 MiB in the heap and up to "
                                        "1 GiB of freed memory (YoloDeck's policy)"));
#endif
    // A marker inherited from a parent does not speak for a process that did not apply it.
    QCOMPARE(doctor({QStringLiteral("YOLODECK_MEMORY_POLICY=0"),
                     QStringLiteral("YOLODECK_MEMORY_POLICY_SET=1")}),
             QStringLiteral("off (YOLODECK_MEMORY_POLICY=0)"));
    QCOMPARE(doctor({QStringLiteral("MALLOC_TRIM_THRESHOLD_=131072")}),
             QStringLiteral("left to the environment (MALLOC_TRIM_THRESHOLD_ is set)"));
}

QTEST_GUILESS_MAIN(TestEnvironmentReport)
#include "tst_environmentreport.moc"
