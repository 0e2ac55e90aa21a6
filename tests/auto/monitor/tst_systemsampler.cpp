#include "core/monitor/systemsampler.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace yolodeck;

class TestSystemSampler : public QObject
{
    Q_OBJECT

    static void write(const QString &path, const QByteArray &text)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(text);
    }

    static QByteArray stat(quint64 user, quint64 system, quint64 idle, quint64 iowait)
    {
        return QByteArray("cpu  ") + QByteArray::number(user) + " 0 " + QByteArray::number(system) +
               ' ' + QByteArray::number(idle) + ' ' + QByteArray::number(iowait) +
               " 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345\n";
    }

private Q_SLOTS:
    void readsPreparedProcFiles()
    {
        QTemporaryDir proc;
        QVERIFY(proc.isValid());
        write(proc.filePath(QStringLiteral("stat")), stat(100, 50, 800, 50));
        write(proc.filePath(QStringLiteral("meminfo")),
              "MemTotal:       16000000 kB\nMemFree:          500000 kB\n"
              "MemAvailable:    4000000 kB\nSwapCached:            0 kB\n"
              "SwapTotal:       2000000 kB\nSwapFree:        1500000 kB\n");
        write(proc.filePath(QStringLiteral("vmstat")), "pgpgin 1\npswpin 1234\npswpout 99\n");
        write(proc.filePath(QStringLiteral("self/status")),
              "Name:\tyolodeck\nVmPeak:\t 999999 kB\nVmRSS:\t  204800 kB\nVmSwap:\t 0 kB\n");

        SystemSampler sampler(proc.path());
        const SystemSample first = sampler.sample();
        QVERIFY(!first.cpuPercent.has_value()); // no previous counters yet
        QCOMPARE(first.memoryTotalBytes, 16000000ll * 1024);
        QCOMPARE(first.memoryAvailableBytes, 4000000ll * 1024);
        QCOMPARE(first.memoryUsedBytes(), 12000000ll * 1024);
        QCOMPARE(first.swapTotalBytes, 2000000ll * 1024);
        QCOMPARE(first.swapUsedBytes(), 500000ll * 1024);
        QCOMPARE(first.swapInPages.value_or(-1), 1234);
        QCOMPARE(first.processResidentBytes, 204800ll * 1024);
        QVERIFY(first.timestampMs > 0);
        QVERIFY(first.gpus.empty());

        // +300 busy (user + system) and +100 idle/iowait: 75 % busy.
        write(proc.filePath(QStringLiteral("stat")), stat(300, 150, 880, 70));
        const SystemSample second = sampler.sample();
        QVERIFY(second.cpuPercent.has_value());
        QCOMPARE(*second.cpuPercent, 75.0);

        // Counters that did not move (a very short interval) give no reading, not a division by 0.
        const SystemSample third = sampler.sample();
        QVERIFY(!third.cpuPercent.has_value());
    }

    void missingFilesGiveEmptyValues()
    {
        QTemporaryDir proc;
        SystemSampler sampler(proc.path());
        const SystemSample s = sampler.sample();
        QVERIFY(!s.cpuPercent.has_value());
        QCOMPARE(s.memoryTotalBytes, 0);
        QCOMPARE(s.swapTotalBytes, 0);
        QVERIFY(!s.swapInPages.has_value());
        QCOMPARE(s.processResidentBytes, 0);
    }

    void memFreeWhenNoMemAvailable()
    {
        QTemporaryDir proc;
        write(proc.filePath(QStringLiteral("meminfo")),
              "MemTotal:       1000 kB\nMemFree:          250 kB\n");
        SystemSampler sampler(proc.path());
        QCOMPARE(sampler.sample().memoryAvailableBytes, 250 * 1024);
    }

    void realProcOfThisMachine()
    {
        SystemSampler sampler;
        sampler.sample();
        QTest::qWait(50);
        const SystemSample s = sampler.sample();
        QVERIFY(s.memoryTotalBytes > 0);
        QVERIFY(s.memoryAvailableBytes > 0 && s.memoryAvailableBytes <= s.memoryTotalBytes);
        QVERIFY(s.processResidentBytes > 0);
        if (s.cpuPercent) {
            QVERIFY(*s.cpuPercent >= 0 && *s.cpuPercent <= 100);
        }
    }
};

QTEST_GUILESS_MAIN(TestSystemSampler)
#include "tst_systemsampler.moc"
