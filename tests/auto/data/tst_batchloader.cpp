#include "core/data/batchloader.h"
#include "core/data/synthdataset.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <torch/torch.h>

#include <set>

using namespace yolodeck;

class TestBatchLoader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void batchShapes();
    void identicalForAnyWorkerCount_data();
    void identicalForAnyWorkerCount();
    void epochsAndSeedsDiffer();
    void resumeMidEpoch_data();
    void resumeMidEpoch();
    void restartWhileBusy();
    void shardsPartitionEpoch_data();
    void shardsPartitionEpoch();
    void rectValidationShardsWholeBatches();
    void valLetterboxMapsBack();
    void rectBatchesByAspectRatio();
    void unreadableImageAtLoadTime();
    void cacheRamKeepsImages();
    void destructorStopsBusyWorkers();

private:
    std::vector<Batch> epoch(const Dataset &ds, LoaderOptions o, int epoch, bool mosaic,
                             int firstBatch = 0);
    QTemporaryDir m_tmp;
    Dataset m_train; // 22 synthetic images, 64 px
    Dataset m_val;   // 9 synthetic images
};

namespace {

LoaderOptions smallOptions(int workers)
{
    LoaderOptions o;
    o.imgsz = 64;
    o.batch = 4;
    o.workers = workers;
    o.prefetch = 2;
    o.seed = 7;
    return o;
}

void compareBatches(const Batch &a, const Batch &b)
{
    QCOMPARE(a.batchIndex, b.batchIndex);
    QCOMPARE(a.sampleIndices, b.sampleIndices);
    QVERIFY(torch::equal(a.images, b.images));
    QVERIFY(torch::equal(a.targets, b.targets));
}

// Writes root/data.yaml with both splits on images/<folder> and the given names list, and scans
// the split.
Result<Dataset> scanFolder(const QString &root, const QString &folder, const char *names,
                           Split split)
{
    QFile yaml(root + "/data.yaml");
    if (!yaml.open(QIODevice::WriteOnly))
        return Result<Dataset>::fail(yaml.fileName() + ": cannot write");
    yaml.write(QStringLiteral("train: images/%1\nval: images/%1\nnames: %2\n")
                   .arg(folder, QLatin1String(names))
                   .toUtf8());
    yaml.close();
    return Dataset::scan(DatasetConfig::load(root + "/data.yaml").value(), split);
}

// Copies a dataset's images and labels into root/images/<folder> and root/labels/<folder>.
bool copyInto(const Dataset &ds, const QString &root, const QString &folder)
{
    const QString images = root + "/images/" + folder + "/";
    const QString labels = root + "/labels/" + folder + "/";
    QDir().mkpath(images);
    QDir().mkpath(labels);
    for (const ImageRecord &r : ds.records()) {
        if (!QFile::copy(r.imagePath, images + QFileInfo(r.imagePath).fileName()) ||
            !QFile::copy(r.labelPath, labels + QFileInfo(r.labelPath).fileName()))
            return false;
    }
    return true;
}

} // namespace

std::vector<Batch> TestBatchLoader::epoch(const Dataset &ds, LoaderOptions o, int e, bool mosaic,
                                          int firstBatch)
{
    BatchLoader loader(ds, o);
    loader.startEpoch(e, mosaic, firstBatch);
    std::vector<Batch> out;
    while (auto b = loader.next())
        out.push_back(std::move(*b));
    return out;
}

void TestBatchLoader::initTestCase()
{
    SynthOptions o;
    o.dir = m_tmp.filePath("synth");
    o.train = 22;
    o.val = 9;
    o.imgsz = 64;
    o.seed = 3;
    QVERIFY(writeSynthDataset(o).isOk());
    auto config = DatasetConfig::load(o.dir + "/data.yaml");
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    auto train = Dataset::scan(config.value(), Split::Train);
    auto val = Dataset::scan(config.value(), Split::Val);
    QVERIFY(train.isOk() && val.isOk());
    m_train = train.take();
    m_val = val.take();
}

