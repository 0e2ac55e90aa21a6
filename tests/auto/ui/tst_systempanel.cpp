#include "ui/system/systemmonitor.h"
#include "ui/system/systempanel.h"

#include <QLabel>
#include <QSignalSpy>
#include <QTest>

using namespace yolodeck;

// ctest sets YOLODECK_NVML_LIBRARY to the fake NVML library (two GPUs, the second without a
// temperature sensor).
class TestSystemPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Never skipped: without the fake library these tests would prove nothing.
        QVERIFY2(!qEnvironmentVariableIsEmpty("YOLODECK_NVML_LIBRARY"),
                 "run through ctest: YOLODECK_NVML_LIBRARY must name the fake NVML library");
    }

    void showsBothFakeGpus()
    {
        SystemMonitor monitor(nullptr, 50);
        SystemPanel panel;
        panel.setMonitor(&monitor);
        QSignalSpy samples(&monitor, &SystemMonitor::sampleReady);
        monitor.start();
        QTRY_VERIFY(samples.count() >= 3);
        monitor.stop();

        QCOMPARE(panel.gpuRowCount(), 2);
        QVERIFY(panel.gpuStatusText().isEmpty());
        const QString first = panel.gpuRowText(0);
        QVERIFY2(first.contains(QLatin1String("Fake GeForce RTX 4090")), qPrintable(first));
        QVERIFY2(first.contains(QLatin1String("87%")), qPrintable(first));
        QVERIFY2(first.contains(QLatin1String("6.0 / 24.0 GiB")), qPrintable(first));
        QVERIFY2(first.contains(QStringLiteral("64 °C")), qPrintable(first));
        QVERIFY2(first.contains(QLatin1String("312 / 450 W")), qPrintable(first));
        // No temperature sensor on the second board: a dash, not 0 °C.
        const QString second = panel.gpuRowText(1);
        QVERIFY2(second.contains(QLatin1String("Fake Tesla T4")), qPrintable(second));
        QVERIFY2(second.contains(QStringLiteral(" | \u2014 | ")), qPrintable(second));
        QVERIFY(!second.contains(QStringLiteral("°C")));
        // System values come from /proc of this machine.
        QVERIFY2(panel.systemText().contains(QLatin1String("GiB")), qPrintable(panel.systemText()));
        QVERIFY(monitor.history().size() >= 3);
    }

    void noDriverIsAPlainState()
    {
        qputenv("YOLODECK_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
        SystemMonitor monitor(nullptr, 50);
        SystemPanel panel;
        panel.setMonitor(&monitor);
        QSignalSpy samples(&monitor, &SystemMonitor::sampleReady);
        monitor.start();
        QTRY_VERIFY(samples.count() >= 1);
        monitor.stop();
        QCOMPARE(panel.gpuRowCount(), 0);
        QVERIFY2(panel.gpuStatusText().contains(QLatin1String("No NVIDIA GPU")),
                 qPrintable(panel.gpuStatusText()));
    }

    void diagnosisIsShown()
    {
        SystemPanel panel;
        SystemMonitor monitor(nullptr, 50);
        panel.setMonitor(&monitor);
        QSignalSpy findings(&monitor, &SystemMonitor::findingsChanged);
        ThroughputStats stats;
        stats.training = true;
        stats.imagesPerSecond = 80;
        stats.dataWaitShare = 0.62;
        stats.workers = 2;
        monitor.setThroughput(stats);
        QCOMPARE(findings.count(), 1);
        QVERIFY2(panel.diagnosisText().contains(QLatin1String("Data loading is the bottleneck")),
                 qPrintable(panel.diagnosisText()));
        QVERIFY(panel.diagnosisText().contains(QLatin1String("62%")));

        stats.dataWaitShare = 0.05;
        monitor.setThroughput(stats);
        QCOMPARE(findings.count(), 2);
        QVERIFY2(panel.diagnosisText().contains(QLatin1String("healthy")),
                 qPrintable(panel.diagnosisText()));
    }

    void healthyRunSaysSoFromItsStart()
    {
        // No finding before training and none during it: the text must still change, or the
        // panel keeps saying the diagnosis has not started while a healthy run trains.
        SystemPanel panel;
        SystemMonitor monitor(nullptr, 50);
        panel.setMonitor(&monitor);
        QVERIFY(panel.diagnosisText().isEmpty() ||
                panel.diagnosisText().contains(QLatin1String("starts when training runs")));
        ThroughputStats stats;
        stats.training = true;
        stats.imagesPerSecond = 80;
        stats.dataWaitShare = 0.01;
        monitor.setThroughput(stats);
        QVERIFY2(panel.diagnosisText().contains(QLatin1String("healthy")),
                 qPrintable(panel.diagnosisText()));
        stats.training = false;
        monitor.setThroughput(stats);
        QVERIFY2(panel.diagnosisText().contains(QLatin1String("starts when training runs")),
                 qPrintable(panel.diagnosisText()));
    }

    void processesOfADataParallelRun()
    {
        SystemPanel panel;
        const auto rowNamed = [&panel](const QString &name) {
            for (QLabel *label : panel.findChildren<QLabel *>()) {
                if (label->text() == name)
                    return label;
            }
            return static_cast<QLabel *>(nullptr);
        };
        QLabel *processes = rowNamed(QStringLiteral("Processes"));
        QLabel *perRank = rowNamed(QStringLiteral("Per rank"));
        QVERIFY(processes);
        QVERIFY(perRank);
        // Nothing about processes before a run has said it has several.
        QVERIFY(panel.processesText().isEmpty());
        QVERIFY(!processes->isVisibleTo(&panel));

        // The run has started: two processes, no step yet.
        panel.showProcesses({2, {}, -1});
        QVERIFY(processes->isVisibleTo(&panel));
        QVERIFY(perRank->isVisibleTo(&panel));
        QCOMPARE(panel.processesText(), QStringLiteral("2 | \u2014"));

        // A step: each rank's images/s and rank 0's share of the step in all-reduce.
        panel.showProcesses({2, {512.3, 497.8}, 0.12});
        QCOMPARE(panel.processesText(), QStringLiteral("2 \u00b7 all-reduce 12% of each step | "
                                                       "rank 0 512 img/s \u00b7 rank 1 498 img/s"));
        panel.showProcesses({4, {300, 310, 120, 305}, 0.418});
        QCOMPARE(
            panel.processesText(),
            QStringLiteral("4 \u00b7 all-reduce 42% of each step | rank 0 300 img/s \u00b7 "
                           "rank 1 310 img/s \u00b7 rank 2 120 img/s \u00b7 rank 3 305 img/s"));

        // A one-process run hides the rows, also with the figures a single process reports.
        panel.showProcesses({1, {}, 0});
        QVERIFY(panel.processesText().isEmpty());
        QVERIFY(!processes->isVisibleTo(&panel));
        QVERIFY(!perRank->isVisibleTo(&panel));
    }
};

QTEST_MAIN(TestSystemPanel)
#include "tst_systempanel.moc"
