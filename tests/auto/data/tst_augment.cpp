#include "core/data/augment.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

using namespace yolodeck;

class TestAugment : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void uniformRanges();
    void seedMixerSeparatesInputs();
    void resizeLongSide_data();
    void resizeLongSide();
    void letterboxMapsBoxes_data();
    void letterboxMapsBoxes();
    void boxCandidate_data();
    void boxCandidate();
    void mosaicPlacesFourImages();
    void boxesFollowObjects_data();
    void boxesFollowObjects();
    void affineDropsBoxesPushedOut();
    void flipMovesBoxes();
    void hsvChangesColourOnly();
    void sameSeedSameResult();
};

namespace {

// Hues (OpenCV 0..179) and BGR colours of the test objects; class = index.
const cv::Scalar kObjectBgr[] = {{0, 0, 255}, {0, 255, 0}, {255, 0, 0}, {0, 255, 255}};
const int kObjectHue[] = {0, 60, 120, 30};

// A grey image (value 60, saturation 0: hue-neutral, unlike any object) with solid coloured
// rectangles; returns their boxes.
cv::Mat objectImage(int w, int h, int seed, std::vector<PixelBox> *boxes)
{
    cv::Mat img(h, w, CV_8UC3, cv::Scalar(60, 60, 60));
    std::mt19937_64 rng(seed);
    // One object per vertical third, so no object hides part of another.
    const int band = w / 3;
    for (int k = 0; k < 3; ++k) {
        const int bw = int(uniform(rng, 0.5, 0.9) * band), bh = int(uniform(rng, 0.15, 0.4) * h);
        const int x = k * band + int(uniformIndex(rng, band - bw));
        const int y = int(uniformIndex(rng, h - bh));
        const int cls = int((seed + k) % 4);
        img(cv::Rect(x, y, bw, bh)).setTo(kObjectBgr[cls]);
        boxes->push_back({cls, float(x), float(y), float(x + bw), float(y + bh)});
    }
    return img;
}

// Share of the pixels inside box (shrunk by `margin` px) whose hue is that of the box's class.
double classHueShare(const cv::Mat &bgr, const PixelBox &b, int margin)
{
    cv::Mat hsv;
    cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
    const int x1 = int(std::ceil(b.x1)) + margin, y1 = int(std::ceil(b.y1)) + margin;
    const int x2 = int(std::floor(b.x2)) - margin, y2 = int(std::floor(b.y2)) - margin;
    if (x2 <= x1 || y2 <= y1)
        return 1.0; // too small to judge; boxCandidate already guarantees > 2 px
    int match = 0, total = 0;
    for (int y = y1; y < y2; ++y) {
        for (int x = x1; x < x2; ++x) {
            const cv::Vec3b p = hsv.at<cv::Vec3b>(y, x);
            int dh = std::abs(int(p[0]) - kObjectHue[b.cls]);
            dh = std::min(dh, 180 - dh);
            // HSV jitter may cut saturation to 30%; grey (fill, background) has none.
            match += (dh <= 8 && p[1] > 50) ? 1 : 0;
            ++total;
        }
    }
    return double(match) / total;
}

} // namespace

void TestAugment::uniformRanges()
{
    std::mt19937_64 rng(1);
    double lo = 1, hi = 0;
    std::vector<int> counts(5, 0);
    for (int i = 0; i < 20000; ++i) {
        const double u = uniform01(rng);
        lo = std::min(lo, u), hi = std::max(hi, u);
        ++counts[uniformIndex(rng, 5)];
    }
    QVERIFY(lo >= 0.0 && lo < 0.001);
    QVERIFY(hi < 1.0 && hi > 0.999);
    for (int c : counts)
        QVERIFY(c > 3700 && c < 4300);
    QCOMPARE(uniformIndex(rng, 1), uint64_t(0));
}

void TestAugment::seedMixerSeparatesInputs()
{
    QVERIFY(mixSeed(0, 1, 2) != mixSeed(0, 2, 1));
    QVERIFY(mixSeed(0, 0, 1) != mixSeed(0, 1, 0));
    QVERIFY(mixSeed(1, 0, 0) != mixSeed(0, 0, 0));
    QCOMPARE(mixSeed(5, 6, 7), mixSeed(5, 6, 7));
    QVERIFY(splitmix64(0) != 0);
}