void TestBatchLoader::batchShapes()
{
    LoaderOptions o = smallOptions(2);
    BatchLoader loader(m_train, o);
    QCOMPARE(loader.batchesPerEpoch(), 6); // ceil(22 / 4)
    QVERIFY(!loader.next().has_value());   // no epoch started yet
    const std::vector<Batch> batches = epoch(m_train, o, 0, true);
    QCOMPARE(int(batches.size()), 6);
    std::multiset<int> seen;
    for (int i = 0; i < 6; ++i) {
        const Batch &b = batches[i];
        const int n = i < 5 ? 4 : 2;
        QCOMPARE(b.batchIndex, i);
        QCOMPARE(b.images.sizes(), (torch::IntArrayRef{n, 3, 64, 64}));
        QCOMPARE(b.images.dtype(), torch::kFloat32);
        QVERIFY(b.images.is_contiguous());
        QVERIFY(b.images.min().item<float>() >= 0.0f);
        QVERIFY(b.images.max().item<float>() <= 1.0f);
        QCOMPARE(b.targets.dim(), int64_t(2));
        QCOMPARE(b.targets.size(1), int64_t(6));
        QVERIFY(b.targets.size(0) > 0);
        QVERIFY(b.targets.select(1, 0).max().item<float>() < n);
        const auto boxes = b.targets.slice(1, 2, 6);
        QVERIFY(boxes.min().item<float>() >= 0.0f);
        QVERIFY(boxes.max().item<float>() <= 1.0f);
        QVERIFY(b.letterboxes.empty()); // training batches
        QVERIFY(b.waitMs >= 0);
        seen.insert(b.sampleIndices.begin(), b.sampleIndices.end());
    }
    // Every image exactly once per epoch.
    QCOMPARE(int(seen.size()), 22);
    QCOMPARE(int(std::set<int>(seen.begin(), seen.end()).size()), 22);
}

void TestBatchLoader::identicalForAnyWorkerCount_data()
{
    QTest::addColumn<bool>("mosaic");
    QTest::newRow("mosaic") << true;
    QTest::newRow("no mosaic (close_mosaic)") << false;
}

void TestBatchLoader::identicalForAnyWorkerCount()
{
    QFETCH(bool, mosaic);
    const std::vector<Batch> ref = epoch(m_train, smallOptions(0), 1, mosaic);
    QCOMPARE(int(ref.size()), 6);
    for (int workers : {1, 4}) {
        const std::vector<Batch> other = epoch(m_train, smallOptions(workers), 1, mosaic);
        QCOMPARE(other.size(), ref.size());
        for (size_t i = 0; i < ref.size(); ++i)
            compareBatches(ref[i], other[i]);
    }
}

void TestBatchLoader::epochsAndSeedsDiffer()
{
    const auto e0 = epoch(m_train, smallOptions(2), 0, true);
    const auto e1 = epoch(m_train, smallOptions(2), 1, true);
    LoaderOptions otherSeed = smallOptions(2);
    otherSeed.seed = 8;
    const auto s8 = epoch(m_train, otherSeed, 0, true);
    QVERIFY(e0[0].sampleIndices != e1[0].sampleIndices ||
            !torch::equal(e0[0].images, e1[0].images));
    QVERIFY(!torch::equal(e0[0].images, e1[0].images));
    QVERIFY(!torch::equal(e0[0].images, s8[0].images));
    // Order changes between epochs (22! orders: equal only if the shuffle were off).
    std::vector<int> order0, order1;
    for (const Batch &b : e0)
        order0.insert(order0.end(), b.sampleIndices.begin(), b.sampleIndices.end());
    for (const Batch &b : e1)
        order1.insert(order1.end(), b.sampleIndices.begin(), b.sampleIndices.end());
    QVERIFY(order0 != order1);

    // Without shuffling the order is the record order.
    LoaderOptions noShuffle = smallOptions(0);
    noShuffle.shuffle = false;
    const auto plain = epoch(m_train, noShuffle, 3, false);
    QCOMPARE(plain[1].sampleIndices, (std::vector<int>{4, 5, 6, 7}));
}

void TestBatchLoader::resumeMidEpoch_data()
{
    QTest::addColumn<int>("workers");
    QTest::addColumn<int>("firstBatch");
    QTest::newRow("inline, batch 3") << 0 << 3;
    QTest::newRow("3 workers, batch 1") << 3 << 1;
    QTest::newRow("2 workers, last batch") << 2 << 5;
    QTest::newRow("past the end") << 2 << 6;
}

