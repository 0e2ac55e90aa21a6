#include "core/eval/metricstable.h"

#include <algorithm>
#include <cstdio>

namespace yolodeck {

namespace {

// Ultralytics' column widths ("%22s" + "%11s" * 6).
constexpr int kClassWidth = 22;
constexpr int kColumnWidth = 11;

QString row(int classWidth, const QString &name, int images, int instances, double p, double r,
            double map50, double map50_95)
{
    char numbers[128];
    std::snprintf(numbers, sizeof numbers, "%*d%*d%*.3g%*.3g%*.3g%*.3g", kColumnWidth, images,
                  kColumnWidth, instances, kColumnWidth, p, kColumnWidth, r, kColumnWidth, map50,
                  kColumnWidth, map50_95);
    return name.rightJustified(classWidth) + QString::fromLatin1(numbers) + QLatin1Char('\n');
}

} // namespace

QString formatMetricsTable(const DetectionMetrics &metrics)
{
    int classWidth = kClassWidth;
    for (const ClassMetrics &c : metrics.perClass)
        classWidth = std::max(classWidth, static_cast<int>(c.name.size()) + 2);

    QString table = QStringLiteral("Class").rightJustified(classWidth);
    const char *headers[] = {"Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)"};
    for (const char *h : headers)
        table += QString::fromLatin1(h).rightJustified(kColumnWidth);
    table += QLatin1Char('\n');

    table += row(classWidth, QStringLiteral("all"), metrics.images, metrics.instances,
                 metrics.precision, metrics.recall, metrics.map50, metrics.map50_95);
    for (const ClassMetrics &c : metrics.perClass)
        table += row(classWidth, c.name, c.images, c.instances, c.precision, c.recall, c.ap50,
                     c.ap50_95);
    return table;
}

} // namespace yolodeck
