#include "core/data/dataset.h"

#include "core/data/imageio.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

namespace yolodeck {

namespace {

// Normalised coordinates may overshoot [0,1] by rounding in the tool that wrote them; beyond this
// the file is treated as not normalised (Ultralytics rejects anything above 1 outright).
constexpr double kCoordTolerance = 1e-3;

// Ultralytics rejects images whose sides are not both above 9 pixels.
constexpr int kMinImageSide = 10;

enum class LabelState
{
    Missing,
    Empty,
    Ok,
    Corrupt
};

struct LabelResult
{
    LabelState state = LabelState::Missing;
    std::vector<LabelBox> boxes;
    QString reason;     // Corrupt: why the file was skipped
    int duplicates = 0; // rows removed because they repeat an earlier row exactly
};

struct ScanResult
{
    ImageRecord record;
    bool usable = false;
    LabelResult label;
    QString imageError;
};

bool sameBox(const LabelBox &a, const LabelBox &b)
{
    return a.cls == b.cls && a.cx == b.cx && a.cy == b.cy && a.w == b.w && a.h == b.h;
}

LabelResult readLabelFile(const QString &path, int nc)
{
    LabelResult result;
    QFile file(path);
    if (!file.exists())
        return result;
    auto corrupt = [&](const QString &reason) {
        result.state = LabelState::Corrupt;
        result.reason = reason + QStringLiteral("; image skipped");
        result.boxes.clear();
        return result;
    };
    if (!file.open(QIODevice::ReadOnly))
        return corrupt(QStringLiteral("cannot read label file: %1").arg(file.errorString()));
    const QString text = QString::fromUtf8(file.readAll());
    const QStringList lines = text.split(QLatin1Char('\n'));
    int lineNo = 0;
    for (const QString &rawLine : lines) {
        ++lineNo;
        const QString line = rawLine.trimmed();
        if (line.isEmpty())
            continue;
        const QStringList cols = line.simplified().split(QLatin1Char(' '));
        // 5 columns: a box. 7 or more, odd: a polygon (segmentation label), which Ultralytics
        // turns into its bounding box. Anything else (e.g. 6 columns of a prediction file) is not
        // a label.
        const int n = cols.size();
        const bool isBox = n == 5;
        const bool isPolygon = n >= 7 && n % 2 == 1;
        if (!isBox && !isPolygon)
            return corrupt(QStringLiteral("line %1 has %2 columns, expected 5 (class cx cy w h)")
                               .arg(lineNo)
                               .arg(n));
        std::vector<double> values(n);
        for (int i = 0; i < n; ++i) {
            bool ok = false;
            values[i] = cols[i].toDouble(&ok);
            if (!ok || !std::isfinite(values[i]))
                return corrupt(
                    QStringLiteral("line %1: '%2' is not a number").arg(lineNo).arg(cols[i]));
        }
        const double clsValue = values[0];
        if (clsValue != std::floor(clsValue))
            return corrupt(
                QStringLiteral("line %1: class id %2 is not an integer").arg(lineNo).arg(cols[0]));
        if (clsValue < 0)
            return corrupt(
                QStringLiteral("line %1: negative class id %2").arg(lineNo).arg(cols[0]));
        if (clsValue >= nc)
            return corrupt(QStringLiteral("line %1: class id %2 exceeds the dataset's %3 classes "
                                          "(ids 0..%4)")
                               .arg(lineNo)
                               .arg(cols[0])
                               .arg(nc)
                               .arg(nc - 1));
        for (int i = 1; i < n; ++i) {
            if (values[i] < -kCoordTolerance || values[i] > 1.0 + kCoordTolerance)
                return corrupt(QStringLiteral("line %1: coordinate %2 is outside [0, 1] "
                                              "(labels must be normalised by the image size)")
                                   .arg(lineNo)
                                   .arg(cols[i]));
            values[i] = std::clamp(values[i], 0.0, 1.0);
        }
        LabelBox box;
        box.cls = int(clsValue);
        if (isBox) {
            box.cx = float(values[1]);
            box.cy = float(values[2]);
            box.w = float(values[3]);
            box.h = float(values[4]);
        } else {
            double x1 = 1, y1 = 1, x2 = 0, y2 = 0;
            for (int i = 1; i + 1 < n; i += 2) {
                x1 = std::min(x1, values[i]);
                x2 = std::max(x2, values[i]);
                y1 = std::min(y1, values[i + 1]);
                y2 = std::max(y2, values[i + 1]);
            }
            box.cx = float((x1 + x2) / 2);
            box.cy = float((y1 + y2) / 2);
            box.w = float(x2 - x1);
            box.h = float(y2 - y1);
        }
        const bool duplicate = std::any_of(result.boxes.begin(), result.boxes.end(),
                                           [&](const LabelBox &b) { return sameBox(b, box); });
        if (duplicate)
            ++result.duplicates;
        else
            result.boxes.push_back(box);
    }
    result.state = result.boxes.empty() ? LabelState::Empty : LabelState::Ok;
    return result;
}

ScanResult scanOne(const QString &imagePath, int nc)
{
    ScanResult r;
    r.record.imagePath = imagePath;
    r.record.labelPath = Dataset::labelPathFor(imagePath);
    // One full decode per image: OpenCV 4.6 has no header-only size reader, and a decode is the
    // only proof that training will be able to read the file.
    QString error;
    const cv::Mat image = loadImage(imagePath, &error);
    if (image.empty()) {
        r.imageError = error + QStringLiteral("; image skipped");
        return r;
    }
    if (image.cols < kMinImageSide || image.rows < kMinImageSide) {
        r.imageError = QStringLiteral("image size %1x%2 is below %3 pixels; image skipped")
                           .arg(image.cols)
                           .arg(image.rows)
                           .arg(kMinImageSide);
        return r;
    }
    r.record.width = image.cols;
    r.record.height = image.rows;
    r.label = readLabelFile(r.record.labelPath, nc);
    r.usable = r.label.state != LabelState::Corrupt;
    if (r.usable)
        r.record.boxes = r.label.boxes;
    return r;
}

QStringList listImages(const QStringList &entries, const QDir &root, QString *error)
{
    QStringList files;
    for (const QString &entry : entries) {
        const QFileInfo info(entry);
        if (info.isDir()) {
            files << imagesInFolder(entry);
        } else if (info.isFile() && hasImageSuffix(entry)) {
            files << QDir::cleanPath(info.absoluteFilePath());
        } else if (info.isFile()) {
            Result<QStringList> listed = imagesInList(info.absoluteFilePath(), root);
            if (!listed) {
                *error = listed.error();
                return {};
            }
            files << listed.take();
        } else {
            *error = QStringLiteral("%1 does not exist").arg(entry);
            return {};
        }
    }
    files.erase(std::remove_if(files.begin(), files.end(),
                               [](const QString &f) { return !hasImageSuffix(f); }),
                files.end());
    // Sorted like Ultralytics' sorted(): by code point, so the order is the same on every machine.
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

QStringList imagesInFolder(const QString &folder)
{
    QStringList files;
    QDirIterator it(folder, QDir::Files | QDir::Readable | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
    while (it.hasNext()) {
        const QString file = QDir::cleanPath(it.next());
        if (hasImageSuffix(file))
            files << file;
    }
    std::sort(files.begin(), files.end());
    return files;
}

Result<QStringList> imagesInList(const QString &listPath, const QDir &root)
{
    QFile file(listPath);
    if (!file.open(QIODevice::ReadOnly))
        return Result<QStringList>::fail(
            QStringLiteral("cannot read image list %1: %2").arg(listPath, file.errorString()));
    const QDir listDir = QFileInfo(listPath).absoluteDir();
    QStringList out;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'));
    for (const QString &raw : lines) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty())
            continue;
        QString path;
        if (QDir::isAbsolutePath(entry)) {
            path = entry;
        } else if (entry.startsWith(QLatin1String("./"))) {
            path = listDir.absoluteFilePath(entry.mid(2));
        } else {
            path = root.absoluteFilePath(entry);
            if (!QFileInfo::exists(path) && QFileInfo::exists(listDir.absoluteFilePath(entry)))
                path = listDir.absoluteFilePath(entry);
        }
        path = QDir::cleanPath(path);
        if (hasImageSuffix(path))
            out << path;
    }
    return Result<QStringList>::ok(out);
}

QString Dataset::labelPathFor(const QString &imagePath)
{
    const QString marker = QStringLiteral("/images/");
    QString path = QDir::cleanPath(imagePath);
    const int at = path.lastIndexOf(marker);
    if (at >= 0)
        path.replace(at, marker.size(), QStringLiteral("/labels/"));
    const int slash = path.lastIndexOf(QLatin1Char('/'));
    const int dot = path.lastIndexOf(QLatin1Char('.'));
    if (dot > slash)
        path.truncate(dot);
    return path + QStringLiteral(".txt");
}

Result<Dataset> Dataset::scan(const DatasetConfig &config, Split split)
{
    using R = Result<Dataset>;
    const QStringList &entries = config.entries(split);
    const QString splitLabel = splitName(split);
    if (entries.isEmpty())
        return R::fail(QStringLiteral("%1 defines no '%2' split").arg(config.yamlPath, splitLabel));
    if (config.nc() <= 0)
        return R::fail(QStringLiteral("%1 defines no class names").arg(config.yamlPath));
    const QDir root(config.root);
    QString error;
    const QStringList files = listImages(entries, root, &error);
    if (!error.isEmpty())
        return R::fail(
            QStringLiteral("%1 split of %2: %3").arg(splitLabel, config.yamlPath, error));
    const QString searched = entries.join(QStringLiteral(", "));
    if (files.isEmpty())
        return R::fail(QStringLiteral("No images (%1) found for the %2 split in %3")
                           .arg(imageSuffixes().join(QLatin1Char('/')), splitLabel, searched));

    // Decoding dominates the scan, so it runs on every core; results land by index, which keeps
    // the records and the issue list in the sorted order whatever the thread timing.
    std::vector<ScanResult> results(files.size());
    std::atomic<int> nextIndex{0};
    const int nc = config.nc();
    auto work = [&] {
        for (int i = nextIndex++; i < files.size(); i = nextIndex++)
            results[i] = scanOne(files[i], nc);
    };
    const int threads =
        std::clamp(int(std::thread::hardware_concurrency()), 1, std::min(16, int(files.size())));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t)
        pool.emplace_back(work);
    work();
    for (std::thread &t : pool)
        t.join();

