#include "core/data/dataset.h"
#include "core/data/imageio.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace yolodeck;

class TestDataset : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void labelPath_data();
    void labelPath();
    void labelChecks_data();
    void labelChecks();
    void unreadableImageSkipped();
    void tinyImageSkipped();
    void imageFormats_data();
    void imageFormats();
    void exifOrientationHonoured();
    void imageListTxt();
    void sortedRecursiveAndFingerprint();
    void noUsableImageFails();
    void blueline_data();
    void blueline();
};

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly), qPrintable(path));
    f.write(data);
}

void writeImage(const QString &path, int w = 32, int h = 24,
                const cv::Scalar &colour = cv::Scalar(0, 0, 200))
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    const cv::Mat img(h, w, CV_8UC3, colour);
    QVERIFY(cv::imwrite(path.toStdString(), img));
}

// A dataset folder with data.yaml (3 classes) and the given train images.
DatasetConfig makeConfig(const QString &root)
{
    writeFile(root + "/data.yaml", "train: images/train\nval: images/train\nnames: [a, b, c]\n");
    auto config = DatasetConfig::load(root + "/data.yaml");
    if (!config)
        qFatal("%s", qPrintable(config.error()));
    return config.value();
}

} // namespace

void TestDataset::labelPath_data()
{
    QTest::addColumn<QString>("image");
    QTest::addColumn<QString>("label");
    QTest::newRow("standard") << "/d/images/train/a.jpg"
                              << "/d/labels/train/a.txt";
    QTest::newRow("last images component") << "/x/images/y/images/z.png"
                                           << "/x/images/y/labels/z.txt";
    QTest::newRow("no images component") << "/d/pics/a.jpg"
                                         << "/d/pics/a.txt";
    QTest::newRow("whole component only") << "/d/myimages/a.jpg"
                                          << "/d/myimages/a.txt";
    QTest::newRow("dots in name") << "/d/images/a.b.c.JPEG"
                                  << "/d/labels/a.b.c.txt";
    QTest::newRow("dotted folder") << "/d.v1/images/a"
                                   << "/d.v1/labels/a.txt";
}

void TestDataset::labelPath()
{
    QFETCH(QString, image);
    QFETCH(QString, label);
    QCOMPARE(Dataset::labelPathFor(image), label);
}

void TestDataset::labelChecks_data()
{
    QTest::addColumn<bool>("writeLabel");
    QTest::addColumn<QByteArray>("label");
    QTest::addColumn<bool>("usable");
    QTest::addColumn<int>("boxes");
    QTest::addColumn<QString>("issue"); // expected part of the reason; empty = no issue

    QTest::newRow("valid") << true << QByteArray("0 0.5 0.5 0.2 0.2\n2 0.25 0.3 0.1 0.1\n") << true
                           << 2 << "";
    QTest::newRow("tabs and CRLF")
        << true << QByteArray("1\t0.5 0.5  0.2 0.2\r\n") << true << 1 << "";
    QTest::newRow("class id >= nc") << true << QByteArray("0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n")
                                    << false << 0 << "class id 3";
    QTest::newRow("negative class")
        << true << QByteArray("-1 0.5 0.5 0.2 0.2\n") << false << 0 << "negative class id";
    QTest::newRow("fractional class")
        << true << QByteArray("1.5 0.5 0.5 0.2 0.2\n") << false << 0 << "not an integer";
    QTest::newRow("coordinate above 1")
        << true << QByteArray("0 1.2 0.5 0.2 0.2\n") << false << 0 << "outside [0, 1]";
    QTest::newRow("pixel coordinates")
        << true << QByteArray("0 320 240 50 60\n") << false << 0 << "outside [0, 1]";
    QTest::newRow("coordinate below 0")
        << true << QByteArray("0 0.5 -0.01 0.2 0.2\n") << false << 0 << "outside [0, 1]";
    QTest::newRow("within tolerance clipped")
        << true << QByteArray("0 1.0005 -0.0005 0.2 0.2\n") << true << 1 << "";
    QTest::newRow("four columns") << true << QByteArray("0 0.5 0.5 0.2\n") << false << 0
                                  << "4 columns";
    QTest::newRow("six columns (prediction file)")
        << true << QByteArray("0 0.5 0.5 0.2 0.2 0.9\n") << false << 0 << "6 columns";
    QTest::newRow("not a number") << true << QByteArray("0 0.5 abc 0.2 0.2\n") << false << 0
                                  << "not a number";
    QTest::newRow("duplicate rows removed")
        << true << QByteArray("0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n") << true
        << 2 << "1 duplicate";
    QTest::newRow("polygon converted to box")
        << true << QByteArray("1 0.1 0.1 0.5 0.1 0.5 0.6\n") << true << 1 << "";
    QTest::newRow("empty label = background") << true << QByteArray("") << true << 0 << "";
    QTest::newRow("blank lines = background") << true << QByteArray("\n  \n") << true << 0 << "";
    QTest::newRow("missing label = background") << false << QByteArray() << true << 0 << "";
}

