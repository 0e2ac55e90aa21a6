#include "core/data/dataset.h"
#include "core/data/datasetresize.h"
#include "core/data/imageio.h"
#include "core/data/synthdataset.h"
#include "tests/auto/common/testfiles.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace yolodeck;
using namespace yolodeck::testing;

// resizeDataset's promises (core/data/datasetresize.h), on the generated dataset at 400 px plus
// hand-made images: non-square, EXIF-rotated, small, background, corrupt.
class TestDatasetResize : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void largeImagesShrinkOthersAreCopied();
    void defaultOutputIsBesideTheDataset();
    void refusesBadOutput_data();
    void refusesBadOutput();
    void missingDataYamlFails();
    void corruptImageIsReportedAndLeftOut();
    void sameCopyWithAnyThreadCount();
    void imageListsAndOutsideImagesAreCopied();
    void otherKeysOfDataYamlAreKept();
    void progressCanStopTheCopy();
};

namespace {

constexpr int kImgsz = 160;

bool writeImage(const QString &path, int width, int height)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    cv::Mat image(height, width, CV_8UC3);
    cv::randu(image, cv::Scalar::all(0), cv::Scalar::all(255));
    return cv::imwrite(QFile::encodeName(path).toStdString(), image);
}

// An APP1 segment with a big-endian TIFF holding a single IFD entry: Orientation (tag 0x0112).
QByteArray exifOrientation(quint16 orientation)
{
    QByteArray tiff("MM\x00\x2a\x00\x00\x00\x08", 8);                   // header, IFD at offset 8
    tiff += QByteArray("\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01", 10); // 1 entry: SHORT x1
    tiff += char(orientation >> 8);
    tiff += char(orientation & 0xff);
    tiff += QByteArray(6, '\0'); // value padding, no next IFD
    const QByteArray payload = QByteArray("Exif\x00\x00", 6) + tiff;
    QByteArray segment("\xff\xe1", 2);
    segment += char((payload.size() + 2) >> 8);
    segment += char((payload.size() + 2) & 0xff);
    return segment + payload;
}

// 600 wide, 300 high as stored, left half red; EXIF orientation 6 shows it 300x600, red on top.
bool writeRotatedJpeg(const QString &path)
{
    cv::Mat image(300, 600, CV_8UC3, cv::Scalar(255, 0, 0));
    image(cv::Rect(0, 0, 300, 300)).setTo(cv::Scalar(0, 0, 255));
    std::vector<uchar> jpeg;
    if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}))
        return false;
    QByteArray bytes(reinterpret_cast<const char *>(jpeg.data()), int(jpeg.size()));
    bytes.insert(2, exifOrientation(6)); // right after SOI
    return writeFile(path, bytes);
}

// The generated dataset at 400 px (jpg, every fourth png) with the hand-made images added.
QString makeDataset(const QString &dir)
{
    SynthOptions o;
    o.dir = dir;
    o.train = 6;
    o.val = 3;
    o.imgsz = 400;
    o.classes = 2;
    o.seed = 3;
    const Status written = writeSynthDataset(o);
    if (!written)
        qFatal("%s", qPrintable(written.error()));
    const bool ok = writeImage(dir + "/images/train/wide.jpg", 500, 300) &&
                    writeFile(dir + "/labels/train/wide.txt", "1 0.5 0.5 0.2 0.4\n") &&
                    writeImage(dir + "/images/train/small.png", 100, 60) &&
                    writeFile(dir + "/labels/train/small.txt", "0 0.25 0.5 0.5 0.5\n") &&
                    writeRotatedJpeg(dir + "/images/train/rotated.jpg") &&
                    writeFile(dir + "/labels/train/rotated.txt", "0 0.5 0.25 0.9 0.4\n") &&
                    writeImage(dir + "/images/val/background.jpg", 320, 480);
    if (!ok)
        qFatal("cannot write the hand-made images in %s", qPrintable(dir));
    return dir + "/data.yaml";
}

// SHA-256 of every file under dir by relative path; data.yaml without its `path` line, which
// names the folder itself.
QMap<QString, QByteArray> hashTree(const QString &dir)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QByteArray bytes = readAll(path);
        if (path.endsWith("/data.yaml")) {
            const int at = bytes.indexOf("\npath: ");
            bytes.remove(at, bytes.indexOf('\n', at + 1) - at);
        }
        out.insert(QDir(dir).relativeFilePath(path),
                   QCryptographicHash::hash(bytes, QCryptographicHash::Sha256));
    }
    return out;
}

