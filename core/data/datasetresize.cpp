#include "core/data/datasetresize.h"

#include "core/data/imageio.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

namespace yolodeck {

namespace {

// Images that data.yaml reaches outside its root (absolute list entries, "../" folders) keep
// their absolute path below this folder of the copy, so two of them never meet.
constexpr QLatin1String kOutsideRoot("outside-root");

bool isInside(const QString &path, const QString &folder)
{
    if (folder == QLatin1String("/"))
        return true;
    return path == folder || path.startsWith(folder + QLatin1Char('/'));
}

// Where the copy of an original file or folder goes.
QString copyPath(const QString &source, const QString &root, const QString &out)
{
    if (!isInside(source, root))
        return out + QLatin1Char('/') + kOutsideRoot + source;
    const QString relative = QDir(root).relativeFilePath(source);
    return relative.isEmpty() || relative == QLatin1String(".")
               ? out
               : QDir::cleanPath(out + QLatin1Char('/') + relative);
}

// A split entry as data.yaml of the copy writes it.
QString entryInCopy(const QString &target, const QString &out)
{
    const QString relative = QDir(out).relativeFilePath(target);
    return relative.isEmpty() ? QStringLiteral(".") : relative;
}

// Suffixes OpenCV reads but this build cannot write: such images are always written as PNG.
bool canWrite(const QString &suffix)
{
    try {
        return cv::haveImageWriter(QStringLiteral("x.%1").arg(suffix).toStdString());
    } catch (const cv::Exception &) {
        return false;
    }
}

QString withSuffix(const QString &path, const QString &suffix)
{
    const QFileInfo info(path);
    return info.absolutePath() + QLatin1Char('/') + info.completeBaseName() + QLatin1Char('.') +
           suffix;
}

// Writes under a hidden temporary name in the same folder, then renames: a file under its final
// name is always complete. The rename refuses to replace an existing file.
QString writeAtomically(const QString &path, const QByteArray &bytes)
{
    const QFileInfo info(path);
    const QString temp =
        info.absolutePath() + QStringLiteral("/.") + info.fileName() + QStringLiteral(".part");
    QFile file(temp);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QStringLiteral("cannot write %1: %2").arg(temp, file.errorString());
    const bool written = file.write(bytes) == bytes.size() && file.flush();
    const QString writeError = file.errorString();
    file.close();
    if (!written) {
        QFile::remove(temp);
        return QStringLiteral("cannot write %1: %2").arg(temp, writeError);
    }
    if (!file.rename(path)) {
        const QString renameError = file.errorString();
        QFile::remove(temp);
        return QStringLiteral("cannot rename %1 to %2: %3").arg(temp, path, renameError);
    }
    return {};
}

Result<QByteArray> readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Result<QByteArray>::fail(
            QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Result<QByteArray>::fail(
            QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    return Result<QByteArray>::ok(bytes);
}

enum class ItemState
{
    Pending,
    Resized,
    Copied,
    Failed
};

struct ItemOutcome
{
    ItemState state = ItemState::Pending;
    qint64 bytesIn = 0, bytesOut = 0;
    QString problem;
};

ItemOutcome copyImage(const ResizeItem &item, const ResizeOptions &options)
{
    ItemOutcome outcome;
    auto fail = [&](const QString &problem) {
        outcome.state = ItemState::Failed;
        outcome.problem = problem + QStringLiteral("; image left out of the copy");
        return outcome;
    };
    // A full decode even for the images that are only copied: their size is known after EXIF
    // orientation, and a file that training could not read must not reach the copy.
    QString error;
    const cv::Mat image = loadImage(item.source, &error);
    if (image.empty())
        return fail(error);
    outcome.bytesIn = QFileInfo(item.source).size();
    const int longSide = std::max(image.cols, image.rows);
    if (longSide <= options.imgsz && !item.mustEncode) {
        const Result<QByteArray> bytes = readFile(item.source);
        if (!bytes)
            return fail(bytes.error());
        const QString written = writeAtomically(item.target, bytes.value());
        if (!written.isEmpty())
            return fail(written);
        outcome.state = ItemState::Copied;
        outcome.bytesOut = bytes.value().size();
        return outcome;
    }

    cv::Mat pixels = image;
    outcome.state = ItemState::Copied;
    if (longSide > options.imgsz) {
        const double scale = double(options.imgsz) / longSide;
        const cv::Size size(
            image.cols >= image.rows ? options.imgsz
                                     : std::max(1, int(std::lround(image.cols * scale))),
            image.rows > image.cols ? options.imgsz
                                    : std::max(1, int(std::lround(image.rows * scale))));
        // INTER_AREA averages every source pixel into the smaller image: no aliasing, the way
        // Ultralytics shrinks images in its loader.
        cv::resize(image, pixels, size, 0, 0, cv::INTER_AREA);
        outcome.state = ItemState::Resized;
    }
    const QString suffix = QFileInfo(item.target).suffix().toLower();
    std::vector<int> params;
    if (suffix == QLatin1String("jpg") || suffix == QLatin1String("jpeg"))
        params = {cv::IMWRITE_JPEG_QUALITY, options.jpegQuality};
    else if (suffix == QLatin1String("webp"))
        params = {cv::IMWRITE_WEBP_QUALITY, options.jpegQuality};
    std::vector<uchar> encoded;
    try {
        if (!cv::imencode(QStringLiteral(".%1").arg(suffix).toStdString(), pixels, encoded, params))
            return fail(QStringLiteral("cannot encode %1 as %2").arg(item.source, suffix));
    } catch (const cv::Exception &e) {
        return fail(QStringLiteral("cannot encode %1 as %2: %3")
                        .arg(item.source, suffix, QString::fromStdString(e.err)));
    }
    const QByteArray bytes(reinterpret_cast<const char *>(encoded.data()), int(encoded.size()));
    const QString written = writeAtomically(item.target, bytes);
    if (!written.isEmpty())
        return fail(written);
    outcome.bytesOut = bytes.size();
    return outcome;
}

// Runs copyImage over every item on `threads` threads. Outcomes land by index, so the result
// does not depend on the thread count or timing. progress runs on this thread.
std::vector<ItemOutcome> copyImages(const ResizePlan &plan, int threads,
                                    const ResizeProgress &progress, bool *stopped)
{
    const int total = int(plan.items.size());
    std::vector<ItemOutcome> outcomes(plan.items.size());
    std::atomic<int> next{0};
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::condition_variable finishedOne;
    int done = 0;
    auto work = [&] {
        for (int i = next++; i < total && !stop; i = next++) {
            const ResizeItem &item = plan.items[size_t(i)];
            if (item.problem.isEmpty()) {
                outcomes[size_t(i)] = copyImage(item, plan.options);
            } else {
                outcomes[size_t(i)].state = ItemState::Failed;
                outcomes[size_t(i)].problem = item.problem;
            }
            {
                const std::lock_guard<std::mutex> lock(mutex);
                ++done;
            }
            finishedOne.notify_one();
        }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back(work);

    // Woken by every finished image, and at least every 0.2 s so that a stop request is seen
    // even while one huge image decodes.
    std::unique_lock<std::mutex> lock(mutex);
    while (done < total) {
        finishedOne.wait_for(lock, std::chrono::milliseconds(200));
        if (!progress)
            continue;
        const int now = done;
        lock.unlock();
        const bool goOn = progress(now, total);
        lock.lock();
        if (!goOn) {
            stop = true;
            break;
        }
    }
    lock.unlock();
    for (std::thread &t : pool)
        t.join();
    *stopped = stop && done < total;
    return outcomes;
}

// Emits a node as it was read, quotes included: a class named 'null' or 'yes' must stay a
// string, and only the original knows it was quoted.
void emitNode(YAML::Emitter &out, const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Scalar:
        if (node.Tag() == "!")
            out << YAML::DoubleQuoted;
        out << node.Scalar();
        break;
    case YAML::NodeType::Sequence:
        out << YAML::BeginSeq;
        for (const YAML::Node &item : node)
            emitNode(out, item);
        out << YAML::EndSeq;
        break;
    case YAML::NodeType::Map:
        out << YAML::BeginMap;
        for (auto it = node.begin(); it != node.end(); ++it) {
            out << YAML::Key;
            emitNode(out, it->first);
            out << YAML::Value;
            emitNode(out, it->second);
        }
        out << YAML::EndMap;
        break;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        out << YAML::Null;
        break;
    }
}

// data.yaml of the copy: `path` is the copy's folder (absolute: Ultralytics resolves a relative
// `path` against its datasets folder, not the yaml's), the splits point into the copy in the form
// the original used, and every other key is kept as written except `download`, which would
// fetch the full-size originals.
Result<QByteArray> copyDataYaml(const ResizePlan &plan)
{
    using R = Result<QByteArray>;
    const Result<QByteArray> text = readFile(plan.sourceYaml);
    if (!text)
        return R::fail(text.error());
    try {
        const YAML::Node doc = YAML::Load(text.value().toStdString());
        YAML::Emitter out;
        out << YAML::BeginMap;
        out << YAML::Key << "path" << YAML::Value << plan.outDir.toStdString();
        const std::pair<const char *, const QStringList *> splits[] = {
            {"train", &plan.train}, {"val", &plan.val}, {"test", &plan.test}};
        for (const auto &[key, entries] : splits) {
            if (entries->isEmpty())
                continue;
            out << YAML::Key << key << YAML::Value;
            if (doc[key].IsSequence() || entries->size() > 1) {
                out << YAML::BeginSeq;
                for (const QString &entry : *entries)
                    out << entry.toStdString();
                out << YAML::EndSeq;
            } else {
                out << entries->first().toStdString();
            }
        }
        static const std::vector<std::string> replaced = {"path", "train", "val", "test",
                                                          "download"};
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            if (it->first.IsScalar() &&
                std::find(replaced.begin(), replaced.end(), it->first.Scalar()) != replaced.end())
                continue;
            out << YAML::Key;
            emitNode(out, it->first);
            out << YAML::Value;
            emitNode(out, it->second);
        }
        out << YAML::EndMap;
        if (!out.good())
            return R::fail(QStringLiteral("cannot write data.yaml for %1: %2")
                               .arg(plan.sourceYaml, QString::fromStdString(out.GetLastError())));
        QByteArray header =
            QStringLiteral("# %1 with images scaled down to long side %2 by yolodeck-cli resize\n")
                .arg(plan.sourceYaml, QString::number(plan.options.imgsz))
                .toUtf8();
        // The original's opening comment usually says where the data comes from and its licence.
        for (const QByteArray &line : text.value().split('\n')) {
            if (!line.startsWith('#'))
                break;
            header += line + '\n';
        }
        return R::ok(header + QByteArray(out.c_str()) + '\n');
    } catch (const YAML::Exception &e) {
        return R::fail(QStringLiteral("%1 is not valid YAML: %2")
                           .arg(plan.sourceYaml, QString::fromStdString(e.msg)));
    }
}

} // namespace

Result<ResizePlan> planDatasetResize(const ResizeOptions &options)
{
    using R = Result<ResizePlan>;
    if (options.imgsz < 1)
        return R::fail(QStringLiteral("imgsz=%1 is not valid: the long side must be at least "
                                      "1 pixel")
                           .arg(options.imgsz));
    if (options.jpegQuality < 1 || options.jpegQuality > 100)
        return R::fail(
            QStringLiteral("quality=%1 is not valid: expected 1..100").arg(options.jpegQuality));
    if (options.dataYaml.isEmpty())
        return R::fail(QStringLiteral("No data.yaml given"));
    const Result<DatasetConfig> loaded = DatasetConfig::load(options.dataYaml);
    if (!loaded)
        return R::fail(loaded.error());
    const DatasetConfig &config = loaded.value();

    ResizePlan plan;
    plan.options = options;
    plan.sourceYaml = config.yamlPath;
    plan.sourceRoot = config.root;
    plan.outDir = QDir::cleanPath(
        options.outDir.isEmpty()
            ? QStringLiteral("%1-%2").arg(config.root, QString::number(options.imgsz))
            : QFileInfo(options.outDir).absoluteFilePath());
    const QString &out = plan.outDir;

    const QFileInfo outInfo(out);
    if (outInfo.exists() && !outInfo.isDir())
        return R::fail(QStringLiteral("Output folder %1 is a file").arg(out));
    if (outInfo.isDir() &&
        !QDir(out).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System))
        return R::fail(QStringLiteral("Output folder %1 is not empty: choose another out= or "
                                      "remove it; nothing is ever overwritten")
                           .arg(out));
    // Everything the splits reach must stay untouched: the copy may not land inside any of it.
    QStringList originals{config.root};
    for (Split split : {Split::Train, Split::Val, Split::Test})
        for (const QString &entry : config.entries(split))
            if (QFileInfo(entry).isDir())
                originals << entry;
    for (const QString &original : originals)
        if (isInside(out, original))
            return R::fail(QStringLiteral("Output folder %1 is inside the dataset's %2: choose "
                                          "a folder outside it (the original is never changed)")
                               .arg(out, original));
    QString existing = out;
    while (!QFileInfo::exists(existing) && existing != QLatin1String("/"))
        existing = QFileInfo(existing).absolutePath();
    const QFileInfo existingInfo(existing);
    if (!existingInfo.isDir() || !existingInfo.isWritable())
        return R::fail(QStringLiteral("Cannot write output folder %1: %2 is not a writable "
                                      "folder")
                           .arg(out, existing));

