#pragma once

// Small helpers shared by the benchmark programs. Each program prints one result line of
// key=value pairs on stdout and everything else on stderr, so a script can collect the results of
// several runs with a plain `>>` and compare them.

#include <QElapsedTimer>
#include <QMap>
#include <QString>
#include <QStringList>

#include "core/common/memorypolicy.h"
#include "core/model/modelscale.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

namespace yolodeck::benchmark {

// Debian's LibTorch starts with a single intra-op thread; the trainer uses every core, so the
// benchmarks do too. Returns the thread count.
inline int useAllCores()
{
    const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    return threads;
}

// The product's memory policy (core/common/memorypolicy.h), as yolodeck and yolodeck-cli apply
// it first in main(): the training benchmarks measure what a run gets. YOLODECK_MEMORY_POLICY=0
// measures glibc's defaults. Says on stderr which it is.
inline void useMemoryPolicy()
{
    applyMemoryPolicy();
    std::fprintf(stderr, "memory policy: %s\n",
                 describeMemoryPolicy([](const char *name) { return std::getenv(name); }).c_str());
}

inline double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

inline double elapsedMs(const QElapsedTimer &timer)
{
    return timer.nsecsElapsed() / 1e6;
}

// Reads `key=value` arguments over the given defaults. Unknown keys and malformed arguments are an
// error (printed with the accepted keys), so a typo never silently benchmarks the default.
inline bool parseOverrides(int argc, char **argv, QMap<QString, QString> &values)
{
    for (int i = 1; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        const qsizetype eq = arg.indexOf(QLatin1Char('='));
        const QString key = eq > 0 ? arg.left(eq) : QString();
        if (key.isEmpty() || !values.contains(key)) {
            std::fprintf(
                stderr, "%s: unknown argument '%s'; accepted: %s\n", argv[0], argv[i],
                qPrintable(values.keys().join(QStringLiteral("=.. ")) + QStringLiteral("=..")));
            return false;
        }
        values[key] = arg.mid(eq + 1);
    }
    return true;
}

// An integer option of at least `minimum`; prints a message and returns false otherwise.
inline bool intOption(const QMap<QString, QString> &values, const QString &key, int minimum,
                      int *out)
{
    bool ok = false;
    *out = values.value(key).toInt(&ok);
    if (!ok || *out < minimum) {
        std::fprintf(stderr, "%s=%s: expected an integer >= %d\n", qPrintable(key),
                     qPrintable(values.value(key)), minimum);
        return false;
    }
    return true;
}

// [batch * boxes, 6] targets as Batch::targets holds them: (index in batch, class, cx, cy, w, h),
// normalised. Sizes between 5% and 40% of the side, like the demo dataset's shapes.
inline torch::Tensor randomTargets(int batch, int boxes, int nc)
{
    const int64_t n = int64_t(batch) * boxes;
    const torch::Tensor index = torch::arange(batch, torch::kFloat32).repeat_interleave(boxes);
    const torch::Tensor cls = torch::randint(nc, {n}, torch::kFloat32);
    const torch::Tensor wh = torch::rand({n, 2}) * 0.35 + 0.05;
    const torch::Tensor centre = wh / 2 + torch::rand({n, 2}) * (1 - wh);
    return torch::cat({index.unsqueeze(1), cls.unsqueeze(1), centre, wh}, 1).contiguous();
}

// scale= and imgsz= of the model benchmarks: a known scale and a size the strides divide.
inline std::optional<ModelScale> modelOption(const QMap<QString, QString> &values, int imgsz)
{
    if (imgsz % 32 != 0) {
        std::fprintf(stderr, "imgsz=%d: the model needs a multiple of 32\n", imgsz);
        return std::nullopt;
    }
    const std::optional<ModelScale> scale = modelScale(values.value(QStringLiteral("scale")));
    if (!scale) {
        std::fprintf(stderr, "scale=%s: unknown; accepted: %s\n",
                     qPrintable(values.value(QStringLiteral("scale"))),
                     qPrintable(modelScaleNames().join(QLatin1Char(' '))));
    }
    return scale;
}

} // namespace yolodeck::benchmark