void TestBatchLoader::resumeMidEpoch()
{
    QFETCH(int, workers);
    QFETCH(int, firstBatch);
    const auto full = epoch(m_train, smallOptions(1), 2, true);
    const auto resumed = epoch(m_train, smallOptions(workers), 2, true, firstBatch);
    QCOMPARE(int(resumed.size()), int(full.size()) - firstBatch);
    for (size_t i = 0; i < resumed.size(); ++i)
        compareBatches(resumed[i], full[firstBatch + i]);
}

void TestBatchLoader::restartWhileBusy()
{
    // Take one batch of epoch 0, then switch to epoch 1 while workers are still building epoch 0.
    LoaderOptions o = smallOptions(4);
    o.prefetch = 6;
    BatchLoader loader(m_train, o);
    loader.startEpoch(0, true);
    QVERIFY(loader.next().has_value());
    loader.startEpoch(1, true);
    std::vector<Batch> got;
    while (auto b = loader.next())
        got.push_back(std::move(*b));
    const auto ref = epoch(m_train, smallOptions(0), 1, true);
    QCOMPARE(got.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i)
        compareBatches(got[i], ref[i]);
    // And back again, from the middle.
    loader.startEpoch(1, true, 4);
    auto b4 = loader.next();
    QVERIFY(b4.has_value());
    compareBatches(*b4, ref[4]);
}

void TestBatchLoader::shardsPartitionEpoch_data()
{
    QTest::addColumn<bool>("useVal");
    QTest::addColumn<bool>("augment");
    QTest::newRow("train, 22 images") << false << true;
    QTest::newRow("val, 9 images (odd)") << true << false;
}

// DESIGN.md §9: two ranks at batch 4 see exactly the one-process epoch at batch 8, batch by
// batch, with no sample padded in or left out.
void TestBatchLoader::shardsPartitionEpoch()
{
    QFETCH(bool, useVal);
    QFETCH(bool, augment);
    const Dataset &ds = useVal ? m_val : m_train;
    const int n = int(ds.records().size());
    std::vector<std::vector<std::vector<int>>> perRank(2); // [rank][batch] -> samples
    int batches[2] = {0, 0};
    for (int rank = 0; rank < 2; ++rank) {
        LoaderOptions o = smallOptions(2);
        o.augment = augment;
        o.rank = rank;
        o.worldSize = 2;
        BatchLoader loader(ds, o);
        QCOMPARE(loader.shardSize(), (n - rank + 1) / 2);
        batches[rank] = loader.batchesPerEpoch();
        loader.startEpoch(4, true);
        std::vector<int> flat;
        while (auto b = loader.next()) {
            perRank[rank].push_back(b->sampleIndices);
            flat.insert(flat.end(), b->sampleIndices.begin(), b->sampleIndices.end());
        }
        QCOMPARE(flat, loader.epochOrder(4));
    }
    // Same number of steps on every rank (collectives would hang otherwise).
    QCOMPARE(batches[0], batches[1]);
    QCOMPARE(int(perRank[0].size()), batches[0]);
    QCOMPARE(int(perRank[1].size()), batches[1]);

    LoaderOptions single = smallOptions(0);
    single.augment = augment;
    single.batch = 8;
    BatchLoader one(ds, single);
    QCOMPARE(one.batchesPerEpoch(), batches[0]);
    one.startEpoch(4, true);
    int b = 0;
    int seen = 0;
    while (auto whole = one.next()) {
        std::multiset<int> expected(whole->sampleIndices.begin(), whole->sampleIndices.end());
        std::multiset<int> got(perRank[0][b].begin(), perRank[0][b].end());
        got.insert(perRank[1][b].begin(), perRank[1][b].end());
        QCOMPARE(got, expected);
        seen += int(got.size());
        ++b;
    }
    QCOMPARE(seen, n); // every sample once: nothing padded
}