    // Every split entry becomes the same entry in the copy; each image is copied once however
    // many entries reach it.
    const QDir root(config.root);
    QStringList sources;
    std::vector<std::pair<QString, QStringList>> lists; // original list file -> its images
    for (Split split : {Split::Train, Split::Val, Split::Test}) {
        QStringList &copyEntries = split == Split::Train ? plan.train
                                   : split == Split::Val ? plan.val
                                                         : plan.test;
        for (const QString &entry : config.entries(split)) {
            const QFileInfo info(entry);
            if (info.isDir()) {
                sources << imagesInFolder(entry);
            } else if (hasImageSuffix(entry)) {
                sources << entry;
            } else {
                Result<QStringList> listed = imagesInList(entry, root);
                if (!listed)
                    return R::fail(QStringLiteral("%1 split of %2: %3")
                                       .arg(splitName(split), config.yamlPath, listed.error()));
                sources << listed.value();
                lists.emplace_back(entry, listed.take());
            }
            copyEntries << entryInCopy(copyPath(entry, config.root, out), out);
        }
    }
    std::sort(sources.begin(), sources.end());
    sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
    if (sources.isEmpty())
        return R::fail(QStringLiteral("No images (%1) found in the splits of %2")
                           .arg(imageSuffixes().join(QLatin1Char('/')), config.yamlPath));