void TestDataset::labelChecks()
{
    QFETCH(bool, writeLabel);
    QFETCH(QByteArray, label);
    QFETCH(bool, usable);
    QFETCH(int, boxes);
    QFETCH(QString, issue);

    QTemporaryDir tmp;
    const QString root = tmp.path();
    // A good image is always present, so the scan succeeds even when x.jpg is skipped.
    writeImage(root + "/images/train/good.jpg");
    writeFile(root + "/labels/train/good.txt", "1 0.5 0.5 0.4 0.4\n");
    writeImage(root + "/images/train/x.jpg");
    const QString labelPath = root + "/labels/train/x.txt";
    if (writeLabel)
        writeFile(labelPath, label);

    auto scanned = Dataset::scan(makeConfig(root), Split::Train);
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    const Dataset &ds = scanned.value();
    const DatasetSummary s = ds.summary();

    if (issue.isEmpty()) {
        QCOMPARE(int(ds.issues().size()), 0);
    } else {
        // Exactly one issue for the file, naming it and the reason.
        QCOMPARE(int(ds.issues().size()), 1);
        QCOMPARE(ds.issues()[0].file, QFileInfo(labelPath).absoluteFilePath());
        QVERIFY2(ds.issues()[0].reason.contains(issue), qPrintable(ds.issues()[0].reason));
    }
    QCOMPARE(s.images, usable ? 2 : 1);
    QCOMPARE(s.skipped, usable ? 0 : 1);
    QCOMPARE(int(ds.records().size()), s.images);
    QCOMPARE(s.repaired, QTest::currentDataTag() == QByteArray("duplicate rows removed") ? 1 : 0);
    if (!usable) {
        QCOMPARE(ds.records()[0].imagePath, QDir(root).filePath("images/train/good.jpg"));
        QCOMPARE(s.instances, 1);
        return;
    }
    // Sorted: good.jpg before x.jpg.
    const ImageRecord &r = ds.records()[1];
    QVERIFY(r.imagePath.endsWith("/images/train/x.jpg"));
    QCOMPARE(r.labelPath, QFileInfo(labelPath).absoluteFilePath());
    QCOMPARE(r.width, 32);
    QCOMPARE(r.height, 24);
    QCOMPARE(int(r.boxes.size()), boxes);
    QCOMPARE(s.instances, 1 + boxes);
    QCOMPARE(s.backgrounds, boxes == 0 ? 1 : 0);
    QCOMPARE(s.labelled, boxes == 0 ? 1 : 2);
    for (const LabelBox &b : r.boxes) {
        for (float v : {b.cx, b.cy, b.w, b.h}) {
            QVERIFY(v >= 0.0f);
            QVERIFY(v <= 1.0f);
        }
    }
    const QByteArray tag = QTest::currentDataTag();
    if (tag == "within tolerance clipped") {
        QCOMPARE(r.boxes[0].cx, 1.0f);
        QCOMPARE(r.boxes[0].cy, 0.0f);
    } else if (tag == "polygon converted to box") {
        QCOMPARE(r.boxes[0].cls, 1);
        QCOMPARE(r.boxes[0].cx, 0.3f);
        QCOMPARE(r.boxes[0].cy, 0.35f);
        QCOMPARE(r.boxes[0].w, 0.4f);
        QCOMPARE(r.boxes[0].h, 0.5f);
    } else if (tag == "valid") {
        QCOMPARE(r.boxes[1].cls, 2);
        QCOMPARE(r.boxes[1].cx, 0.25f);
    }
}

