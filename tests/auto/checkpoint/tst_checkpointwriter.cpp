// The background checkpoint writer: coalescing, one write per path at a time, a submit() that
// leaves the write to the writer thread, errors through the handler, and a destructor that writes
// what is queued.

#include "core/checkpoint/checkpointwriter.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace yolodeck;

namespace {

CheckpointData version(int v, int64_t elements)
{
    CheckpointData data;
    data.meta = QJsonObject{{QStringLiteral("format"), 1},
                            {QStringLiteral("kind"), QStringLiteral("full")},
                            {QStringLiteral("epoch"), v}};
    data.tensors["model.w"] = torch::full({elements}, float(v));
    data.tensors["optim.step"] = torch::tensor({int64_t(v)});
    return data;
}

QStringList hiddenLeftovers(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral(".*.tmp-*")}, QDir::Files | QDir::Hidden);
}

} // namespace

class TestCheckpointWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newestVersionWinsAndWritesNeverOverlap();
    void submitCopiesTheTensors();
    void submitDoesNotWaitForTheWrite();
    void errorsGoToTheHandler();
    void destructorWritesWhatIsQueued();
};

void TestCheckpointWriter::newestVersionWinsAndWritesNeverOverlap()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString last = dir.filePath(QStringLiteral("last.pt"));
    const QString best = dir.filePath(QStringLiteral("best.pt"));

    std::mutex mutex;
    QStringList completed;
    CheckpointWriter writer;
    writer.setCompletionHandler([&](const QString &path, double) {
        std::lock_guard lock(mutex);
        completed << QFileInfo(path).fileName();
    });
    constexpr int kVersions = 40;
    for (int v = 1; v <= kVersions; ++v) {
        writer.submit(last, version(v, 256 * 1024)); // 1 MiB: each write outlasts a submit
        if (v % 10 == 0)
            writer.submit(best, version(v, 16));
    }
    writer.flush();

    const CheckpointWriter::Stats stats = writer.stats();
    QCOMPARE(stats.submitted, kVersions + kVersions / 10);
    QCOMPARE(stats.failed, 0);
    QCOMPARE(stats.written + stats.coalesced, stats.submitted);
    QVERIFY2(stats.coalesced > 0, "rapid submissions of last.pt were all written one by one");
    QCOMPARE(stats.maxConcurrentWrites, 1);
    QCOMPARE(completed.size(), stats.written);
    QCOMPARE(completed.count(QStringLiteral("last.pt")) +
                 completed.count(QStringLiteral("best.pt")),
             completed.size());

    const Result<CheckpointData> lastData = loadCheckpoint(last);
    QVERIFY2(lastData, qPrintable(lastData.error()));
    QCOMPARE(lastData.value().meta.value(QStringLiteral("epoch")).toInt(), kVersions);
    QCOMPARE(lastData.value().tensors.at("model.w").max().item<float>(), float(kVersions));
    QCOMPARE(lastData.value().tensors.at("model.w").min().item<float>(), float(kVersions));
    const Result<CheckpointData> bestData = loadCheckpoint(best);
    QVERIFY(bestData);
    QCOMPARE(bestData.value().meta.value(QStringLiteral("epoch")).toInt(), kVersions);
    QVERIFY(hiddenLeftovers(dir.path()).isEmpty());
}

void TestCheckpointWriter::submitCopiesTheTensors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("epoch1.pt"));
    CheckpointData data = version(1, 1000);
    torch::Tensor weights = data.tensors["model.w"];
    CheckpointWriter writer;
    writer.submit(path, data);
    // The trainer's next optimizer step changes its parameters in place right away.
    weights.fill_(-5.0f);
    data.tensors["optim.step"].add_(100);
    writer.flush();

    const Result<CheckpointData> loaded = loadCheckpoint(path);
    QVERIFY2(loaded, qPrintable(loaded.error()));
    QCOMPARE(loaded.value().tensors.at("model.w").min().item<float>(), 1.0f);
    QCOMPARE(loaded.value().tensors.at("optim.step").item<int64_t>(), int64_t(1));
}