void TestAugment::resizeLongSide_data()
{
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("size");
    QTest::addColumn<int>("outW");
    QTest::addColumn<int>("outH");
    QTest::newRow("landscape down") << 200 << 100 << 64 << 64 << 32;
    QTest::newRow("portrait up") << 30 << 60 << 64 << 32 << 64;
    QTest::newRow("unchanged") << 64 << 20 << 64 << 64 << 20;
    QTest::newRow("ceil like Ultralytics") << 300 << 201 << 64 << 64 << 43;
}

void TestAugment::resizeLongSide()
{
    QFETCH(int, w);
    QFETCH(int, h);
    QFETCH(int, size);
    QFETCH(int, outW);
    QFETCH(int, outH);
    const cv::Mat out =
        yolodeck::resizeLongSide(cv::Mat(h, w, CV_8UC3, cv::Scalar::all(9)), size, false);
    QCOMPARE(out.cols, outW);
    QCOMPARE(out.rows, outH);
}

void TestAugment::letterboxMapsBoxes_data()
{
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("h");
    QTest::addColumn<bool>("scaleUp");
    QTest::addColumn<float>("ratio");
    QTest::addColumn<int>("padX");
    QTest::addColumn<int>("padY");
    QTest::newRow("wide") << 100 << 50 << true << 0.64f << 0 << 16;
    QTest::newRow("tall") << 32 << 64 << true << 1.0f << 16 << 0;
    QTest::newRow("small, no scale-up") << 32 << 16 << false << 1.0f << 16 << 24;
    QTest::newRow("small, scale-up") << 32 << 16 << true << 2.0f << 0 << 16;
    QTest::newRow("odd padding") << 64 << 33 << true << 1.0f << 0 << 15;
}

void TestAugment::letterboxMapsBoxes()
{
    QFETCH(int, w);
    QFETCH(int, h);
    QFETCH(bool, scaleUp);
    QFETCH(float, ratio);
    QFETCH(int, padX);
    QFETCH(int, padY);
    const int s = 64;
    cv::Mat img(h, w, CV_8UC3, cv::Scalar(60, 60, 60));
    const cv::Rect object(w / 4, h / 4, w / 2, h / 2);
    img(object).setTo(cv::Scalar(0, 0, 255));
    std::vector<PixelBox> boxes = {
        {0, float(object.x), float(object.y), float(object.br().x), float(object.br().y)}};
    Letterbox info;
    const cv::Mat out = letterbox(img, s, scaleUp, &info, &boxes);
    QCOMPARE(out.cols, s);
    QCOMPARE(out.rows, s);
    QCOMPARE(info.ratio, ratio);
    QCOMPARE(int(info.padX), padX);
    QCOMPARE(int(info.padY), padY);
    QCOMPARE(info.origW, w);
    QCOMPARE(info.origH, h);
    // Padding is grey 114, the box lands on the red object, and the mapping inverts.
    QCOMPARE(out.at<cv::Vec3b>(0, 0), cv::Vec3b(114, 114, 114));
    QVERIFY(classHueShare(out, boxes[0], 1) > 0.9);
    QVERIFY(std::abs((boxes[0].x1 - info.padX) / info.ratio - object.x) < 1.0f);
    QVERIFY(std::abs((boxes[0].y2 - info.padY) / info.ratio - object.br().y) < 1.0f);
    QVERIFY(out.data != img.data);
}

void TestAugment::boxCandidate_data()
{
    QTest::addColumn<float>("w");
    QTest::addColumn<float>("h");
    QTest::addColumn<bool>("kept");
    // Reference box is 20 x 20 (area 400).
    QTest::newRow("whole") << 20.f << 20.f << true;
    QTest::newRow("width 2 px") << 2.f << 20.f << false;
    QTest::newRow("height 2.5 px") << 20.f << 2.5f << true;
    QTest::newRow("area 10%") << 4.f << 10.f << false;
    QTest::newRow("area 11%") << 4.f << 11.f << true;
    QTest::newRow("aspect 100") << 300.f << 3.f << false; // area big, but a sliver
    QTest::newRow("aspect 99") << 297.f << 3.f << true;
}

void TestAugment::boxCandidate()
{
    QFETCH(float, w);
    QFETCH(float, h);
    QFETCH(bool, kept);
    QCOMPARE(yolodeck::boxCandidate({0, 0, 0, 20, 20}, {0, 5, 5, 5 + w, 5 + h}), kept);
}