QStringList filesUnder(const QString &dir, const QString &suffix)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(suffix))
            out << QDir(dir).relativeFilePath(path);
    }
    out.sort();
    return out;
}

QString firstIssue(const ResizeSummary &s)
{
    return s.issues.empty() ? QString() : s.issues.front().file + ": " + s.issues.front().reason;
}

ResizeSummary resizeOrFail(const ResizeOptions &options)
{
    const Result<ResizeSummary> result = resizeDataset(options);
    if (!result)
        qFatal("%s", qPrintable(result.error()));
    return result.value();
}

} // namespace

void TestDatasetResize::largeImagesShrinkOthersAreCopied()
{
    QTemporaryDir tmp;
    const QString yaml = makeDataset(tmp.filePath("shapes"));
    ResizeOptions o;
    o.dataYaml = yaml;
    o.imgsz = kImgsz;
    o.outDir = tmp.filePath("copy");
    const ResizeSummary s = resizeOrFail(o);

    // 9 generated at 400 px, wide 500x300, rotated 300x600 and background 320x480 shrink.
    QVERIFY2(s.issues.empty(), qPrintable(firstIssue(s)));
    QCOMPARE(s.images, 13);
    QCOMPARE(s.resized, 12);
    QCOMPARE(s.copied, 1);
    QCOMPARE(s.failed, 0);
    QCOMPARE(s.labels, 12);
    QCOMPARE(s.dataYaml, tmp.filePath("copy") + "/data.yaml");
    QVERIFY(s.bytesOut < s.bytesIn);

    const QString original = tmp.filePath("shapes");
    const QString copy = tmp.filePath("copy");
    QCOMPARE(filesUnder(copy + "/images", ""), filesUnder(original + "/images", ""));
    for (const QString &relative : filesUnder(original + "/images", "")) {
        const QString from = original + "/images/" + relative;
        const QString to = copy + "/images/" + relative;
        QString error;
        const cv::Mat before = loadImage(from, &error);
        const cv::Mat after = loadImage(to, &error);
        QVERIFY2(!after.empty(), qPrintable(error));
        const int longBefore = std::max(before.cols, before.rows);
        if (longBefore <= kImgsz) {
            QCOMPARE(readAll(to), readAll(from));
            continue;
        }
        QCOMPARE(std::max(after.cols, after.rows), kImgsz);
        QCOMPARE(after.cols >= after.rows, before.cols >= before.rows);
        const double scale = double(kImgsz) / longBefore;
        QVERIFY2(std::abs(after.cols - before.cols * scale) <= 1.0 &&
                     std::abs(after.rows - before.rows * scale) <= 1.0,
                 qPrintable(QStringLiteral("%1: %2x%3 -> %4x%5")
                                .arg(relative)
                                .arg(before.cols)
                                .arg(before.rows)
                                .arg(after.cols)
                                .arg(after.rows)));
        // JPEG stays JPEG, PNG stays PNG, under the same name.
        const QByteArray head = readAll(to).left(4);
        QVERIFY2(relative.endsWith(".png") ? head == "\x89PNG" : head.startsWith("\xff\xd8"),
                 qPrintable(relative));
    }

    // Labels unchanged, the background still without one.
    QCOMPARE(filesUnder(copy + "/labels", ".txt"), filesUnder(original + "/labels", ".txt"));
    for (const QString &relative : filesUnder(original + "/labels", ".txt"))
        QCOMPARE(readAll(copy + "/labels/" + relative), readAll(original + "/labels/" + relative));
    QVERIFY(!QFile::exists(copy + "/labels/val/background.txt"));

    // The EXIF rotation is applied to the pixels: portrait, red on top, whatever reads it.
    const cv::Mat rotated =
        cv::imread((copy + "/images/train/rotated.jpg").toStdString(), cv::IMREAD_UNCHANGED);
    QCOMPARE(rotated.cols, 80);
    QCOMPARE(rotated.rows, kImgsz);
    const cv::Vec3b top = rotated.at<cv::Vec3b>(20, 40), bottom = rotated.at<cv::Vec3b>(140, 40);
    QVERIFY2(top[2] > 200 && top[0] < 60, "top should be red");
    QVERIFY2(bottom[0] > 200 && bottom[2] < 60, "bottom should be blue");

    // No temporary file left behind.
    QCOMPARE(filesUnder(copy, ".part"), QStringList());

    // The copy's data.yaml reads like the original and finds the same images and boxes.
    const Result<DatasetConfig> before = DatasetConfig::load(yaml);
    const Result<DatasetConfig> after = DatasetConfig::load(s.dataYaml);
    QVERIFY2(after.isOk(), qPrintable(after.error()));
    QCOMPARE(after.value().root, copy);
    QCOMPARE(after.value().names, before.value().names);
    for (Split split : {Split::Train, Split::Val}) {
        const Result<Dataset> a = Dataset::scan(before.value(), split);
        const Result<Dataset> b = Dataset::scan(after.value(), split);
        QVERIFY2(b.isOk(), qPrintable(b.error()));
        QCOMPARE(b.value().summary().images, a.value().summary().images);
        QCOMPARE(b.value().summary().backgrounds, a.value().summary().backgrounds);
        QCOMPARE(b.value().summary().instances, a.value().summary().instances);
        QCOMPARE(b.value().fingerprint(), a.value().fingerprint());
    }
    // The original is untouched: no file added to it.
    QCOMPARE(filesUnder(original, ".part"), QStringList());
    QVERIFY(!QFile::exists(original + "/images/train/.rotated.jpg.part"));
}