void TestDataset::unreadableImageSkipped()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    writeImage(root + "/images/train/a.jpg");
    writeFile(root + "/images/train/b.jpg", "this is not a jpeg, just text\n");
    writeFile(root + "/labels/train/b.txt", "0 0.5 0.5 0.2 0.2\n");
    writeFile(root + "/images/train/c.png", ""); // zero bytes

    auto scanned = Dataset::scan(makeConfig(root), Split::Train);
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    const Dataset &ds = scanned.value();
    QCOMPARE(int(ds.records().size()), 1);
    QCOMPARE(ds.summary().skipped, 2);
    QCOMPARE(int(ds.issues().size()), 2);
    QCOMPARE(ds.issues()[0].file, QDir(root).filePath("images/train/b.jpg"));
    QVERIFY(ds.issues()[0].reason.contains("cannot decode"));
    QCOMPARE(ds.issues()[1].file, QDir(root).filePath("images/train/c.png"));
    QVERIFY(ds.issues()[1].reason.contains("empty"));

    QString error;
    QVERIFY(loadImage(root + "/images/train/b.jpg", &error).empty());
    QVERIFY(error.contains(root + "/images/train/b.jpg"));
    QVERIFY(loadImage(root + "/nothing.jpg", &error).empty());
    QVERIFY(error.contains("does not exist"));
}

void TestDataset::tinyImageSkipped()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    writeImage(root + "/images/train/a.png", 32, 32);
    writeImage(root + "/images/train/tiny.png", 9, 40);
    auto scanned = Dataset::scan(makeConfig(root), Split::Train);
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    QCOMPARE(int(scanned.value().records().size()), 1);
    QCOMPARE(int(scanned.value().issues().size()), 1);
    QVERIFY(scanned.value().issues()[0].reason.contains("9x40"));
}

void TestDataset::imageFormats_data()
{
    QTest::addColumn<QString>("suffix");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("expectedRed"); // expected R of pixel (0,0) after loading (BGR [2])

    QTest::newRow("gray png") << "png" << CV_8UC1 << 77;
    QTest::newRow("rgba png") << "png" << CV_8UC4 << 200;
    QTest::newRow("16-bit png") << "png" << CV_16UC3 << (40000 >> 8);
    QTest::newRow("16-bit gray png") << "png" << CV_16UC1 << (40000 >> 8);
    QTest::newRow("bmp") << "bmp" << CV_8UC3 << 200;
    QTest::newRow("tiff") << "tiff" << CV_8UC3 << 200;
    QTest::newRow("tif 16-bit") << "tif" << CV_16UC3 << (40000 >> 8);
    QTest::newRow("webp lossless") << "webp" << CV_8UC3 << 200;
    QTest::newRow("jpeg") << "jpeg" << CV_8UC3 << 200;
}

void TestDataset::imageFormats()
{
    QFETCH(QString, suffix);
    QFETCH(int, type);
    QFETCH(int, expectedRed);

    QTemporaryDir tmp;
    const QString path = tmp.filePath("img." + suffix);
    cv::Mat img(20, 30, type);
    switch (type) {
    case CV_8UC1:
        img.setTo(77);
        break;
    case CV_8UC4:
        img.setTo(cv::Scalar(10, 20, 200, 128));
        break;
    case CV_16UC1:
        img.setTo(40000);
        break;
    case CV_16UC3:
        img.setTo(cv::Scalar(1000, 2000, 40000));
        break;
    default:
        img.setTo(cv::Scalar(10, 20, 200));
        break;
    }
    std::vector<int> params;
    if (suffix == "webp")
        params = {cv::IMWRITE_WEBP_QUALITY, 101}; // above 100 = lossless
    QVERIFY(cv::imwrite(path.toStdString(), img, params));

    QString error = "stale";
    const cv::Mat loaded = loadImage(path, &error);
    QVERIFY2(!loaded.empty(), qPrintable(error));
    QVERIFY(error.isEmpty());
    QCOMPARE(loaded.type(), CV_8UC3);
    QCOMPARE(loaded.cols, 30);
    QCOMPARE(loaded.rows, 20);
    const cv::Vec3b px = loaded.at<cv::Vec3b>(10, 15);
    QVERIFY2(std::abs(px[2] - expectedRed) <= 3,
             qPrintable(QStringLiteral("red %1, expected %2").arg(px[2]).arg(expectedRed)));
}

namespace {

// An APP1 segment holding a minimal big-endian TIFF with one IFD entry: Orientation (0x0112).
QByteArray exifOrientationSegment(quint16 orientation)
{
    QByteArray tiff;
    tiff += QByteArray("MM\x00\x2a", 4);                       // big-endian TIFF header
    tiff += QByteArray("\x00\x00\x00\x08", 4);                 // first IFD at offset 8
    tiff += QByteArray("\x00\x01", 2);                         // one entry
    tiff += QByteArray("\x01\x12\x00\x03\x00\x00\x00\x01", 8); // tag 0x0112, SHORT, count 1
    tiff += char(orientation >> 8);
    tiff += char(orientation & 0xff);
    tiff += QByteArray("\x00\x00", 2);         // value padding
    tiff += QByteArray("\x00\x00\x00\x00", 4); // no next IFD
    const QByteArray payload = QByteArray("Exif\x00\x00", 6) + tiff;
    const int length = payload.size() + 2;
    QByteArray segment("\xff\xe1", 2);
    segment += char(length >> 8);
    segment += char(length & 0xff);
    return segment + payload;
}

} // namespace

