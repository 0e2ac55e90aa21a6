#include "core/monitor/hostsampler.h"
#include "core/monitor/nvmllibrary.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <dlfcn.h>
#include <unistd.h>

using namespace yolodeck;

class TestNvmlLibrary : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        qunsetenv("YOLODECK_NVML_LIBRARY");
        qunsetenv("YOLODECK_FAKE_NVML_INIT_ERROR");
        qunsetenv("YOLODECK_FAKE_NVML_UTIL");
        qunsetenv("YOLODECK_FAKE_NVML_PROCESS_PID");
    }

    // The memory one process holds, summed over the GPUs; another process's is not counted.
    void processMemoryOverEveryGpu()
    {
        qputenv("YOLODECK_NVML_LIBRARY", YOLODECK_FAKE_NVML);
        qputenv("YOLODECK_FAKE_NVML_PROCESS_PID", "4242");
        NvmlLibrary nvml;
        QVERIFY2(nvml.isAvailable(), qPrintable(nvml.statusText()));
        QCOMPARE(nvml.processMemoryBytes(4242).value_or(-1), 1000ll << 20);
        QCOMPARE(nvml.processMemoryBytes(1).value_or(-1), 2048ll << 20);
        QVERIFY(!nvml.processMemoryBytes(99999).has_value());
        NvmlLibrary missing(QStringLiteral("/nonexistent/libnvidia-ml.so.1"));
        QVERIFY(!missing.processMemoryBytes(4242).has_value());
        QCOMPARE(nvml.processMemoryByGpu(4242),
                 (std::vector<std::pair<int, qint64>>{{0, 700ll << 20}, {1, 300ll << 20}}));
        QCOMPARE(nvml.processMemoryByGpu(1),
                 (std::vector<std::pair<int, qint64>>{{0, 2048ll << 20}}));
        QVERIFY(nvml.processMemoryByGpu(99999).empty());
    }

    // What the trainer records about itself about once a second (core/monitor/hostsampler.h):
    // its CPU share, memory, and its training GPU, the one where it holds the most memory.
    void hostSamplerRecordsTheTrainingGpu()
    {
        qputenv("YOLODECK_NVML_LIBRARY", YOLODECK_FAKE_NVML);
        qputenv("YOLODECK_FAKE_NVML_PROCESS_PID", QByteArray::number(qint64(::getpid())));
        qputenv("YOLODECK_FAKE_NVML_UTIL", "23");
        HostSampler sampler(true);
        const HostFigures first = sampler.sample();
        QVERIFY(!first.processCpuPercent); // a share needs two samples
        QVERIFY(first.residentBytes > 0);
        QVERIFY(first.memoryAvailableBytes > 0);
        QCOMPARE(first.gpuMemoryBytes.value_or(-1), 1000ll << 20);
        QVERIFY(first.gpu.has_value());
        QCOMPARE(first.gpu->index, 0); // 700 MiB there against 300 MiB on GPU 1
        QCOMPARE(first.gpu->utilizationPercent.value_or(-1), 23.0);
        QVERIFY(first.gpu->memoryTotalBytes.has_value());

        // Busy for a while: the process's share is measured between two samples.
        QTest::qWait(20);
        volatile double sink = 0;
        QElapsedTimer busy;
        busy.start();
        while (busy.elapsed() < 300)
            sink = sink + 1.0;
        const HostFigures second = sampler.sample();
        QVERIFY(second.processCpuPercent.has_value());
        QVERIFY2(*second.processCpuPercent > 30,
                 qPrintable(QString::number(*second.processCpuPercent)));
        QVERIFY(HostSampler::usableCores() >= 1);

        HostSampler cpuOnly(false); // a CPU run never loads NVML
        QVERIFY(!cpuOnly.sample().gpu.has_value());
    }

    void readsBothFakeGpus()
    {
        qputenv("YOLODECK_NVML_LIBRARY", YOLODECK_FAKE_NVML);
        qputenv("YOLODECK_FAKE_NVML_UTIL", "42");
        NvmlLibrary nvml;
        QVERIFY2(nvml.isAvailable(), qPrintable(nvml.statusText()));
        QVERIFY(nvml.statusText().isEmpty());
        QCOMPARE(nvml.libraryPath(), QStringLiteral(YOLODECK_FAKE_NVML));
        QCOMPARE(nvml.deviceCount(), 2);

        const std::vector<GpuSample> gpus = nvml.sample();
        QCOMPARE(gpus.size(), size_t(2));
        const GpuSample &first = gpus[0];
        QCOMPARE(first.index, 0);
        QCOMPARE(first.name, QStringLiteral("Fake GeForce RTX 4090"));
        QCOMPARE(first.utilizationPercent.value_or(-1), 42.0);
        QCOMPARE(first.memoryUsedBytes.value_or(-1), 6144ll << 20);
        QCOMPARE(first.memoryTotalBytes.value_or(-1), 24576ll << 20);
        QCOMPARE(first.memoryShare().value_or(-1), 0.25);
        QCOMPARE(first.temperatureCelsius.value_or(-1), 64.0);
        QCOMPARE(first.powerWatts.value_or(-1), 312.0);
        QCOMPARE(first.powerLimitWatts.value_or(-1), 450.0);

        // The second board has no temperature sensor: that value alone stays empty.
        const GpuSample &second = gpus[1];
        QCOMPARE(second.index, 1);
        QCOMPARE(second.name, QStringLiteral("Fake Tesla T4"));
        QVERIFY(!second.temperatureCelsius.has_value());
        QCOMPARE(second.utilizationPercent.value_or(-1), 12.0);
        QCOMPARE(second.powerWatts.value_or(-1), 28.0);
        QCOMPARE(second.powerLimitWatts.value_or(-1), 70.0);
    }

    void explicitPathWinsOverEnvironment()
    {
        qputenv("YOLODECK_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
        NvmlLibrary nvml(QStringLiteral(YOLODECK_FAKE_NVML));
        QVERIFY(nvml.isAvailable());
        QCOMPARE(NvmlLibrary::defaultLibraryPath(),
                 QStringLiteral("/nonexistent/libnvidia-ml.so.1"));
    }

    void shutsDownOnDestruction()
    {
        // Keep the fake loaded across the NvmlLibrary's own dlopen/dlclose to read its counters.
        void *handle = ::dlopen(YOLODECK_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
        QVERIFY(handle);
        auto inits = reinterpret_cast<int (*)()>(::dlsym(handle, "yolodeckFakeNvmlInitCount"));
        auto shutdowns =
            reinterpret_cast<int (*)()>(::dlsym(handle, "yolodeckFakeNvmlShutdownCount"));
        QVERIFY(inits && shutdowns);
        const int initsBefore = inits();
        const int shutdownsBefore = shutdowns();
        {
            NvmlLibrary nvml(QStringLiteral(YOLODECK_FAKE_NVML));
            QVERIFY(nvml.isAvailable());
            QCOMPARE(inits(), initsBefore + 1);
            QCOMPARE(shutdowns(), shutdownsBefore);
        }
        QCOMPARE(shutdowns(), shutdownsBefore + 1);
        ::dlclose(handle);
    }

    void missingLibraryIsAPlainState()
    {
        qputenv("YOLODECK_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
        NvmlLibrary nvml;
        QVERIFY(!nvml.isAvailable());
        QVERIFY2(nvml.statusText().contains(QLatin1String("No NVIDIA GPU / driver not found")),
                 qPrintable(nvml.statusText()));
        QCOMPARE(nvml.deviceCount(), 0);
        QVERIFY(nvml.sample().empty());
    }

    void libraryWithoutNvmlSymbols()
    {
        // A real shared object that is not NVML (the C library): refused, named, no crash.
        NvmlLibrary nvml(QStringLiteral("libc.so.6"));
        QVERIFY(!nvml.isAvailable());
        QVERIFY2(nvml.statusText().contains(QLatin1String("nvmlInit_v2")),
                 qPrintable(nvml.statusText()));
        QVERIFY(nvml.sample().empty());
    }

    void initFailureIsReported()
    {
        qputenv("YOLODECK_FAKE_NVML_INIT_ERROR", "9"); // NVML_ERROR_DRIVER_NOT_LOADED
        NvmlLibrary nvml(QStringLiteral(YOLODECK_FAKE_NVML));
        QVERIFY(!nvml.isAvailable());
        QVERIFY2(nvml.statusText().contains(QLatin1String("error 9")),
                 qPrintable(nvml.statusText()));
        QCOMPARE(nvml.deviceCount(), 0);
        QVERIFY(nvml.sample().empty());
    }
};

QTEST_GUILESS_MAIN(TestNvmlLibrary)
#include "tst_nvmllibrary.moc"