    Dataset dataset;
    dataset.m_names = config.names;
    dataset.m_root = config.root;
    DatasetSummary &s = dataset.m_summary;
    for (ScanResult &r : results) {
        if (!r.imageError.isEmpty()) {
            dataset.m_issues.push_back({r.record.imagePath, r.imageError});
            ++s.skipped;
            continue;
        }
        if (r.label.state == LabelState::Corrupt) {
            dataset.m_issues.push_back({r.record.labelPath, r.label.reason});
            ++s.skipped;
            continue;
        }
        if (r.label.duplicates > 0) {
            dataset.m_issues.push_back(
                {r.record.labelPath,
                 QStringLiteral("%1 duplicate label row(s) removed").arg(r.label.duplicates)});
            ++s.repaired;
        }
        ++s.images;
        if (r.record.boxes.empty())
            ++s.backgrounds;
        else
            ++s.labelled;
        s.instances += int(r.record.boxes.size());
        dataset.m_records.push_back(std::move(r.record));
    }
    if (dataset.m_records.empty())
        return R::fail(QStringLiteral("No usable images for the %1 split in %2: all %3 found were "
                                      "skipped (first problem: %4: %5)")
                           .arg(splitLabel, searched)
                           .arg(files.size())
                           .arg(dataset.m_issues.front().file, dataset.m_issues.front().reason));

    QStringList relative;
    relative.reserve(int(dataset.m_records.size()));
    for (const ImageRecord &r : dataset.m_records)
        relative << root.relativeFilePath(r.imagePath);
    std::sort(relative.begin(), relative.end());
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(QByteArrayLiteral("names\n"));
    for (const QString &name : config.names)
        hash.addData(name.toUtf8() + '\n');
    hash.addData(QByteArrayLiteral("images\n"));
    for (const QString &path : relative)
        hash.addData(path.toUtf8() + '\n');
    dataset.m_fingerprint = QString::fromLatin1(hash.result().toHex());
    return R::ok(std::move(dataset));
}

} // namespace yolodeck
