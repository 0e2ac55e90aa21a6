#include "core/data/synthdataset.h"

#include "core/data/augment.h"

#include <QDir>
#include <QFile>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

namespace yolodeck {

namespace {

enum class Shape
{
    Circle,
    Square,
    Triangle,
    Diamond,
    Cross
};
constexpr int kShapeCount = 5;

struct Colour
{
    const char *name;
    cv::Scalar bgr;
};

// Saturated, well separated hues: a tiny model tells them apart from colour alone.
const Colour kColours[] = {
    {"red", {40, 30, 230}},     {"green", {40, 210, 40}},    {"blue", {230, 60, 30}},
    {"yellow", {30, 230, 240}}, {"magenta", {220, 40, 220}}, {"cyan", {230, 220, 40}},
    {"orange", {20, 140, 255}}, {"purple", {160, 30, 110}},
};
constexpr int kColourCount = int(sizeof(kColours) / sizeof(kColours[0]));
// lcm(5 shapes, 8 colours): every class up to here has its own shape+colour pair.
constexpr int kMaxClasses = 40;

const char *shapeName(Shape shape)
{
    switch (shape) {
    case Shape::Circle:
        return "circle";
    case Shape::Square:
        return "square";
    case Shape::Triangle:
        return "triangle";
    case Shape::Diamond:
        return "diamond";
    case Shape::Cross:
        break;
    }
    return "cross";
}

// Noisy two-colour gradient of low saturation, so the shapes stand out.
cv::Mat background(int size, std::mt19937_64 &rng)
{
    auto greyish = [&] {
        const double base = uniform(rng, 60, 190);
        return cv::Vec3d(base + uniform(rng, -15, 15), base + uniform(rng, -15, 15),
                         base + uniform(rng, -15, 15));
    };
    const cv::Vec3d a = greyish(), b = greyish();
    const double angle = uniform(rng, 0, 2 * M_PI);
    const double dx = std::cos(angle), dy = std::sin(angle);
    const double noise = uniform(rng, 4, 14);
    cv::Mat img(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y) {
        auto *row = img.ptr<cv::Vec3b>(y);
        for (int x = 0; x < size; ++x) {
            const double t =
                std::clamp(0.5 + ((x - size / 2.0) * dx + (y - size / 2.0) * dy) / size, 0.0, 1.0);
            for (int c = 0; c < 3; ++c)
                row[x][c] = cv::saturate_cast<uchar>(a[c] * (1 - t) + b[c] * t +
                                                     uniform(rng, -noise, noise));
        }
    }
    return img;
}

double iou(const cv::Rect &a, const cv::Rect &b)
{
    const double inter = (a & b).area();
    return inter / (a.area() + b.area() - inter);
}

// Draws one shape filling rect exactly (its bounding box is rect).
void drawShape(cv::Mat &img, Shape shape, const cv::Rect &r, const cv::Scalar &colour)
{
    const int x1 = r.x, y1 = r.y, x2 = r.x + r.width - 1, y2 = r.y + r.height - 1;
    const int cx = (x1 + x2) / 2, cy = (y1 + y2) / 2;
    switch (shape) {
    case Shape::Circle:
        cv::ellipse(img, cv::Point(cx, cy), cv::Size((x2 - x1) / 2, (y2 - y1) / 2), 0, 0, 360,
                    colour, cv::FILLED, cv::LINE_8);
        break;
    case Shape::Square:
        cv::rectangle(img, cv::Point(x1, y1), cv::Point(x2, y2), colour, cv::FILLED, cv::LINE_8);
        break;
    case Shape::Triangle: {
        const cv::Point pts[3] = {{cx, y1}, {x2, y2}, {x1, y2}};
        cv::fillConvexPoly(img, pts, 3, colour, cv::LINE_8);
        break;
    }
    case Shape::Diamond: {
        const cv::Point pts[4] = {{cx, y1}, {x2, cy}, {cx, y2}, {x1, cy}};
        cv::fillConvexPoly(img, pts, 4, colour, cv::LINE_8);
        break;
    }
    case Shape::Cross: {
        const int tw = std::max(2, (x2 - x1) / 3), th = std::max(2, (y2 - y1) / 3);
        cv::rectangle(img, cv::Point(cx - tw / 2, y1), cv::Point(cx + tw / 2, y2), colour,
                      cv::FILLED);
        cv::rectangle(img, cv::Point(x1, cy - th / 2), cv::Point(x2, cy + th / 2), colour,
                      cv::FILLED);
        break;
    }
    }
}

Status writeSplit(const SynthOptions &o, const QString &split, int count, uint64_t splitSeed)
{
    const QDir root(o.dir);
    const QString imageDir = root.filePath(QStringLiteral("images/") + split);
    const QString labelDir = root.filePath(QStringLiteral("labels/") + split);
    if (!QDir().mkpath(imageDir) || !QDir().mkpath(labelDir))
        return Status::fail(QStringLiteral("Cannot create folder %1").arg(imageDir));
    const int s = o.imgsz;
    for (int i = 0; i < count; ++i) {
        std::mt19937_64 rng(mixSeed(o.seed, splitSeed, uint64_t(i)));
        cv::Mat img = background(s, rng);
        const int objects = 1 + int(uniformIndex(rng, 4));
        std::vector<cv::Rect> placed;
        QString labels;
        for (int k = 0; k < objects; ++k) {
            // A few tries to keep objects apart; a crowded image simply gets fewer objects.
            for (int attempt = 0; attempt < 20; ++attempt) {
                const int w = int(std::lround(uniform(rng, 0.10, 0.40) * s));
                const int h = int(std::lround(w * uniform(rng, 0.8, 1.25)));
                const int bw = std::clamp(w, 4, s), bh = std::clamp(h, 4, s);
                const cv::Rect rect(int(uniformIndex(rng, uint64_t(s - bw + 1))),
                                    int(uniformIndex(rng, uint64_t(s - bh + 1))), bw, bh);
                const bool overlaps =
                    std::any_of(placed.begin(), placed.end(),
                                [&](const cv::Rect &p) { return iou(p, rect) > 0.05; });
                if (overlaps)
                    continue;
                const int cls = int(uniformIndex(rng, uint64_t(o.classes)));
                const cv::Scalar colour = kColours[cls % kColourCount].bgr;
                drawShape(img, Shape(cls % kShapeCount), rect, colour);
                placed.push_back(rect);
                labels += QStringLiteral("%1 %2 %3 %4 %5\n")
                              .arg(cls)
                              .arg((rect.x + rect.width / 2.0) / s, 0, 'f', 6)
                              .arg((rect.y + rect.height / 2.0) / s, 0, 'f', 6)
                              .arg(double(rect.width) / s, 0, 'f', 6)
                              .arg(double(rect.height) / s, 0, 'f', 6);
                break;
            }
        }
        const bool png = i % 4 == 3;
        const QString stem = QStringLiteral("%1_%2").arg(split).arg(i, 4, 10, QLatin1Char('0'));
        const QString imagePath = imageDir + QLatin1Char('/') + stem +
                                  (png ? QStringLiteral(".png") : QStringLiteral(".jpg"));
        std::vector<int> params;
        if (!png)
            params = {cv::IMWRITE_JPEG_QUALITY, 95};
        bool written = false;
        try {
            written = cv::imwrite(QFile::encodeName(imagePath).toStdString(), img, params);
        } catch (const cv::Exception &) {
            written = false;
        }
        if (!written)
            return Status::fail(QStringLiteral("Cannot write image %1").arg(imagePath));
        QFile labelFile(labelDir + QLatin1Char('/') + stem + QStringLiteral(".txt"));
        if (!labelFile.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
            labelFile.write(labels.toUtf8()) < 0)
            return Status::fail(QStringLiteral("Cannot write label file %1: %2")
                                    .arg(labelFile.fileName(), labelFile.errorString()));
    }
    return okStatus();
}

} // namespace

QStringList synthClassNames(int classes)
{
    QStringList names;
    for (int c = 0; c < classes; ++c)
        names << QStringLiteral("%1 %2").arg(QLatin1String(kColours[c % kColourCount].name),
                                             QLatin1String(shapeName(Shape(c % kShapeCount))));
    return names;
}

Status writeSynthDataset(const SynthOptions &options)
{
    if (options.dir.isEmpty())
        return Status::fail(QStringLiteral("No folder given for the synthetic dataset"));
    if (options.classes < 1 || options.classes > kMaxClasses)
        return Status::fail(QStringLiteral("The synthetic dataset has 1 to %1 classes, not %2")
                                .arg(kMaxClasses)
                                .arg(options.classes));
    if (options.imgsz < 32)
        return Status::fail(QStringLiteral("Synthetic images must be at least 32 pixels, not %1")
                                .arg(options.imgsz));
    if (options.train < 1 || options.val < 1)
        return Status::fail(QStringLiteral("The synthetic dataset needs at least one train and "
                                           "one val image"));
    if (!QDir().mkpath(options.dir))
        return Status::fail(QStringLiteral("Cannot create folder %1").arg(options.dir));
    Status st = writeSplit(options, QStringLiteral("train"), options.train, 1);
    if (!st)
        return st;
    st = writeSplit(options, QStringLiteral("val"), options.val, 2);
    if (!st)
        return st;

    QString yaml = QStringLiteral("# YoloDeck synthetic shapes dataset (seed %1)\n"
                                  "path: .\ntrain: images/train\nval: images/val\nnc: %2\nnames:\n")
                       .arg(options.seed)
                       .arg(options.classes);
    for (const QString &name : synthClassNames(options.classes))
        yaml += QStringLiteral("  - '%1'\n").arg(name);
    QFile file(QDir(options.dir).filePath(QStringLiteral("data.yaml")));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(yaml.toUtf8()) < 0)
        return Status::fail(
            QStringLiteral("Cannot write %1: %2").arg(file.fileName(), file.errorString()));
    return okStatus();
}

} // namespace yolodeck
