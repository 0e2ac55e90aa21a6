#pragma once

// No torch header here: the window's comparison worker includes this file.

#include "core/common/result.h"
#include "core/compare/comparison.h"

#include <QString>

#include <atomic>
#include <functional>

namespace yolodeck {

// What to compare and how. Everything not given comes from the checkpoints: the data.yaml of B's
// run (A's if B has none), the imgsz it was trained at.
struct CompareRequest
{
    QString a, b;     // checkpoint files (full or weights kind alike)
    QString dataYaml; // empty: the run's own data.yaml
    QString split = QStringLiteral("val");
    int imgsz = 0; // 0: the checkpoint's training imgsz (B's)
    int batch = 16;
    int workers = 2;
    QString device;  // "" picks CUDA when present, as val does
    int threads = 0; // 0: all cores
    bool useCache = true;
    quint64 seed = 0; // bootstrap
    int resamples = kBootstrapResamples;
};

// Progress of a comparison: the stage ("Evaluating A (best.pt)", "Bootstrap", …) and its share.
struct CompareProgress
{
    QString stage;
    int done = 0;
    int total = 0;
};
using CompareProgressFn = std::function<void(const CompareProgress &)>;

// The comparison end to end: checks the pair (both checkpoints, same class names, dataset found),
// evaluates each model once (or reads its cached prediction set; identical weights are evaluated
// once), then builds every derived number. Runs on the calling thread; cancel is polled between
// batches and stages, and a cancelled comparison writes nothing to the cache. A bad input is a
// one-line message naming the file and the problem.
Result<Comparison> compareCheckpoints(const CompareRequest &request,
                                      const CompareProgressFn &progress = {},
                                      const std::atomic<bool> *cancel = nullptr);

// The checks compareCheckpoints makes before any evaluation, alone (fast: metadata only), so the
// window can refuse a pair at once: both files readable YoloDeck checkpoints, same class names.
Status checkComparablePair(const QString &a, const QString &b);

// The pair the checkpoint browser compares when fewer than two rows are selected: best.pt with
// last.pt, or with the newest epochN.pt when last.pt is missing. Fails naming the run folder when
// it holds no such pair.
Result<std::pair<QString, QString>> defaultComparisonPair(const QString &runDir);

// Relative L2 change of each layer (model.N) from A's inference weights to B's.
Result<std::vector<LayerChange>> layerChanges(const QString &a, const QString &b);

} // namespace yolodeck