// Rect validation shards whole batches: a rect batch's input shape depends on all its images.
void TestBatchLoader::rectValidationShardsWholeBatches()
{
    LoaderOptions single = smallOptions(0);
    single.augment = false;
    single.shuffle = false;
    single.rect = true;
    single.batch = 2;
    BatchLoader one(m_val, single);
    one.startEpoch(0, false);
    std::vector<Batch> whole;
    while (auto b = one.next())
        whole.push_back(std::move(*b));
    QVERIFY(whole.size() >= 3);
    std::set<int> covered;
    for (int rank = 0; rank < 2; ++rank) {
        LoaderOptions o = single;
        o.rank = rank;
        o.worldSize = 2;
        BatchLoader loader(m_val, o);
        QCOMPARE(loader.batchesPerEpoch(), int(whole.size() - rank + 1) / 2);
        loader.startEpoch(0, false);
        while (auto b = loader.next()) {
            QCOMPARE(b->batchIndex % 2, rank);
            const Batch &ref = whole[size_t(b->batchIndex)];
            QCOMPARE(b->sampleIndices, ref.sampleIndices);
            QVERIFY(torch::equal(b->images, ref.images));
            covered.insert(b->batchIndex);
        }
    }
    QCOMPARE(int(covered.size()), int(whole.size()));
}

void TestBatchLoader::valLetterboxMapsBack()
{
    // Non-square images with one red rectangle each; val mode letterboxes them into 64 x 64.
    QTemporaryDir tmp;
    const QString root = tmp.path();
    struct Item
    {
        int w, h;
        cv::Rect object;
    };
    const std::vector<Item> items = {{128, 64, {20, 10, 40, 30}},
                                     {50, 100, {5, 60, 30, 25}},
                                     {40, 30, {10, 5, 20, 20}}}; // smaller than 64: scaled up
    for (size_t i = 0; i < items.size(); ++i) {
        cv::Mat img(items[i].h, items[i].w, CV_8UC3, cv::Scalar(60, 60, 60));
        img(items[i].object).setTo(cv::Scalar(0, 0, 255));
        QDir().mkpath(root + "/images/val");
        QDir().mkpath(root + "/labels/val");
        const QString stem = QString::number(i);
        QVERIFY(cv::imwrite((root + "/images/val/" + stem + ".png").toStdString(), img));
        const cv::Rect &r = items[i].object;
        QFile label(root + "/labels/val/" + stem + ".txt");
        QVERIFY(label.open(QIODevice::WriteOnly));
        label.write(QStringLiteral("0 %1 %2 %3 %4\n")
                        .arg((r.x + r.width / 2.0) / items[i].w)
                        .arg((r.y + r.height / 2.0) / items[i].h)
                        .arg(double(r.width) / items[i].w)
                        .arg(double(r.height) / items[i].h)
                        .toUtf8());
    }
    auto ds = scanFolder(root, QStringLiteral("val"), "[red]", Split::Val);
    QVERIFY2(ds.isOk(), qPrintable(ds.error()));

    LoaderOptions o = smallOptions(0);
    o.augment = false;
    o.shuffle = false;
    const auto batches = epoch(ds.value(), o, 0, false);
    QCOMPARE(int(batches.size()), 1);
    const Batch &b = batches[0];
    QCOMPARE(int(b.letterboxes.size()), 3);
    QCOMPARE(b.sampleIndices, (std::vector<int>{0, 1, 2}));
    QCOMPARE(b.targets.size(0), int64_t(3));
    for (int i = 0; i < 3; ++i) {
        const Item &item = items[i];
        const Letterbox &lb = b.letterboxes[i];
        QCOMPARE(lb.origW, item.w);
        QCOMPARE(lb.origH, item.h);
        QVERIFY(std::abs(lb.ratio - 64.0f / std::max(item.w, item.h)) < 1e-4f);
        QVERIFY(lb.padX == 0 || lb.padY == 0);
        // Target box in network pixels, mapped back, is the drawn rectangle (within a pixel).
        const auto t = b.targets[i];
        QCOMPARE(t[0].item<float>(), float(i));
        const float cx = t[2].item<float>() * 64, cy = t[3].item<float>() * 64;
        const float w = t[4].item<float>() * 64, h = t[5].item<float>() * 64;
        QVERIFY(std::abs((cx - w / 2 - lb.padX) / lb.ratio - item.object.x) < 1.0f);
        QVERIFY(std::abs((cy + h / 2 - lb.padY) / lb.ratio - item.object.br().y) < 1.0f);
        // RGB order: the object's centre is red, the padding grey 114.
        const auto px = b.images[i].index({torch::indexing::Slice(), int64_t(cy), int64_t(cx)});
        QVERIFY(px[0].item<float>() > 0.9f);
        QVERIFY(px[2].item<float>() < 0.1f);
        if (lb.padY >= 1)
            QCOMPARE(b.images[i][1][0][32].item<float>(), 114 / 255.0f);
        if (lb.padX >= 1)
            QCOMPARE(b.images[i][1][32][0].item<float>(), 114 / 255.0f);
    }
}