void TestDatasetResize::defaultOutputIsBesideTheDataset()
{
    QTemporaryDir tmp;
    ResizeOptions o;
    o.dataYaml = makeDataset(tmp.filePath("blue"));
    o.imgsz = 320;
    const ResizeSummary s = resizeOrFail(o);
    QCOMPARE(s.outDir, tmp.filePath("blue-320"));
    QVERIFY(QFile::exists(tmp.filePath("blue-320/data.yaml")));
    QCOMPARE(s.resized, 12); // all but small.png
    QCOMPARE(s.copied, 1);
}

void TestDatasetResize::refusesBadOutput_data()
{
    QTest::addColumn<QString>("out"); // relative to the temporary folder
    QTest::addColumn<QString>("mention");
    QTest::newRow("not empty") << "full"
                               << "is not empty";
    QTest::newRow("a file") << "file.txt"
                            << "is a file";
    QTest::newRow("below a file") << "file.txt/copy"
                                  << "is not a writable folder";
    QTest::newRow("inside the dataset") << "shapes/copy"
                                        << "inside the dataset";
    QTest::newRow("the dataset itself") << "shapes"
                                        << "is not empty";
}

void TestDatasetResize::refusesBadOutput()
{
    QFETCH(QString, out);
    QFETCH(QString, mention);
    QTemporaryDir tmp;
    QVERIFY(writeFile(tmp.filePath("full/keep.txt"), "mine\n"));
    QVERIFY(writeFile(tmp.filePath("file.txt"), "a file\n"));
    ResizeOptions o;
    o.dataYaml = makeDataset(tmp.filePath("shapes"));
    o.imgsz = kImgsz;
    o.outDir = tmp.filePath(out);
    const QMap<QString, QByteArray> before = hashTree(tmp.path());
    const Result<ResizeSummary> result = resizeDataset(o);
    QVERIFY(!result);
    QVERIFY2(result.error().contains(tmp.filePath(out)), qPrintable(result.error()));
    QVERIFY2(result.error().contains(mention), qPrintable(result.error()));
    QCOMPARE(hashTree(tmp.path()), before); // nothing written, nothing replaced
}

void TestDatasetResize::missingDataYamlFails()
{
    QTemporaryDir tmp;
    ResizeOptions o;
    o.dataYaml = tmp.filePath("nowhere/data.yaml");
    o.imgsz = kImgsz;
    const Result<ResizePlan> plan = planDatasetResize(o);
    QVERIFY(!plan);
    QVERIFY2(plan.error().contains(o.dataYaml), qPrintable(plan.error()));
    QVERIFY2(plan.error().contains("does not exist"), qPrintable(plan.error()));
}

