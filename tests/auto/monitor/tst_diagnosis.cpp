#include "core/monitor/diagnosis.h"

#include <QTest>

using namespace yolodeck;

Q_DECLARE_METATYPE(std::vector<yolodeck::SystemSample>)
Q_DECLARE_METATYPE(yolodeck::ThroughputStats)

namespace {
constexpr qint64 kMiB = 1 << 20;
constexpr qint64 kGiB = 1ll << 30;

struct WindowSpec
{
    int seconds = 60;
    double gpuUtil = 95; // < 0: no GPU
    qint64 gpuMemoryUsed = 8 * kGiB;
    qint64 swapUsedStart = 100 * kMiB;
    qint64 swapUsedEnd = 100 * kMiB;
    qint64 swapInStart = 5000;
    qint64 swapInEnd = 5000;
};

// One sample a second, values moving linearly from start to end.
std::vector<SystemSample> window(const WindowSpec &spec)
{
    std::vector<SystemSample> out;
    for (int i = 0; i <= spec.seconds; ++i) {
        const double f = double(i) / spec.seconds;
        SystemSample s;
        s.timestampMs = 1'700'000'000'000 + i * 1000;
        s.cpuPercent = 40;
        s.memoryTotalBytes = 32 * kGiB;
        s.memoryAvailableBytes = 12 * kGiB;
        s.swapTotalBytes = 4 * kGiB;
        s.swapFreeBytes = s.swapTotalBytes -
                          qint64(spec.swapUsedStart + f * (spec.swapUsedEnd - spec.swapUsedStart));
        s.swapInPages = qint64(spec.swapInStart + f * (spec.swapInEnd - spec.swapInStart));
        s.processResidentBytes = 3 * kGiB;
        if (spec.gpuUtil >= 0) {
            s.gpuAvailable = true;
            GpuSample g;
            g.index = 0;
            g.name = QStringLiteral("RTX 4090");
            g.utilizationPercent = spec.gpuUtil;
            g.memoryUsedBytes = spec.gpuMemoryUsed;
            g.memoryTotalBytes = 24 * kGiB;
            s.gpus.push_back(g);
        }
        out.push_back(s);
    }
    return out;
}

ThroughputStats healthyStats()
{
    ThroughputStats t;
    t.training = true;
    t.onCuda = true;
    t.imagesPerSecond = 410;
    t.dataWaitShare = 0.04;
    t.workers = 8;
    t.epochSecondsBeforeResume = {60, 62, 61};
    t.epochSecondsSinceResume = {63};
    return t;
}
} // namespace