void TestBatchLoader::rectBatchesByAspectRatio()
{
    // Four images of different shapes, batch 2, imgsz 64: Ultralytics orders them by h / w and
    // gives each batch its own input, 64 * ratio / 32 + 0.5 rounded up, times 32, per side.
    QTemporaryDir tmp;
    const QString root = tmp.path();
    QDir().mkpath(root + "/images/val");
    QDir().mkpath(root + "/labels/val");
    struct Item
    {
        const char *stem;
        int w, h;
    };
    // Loaded with the long side at 64: a 64x32, b 64x48, c 32x64, d 64x64 (enlarged).
    const std::vector<Item> items = {{"a", 128, 64}, {"b", 120, 90}, {"c", 50, 100}, {"d", 60, 60}};
    for (const Item &item : items) {
        cv::Mat img(item.h, item.w, CV_8UC3, cv::Scalar(60, 60, 60));
        // A red square in the middle, a fifth of the short side.
        const int side = std::min(item.w, item.h) / 5;
        const cv::Rect object(item.w / 2 - side / 2, item.h / 2 - side / 2, side, side);
        img(object).setTo(cv::Scalar(0, 0, 255));
        QVERIFY(cv::imwrite((root + "/images/val/" + item.stem + ".png").toStdString(), img));
        QFile label(root + "/labels/val/" + item.stem + ".txt");
        QVERIFY(label.open(QIODevice::WriteOnly));
        label.write(QStringLiteral("0 %1 %2 %3 %4\n")
                        .arg((object.x + side / 2.0) / item.w)
                        .arg((object.y + side / 2.0) / item.h)
                        .arg(double(side) / item.w)
                        .arg(double(side) / item.h)
                        .toUtf8());
    }
    auto ds = scanFolder(root, QStringLiteral("val"), "[red]", Split::Val);
    QVERIFY2(ds.isOk(), qPrintable(ds.error()));

    LoaderOptions o = smallOptions(2);
    o.batch = 2;
    o.augment = false;
    o.shuffle = false;
    o.rect = true;
    const auto batches = epoch(ds.value(), o, 0, false);
    QCOMPARE(int(batches.size()), 2);
    // h / w: a 0.5, b 0.75, d 1, c 2.
    QCOMPARE(batches[0].sampleIndices, (std::vector<int>{0, 1}));
    QCOMPARE(batches[1].sampleIndices, (std::vector<int>{3, 2}));
    // Both wider than tall: height from the larger ratio, 0.75 * 2 + 0.5 -> 2 strides; width
    // 2 + 0.5 -> 3 strides. Mixed batch: square, 3 strides.
    QCOMPARE(batches[0].images.sizes().vec(), (std::vector<int64_t>{2, 3, 64, 96}));
    QCOMPARE(batches[1].images.sizes().vec(), (std::vector<int64_t>{2, 3, 96, 96}));

    for (const Batch &b : batches) {
        const int64_t h = b.images.size(2), w = b.images.size(3);
        for (size_t i = 0; i < b.sampleIndices.size(); ++i) {
            const Item &item = items[size_t(b.sampleIndices[i])];
            const Letterbox &lb = b.letterboxes[i];
            // Never enlarged beyond the loaded size (long side 64), centred.
            QVERIFY(std::abs(lb.ratio - 64.0f / std::max(item.w, item.h)) < 1e-4f);
            QCOMPARE(lb.padX, std::round((w - item.w * lb.ratio) / 2 - 0.1f));
            QCOMPARE(lb.padY, std::round((h - item.h * lb.ratio) / 2 - 0.1f));
            // The target is normalised to this batch's input and sits on the red square.
            const auto t = b.targets[int64_t(i)];
            const float cx = t[2].item<float>() * w, cy = t[3].item<float>() * h;
            QVERIFY(std::abs((cx - lb.padX) / lb.ratio - item.w / 2.0f) < 1.5f);
            QVERIFY(std::abs((cy - lb.padY) / lb.ratio - item.h / 2.0f) < 1.5f);
            const auto px =
                b.images[int64_t(i)].index({torch::indexing::Slice(), int64_t(cy), int64_t(cx)});
            QVERIFY(px[0].item<float>() > 0.9f);
            QVERIFY(px[2].item<float>() < 0.1f);
            // Grey 114 in the corner: every image here leaves padding there.
            QCOMPARE(b.images[int64_t(i)][1][0][0].item<float>(), 114 / 255.0f);
        }
    }

    // Training batches are never rect, whatever the option says.
    LoaderOptions train = smallOptions(0);
    train.rect = true;
    for (const Batch &b : epoch(ds.value(), train, 0, false))
        QCOMPARE(b.images.sizes().vec(), (std::vector<int64_t>{b.images.size(0), 3, 64, 64}));
}

