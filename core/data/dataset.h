#pragma once

#include "core/common/result.h"
#include "core/data/datasetconfig.h"
#include "core/data/labelbox.h"

#include <QDir>
#include <QString>
#include <QStringList>

#include <vector>

namespace yolodeck {

// A problem found in one file (a label file or an image), reported once per file with what was
// done about it ("... file skipped", "... removed").
struct DataIssue
{
    QString file;
    QString reason;
};

struct ImageRecord
{
    QString imagePath;           // absolute
    QString labelPath;           // absolute; the file may not exist (background image)
    std::vector<LabelBox> boxes; // empty = background
    int width = 0, height = 0;   // decoded size (after EXIF orientation), read while scanning
};

struct DatasetSummary
{
    int images = 0;      // usable images (records)
    int labelled = 0;    // usable images with at least one box
    int backgrounds = 0; // usable images without boxes (no label file or an empty one)
    int skipped = 0;     // images dropped: unreadable image or corrupt label file
    int repaired = 0;    // label files used after a fix (duplicate rows removed)
    int instances = 0;   // boxes over all records
};

// One split of a dataset, indexed and checked the way Ultralytics checks it when it builds its
// label cache: image list sorted, label file found by replacing the last `images` folder of the
// image path with `labels` and the suffix with .txt, each image decoded once to prove it is
// readable, each label file validated. Problems are reported once per file; bad files are skipped.
class Dataset
{
public:
    Dataset() = default;

    // Fails when the split holds no usable image; the message names the paths searched.
    static Result<Dataset> scan(const DatasetConfig &config, Split split);

    const std::vector<ImageRecord> &records() const { return m_records; }
    const std::vector<DataIssue> &issues() const { return m_issues; }
    DatasetSummary summary() const { return m_summary; }
    const QStringList &names() const { return m_names; }
    int nc() const { return m_names.size(); }
    const QString &root() const { return m_root; }

    // SHA-256 (hex) of the class names and the sorted image paths relative to the dataset root:
    // the identity of the data a checkpoint was trained on, independent of where the copy lives.
    QString fingerprint() const { return m_fingerprint; }

    // The label file that belongs to an image (Ultralytics' img2label_paths rule).
    static QString labelPathFor(const QString &imagePath);

private:
    std::vector<ImageRecord> m_records;
    std::vector<DataIssue> m_issues;
    DatasetSummary m_summary;
    QStringList m_names;
    QString m_root;
    QString m_fingerprint;
};

// The rules by which Dataset::scan finds a split's images, for tools that copy a dataset without
// decoding it (core/data/datasetresize.h). Paths are clean and absolute, image suffixes only.
// A folder is searched recursively (symlinks followed); sorted by code point.
QStringList imagesInFolder(const QString &folder);
// The images a .txt list names, in its order: "./x" is relative to the list's folder
// (Ultralytics), other relative entries to the dataset root, falling back to the list's folder.
Result<QStringList> imagesInList(const QString &listPath, const QDir &root);

} // namespace yolodeck