class TestDiagnosis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rules_data()
    {
        QTest::addColumn<std::vector<SystemSample>>("samples");
        QTest::addColumn<ThroughputStats>("stats");
        QTest::addColumn<QList<int>>("expectedRules");
        QTest::addColumn<QStringList>("expectedWords"); // in the concatenated texts

        using R = Finding::Rule;
        const ThroughputStats healthy = healthyStats();

        QTest::newRow("healthy GPU run") << window({}) << healthy << QList<int>{} << QStringList{};

        ThroughputStats cpu = healthy;
        cpu.onCuda = false;
        QTest::newRow("healthy CPU run, idle GPU is fine")
            << window({60, 0}) << cpu << QList<int>{} << QStringList{};

        QTest::newRow("no samples yet")
            << std::vector<SystemSample>{} << healthy << QList<int>{} << QStringList{};

        ThroughputStats waiting = healthy;
        waiting.dataWaitShare = 0.45;
        waiting.imagesPerSecond = 123.4;
        QTest::newRow("data loading bottleneck")
            << window({}) << waiting << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("45%"), QStringLiteral("123.4 images/s"),
                           QStringLiteral("8 loader workers"), QStringLiteral("workers=16"),
                           QStringLiteral("cache=ram")};

        ThroughputStats waitingCached = waiting;
        waitingCached.cacheRam = true;
        waitingCached.workers = 2;
        QTest::newRow("data loading with cache=ram already on")
            << window({}) << waitingCached << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("workers=4")};

        ThroughputStats paused = waiting;
        paused.training = false;
        QTest::newRow("paused run: no throughput findings")
            << window({60, 5}) << paused << QList<int>{} << QStringList{};

        QTest::newRow("GPU under-used")
            << window({60, 31}) << healthy << QList<int>{int(R::GpuUnderused)}
            << QStringList{QStringLiteral("RTX 4090"), QStringLiteral("31%"),
                           QStringLiteral("60 s"), QStringLiteral("larger batch")};

        QTest::newRow("GPU under-used because of data loading")
            << window({60, 20}) << waiting
            << QList<int>{int(R::DataLoadingBottleneck), int(R::GpuUnderused)}
            << QStringList{QStringLiteral("20%"), QStringLiteral("likely cause")};

        QTest::newRow("too few GPU samples to judge")
            << window({3, 10}) << healthy << QList<int>{} << QStringList{};

        WindowSpec growing;
        growing.swapUsedEnd = 612 * kMiB;
        QTest::newRow("swap use growing")
            << window(growing) << healthy << QList<int>{int(R::Swapping)}
            << QStringList{QStringLiteral("from 100 to 612 MiB"), QStringLiteral("60 s"),
                           QStringLiteral("20.0 of 32.0 GiB")};

        WindowSpec swapIn;
        swapIn.swapInEnd = 5000 + 25600; // 100 MiB of 4 KiB pages
        QTest::newRow("pages read back from swap")
            << window(swapIn) << healthy << QList<int>{int(R::Swapping)}
            << QStringList{QStringLiteral("100 MiB were read back")};

        WindowSpec swapSteady;
        swapSteady.swapUsedStart = swapSteady.swapUsedEnd = 3 * kGiB;
        QTest::newRow("large but steady swap is quiet")
            << window(swapSteady) << healthy << QList<int>{} << QStringList{};

        WindowSpec fullGpu;
        fullGpu.gpuMemoryUsed = 23 * kGiB;
        QTest::newRow("GPU memory nearly full")
            << window(fullGpu) << healthy << QList<int>{int(R::GpuMemoryNearlyFull)}
            << QStringList{QStringLiteral("23.0 of 24.0 GiB"), QStringLiteral("96%")};

        WindowSpec ninetyGpu;
        ninetyGpu.gpuMemoryUsed = qint64(24 * kGiB * 0.89);
        QTest::newRow("GPU memory at 89% is quiet")
            << window(ninetyGpu) << healthy << QList<int>{} << QStringList{};

        ThroughputStats slower = healthy;
        slower.epochSecondsBeforeResume = {60, 60};
        slower.epochSecondsSinceResume = {78, 78};
        QTest::newRow("slower since the resume")
            << window({}) << slower << QList<int>{int(R::SlowerSinceResume)}
            << QStringList{QStringLiteral("78.0 s"), QStringLiteral("60.0 s"),
                           QStringLiteral("+30%")};

        ThroughputStats slightlySlower = healthy;
        slightlySlower.epochSecondsBeforeResume = {60};
        slightlySlower.epochSecondsSinceResume = {71};
        QTest::newRow("18% slower is quiet")
            << window({}) << slightlySlower << QList<int>{} << QStringList{};

        ThroughputStats newRun = healthy;
        newRun.epochSecondsBeforeResume.clear();
        newRun.epochSecondsSinceResume = {500};
        QTest::newRow("new run has no resume to compare")
            << window({}) << newRun << QList<int>{} << QStringList{};
    }

    // The rules that need the training machine's figures (cores, CPU, image sizes, read and decode
    // times), each with the advice it must give and the advice it must not.
    void machineRules_data()
    {
        QTest::addColumn<std::vector<SystemSample>>("samples");
        QTest::addColumn<ThroughputStats>("stats");
        QTest::addColumn<QList<int>>("expectedRules");
        QTest::addColumn<QStringList>("expectedWords");
        QTest::addColumn<QStringList>("absentWords");

        using R = Finding::Rule;
        // The case: 3000x3000 JPEGs at imgsz 64 on 2 cores, 8 loader workers.
        ThroughputStats big;
        big.training = true;
        big.imagesPerSecond = 3.1;
        big.dataWaitShare = 0.87;
        big.workers = 8;
        big.cores = 2;
        big.machineCpuPercent = 98;
        big.imgsz = 64;
        big.medianImageSide = 3000;
        big.trainImages = 100;
        big.cacheRamBytes = 100 * 64 * 64 * 3;
        big.memoryAvailableBytes = 5 * kGiB;
        big.readMsPerImage = 0.4;
        big.decodeMsPerImage = 81.5;
        big.data = QStringLiteral("/data/big/data.yaml");
        QTest::newRow("oversized images, CPU saturated: resize or cache, not workers")
            << window({60, -1}) << big
            << QList<int>{int(R::DataLoadingBottleneck), int(R::MoreWorkersThanCores)}
            << QStringList{QStringLiteral("87%"),
                           QStringLiteral("98% of 2 cores"),
                           QStringLiteral("cannot help"),
                           QStringLiteral("81.5 ms per image"),
                           QStringLiteral("median 3000 px"),
                           QStringLiteral("47× imgsz=64"),
                           QStringLiteral("yolodeck-cli resize data=/data/big/data.yaml imgsz=64"),
                           QStringLiteral("cache=ram (about 1 MiB of RAM for 100 images; 5.0 "
                                          "GiB available)"),
                           QStringLiteral("workers=8 on a machine with 2 CPU cores")}
            << QStringList{QStringLiteral("Try more loader workers"), QStringLiteral("workers=16"),
                           QStringLiteral("cores are idle")};

        // The same figures recorded by a run on another machine: no local sample is needed, and
        // this machine's idle CPU (40% in the samples) must not make the advice "more workers".
        ThroughputStats pinned = big;
        pinned.machineCpuPercent = -1;
        pinned.processCpuPercent = 197; // both of its cores
        QTest::newRow("trainer using all of its cores counts as saturated")
            << window({}) << pinned
            << QList<int>{int(R::DataLoadingBottleneck), int(R::MoreWorkersThanCores)}
            << QStringList{QStringLiteral("saturated"), QStringLiteral("resize")}
            << QStringList{QStringLiteral("Try more loader workers"),
                           QStringLiteral("cores are idle")};

        ThroughputStats nearSize = big;
        nearSize.medianImageSide = 800;
        nearSize.imgsz = 640;
        nearSize.workers = 2;
        QTest::newRow("CPU saturated, images near imgsz: cache=ram, no resize")
            << window({60, -1}) << nearSize << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("Use cache=ram (about"), QStringLiteral("decoded once")}
            << QStringList{QStringLiteral("resize"), QStringLiteral("workers=4")};

        ThroughputStats noRoom = nearSize;
        noRoom.cacheRamBytes = 20 * kGiB;
        noRoom.memoryAvailableBytes = 4 * kGiB;
        QTest::newRow("CPU saturated, cache=ram would not fit")
            << window({60, -1}) << noRoom << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("would not fit"), QStringLiteral("20.0 GiB")}
            << QStringList{QStringLiteral("Use cache=ram"), QStringLiteral("workers=")};

        // Not one whole core idle is saturated too (measured: 85% of 2 cores while decoding).
        ThroughputStats noCoreIdle = nearSize;
        noCoreIdle.machineCpuPercent = 85;
        QTest::newRow("85% of 2 cores leaves no core idle: saturated")
            << window({60, -1}) << noCoreIdle << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("saturated (85% of 2 cores)")}
            << QStringList{QStringLiteral("cores are idle"), QStringLiteral("waits on the disk")};

        ThroughputStats filling = nearSize;
        filling.cacheRam = true;
        QTest::newRow("cache=ram on while it fills")
            << window({60, -1}) << filling << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("still filling")}
            << QStringList{QStringLiteral("Use cache=ram"), QStringLiteral("augmentation")};

        ThroughputStats cached = nearSize;
        cached.cacheRam = true;
        cached.readMsPerImage = -1; // nothing decoded any more: every image comes from the cache
        cached.decodeMsPerImage = -1;
        QTest::newRow("CPU saturated with cache=ram on: augmentation")
            << window({60, -1}) << cached << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("cache=ram is on"), QStringLiteral("augmentation")}
            << QStringList{QStringLiteral("Use cache=ram"), QStringLiteral("workers=4")};

        ThroughputStats idle = big;
        idle.machineCpuPercent = 40;
        idle.cores = 16;
        idle.workers = 4;
        idle.medianImageSide = 640;
        idle.imgsz = 640;
        QTest::newRow("data-bound with idle cores: more workers, how many free")
            << window({60, -1}) << idle << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("9 of the 16 cores are idle"),
                           QStringLiteral("workers=8")}
            << QStringList{QStringLiteral("saturated"), QStringLiteral("resize")};

        ThroughputStats idleAllWorkers = idle;
        idleAllWorkers.workers = 16;
        QTest::newRow("data-bound, idle cores, workers = cores: the disk")
            << window({60, -1}) << idleAllWorkers << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("waits on the disk")}
            << QStringList{QStringLiteral("workers=32"), QStringLiteral("saturated")};

        ThroughputStats fast;
        fast.training = true;
        fast.imagesPerSecond = 410;
        fast.dataWaitShare = 0.04;
        fast.workers = 8;
        fast.cores = 2;
        QTest::newRow("more workers than cores")
            << window({60, -1}) << fast << QList<int>{int(R::MoreWorkersThanCores)}
            << QStringList{QStringLiteral("workers=8 on a machine with 2 CPU cores"),
                           QStringLiteral("workers=2 does the same work")}
            << QStringList{QStringLiteral("bottleneck")};

        ThroughputStats enough = fast;
        enough.workers = 2;
        QTest::newRow("workers = cores is quiet")
            << window({60, -1}) << enough << QList<int>{} << QStringList{} << QStringList{};

        ThroughputStats nfs;
        nfs.training = true;
        nfs.imagesPerSecond = 40;
        nfs.dataWaitShare = 0.55;
        nfs.workers = 8;
        nfs.cores = 8;
        nfs.machineCpuPercent = 30;
        nfs.readMsPerImage = 42;
        nfs.decodeMsPerImage = 8;
        nfs.imageStore = QStringLiteral("nfs");
        nfs.cacheRamBytes = 2 * kGiB;
        nfs.memoryAvailableBytes = 16 * kGiB;
        QTest::newRow("slow network image store")
            << window({60, -1}) << nfs
            << QList<int>{int(R::DataLoadingBottleneck), int(R::SlowImageStore)}
            << QStringList{QStringLiteral("42.0 ms per image from storage against 8.0 ms"),
                           QStringLiteral("on nfs"), QStringLiteral("local disk"),
                           QStringLiteral("cache=ram (about 2.0 GiB")}
            << QStringList{QStringLiteral("saturated")};

        ThroughputStats localFast = nfs;
        localFast.imageStore.clear();
        localFast.readMsPerImage = 0.3;
        QTest::newRow("fast local reads are not a slow store")
            << window({60, -1}) << localFast << QList<int>{int(R::DataLoadingBottleneck)}
            << QStringList{QStringLiteral("waits on the disk")}
            << QStringList{QStringLiteral("from storage"), QStringLiteral("local disk")};

        ThroughputStats nfsFast = nfs;
        nfsFast.dataWaitShare = 0.02;
        nfsFast.readMsPerImage = 1;
        QTest::newRow("network store that keeps up is quiet")
            << window({60, -1}) << nfsFast << QList<int>{} << QStringList{} << QStringList{};

        ThroughputStats gpu = fast;
        gpu.onCuda = true;
        gpu.workers = 2;
        QTest::newRow("GPU under-used with idle CPU: batch, with the memory headroom")
            << window({60, 31}) << gpu << QList<int>{int(R::GpuUnderused)}
            << QStringList{QStringLiteral("larger batch"),
                           QStringLiteral("16.0 of its 24.0 GiB of memory are free")}
            << QStringList{QStringLiteral("saturated")};

        ThroughputStats gpuBusyHost = gpu;
        gpuBusyHost.machineCpuPercent = 97;
        QTest::newRow("GPU under-used, CPU saturated: not a larger batch")
            << window({60, 31}) << gpuBusyHost << QList<int>{int(R::GpuUnderused)}
            << QStringList{QStringLiteral("CPU is saturated (97%)")}
            << QStringList{QStringLiteral("larger batch")};
    }

    // A watched run on another machine: no GPU among this machine's samples, the run's own
    // recorded GPU figures instead.
    void recordedGpuRules()
    {
        using R = Finding::Rule;
        ThroughputStats s;
        s.training = true;
        s.onCuda = true;
        s.imagesPerSecond = 900;
        s.dataWaitShare = 0.02;
        s.cores = 32;
        s.workers = 8;
        s.machineCpuPercent = 30;
        s.gpuName = QStringLiteral("NVIDIA H200");
        s.gpuUtilizationPercent = 25;
        s.gpuSamples = 30;
        s.gpuDeviceMemoryUsedBytes = 20 * kGiB;
        s.gpuDeviceMemoryTotalBytes = 141 * kGiB;
        std::vector<Finding> f = diagnose({}, s);
        QCOMPARE(int(f.size()), 1);
        QCOMPARE(f[0].rule, R::GpuUnderused);
        QVERIFY2(f[0].text.contains(QStringLiteral("NVIDIA H200 averaged 25% utilisation over the "
                                                   "last 30 s")),
                 qPrintable(f[0].text));
        QVERIFY2(f[0].text.contains(QStringLiteral("121.0 of its 141.0 GiB of memory are free")),
                 qPrintable(f[0].text));

        ThroughputStats few = s; // three samples are not enough to judge
        few.gpuSamples = 3;
        QVERIFY(diagnose({}, few).empty());

        ThroughputStats full = s;
        full.gpuUtilizationPercent = 97;
        full.gpuDeviceMemoryUsedBytes = 135 * kGiB;
        f = diagnose({}, full);
        QCOMPARE(int(f.size()), 1);
        QCOMPARE(f[0].rule, R::GpuMemoryNearlyFull);
        QVERIFY2(f[0].text.contains(QStringLiteral("135.0 of 141.0 GiB")), qPrintable(f[0].text));

        // This machine's own GPU samples win over recorded figures when it has them.
        f = diagnose(window({60, 95}), s);
        QVERIFY(f.empty());
    }

    void machineRules()
    {
        QFETCH(std::vector<SystemSample>, samples);
        QFETCH(ThroughputStats, stats);
        QFETCH(QList<int>, expectedRules);
        QFETCH(QStringList, expectedWords);
        QFETCH(QStringList, absentWords);

        QString text;
        QList<int> rules;
        for (const Finding &f : diagnose(samples, stats)) {
            rules << int(f.rule);
            text += f.text + QLatin1Char('\n');
        }
        QCOMPARE(rules, expectedRules);
        for (const QString &word : expectedWords)
            QVERIFY2(text.contains(word), qPrintable(word + QLatin1String(" not in: ") + text));
        for (const QString &word : absentWords)
            QVERIFY2(!text.contains(word), qPrintable(word + QLatin1String(" said in: ") + text));
    }

    void rules()
    {
        QFETCH(std::vector<SystemSample>, samples);
        QFETCH(ThroughputStats, stats);
        QFETCH(QList<int>, expectedRules);
        QFETCH(QStringList, expectedWords);

        const std::vector<Finding> findings = diagnose(samples, stats);
        QList<int> rules;
        QString text;
        for (const Finding &f : findings) {
            rules << int(f.rule);
            text += f.text + QLatin1Char('\n');
            QVERIFY(!f.text.isEmpty());
        }
        QCOMPARE(rules, expectedRules);
        for (const QString &word : expectedWords)
            QVERIFY2(text.contains(word), qPrintable(word + QLatin1String(" not in: ") + text));
    }
};

QTEST_GUILESS_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
