#pragma once

#include "core/common/result.h"
#include "core/data/dataset.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace yolodeck {

// A copy of a dataset with images no larger than the training size. Decoding a 3000x3000 JPEG
// costs far more than a training step at imgsz=64 on it, so a dataset trained more than once is
// worth shrinking once: `yolodeck-cli resize data=... imgsz=640` writes the copy.
struct ResizeOptions
{
    QString dataYaml;     // the dataset to copy
    int imgsz = 640;      // the long side of the copied images, in pixels
    QString outDir;       // empty: "<dataset root>-<imgsz>" beside the dataset root
    int jpegQuality = 95; // 1..100, for JPEG (and WebP) copies that had to be re-encoded
    int threads = 0;      // decode/encode threads; 0: one per core
};

// One image of the copy: where it comes from and where it and its label file go.
struct ResizeItem
{
    QString source;          // absolute path of the original image
    QString target;          // absolute path of the copy
    QString sourceLabel;     // the original's label file (may not exist: a background image)
    QString targetLabel;     // the copy's label file, found from target by the labels/ rule
    bool mustEncode = false; // a format OpenCV reads but cannot write: always written as PNG
    QString problem;         // not empty: the image cannot be copied, and why
};

// A split entry of data.yaml that is a .txt list of images: the copy gets its own list.
struct ResizeImageList
{
    QString target;          // absolute path of the copy's list
    std::vector<int> images; // indices into ResizePlan::items, in the original list's order
};

// Everything resizeDataset() will do, worked out without writing anything.
struct ResizePlan
{
    ResizeOptions options;
    QString sourceYaml;            // absolute
    QString sourceRoot;            // the original's `path`
    QString outDir;                // absolute; missing or empty when planned
    std::vector<ResizeItem> items; // every image of every split once, sorted by source path
    std::vector<ResizeImageList> imageLists;
    QStringList train, val, test; // the copy's split entries, relative to outDir
};

struct ResizeSummary
{
    QString outDir;   // absolute
    QString dataYaml; // the copy's data.yaml (not written when stopped)
    int images = 0;   // images in the dataset's splits, each counted once
    int resized = 0;  // scaled down to long side imgsz
    int copied = 0;   // long side already <= imgsz: copied byte for byte (PNG when re-encoded)
    int failed = 0;   // unreadable, undecodable or unwritable: left out of the copy, see issues
    int labels = 0;   // label files copied
    qint64 bytesIn = 0, bytesOut = 0; // image bytes of the originals and the copies written
    double seconds = 0;
    bool stopped = false;          // progress returned false: a partial copy, no data.yaml
    std::vector<DataIssue> issues; // in image order, whatever the number of threads
};

// Called on the calling thread whenever images finish, and at least every 0.2 s, with the images
// done so far; returning false stops the copy after the images in flight (ResizeSummary::stopped).
using ResizeProgress = std::function<bool(int done, int total)>;

// Reads data.yaml with DatasetConfig (every layout training accepts), lists the images of each
// split without decoding them and checks the output folder: missing or empty, outside the
// dataset, writable. The failures are about the arguments.
Result<ResizePlan> planDatasetResize(const ResizeOptions &options);

// Writes the copy: every image whose long side exceeds imgsz scaled down (INTER_AREA) to exactly
// imgsz after EXIF orientation, the others copied unchanged; label files copied unchanged (they
// are normalised); a data.yaml with `path` set to the copy and every other key kept. Each file
// is written under a temporary name in its folder and renamed, so an interrupted run never leaves
// a truncated image under a final name. The copy is the same whatever the number of threads.
// A bad image is reported in the summary and left out; the call fails only when nothing useful
// can be written (output folder, data.yaml, or no image at all).
Result<ResizeSummary> resizeDataset(const ResizePlan &plan, const ResizeProgress &progress = {});
Result<ResizeSummary> resizeDataset(const ResizeOptions &options,
                                    const ResizeProgress &progress = {});

} // namespace yolodeck
