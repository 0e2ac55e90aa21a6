// Fuzzes the YOLO label file reader through Dataset::scan (the reader itself is private to
// core/data/dataset.cpp): one 16x16 image whose label file is the input, in a dataset of three
// classes. Any bytes give a usable record with checked boxes, or a corrupt-label issue that names
// the label file and the line, never a crash.

#include "core/data/dataset.h"

#include "fuzzinput.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>

using namespace yolodeck;

namespace {

struct LabelDataset
{
    DatasetConfig config;
    QString labelPath;
};

LabelDataset prepareDataset()
{
    LabelDataset d;
    const QString imagePath = fuzz::scratchPath(QStringLiteral("labels/images/train/a.png"));
    if (!cv::imwrite(imagePath.toStdString(), cv::Mat(16, 16, CV_8UC3, cv::Scalar(40, 80, 120))))
        fuzz::expect(false, "the scratch image can be written", imagePath);
    d.labelPath = fuzz::scratchPath(QStringLiteral("labels/labels/train/a.txt"));
    const QString root =
        QFileInfo(imagePath).absoluteDir().absoluteFilePath(QStringLiteral("../.."));
    d.config.yamlPath = QDir(root).absoluteFilePath(QStringLiteral("data.yaml"));
    d.config.root = QDir::cleanPath(root);
    d.config.train = QStringList{QFileInfo(imagePath).absolutePath()};
    d.config.val = d.config.train;
    d.config.names = QStringList{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    fuzz::expect(Dataset::labelPathFor(imagePath) == d.labelPath, "the label path rule holds",
                 Dataset::labelPathFor(imagePath));
    return d;
}

bool inUnitRange(float v)
{
    return std::isfinite(v) && v >= 0.0f && v <= 1.0f;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const LabelDataset d = prepareDataset();
    fuzz::writeFile(d.labelPath, data, size);

    const Result<Dataset> scanned = Dataset::scan(d.config, Split::Train);
    if (!scanned) {
        // The only image was skipped: the message carries the label file's problem.
        fuzz::expectClearError(scanned.error(), d.labelPath);
        fuzz::expect(scanned.error().contains(QLatin1String("line ")),
                     "a corrupt label file names its line", scanned.error());
        return 0;
    }
    const Dataset &dataset = scanned.value();
    fuzz::expect(dataset.records().size() == 1, "one image, one record");
    for (const DataIssue &issue : dataset.issues())
        fuzz::expect(issue.file == d.labelPath && !issue.reason.isEmpty(),
                     "an issue names the label file and a reason", issue.reason);
    for (const LabelBox &box : dataset.records().front().boxes) {
        fuzz::expect(box.cls >= 0 && box.cls < dataset.nc(), "a box's class is in range",
                     QString::number(box.cls));
        fuzz::expect(inUnitRange(box.cx) && inUnitRange(box.cy) && inUnitRange(box.w) &&
                         inUnitRange(box.h),
                     "a box is normalised",
                     QStringLiteral("%1 %2 %3 %4").arg(box.cx).arg(box.cy).arg(box.w).arg(box.h));
    }
    return 0;
}