    QHash<QString, bool> writable; // by lower-case suffix
    QHash<QString, int> byTarget;
    QHash<QString, int> bySource;
    plan.items.reserve(size_t(sources.size()));
    for (const QString &source : sources) {
        ResizeItem item;
        item.source = source;
        item.sourceLabel = Dataset::labelPathFor(source);
        item.target = copyPath(source, config.root, out);
        const QString suffix = QFileInfo(source).suffix().toLower();
        if (!writable.contains(suffix))
            writable.insert(suffix, canWrite(suffix));
        if (!writable.value(suffix)) {
            item.mustEncode = true;
            item.target = withSuffix(item.target, QStringLiteral("png"));
        }
        item.targetLabel = Dataset::labelPathFor(item.target);
        const int index = int(plan.items.size());
        if (byTarget.contains(item.target))
            item.problem =
                QStringLiteral("its copy %1 would replace the copy of %2")
                    .arg(item.target, plan.items[size_t(byTarget.value(item.target))].source);
        else if (!isInside(item.targetLabel, out))
            item.problem = QStringLiteral("its label file would land at %1, outside the output "
                                          "folder %2 (an 'images' folder in the output path?)")
                               .arg(item.targetLabel, out);
        else
            byTarget.insert(item.target, index);
        bySource.insert(source, index);
        plan.items.push_back(item);
    }
    QSet<QString> listTargets;
    for (const auto &[listPath, images] : lists) {
        ResizeImageList list;
        list.target = copyPath(listPath, config.root, out);
        if (listTargets.contains(list.target))
            continue; // the same list used by two splits
        listTargets.insert(list.target);
        for (const QString &image : images)
            list.images.push_back(bySource.value(image));
        plan.imageLists.push_back(list);
    }
    return R::ok(plan);
}

