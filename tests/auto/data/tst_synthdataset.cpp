#include "core/data/dataset.h"
#include "core/data/imageio.h"
#include "core/data/synthdataset.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgproc.hpp>

using namespace yolodeck;

class TestSynthDataset : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void writesCleanDataset_data();
    void writesCleanDataset();
    void deterministicFromSeed();
    void invalidOptionsFail_data();
    void invalidOptionsFail();
};

namespace {

// SHA-256 of every file under dir, keyed by relative path.
QMap<QString, QByteArray> hashTree(const QString &dir)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        f.open(QIODevice::ReadOnly);
        out.insert(QDir(dir).relativeFilePath(path),
                   QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256));
    }
    return out;
}

} // namespace

void TestSynthDataset::writesCleanDataset_data()
{
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("imgsz");
    QTest::newRow("3 classes, 64 px") << 3 << 64;
    QTest::newRow("8 classes, 96 px") << 8 << 96;
}

void TestSynthDataset::writesCleanDataset()
{
    QFETCH(int, classes);
    QFETCH(int, imgsz);
    QTemporaryDir tmp;
    SynthOptions o;
    o.dir = tmp.filePath("synth");
    o.train = 16;
    o.val = 4;
    o.imgsz = imgsz;
    o.classes = classes;
    o.seed = 5;
    const Status st = writeSynthDataset(o);
    QVERIFY2(st.isOk(), qPrintable(st.error()));

    auto config = DatasetConfig::load(o.dir + "/data.yaml");
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    QCOMPARE(config.value().nc(), classes);
    QCOMPARE(config.value().names, synthClassNames(classes));
    QCOMPARE(config.value().names.at(0), QStringLiteral("red circle"));
    QCOMPARE(config.value().root, QDir(o.dir).absolutePath());

    const std::vector<int> hueOf = {0, 60, 120, 30}; // red, green, blue, yellow (OpenCV hue)
    int pngs = 0;
    QVector<int> perClass(classes, 0);
    for (Split split : {Split::Train, Split::Val}) {
        auto scanned = Dataset::scan(config.value(), split);
        QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
        const Dataset &ds = scanned.value();
        QCOMPARE(int(ds.issues().size()), 0);
        QCOMPARE(ds.summary().skipped, 0);
        QCOMPARE(ds.summary().backgrounds, 0);
        QCOMPARE(ds.summary().images, split == Split::Train ? o.train : o.val);
        for (const ImageRecord &r : ds.records()) {
            pngs += r.imagePath.endsWith(".png") ? 1 : 0;
            QCOMPARE(r.width, imgsz);
            QCOMPARE(r.height, imgsz);
            QVERIFY(r.boxes.size() >= 1 && r.boxes.size() <= 4);
            const cv::Mat img = loadImage(r.imagePath, nullptr);
            cv::Mat hsv;
            cv::cvtColor(img, hsv, cv::COLOR_BGR2HSV);
            for (const LabelBox &b : r.boxes) {
                QVERIFY(b.cls >= 0 && b.cls < classes);
                ++perClass[b.cls];
                QVERIFY(b.cx - b.w / 2 >= -1e-6f && b.cx + b.w / 2 <= 1 + 1e-6f);
                QVERIFY(b.cy - b.h / 2 >= -1e-6f && b.cy + b.h / 2 <= 1 + 1e-6f);
                QVERIFY(b.w >= 0.09f && b.w <= 0.41f);
                // The box centre is on the shape, which has the class colour.
                if (b.cls < int(hueOf.size())) {
                    const cv::Vec3b p = hsv.at<cv::Vec3b>(int(b.cy * imgsz), int(b.cx * imgsz));
                    int dh = std::abs(int(p[0]) - hueOf[b.cls]);
                    dh = std::min(dh, 180 - dh);
                    QVERIFY2(dh <= 6 && p[1] > 150,
                             qPrintable(QStringLiteral("%1 class %2 hue %3 sat %4")
                                            .arg(r.imagePath)
                                            .arg(b.cls)
                                            .arg(p[0])
                                            .arg(p[1])));
                }
                // Just outside the box (when inside the image) is background, not the shape:
                // the box is tight.
                const int outsideX = int(std::floor((b.cx - b.w / 2) * imgsz)) - 2;
                if (outsideX >= 0) {
                    const cv::Vec3b p = hsv.at<cv::Vec3b>(int(b.cy * imgsz), outsideX);
                    int dh = std::abs(int(p[0]) - (b.cls < 4 ? hueOf[b.cls] : -100));
                    dh = std::min(dh, 180 - dh);
                    QVERIFY(!(dh <= 6 && p[1] > 150) || r.boxes.size() > 1);
                }
            }
        }
    }
    QVERIFY(pngs > 0); // the jpg/png mix
    for (int c = 0; c < classes; ++c)
        QVERIFY2(perClass[c] > 0 || classes > 6, qPrintable(QString::number(c)));
}

void TestSynthDataset::deterministicFromSeed()
{
    QTemporaryDir tmp;
    auto write = [&](const QString &name, uint64_t seed) {
        SynthOptions o;
        o.dir = tmp.filePath(name);
        o.train = 6;
        o.val = 2;
        o.imgsz = 48;
        o.seed = seed;
        const Status st = writeSynthDataset(o);
        if (!st)
            qWarning() << st.error();
        return hashTree(o.dir);
    };
    const auto a = write("a", 1), b = write("b", 1), c = write("c", 2);
    QCOMPARE(a.size(), 6 + 2 + 6 + 2 + 1);
    QCOMPARE(a, b);
    int differing = 0;
    for (auto it = a.begin(); it != a.end(); ++it)
        differing += c.value(it.key()) != it.value() ? 1 : 0;
    QVERIFY(differing >= 15); // everything but data.yaml's body... which names the seed too
}

void TestSynthDataset::invalidOptionsFail_data()
{
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("imgsz");
    QTest::addColumn<bool>("emptyDir");
    QTest::addColumn<QString>("message");
    QTest::newRow("no classes") << 0 << 64 << false << "classes";
    QTest::newRow("too many classes") << 41 << 64 << false << "classes";
    QTest::newRow("tiny images") << 3 << 8 << false << "32 pixels";
    QTest::newRow("no folder") << 3 << 64 << true << "folder";
}

void TestSynthDataset::invalidOptionsFail()
{
    QFETCH(int, classes);
    QFETCH(int, imgsz);
    QFETCH(bool, emptyDir);
    QFETCH(QString, message);
    QTemporaryDir tmp;
    SynthOptions o;
    o.dir = emptyDir ? QString() : tmp.filePath("x");
    o.classes = classes;
    o.imgsz = imgsz;
    const Status st = writeSynthDataset(o);
    QVERIFY(!st.isOk());
    QVERIFY2(st.error().contains(message), qPrintable(st.error()));
    QVERIFY(!QFileInfo::exists(tmp.filePath("x/data.yaml")));
}

QTEST_GUILESS_MAIN(TestSynthDataset)
#include "tst_synthdataset.moc"