void TestBatchLoader::unreadableImageAtLoadTime()
{
    // Copy the val split, scan it, then corrupt one image: the loader meets it at load time.
    QTemporaryDir tmp;
    const QString root = tmp.path();
    QVERIFY(copyInto(m_val, root, QStringLiteral("val")));
    auto ds = scanFolder(root, QStringLiteral("val"), "[a, b, c]", Split::Val);
    QVERIFY2(ds.isOk(), qPrintable(ds.error()));
    const QString broken = ds.value().records()[2].imagePath;
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write("not an image any more");
    f.close();

    for (int workers : {0, 3}) {
        LoaderOptions o = smallOptions(workers);
        BatchLoader loader(ds.value(), o);
        for (int e = 0; e < 2; ++e) {
            loader.startEpoch(e, e == 0);
            int images = 0;
            while (auto b = loader.next()) {
                images += int(b->images.size(0));
                for (int idx : b->sampleIndices)
                    QVERIFY(idx != 2); // replaced by a readable record
            }
            QCOMPARE(images, 9);
        }
        const auto issues = loader.issues();
        QCOMPARE(int(issues.size()), 1); // reported once, not once per use
        QCOMPARE(issues[0].file, broken);
        QVERIFY(issues[0].reason.contains("replaced"));
    }
    // Val mode: the replacement is the next record.
    LoaderOptions val = smallOptions(2);
    val.augment = false;
    val.shuffle = false;
    const auto batches = epoch(ds.value(), val, 0, false);
    QCOMPARE(batches[0].sampleIndices, (std::vector<int>{0, 1, 3, 3}));
}

void TestBatchLoader::cacheRamKeepsImages()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    QVERIFY(copyInto(m_val, root, QStringLiteral("train")));
    auto ds = scanFolder(root, QStringLiteral("train"), "[a, b, c]", Split::Train);
    QVERIFY2(ds.isOk(), qPrintable(ds.error()));

    LoaderOptions plain = smallOptions(2);
    LoaderOptions cached = plain;
    cached.cacheRam = true;
    BatchLoader loader(ds.value(), cached);
    // Epoch 0 without mosaic touches every image once: all of them are now in memory.
    loader.startEpoch(0, false);
    std::vector<Batch> first;
    while (auto b = loader.next())
        first.push_back(std::move(*b));
    const auto uncached = epoch(ds.value(), plain, 0, false);
    QCOMPARE(first.size(), uncached.size());
    for (size_t i = 0; i < first.size(); ++i)
        compareBatches(first[i], uncached[i]);

    // Delete the files: the cached loader still produces epoch 1, identical to a fresh loader's
    // epoch 1 computed before the deletion would have been.
    const auto reference = epoch(ds.value(), plain, 1, true);
    for (const ImageRecord &r : ds.value().records())
        QVERIFY(QFile::remove(r.imagePath));
    loader.startEpoch(1, true);
    std::vector<Batch> second;
    while (auto b = loader.next())
        second.push_back(std::move(*b));
    QVERIFY(loader.issues().empty());
    QCOMPARE(second.size(), reference.size());
    for (size_t i = 0; i < second.size(); ++i)
        compareBatches(second[i], reference[i]);
}

void TestBatchLoader::destructorStopsBusyWorkers()
{
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 5; ++i) {
        LoaderOptions o = smallOptions(4);
        o.prefetch = 8;
        BatchLoader loader(m_train, o);
        loader.startEpoch(i, true);
        if (i % 2)
            loader.next();
    } // destroyed with batches in flight
    QVERIFY(timer.elapsed() < 10000);
}

QTEST_GUILESS_MAIN(TestBatchLoader)
#include "tst_batchloader.moc"