Result<ResizeSummary> resizeDataset(const ResizePlan &plan, const ResizeProgress &progress)
{
    using R = Result<ResizeSummary>;
    QElapsedTimer timer;
    timer.start();
    ResizeSummary summary;
    summary.outDir = plan.outDir;
    summary.images = int(plan.items.size());

    // Folders first, on this thread: workers then only create files.
    QSet<QString> folders{plan.outDir};
    for (const ResizeItem &item : plan.items) {
        folders.insert(QFileInfo(item.target).absolutePath());
        if (QFileInfo::exists(item.sourceLabel))
            folders.insert(QFileInfo(item.targetLabel).absolutePath());
    }
    for (const ResizeImageList &list : plan.imageLists)
        folders.insert(QFileInfo(list.target).absolutePath());
    QStringList sortedFolders(folders.begin(), folders.end());
    std::sort(sortedFolders.begin(), sortedFolders.end());
    for (const QString &folder : sortedFolders) {
        std::error_code ec;
        std::filesystem::create_directories(QFile::encodeName(folder).toStdString(), ec);
        if (ec)
            return R::fail(QStringLiteral("Cannot create folder %1: %2")
                               .arg(folder, QString::fromLocal8Bit(ec.message().c_str())));
    }

    const int cores = std::max(1, int(std::thread::hardware_concurrency()));
    const int threads = std::clamp(plan.options.threads > 0 ? plan.options.threads : cores, 1,
                                   std::max(1, int(plan.items.size())));
    std::vector<ItemOutcome> outcomes = copyImages(plan, threads, progress, &summary.stopped);

    // Labels after the images, in item order on this thread: they are small, and two images of
    // one folder may share a label file (a.jpg and a.png both use labels/a.txt).
    QSet<QString> labelsWritten;
    for (size_t i = 0; i < plan.items.size() && !summary.stopped; ++i) {
        ItemOutcome &outcome = outcomes[i];
        const ResizeItem &item = plan.items[i];
        if (outcome.state == ItemState::Failed || outcome.state == ItemState::Pending)
            continue;
        if (labelsWritten.contains(item.targetLabel) || !QFileInfo::exists(item.sourceLabel))
            continue;
        const Result<QByteArray> label = readFile(item.sourceLabel);
        const QString written =
            label ? writeAtomically(item.targetLabel, label.value()) : label.error();
        if (!written.isEmpty()) {
            QFile::remove(item.target); // without its label the copy would be a background
            outcome.state = ItemState::Failed;
            outcome.problem = written + QStringLiteral("; image left out of the copy");
            continue;
        }
        labelsWritten.insert(item.targetLabel);
    }
    summary.labels = int(labelsWritten.size());

    for (size_t i = 0; i < plan.items.size(); ++i) {
        const ItemOutcome &outcome = outcomes[i];
        switch (outcome.state) {
        case ItemState::Pending:
            continue;
        case ItemState::Failed:
            ++summary.failed;
            summary.issues.push_back({plan.items[i].source, outcome.problem});
            continue;
        case ItemState::Resized:
            ++summary.resized;
            break;
        case ItemState::Copied:
            ++summary.copied;
            break;
        }
        summary.bytesIn += outcome.bytesIn;
        summary.bytesOut += outcome.bytesOut;
    }
    summary.seconds = timer.elapsed() / 1000.0;
    if (summary.stopped)
        return R::ok(summary);
    if (summary.resized + summary.copied == 0)
        return R::fail(
            QStringLiteral("None of the %1 images of %2 could be copied; the first: "
                           "%3: %4")
                .arg(summary.images)
                .arg(plan.sourceYaml, summary.issues.front().file, summary.issues.front().reason));

    for (const ResizeImageList &list : plan.imageLists) {
        const QDir folder = QFileInfo(list.target).absoluteDir();
        QByteArray text;
        for (int index : list.images) {
            const ItemState state = outcomes[size_t(index)].state;
            if (state == ItemState::Resized || state == ItemState::Copied)
                text += "./" + folder.relativeFilePath(plan.items[size_t(index)].target).toUtf8() +
                        '\n';
        }
        const QString written = writeAtomically(list.target, text);
        if (!written.isEmpty())
            return R::fail(QStringLiteral("Cannot write the image list: %1").arg(written));
    }

    const Result<QByteArray> yaml = copyDataYaml(plan);
    if (!yaml)
        return R::fail(yaml.error());
    summary.dataYaml = plan.outDir + QStringLiteral("/data.yaml");
    const QString written = writeAtomically(summary.dataYaml, yaml.value());
    if (!written.isEmpty())
        return R::fail(QStringLiteral("Cannot write the copy's data.yaml: %1").arg(written));
    summary.seconds = timer.elapsed() / 1000.0;
    return R::ok(summary);
}

Result<ResizeSummary> resizeDataset(const ResizeOptions &options, const ResizeProgress &progress)
{
    const Result<ResizePlan> plan = planDatasetResize(options);
    if (!plan)
        return Result<ResizeSummary>::fail(plan.error());
    return resizeDataset(plan.value(), progress);
}

} // namespace yolodeck
