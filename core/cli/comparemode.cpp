#include "core/cli/commandline.h"
#include "core/cli/modearguments.h"
#include "core/compare/checkpointcomparer.h"
#include "core/compare/comparisonreport.h"
#include "core/runlog/runlog.h"

#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <thread>

namespace yolodeck {

namespace {

QString signedNumber(double v, int decimals)
{
    if (!std::isfinite(v))
        return QStringLiteral("-");
    return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

} // namespace

void CommandLine::setChartRenderer(ComparisonChartRenderer renderer)
{
    m_chartRenderer = std::move(renderer);
}

int CommandLine::compare(const QStringList &args)
{
    const Result<KeyValues> parsed = parseKeys(
        args, {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("data"),
               QStringLiteral("split"), QStringLiteral("imgsz"), QStringLiteral("batch"),
               QStringLiteral("conf"), QStringLiteral("device"), QStringLiteral("workers"),
               QStringLiteral("threads"), QStringLiteral("seed"), QStringLiteral("cache"),
               QStringLiteral("project"), QStringLiteral("name")});
    if (!parsed) {
        m_err << QStringLiteral("ERROR %1\n").arg(parsed.error());
        return 2;
    }
    const KeyValues &k = parsed.value();
    if (!k.contains(QStringLiteral("a")) || !k.contains(QStringLiteral("b"))) {
        m_err << QStringLiteral("ERROR compare needs a=FILE and b=FILE (two checkpoints)\n");
        return 2;
    }
    CompareRequest request;
    request.a = k.value(QStringLiteral("a"));
    request.b = k.value(QStringLiteral("b"));
    request.dataYaml = k.value(QStringLiteral("data"));
    request.split = k.value(QStringLiteral("split"), QStringLiteral("val"));
    request.device = k.value(QStringLiteral("device"));
    const Result<int> imgsz = intKey(k, QStringLiteral("imgsz"), 0, 32, 8192);
    const Result<int> batch = intKey(k, QStringLiteral("batch"), 16, 1, 4096);
    const Result<int> workers = intKey(k, QStringLiteral("workers"), 2, 0, 64);
    const Result<int> threads = intKey(k, QStringLiteral("threads"), 0, 0, 1024);
    const Result<int> seed = intKey(k, QStringLiteral("seed"), 0, 0, 2147483647);
    // TP/FP/FN and the image ranking are read at one confidence; 0.25 is Ultralytics' predict
    // default, what users look at when they judge detections by eye.
    const Result<double> conf = doubleKey(k, QStringLiteral("conf"), 0.25);
    for (const QString &e : {imgsz.error(), batch.error(), workers.error(), threads.error(),
                             seed.error(), conf.error()}) {
        if (!e.isEmpty()) {
            m_err << QStringLiteral("ERROR %1\n").arg(e);
            return 2;
        }
    }
    const QString cache = k.value(QStringLiteral("cache"), QStringLiteral("true")).toLower();
    if (cache != QLatin1String("true") && cache != QLatin1String("false")) {
        m_err << QStringLiteral("ERROR cache=%1 is not valid: true or false\n").arg(cache);
        return 2;
    }
    request.imgsz = imgsz.value();
    request.batch = batch.value();
    request.workers = workers.value();
    request.threads = threads.value() > 0 ? threads.value()
                                          : int(std::max(1u, std::thread::hardware_concurrency()));
    request.seed = quint64(seed.value());
    request.useCache = cache == QLatin1String("true");
    if (!request.dataYaml.isEmpty() && !QFileInfo::exists(request.dataYaml)) {
        m_err << QStringLiteral("ERROR %1: the dataset does not exist\n").arg(request.dataYaml);
        return 2;
    }

    QString lastStage;
    const auto progress = [&](const CompareProgress &p) {
        if (p.stage != lastStage) {
            m_out << p.stage << '\n';
            m_out.flush();
            lastStage = p.stage;
        }
    };
    Result<Comparison> result = compareCheckpoints(request, progress);
    if (!result) {
        m_err << QStringLiteral("ERROR %1\n").arg(result.error());
        return 2;
    }
    const Comparison &c = result.value();
    const float confidence = float(conf.value());

    m_out << QStringLiteral("A: %1 (%2, epoch %3)%4\n")
                 .arg(c.a.info.path, c.a.info.kind)
                 .arg(c.a.info.epoch)
                 .arg(c.a.predictions.fromCache ? QStringLiteral(" [cached predictions]")
                                                : QString());
    m_out << QStringLiteral("B: %1 (%2, epoch %3)%4\n")
                 .arg(c.b.info.path, c.b.info.kind)
                 .arg(c.b.info.epoch)
                 .arg(c.b.predictions.fromCache ? QStringLiteral(" [cached predictions]")
                                                : QString());
    m_out << c.settings.describe()
          << QStringLiteral(" · %1 images of %2\n")
                 .arg(c.a.predictions.images.size())
                 .arg(c.settings.dataYaml);
    if (c.sameWeights)
        m_out << QStringLiteral("NOTE A and B hold the same weights: evaluated once\n");
    for (const QString &w : c.warnings)
        m_out << QStringLiteral("WARNING %1\n").arg(w);
    m_out << QStringLiteral("%1 %2 %3 %4 %5\n")
                 .arg(QStringLiteral("metric"), -14)
                 .arg(QStringLiteral("A"), 10)
                 .arg(QStringLiteral("B"), 10)
                 .arg(QStringLiteral("delta"), 10)
                 .arg(QStringLiteral("better"), 7);
    for (const HeaderRow &r : headerRows(c, confidence)) {
        const int decimals = r.integer ? 0 : (r.name == QLatin1String("ms/image") ? 1 : 4);
        QString name = r.name;
        if (r.integer)
            name += QStringLiteral("@%1").arg(double(confidence));
        m_out << QStringLiteral("%1 %2 %3 %4 %5\n")
                     .arg(name, -14)
                     .arg(r.a, 10, 'f', decimals)
                     .arg(r.b, 10, 'f', decimals)
                     .arg(signedNumber(r.delta(), decimals), 10)
                     .arg(r.better() > 0   ? QStringLiteral("B")
                          : r.better() < 0 ? QStringLiteral("A")
                                           : QStringLiteral("="),
                          7);
    }
    const std::vector<ImageComparison> images = compareImages(c.a.matches, c.b.matches, confidence);
    m_out << summarise(images).sentence() << '\n';
    m_out << QStringLiteral("delta mAP50-95 = %1, 95% interval [%2, %3] (%4 bootstrap resamples, "
                            "seed %5): %6\n")
                 .arg(signedNumber(c.bootstrap.delta, 4), signedNumber(c.bootstrap.low, 4),
                      signedNumber(c.bootstrap.high, 4))
                 .arg(c.bootstrap.resamples)
                 .arg(c.bootstrap.seed)
                 .arg(c.bootstrap.significant() ? QStringLiteral("significant")
                                                : QStringLiteral("not significant"));
    bool regressionShown = false;
    for (const ClassComparison &r : classComparisons(c)) {
        if (r.deltaAp50_95() >= 0)
            break;
        if (!regressionShown)
            m_out << QStringLiteral("Classes where B is worse (AP50-95):\n");
        regressionShown = true;
        m_out << QStringLiteral("  %1 %2 -> %3 (%4), %5 instances\n")
                     .arg(r.name, -20)
                     .arg(r.ap50_95A, 0, 'f', 4)
                     .arg(r.ap50_95B, 0, 'f', 4)
                     .arg(signedNumber(r.deltaAp50_95(), 4))
                     .arg(r.instances);
    }
    if (!regressionShown)
        m_out << QStringLiteral("No class is worse in B (AP50-95).\n");

    // The report folder: project/name, name2, ... as every other mode; written whole or not at all.
    const Result<QString> runDir =
        RunLog::createRunDir(k.value(QStringLiteral("project"), QStringLiteral("runs/detect")),
                             k.value(QStringLiteral("name"), QStringLiteral("compare")), false);
    if (!runDir) {
        m_err << QStringLiteral("ERROR %1\n").arg(runDir.error());
        return 1;
    }
    QDir(runDir.value()).removeRecursively(); // the report takes the name once it is complete
    const std::vector<ChartImage> charts =
        m_chartRenderer ? m_chartRenderer(c, confidence) : std::vector<ChartImage>{};
    if (!m_chartRenderer)
        m_err << QStringLiteral("WARNING this build has no chart renderer (built without the "
                                "window): the report has tables and images, no charts\n");
    const Status written = writeComparisonReport(runDir.value(), c, confidence, charts);
    if (!written) {
        m_err << QStringLiteral("ERROR %1\n").arg(written.error());
        return 1;
    }
    m_out << QStringLiteral("Report (compare.json, report.html, %1 charts) saved to %2\n")
                 .arg(charts.size())
                 .arg(runDir.value());
    m_out << QStringLiteral("Results saved to %1\n").arg(runDir.value());
    return 0;
}

} // namespace yolodeck
