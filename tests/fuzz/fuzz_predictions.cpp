// Fuzzes the prediction file reader (readPredictionFile) and the scoring that consumes what it
// returns (scorePredictionFolder): any bytes give checked detections plus, for bad lines, a
// problem naming the line, and finite metrics, never a crash.

#include "core/eval/predictionfiles.h"

#include "fuzzinput.h"

#include <cmath>

using namespace yolodeck;

namespace {

constexpr int kWidth = 640;
constexpr int kHeight = 480;

// A metric is a share: in [0, 1].
bool isShare(double v)
{
    return std::isfinite(v) && v >= 0.0 && v <= 1.0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QString dir =
        QFileInfo(fuzz::scratchPath(QStringLiteral("predictions/x"))).absolutePath();
    const QString imagePath = QStringLiteral("/data/images/val/a.jpg");
    const QString path = predictionFilePath(dir, imagePath);
    fuzz::writeFile(path, data, size);

    const QStringList names{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    for (int nc : {-1, int(names.size())}) {
        QString problem;
        const std::vector<Detection> detections =
            readPredictionFile(path, kWidth, kHeight, nc, &problem);
        if (!problem.isEmpty())
            fuzz::expect(problem.startsWith(QLatin1String("line ")), "a problem names the line",
                         problem);
        for (const Detection &d : detections) {
            fuzz::expect(d.cls >= 0 && (nc < 0 || d.cls < nc), "a detection's class is in range");
            fuzz::expect(d.conf >= 0.0f && d.conf <= 1.0f, "a confidence is in [0, 1]");
            // Huge normalised numbers may overflow a float to infinity; the order still holds.
            fuzz::expect(d.x1 <= d.x2 && d.y1 <= d.y2, "a box is not inverted");
        }
    }

    // One labelled image whose predictions are the input, scored as `yolodeck-cli val` would.
    ScoredImage image;
    image.imagePath = imagePath;
    image.width = kWidth;
    image.height = kHeight;
    image.labels = {{0, 0.5f, 0.5f, 0.25f, 0.25f}, {2, 0.2f, 0.3f, 0.1f, 0.2f}};
    std::vector<PredictionIssue> issues;
    const Result<DetectionMetrics> metrics = scorePredictionFolder({image}, dir, names, &issues);
    fuzz::expect(metrics.isOk(), "a folder with one sized image scores", metrics.error());
    for (const PredictionIssue &issue : issues)
        fuzz::expect(issue.file == path && issue.reason.startsWith(QLatin1String("line ")),
                     "an issue names the file and the line", issue.reason);
    const DetectionMetrics &m = metrics.value();
    fuzz::expect(isShare(m.precision) && isShare(m.recall) && isShare(m.map50) &&
                     isShare(m.map50_95),
                 "metrics are shares",
                 QStringLiteral("P %1 R %2 mAP50 %3 mAP50-95 %4")
                     .arg(m.precision)
                     .arg(m.recall)
                     .arg(m.map50)
                     .arg(m.map50_95));
    return 0;
}