void TestAugment::mosaicPlacesFourImages()
{
    const int s = 64;
    std::array<cv::Mat, 4> images;
    std::array<std::vector<PixelBox>, 4> boxes;
    for (int i = 0; i < 4; ++i) {
        images[i] = cv::Mat(s, s, CV_8UC3, kObjectBgr[i]);
        boxes[i] = {{i, 0, 0, float(s), float(s)}};
    }
    for (int seed = 0; seed < 20; ++seed) {
        std::mt19937_64 rng(seed);
        std::vector<PixelBox> out;
        const cv::Mat canvas = mosaic4(images, boxes, s, rng, &out);
        QCOMPARE(canvas.cols, 2 * s);
        QCOMPARE(canvas.rows, 2 * s);
        // Every image keeps a non-empty part (centre in [S/2, 3S/2)), filling a quadrant each.
        QCOMPARE(int(out.size()), 4);
        for (const PixelBox &b : out) {
            QVERIFY(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= 2 * s && b.y2 <= 2 * s);
            QVERIFY(classHueShare(canvas, b, 0) > 0.99);
        }
        // Top-left image ends at the centre; the corner beyond the images is fill grey.
        QCOMPARE(out[0].x2, out[1].x1);
        QCOMPARE(out[0].y2, out[2].y1);
        QVERIFY(out[0].x2 >= s / 2 && out[0].x2 < 3 * s / 2);
        if (out[0].x1 > 0 && out[0].y1 > 0)
            QCOMPARE(canvas.at<cv::Vec3b>(0, 0), cv::Vec3b(114, 114, 114));
    }
}

void TestAugment::boxesFollowObjects_data()
{
    QTest::addColumn<double>("degrees");
    QTest::addColumn<double>("shear");
    QTest::addColumn<double>("perspective");
    QTest::addColumn<double>("minShare");
    // Axis-aligned transforms keep solid rectangles solid; rotation and shear make the box the
    // hull of a slanted shape, so part of it is background.
    QTest::newRow("defaults") << 0.0 << 0.0 << 0.0 << 0.85;
    QTest::newRow("rotation + shear") << 10.0 << 5.0 << 0.0 << 0.5;
    QTest::newRow("perspective") << 0.0 << 0.0 << 0.0005 << 0.6;
}

void TestAugment::boxesFollowObjects()
{
    QFETCH(double, degrees);
    QFETCH(double, shear);
    QFETCH(double, perspective);
    QFETCH(double, minShare);
    const int s = 96;
    AugmentParams params;
    params.degrees = degrees;
    params.shear = shear;
    params.perspective = perspective;
    params.flipud = 0.5; // exercise both flips
    int checkedBoxes = 0;
    double shareSum = 0;
    int flippedSeeds = 0;
    for (int seed = 0; seed < 60; ++seed) {
        std::mt19937_64 rng(1000 + seed);
        std::array<cv::Mat, 4> images;
        std::array<std::vector<PixelBox>, 4> boxes;
        for (int i = 0; i < 4; ++i)
            images[i] =
                objectImage(i % 2 ? s : s * 3 / 4, i % 2 ? s * 2 / 3 : s, seed * 4 + i, &boxes[i]);
        std::vector<PixelBox> out;
        cv::Mat canvas = mosaic4(images, boxes, s, rng, &out);
        cv::Mat img = randomAffine(canvas, out, params, s / 2, rng);
        QCOMPARE(img.cols, s);
        QCOMPARE(img.rows, s);
        augmentHsv(img, params, rng);
        const std::vector<PixelBox> beforeFlip = out;
        randomFlip(img, out, params, rng);
        flippedSeeds += (out.empty() || beforeFlip[0].x1 == out[0].x1) ? 0 : 1;
        for (const PixelBox &b : out) {
            QVERIFY(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= s && b.y2 <= s);
            QVERIFY(b.x2 - b.x1 > 2 && b.y2 - b.y1 > 2);
            const double share = classHueShare(img, b, 1);
            shareSum += share;
            ++checkedBoxes;
            // A slanted object cut by the image border leaves a hull that is mostly background
            // (Ultralytics' boxes behave the same), so only whole boxes get the strict bound.
            const bool touchesBorder = b.x1 < 1 || b.y1 < 1 || b.x2 > s - 1 || b.y2 > s - 1;
            if (touchesBorder && degrees + shear + perspective > 0)
                continue;
            QVERIFY2(
                share >= minShare,
                qPrintable(QStringLiteral("seed %1 class %2: %3").arg(seed).arg(b.cls).arg(share)));
        }
    }
    QVERIFY2(checkedBoxes > 100, qPrintable(QString::number(checkedBoxes)));
    QVERIFY2(shareSum / checkedBoxes > minShare + 0.1,
             qPrintable(QString::number(shareSum / checkedBoxes)));
    QVERIFY(flippedSeeds > 10); // flips happened, and boxes followed them
}