void TestDataset::exifOrientationHonoured()
{
    QTemporaryDir tmp;
    // 40 wide, 20 high: left half red, right half blue.
    cv::Mat img(20, 40, CV_8UC3, cv::Scalar(255, 0, 0));
    img(cv::Rect(0, 0, 20, 20)).setTo(cv::Scalar(0, 0, 255));
    std::vector<uchar> jpeg;
    QVERIFY(cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}));
    QByteArray bytes(reinterpret_cast<const char *>(jpeg.data()), int(jpeg.size()));
    QVERIFY(bytes.startsWith("\xff\xd8"));
    bytes.insert(2, exifOrientationSegment(6)); // right after SOI
    const QString root = tmp.path();
    const QString path = root + "/images/train/rotated.jpg";
    writeFile(path, bytes);
    writeFile(root + "/labels/train/rotated.txt", "0 0.5 0.5 0.5 0.5\n");

    QString error;
    const cv::Mat loaded = loadImage(path, &error);
    QVERIFY2(!loaded.empty(), qPrintable(error));
    // Orientation 6: displayed rotated 90 degrees clockwise, so 20 wide and 40 high, and the
    // red left half ends up on top.
    QCOMPARE(loaded.cols, 20);
    QCOMPARE(loaded.rows, 40);
    const cv::Vec3b top = loaded.at<cv::Vec3b>(5, 10), bottom = loaded.at<cv::Vec3b>(35, 10);
    QVERIFY2(top[2] > 200 && top[0] < 60, "top should be red");
    QVERIFY2(bottom[0] > 200 && bottom[2] < 60, "bottom should be blue");

    // Without the EXIF segment the same pixels load unrotated (the test's segment is what counts).
    const cv::Mat raw = cv::imdecode(jpeg, cv::IMREAD_COLOR);
    QCOMPARE(raw.cols, 40);

    // The scan records the displayed size.
    auto scanned = Dataset::scan(makeConfig(root), Split::Train);
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    QCOMPARE(scanned.value().records()[0].width, 20);
    QCOMPARE(scanned.value().records()[0].height, 40);
}

void TestDataset::imageListTxt()
{
    QTemporaryDir tmp;
    const QString root = QDir(tmp.path()).canonicalPath();
    writeImage(root + "/images/a.jpg");
    writeImage(root + "/images/b.jpg");
    writeImage(root + "/other/c.png");
    writeImage(root + "/lists/images/d.jpg");
    writeFile(root + "/labels/a.txt", "0 0.5 0.5 0.2 0.2\n");
    writeFile(root + "/other/c.txt", "1 0.5 0.5 0.2 0.2\n");
    // Relative to the root, "./" relative to the list's folder, absolute, a non-image entry
    // (filtered) and a blank line.
    writeFile(root + "/lists/train.txt", "images/b.jpg\n./images/d.jpg\n" + root.toUtf8() +
                                             "/other/c.png\nnotes.md\n\nimages/a.jpg\n");
    writeFile(root + "/data.yaml", "train: lists/train.txt\nval: images\nnames: [a, b]\n");
    auto config = DatasetConfig::load(root + "/data.yaml");
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    auto scanned = Dataset::scan(config.value(), Split::Train);
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    const auto &records = scanned.value().records();
    QCOMPARE(int(records.size()), 4);
    QCOMPARE(records[0].imagePath, root + "/images/a.jpg");
    QCOMPARE(records[1].imagePath, root + "/images/b.jpg");
    QCOMPARE(records[2].imagePath, root + "/lists/images/d.jpg");
    QCOMPARE(records[3].imagePath, root + "/other/c.png");
    QCOMPARE(records[0].labelPath, root + "/labels/a.txt");
    QCOMPARE(int(records[0].boxes.size()), 1);
    QCOMPARE(records[3].labelPath, root + "/other/c.txt"); // no images component: next to it
    QCOMPARE(records[3].boxes[0].cls, 1);
    QCOMPARE(scanned.value().summary().backgrounds, 2);
}