void TestDatasetResize::corruptImageIsReportedAndLeftOut()
{
    QTemporaryDir tmp;
    ResizeOptions o;
    o.dataYaml = makeDataset(tmp.filePath("shapes"));
    const QString broken = tmp.filePath("shapes/images/train/broken.jpg");
    QVERIFY(writeFile(broken, QByteArray("\xff\xd8\xff\xe0 not really a JPEG", 22)));
    QVERIFY(writeFile(tmp.filePath("shapes/labels/train/broken.txt"), "0 0.5 0.5 0.1 0.1\n"));
    o.imgsz = kImgsz;
    o.outDir = tmp.filePath("copy");
    const ResizeSummary s = resizeOrFail(o);
    QCOMPARE(s.images, 14);
    QCOMPARE(s.failed, 1);
    QCOMPARE(s.resized + s.copied, 13);
    QCOMPARE(int(s.issues.size()), 1);
    QCOMPARE(s.issues.front().file, broken);
    QVERIFY2(s.issues.front().reason.contains("cannot decode"),
             qPrintable(s.issues.front().reason));
    QVERIFY(!QFile::exists(tmp.filePath("copy/images/train/broken.jpg")));
    QVERIFY(!QFile::exists(tmp.filePath("copy/labels/train/broken.txt")));
    QVERIFY(QFile::exists(s.dataYaml));
    const Result<DatasetConfig> copy = DatasetConfig::load(s.dataYaml);
    QVERIFY2(copy.isOk(), qPrintable(copy.error()));
    const Result<Dataset> train = Dataset::scan(copy.value(), Split::Train);
    QVERIFY2(train.isOk(), qPrintable(train.error()));
    QCOMPARE(train.value().summary().images, 9); // 6 generated + wide, small, rotated
    QCOMPARE(train.value().summary().skipped, 0);
}

void TestDatasetResize::sameCopyWithAnyThreadCount()
{
    QTemporaryDir tmp;
    ResizeOptions o;
    o.dataYaml = makeDataset(tmp.filePath("shapes"));
    QVERIFY(writeFile(tmp.filePath("shapes/images/val/broken.png"), "not a PNG"));
    o.imgsz = kImgsz;
    o.threads = 1;
    o.outDir = tmp.filePath("one");
    const ResizeSummary one = resizeOrFail(o);
    o.threads = 4;
    o.outDir = tmp.filePath("four");
    const ResizeSummary four = resizeOrFail(o);
    const QMap<QString, QByteArray> a = hashTree(tmp.filePath("one"));
    QCOMPARE(a.size(), 13 + 12 + 1); // images, labels, data.yaml
    QCOMPARE(hashTree(tmp.filePath("four")), a);
    QCOMPARE(four.failed, one.failed);
    QCOMPARE(four.bytesOut, one.bytesOut);
    QCOMPARE(four.issues.size(), one.issues.size());
    QCOMPARE(four.issues.front().reason, one.issues.front().reason);
}

void TestDatasetResize::imageListsAndOutsideImagesAreCopied()
{
    // Ultralytics' other layout: `path:` elsewhere, train as a .txt list ("./" relative to the
    // list, others relative to the root), one listed image outside the root, val as a folder.
    QTemporaryDir tmp;
    const QString root = tmp.filePath("data/root");
    QVERIFY(writeImage(root + "/pics/images/a.jpg", 400, 200));
    QVERIFY(writeFile(root + "/pics/labels/a.txt", "0 0.5 0.5 0.5 0.5\n"));
    QVERIFY(writeImage(root + "/pics/images/b.png", 50, 40));
    QVERIFY(writeImage(tmp.filePath("elsewhere/images/c.jpg"), 300, 600));
    QVERIFY(writeFile(tmp.filePath("elsewhere/labels/c.txt"), "0 0.4 0.4 0.2 0.2\n"));
    QVERIFY(writeImage(root + "/valpics/images/v.bmp", 640, 480));
    QVERIFY(writeFile(root + "/valpics/labels/v.txt", "0 0.5 0.5 1 1\n"));
    QVERIFY(writeFile(root + "/lists/train.txt",
                      "../pics/images/a.jpg\n./../pics/images/b.png\n" +
                          tmp.filePath("elsewhere/images/c.jpg").toUtf8() + "\nnotes.md\n"));
    QVERIFY(writeFile(tmp.filePath("data/meta/data.yaml"),
                      "path: ../root\ntrain: [lists/train.txt]\nval: valpics/images\n"
                      "names: ['only']\n"));

    ResizeOptions o;
    o.dataYaml = tmp.filePath("data/meta/data.yaml");
    o.imgsz = kImgsz;
    o.outDir = tmp.filePath("copy");
    const ResizeSummary s = resizeOrFail(o);
    QCOMPARE(s.images, 4);
    QCOMPARE(s.resized, 3);
    QCOMPARE(s.copied, 1);
    const QString copy = tmp.filePath("copy");
    const QString outside = copy + "/outside-root" + tmp.filePath("elsewhere");
    QVERIFY(QFile::exists(outside + "/images/c.jpg"));
    QCOMPARE(readAll(outside + "/labels/c.txt"), QByteArray("0 0.4 0.4 0.2 0.2\n"));
    QCOMPARE(readAll(copy + "/pics/images/b.png"), readAll(root + "/pics/images/b.png"));
    QCOMPARE(readAll(copy + "/lists/train.txt"),
             "./../pics/images/a.jpg\n./../pics/images/b.png\n./../outside-root" +
                 tmp.filePath("elsewhere/images/c.jpg").toUtf8() + "\n");
    QString error;
    const cv::Mat bmp = loadImage(copy + "/valpics/images/v.bmp", &error);
    QCOMPARE(bmp.cols, kImgsz);
    QCOMPARE(bmp.rows, 120);

    const Result<DatasetConfig> config = DatasetConfig::load(s.dataYaml);
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    QCOMPARE(config.value().train, QStringList{copy + "/lists/train.txt"});
    QCOMPARE(config.value().val, QStringList{copy + "/valpics/images"});
    const Result<Dataset> train = Dataset::scan(config.value(), Split::Train);
    QVERIFY2(train.isOk(), qPrintable(train.error()));
    QCOMPARE(train.value().summary().images, 3);
    QCOMPARE(train.value().summary().instances, 2);
    QCOMPARE(train.value().summary().skipped, 0);
}