void TestAugment::affineDropsBoxesPushedOut()
{
    // A small box near the left edge with a translation of exactly +40% of 64: whatever is left
    // is either a candidate that stays inside the image or dropped, never a sliver.
    AugmentParams params;
    params.scale = 0;
    params.translate = 0.4;
    const int s = 64;
    int dropped = 0;
    for (int seed = 0; seed < 200; ++seed) {
        std::mt19937_64 rng(seed);
        cv::Mat img(s, s, CV_8UC3, cv::Scalar(60, 60, 60));
        std::vector<PixelBox> boxes = {{0, 1, 20, 9, 40}};
        const cv::Mat out = randomAffine(img, boxes, params, 0, rng);
        QCOMPARE(out.cols, s);
        if (boxes.empty()) {
            ++dropped;
            continue;
        }
        const PixelBox &b = boxes[0];
        QVERIFY(b.x1 >= 0 && b.x2 <= s && b.y1 >= 0 && b.y2 <= s);
        QVERIFY((b.x2 - b.x1) * (b.y2 - b.y1) > 0.1 * 8 * 20);
    }
    QVERIFY(dropped > 20);
    QVERIFY(dropped < 180);
}

void TestAugment::flipMovesBoxes()
{
    AugmentParams params;
    params.fliplr = 1.0;
    params.flipud = 1.0;
    cv::Mat img(40, 60, CV_8UC3, cv::Scalar(60, 60, 60));
    img(cv::Rect(5, 2, 10, 8)).setTo(kObjectBgr[0]);
    std::vector<PixelBox> boxes = {{0, 5, 2, 15, 10}};
    std::mt19937_64 rng(3);
    randomFlip(img, boxes, params, rng);
    QCOMPARE(boxes[0].x1, 45.f);
    QCOMPARE(boxes[0].x2, 55.f);
    QCOMPARE(boxes[0].y1, 30.f);
    QCOMPARE(boxes[0].y2, 38.f);
    QCOMPARE(classHueShare(img, boxes[0], 0), 1.0);

    params.fliplr = params.flipud = 0.0;
    randomFlip(img, boxes, params, rng);
    QCOMPARE(boxes[0].x1, 45.f);
}

void TestAugment::hsvChangesColourOnly()
{
    cv::Mat grey(16, 16, CV_8UC3, cv::Scalar(100, 100, 100));
    grey(cv::Rect(0, 0, 8, 16)).setTo(cv::Scalar(30, 60, 200));
    AugmentParams none;
    none.hsv_h = none.hsv_s = none.hsv_v = 0;
    std::mt19937_64 rng(7);
    cv::Mat same = grey.clone();
    augmentHsv(same, none, rng);
    QCOMPARE(cv::norm(same, grey, cv::NORM_INF), 0.0);

    AugmentParams params; // defaults
    int changed = 0;
    for (int seed = 0; seed < 10; ++seed) {
        std::mt19937_64 r(seed);
        cv::Mat img = grey.clone();
        augmentHsv(img, params, r);
        changed += cv::norm(img, grey, cv::NORM_INF) > 3 ? 1 : 0;
        // Grey stays grey (saturation 0 has no hue to shift), only its value changes.
        const cv::Vec3b g = img.at<cv::Vec3b>(8, 12);
        QVERIFY(g[0] == g[1] && g[1] == g[2]);
    }
    QVERIFY(changed >= 8);
}

void TestAugment::sameSeedSameResult()
{
    std::vector<PixelBox> b0;
    const cv::Mat src = objectImage(64, 64, 1, &b0);
    auto run = [&](uint64_t seed, std::vector<PixelBox> *boxes) {
        std::mt19937_64 rng(seed);
        *boxes = b0;
        const cv::Mat boxed = letterbox(src, 64, true, nullptr, boxes);
        cv::Mat img = randomAffine(boxed, *boxes, AugmentParams(), 0, rng);
        augmentHsv(img, AugmentParams(), rng);
        randomFlip(img, *boxes, AugmentParams(), rng);
        return img;
    };
    std::vector<PixelBox> ba, bb, bc;
    const cv::Mat a = run(11, &ba), b = run(11, &bb), c = run(12, &bc);
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    QCOMPARE(ba.size(), bb.size());
    for (size_t i = 0; i < ba.size(); ++i)
        QCOMPARE(ba[i].x1, bb[i].x1);
    QVERIFY(cv::norm(a, c, cv::NORM_INF) > 0.0);
}

QTEST_GUILESS_MAIN(TestAugment)
#include "tst_augment.moc"