void TestDataset::sortedRecursiveAndFingerprint()
{
    QTemporaryDir tmp1, tmp2;
    auto build = [&](const QString &root, const QByteArray &names) {
        writeImage(root + "/images/train/z.jpg");
        writeImage(root + "/images/train/sub/b.jpg");
        writeImage(root + "/images/train/a.png");
        writeFile(root + "/images/train/readme.txt", "not an image");
        writeFile(root + "/data.yaml", "train: images/train\nval: images/train\nnames: " + names);
        auto config = DatasetConfig::load(root + "/data.yaml");
        return Dataset::scan(config.value(), Split::Train);
    };
    auto ds1 = build(tmp1.path(), "[a, b]\n");
    QVERIFY2(ds1.isOk(), qPrintable(ds1.error()));
    QStringList order;
    for (const ImageRecord &r : ds1.value().records())
        order << QDir(tmp1.path()).relativeFilePath(r.imagePath);
    QCOMPARE(order,
             (QStringList{"images/train/a.png", "images/train/sub/b.jpg", "images/train/z.jpg"}));

    const QString fp1 = ds1.value().fingerprint();
    QCOMPARE(fp1.size(), 64); // sha256 hex
    QVERIFY(QRegularExpression("^[0-9a-f]{64}$").match(fp1).hasMatch());
    // Same data in another folder: same fingerprint.
    auto ds2 = build(tmp2.path(), "[a, b]\n");
    QCOMPARE(ds2.value().fingerprint(), fp1);
    // A renamed class changes it ...
    auto ds3 = build(tmp2.path(), "[a, c]\n");
    QVERIFY(ds3.value().fingerprint() != fp1);
    // ... and so does one more image.
    writeImage(tmp2.path() + "/images/train/extra.jpg");
    auto ds4 = build(tmp2.path(), "[a, b]\n");
    QVERIFY(ds4.value().fingerprint() != fp1);
}

void TestDataset::noUsableImageFails()
{
    QTemporaryDir tmp;
    const QString root = tmp.path();
    QDir().mkpath(root + "/images/train");
    writeFile(root + "/images/train/notes.txt", "no images here");
    const DatasetConfig config = makeConfig(root);
    auto empty = Dataset::scan(config, Split::Train);
    QVERIFY(!empty.isOk());
    QVERIFY2(empty.error().contains(root + "/images/train"), qPrintable(empty.error()));

    // Images present but every one skipped: the message names the folder and the first reason.
    writeImage(root + "/images/train/a.jpg");
    writeFile(root + "/labels/train/a.txt", "7 0.5 0.5 0.1 0.1\n");
    auto skipped = Dataset::scan(config, Split::Train);
    QVERIFY(!skipped.isOk());
    QVERIFY2(skipped.error().contains(root + "/images/train"), qPrintable(skipped.error()));
    QVERIFY(skipped.error().contains("class id 7"));
}

void TestDataset::blueline_data()
{
    QTest::addColumn<int>("split");
    QTest::addColumn<int>("images");
    QTest::addColumn<int>("backgrounds");
    QTest::newRow("train") << int(Split::Train) << 80 << 1;
    QTest::newRow("val") << int(Split::Val) << 20 << 1;
}

void TestDataset::blueline()
{
    QFETCH(int, split);
    QFETCH(int, images);
    QFETCH(int, backgrounds);
    const QString yaml = QStringLiteral(YOLODECK_SHARED_DIR "/datasets/blueline/data.yaml");
    QVERIFY2(QFileInfo::exists(yaml), qPrintable(yaml + QStringLiteral(" is missing")));
    auto config = DatasetConfig::load(yaml);
    QVERIFY2(config.isOk(), qPrintable(config.error()));
    QCOMPARE(config.value().nc(), 82);
    QCOMPARE(config.value().names.at(81), QStringLiteral("blue line"));

    QElapsedTimer timer;
    timer.start();
    auto scanned = Dataset::scan(config.value(), Split(split));
    QVERIFY2(scanned.isOk(), qPrintable(scanned.error()));
    const Dataset &ds = scanned.value();
    const DatasetSummary s = ds.summary();
    QCOMPARE(s.images, images);
    QCOMPARE(s.backgrounds, backgrounds);
    QCOMPARE(s.labelled, images - backgrounds);
    QCOMPARE(s.skipped, 0);
    QCOMPARE(int(ds.issues().size()), s.repaired); // only duplicate-row repairs, if any
    QVERIFY(s.instances > s.labelled);
    for (const ImageRecord &r : ds.records()) {
        QCOMPARE(r.width, 224);
        QCOMPARE(r.height, 224);
        for (const LabelBox &b : r.boxes)
            QCOMPARE(b.cls, 81);
    }
    QCOMPARE(ds.names().size(), 82);
    QVERIFY2(timer.elapsed() < 5000, "scanning 100 small images must be fast");
}

QTEST_GUILESS_MAIN(TestDataset)
#include "tst_dataset.moc"