void TestDatasetResize::otherKeysOfDataYamlAreKept()
{
    QTemporaryDir tmp;
    const QString root = tmp.filePath("ds");
    QVERIFY(writeImage(root + "/images/train/a.jpg", 400, 300));
    QVERIFY(writeFile(root + "/data.yaml",
                      "# a comment\npath: .\ntrain: images/train\nval: images/train\n"
                      "test:\nnc: 4\nnames: {0: 'null', 1: 'yes', 2: \"a: b\", 3: 7}\n"
                      "download: https://example.com/full-size.zip\nflip_idx: [0, 2, 1]\n"));
    ResizeOptions o;
    o.dataYaml = root + "/data.yaml";
    o.imgsz = kImgsz;
    const ResizeSummary s = resizeOrFail(o);
    const QByteArray text = readAll(s.dataYaml);
    const Result<DatasetConfig> config = DatasetConfig::load(s.dataYaml);
    QVERIFY2(config.isOk(), qPrintable(config.error() + "\n" + text));
    QCOMPARE(config.value().names, (QStringList{"null", "yes", "a: b", "7"}));
    QCOMPARE(config.value().root, s.outDir);
    QVERIFY2(text.contains("flip_idx"), text.constData());
    QVERIFY2(text.contains("nc: 4"), text.constData());
    QVERIFY2(!text.contains("download"), text.constData());
    QVERIFY2(text.contains("\n# a comment\npath: "), text.constData());
}

void TestDatasetResize::progressCanStopTheCopy()
{
    // Images large enough that one thread takes a while over them: the stop lands mid-way.
    QTemporaryDir tmp;
    const QString root = tmp.filePath("big");
    for (int i = 0; i < 12; ++i)
        QVERIFY(writeImage(root + QStringLiteral("/images/train/%1.jpg").arg(i), 1600, 1200));
    QVERIFY(writeFile(root + "/data.yaml", "train: images/train\nval: images/train\nnc: 1\n"));
    ResizeOptions o;
    o.dataYaml = root + "/data.yaml";
    o.imgsz = kImgsz;
    o.threads = 1;
    o.outDir = tmp.filePath("copy");
    int calls = 0;
    const Result<ResizeSummary> result = resizeDataset(o, [&](int done, int total) {
        ++calls;
        return done < 2;
    });
    QVERIFY2(result.isOk(), qPrintable(result.error()));
    const ResizeSummary &s = result.value();
    QVERIFY(calls > 0);
    QVERIFY(s.stopped);
    QVERIFY(s.resized >= 2);
    QVERIFY(s.resized < s.images);
    QCOMPARE(filesUnder(tmp.filePath("copy/images"), ".jpg").size(), s.resized);
    QVERIFY(!QFile::exists(tmp.filePath("copy/data.yaml")));
    QCOMPARE(filesUnder(tmp.filePath("copy"), ".part"), QStringList());
}

QTEST_GUILESS_MAIN(TestDatasetResize)
#include "tst_datasetresize.moc"