void TestCheckpointWriter::submitDoesNotWaitForTheWrite()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString first = dir.filePath(QStringLiteral("epoch1.pt"));
    const QString second = dir.filePath(QStringLiteral("last.pt"));

    // The first completion holds the writer thread until the test lets it go, so the second
    // submit() can only return at once if it leaves the write to that thread.
    std::mutex mutex;
    std::condition_variable released;
    bool release = false;
    bool firstDone = false;
    std::thread::id handlerThread;
    CheckpointWriter writer;
    writer.setCompletionHandler([&](const QString &path, double) {
        std::unique_lock lock(mutex);
        if (path != first)
            return;
        handlerThread = std::this_thread::get_id();
        firstDone = true;
        released.notify_all();
        released.wait_for(lock, std::chrono::seconds(20), [&] { return release; });
    });
    writer.submit(first, version(1, 1000));
    {
        std::unique_lock lock(mutex);
        QVERIFY(released.wait_for(lock, std::chrono::seconds(20), [&] { return firstDone; }));
    }
    writer.submit(second, version(2, 1000));
    {
        std::lock_guard lock(mutex);
        QVERIFY(handlerThread != std::this_thread::get_id());
        QVERIFY(!release);
    }
    // The writer thread is still inside the first completion: the second file cannot exist yet.
    QVERIFY(!QFile::exists(second));
    QVERIFY(QFile::exists(first));
    QCOMPARE(writer.stats().written, 1);
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    released.notify_all();
    writer.flush();
    QCOMPARE(writer.stats().written, 2);
    const Result<CheckpointData> loaded = loadCheckpoint(second);
    QVERIFY2(loaded, qPrintable(loaded.error()));
    QCOMPARE(loaded.value().meta.value(QStringLiteral("epoch")).toInt(), 2);
}

void TestCheckpointWriter::errorsGoToTheHandler()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Tests run as root: a regular file where the folder should be makes the save fail.
    const QString blocker = dir.filePath(QStringLiteral("weights"));
    QFile file(blocker);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    const QString bad = blocker + QStringLiteral("/last.pt");
    const QString good = dir.filePath(QStringLiteral("ok.pt"));

    std::mutex mutex;
    QStringList errors;
    QStringList completed;
    CheckpointWriter writer;
    writer.setErrorHandler([&](const QString &path, const QString &error) {
        std::lock_guard lock(mutex);
        errors << path + QLatin1Char('|') + error;
    });
    writer.setCompletionHandler([&](const QString &path, double) {
        std::lock_guard lock(mutex);
        completed << path;
    });
    writer.submit(bad, version(1, 10));
    writer.submit(good, version(1, 10)); // a failed write does not stop the writer
    writer.flush();

    QCOMPARE(errors.size(), 1);
    QVERIFY2(errors.first().startsWith(bad + QLatin1Char('|')), qPrintable(errors.first()));
    QVERIFY2(errors.first().contains(QLatin1String("Not a directory")), qPrintable(errors.first()));
    QCOMPARE(completed, QStringList{good});
    QCOMPARE(writer.stats().failed, 1);
    QCOMPARE(writer.stats().written, 1);
}

void TestCheckpointWriter::destructorWritesWhatIsQueued()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QStringList paths;
    {
        CheckpointWriter writer;
        for (int epoch = 1; epoch <= 3; ++epoch) {
            paths << dir.filePath(QStringLiteral("epoch%1.pt").arg(epoch));
            writer.submit(paths.last(), version(epoch, 512 * 1024));
        }
    }
    for (int i = 0; i < paths.size(); ++i) {
        const Result<CheckpointData> loaded = loadCheckpoint(paths[i]);
        QVERIFY2(loaded, qPrintable(loaded.error()));
        QCOMPARE(loaded.value().meta.value(QStringLiteral("epoch")).toInt(), i + 1);
    }
    QVERIFY(hiddenLeftovers(dir.path()).isEmpty());
}

QTEST_GUILESS_MAIN(TestCheckpointWriter)
#include "tst_checkpointwriter.moc"
