#include "core/compare/comparisonreport.h"

#include "core/common/textutil.h"
#include "core/data/imageio.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace yolodeck {

namespace {

// Box colours (BGR) shared by the report and the legend: TP green, FP red, wrong class orange,
// missed label magenta, ground truth white.
const cv::Scalar kTruePositive(60, 180, 60);
const cv::Scalar kFalsePositive(50, 50, 230);
const cv::Scalar kWrongClass(0, 150, 255);
const cv::Scalar kMissed(200, 40, 200);
const cv::Scalar kLabel(255, 255, 255);

QJsonValue number(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

QJsonObject modelJson(const ComparedModel &m)
{
    const CheckpointInfo &i = m.info;
    QJsonArray perClass;
    for (const ClassMetrics &c : m.metrics.perClass) {
        perClass.append(QJsonObject{{QStringLiteral("class"), c.cls},
                                    {QStringLiteral("name"), c.name},
                                    {QStringLiteral("instances"), c.instances},
                                    {QStringLiteral("precision"), c.precision},
                                    {QStringLiteral("recall"), c.recall},
                                    {QStringLiteral("ap50"), c.ap50},
                                    {QStringLiteral("ap50_95"), c.ap50_95}});
    }
    QJsonArray confusion;
    for (double v : m.confusion.counts)
        confusion.append(v);
    QJsonArray history;
    for (const EpochRecord &r : m.history)
        history.append(QJsonObject{{QStringLiteral("epoch"), r.epoch},
                                   {QStringLiteral("mAP50"), r.map50},
                                   {QStringLiteral("mAP50-95"), r.map50_95},
                                   {QStringLiteral("fitness"), r.fitness}});
    const PredictionSet &p = m.predictions;
    return QJsonObject{
        {QStringLiteral("file"), i.path},
        {QStringLiteral("kind"), i.kind},
        {QStringLiteral("epoch"), i.epoch},
        {QStringLiteral("fitness_recorded"), number(i.fitness)},
        {QStringLiteral("created"), i.created.toString(Qt::ISODate)},
        {QStringLiteral("size"), double(i.size)},
        {QStringLiteral("content_sha256"), p.contentHash},
        {QStringLiteral("weights_sha256"), p.weightsHash},
        {QStringLiteral("from_cache"), p.fromCache},
        {QStringLiteral("metrics/precision(B)"), m.metrics.precision},
        {QStringLiteral("metrics/recall(B)"), m.metrics.recall},
        {QStringLiteral("metrics/mAP50(B)"), m.metrics.map50},
        {QStringLiteral("metrics/mAP50-95(B)"), m.metrics.map50_95},
        {QStringLiteral("fitness"), m.metrics.fitness()},
        {QStringLiteral("max_f1_confidence"), m.metrics.confidence},
        {QStringLiteral("val/box_loss"), p.loss[0]},
        {QStringLiteral("val/cls_loss"), p.loss[1]},
        {QStringLiteral("val/dfl_loss"), p.loss[2]},
        {QStringLiteral("ms_per_image"), p.msPerImage},
        {QStringLiteral("per_class"), perClass},
        {QStringLiteral("confusion_matrix"), confusion},
        {QStringLiteral("history"), history},
    };
}

QString escape(const QString &s)
{
    return s.toHtmlEscaped();
}

QString fmt(double v, int decimals = 4)
{
    return std::isfinite(v) ? QString::number(v, 'f', decimals) : QStringLiteral("–");
}

QString signedFmt(double v, int decimals = 4)
{
    if (!std::isfinite(v))
        return QStringLiteral("–");
    return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', decimals);
}

void drawBox(cv::Mat &image, float x1, float y1, float x2, float y2, double scale,
             const cv::Scalar &colour, int thickness, bool dashed = false)
{
    const cv::Point a(int(x1 * scale), int(y1 * scale)), b(int(x2 * scale), int(y2 * scale));
    if (!dashed) {
        cv::rectangle(image, a, b, colour, thickness);
        return;
    }
    // Dashed: the missed labels must read differently from the detections at a glance.
    const auto dashLine = [&](cv::Point p, cv::Point q) {
        const double len = std::hypot(q.x - p.x, q.y - p.y);
        const int dashes = std::max(1, int(len / 6));
        for (int k = 0; k < dashes; k += 2) {
            const double t0 = double(k) / dashes, t1 = std::min(1.0, double(k + 1) / dashes);
            cv::line(image, p + (q - p) * t0, p + (q - p) * t1, colour, thickness);
        }
    };
    dashLine(a, {b.x, a.y});
    dashLine({b.x, a.y}, b);
    dashLine(b, {a.x, b.y});
    dashLine({a.x, b.y}, a);
}

void caption(cv::Mat &pane, const std::string &text)
{
    cv::rectangle(pane, cv::Point(0, 0), cv::Point(pane.cols, 18), cv::Scalar(30, 30, 30),
                  cv::FILLED);
    cv::putText(pane, text, cv::Point(4, 13), cv::FONT_HERSHEY_SIMPLEX, 0.42,
                cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

QString imageTag(const QByteArray &bytes, const QString &mime, const QString &alt)
{
    return QStringLiteral("<img alt=\"%1\" src=\"data:%2;base64,%3\">")
        .arg(escape(alt), mime, QString::fromLatin1(bytes.toBase64()));
}

const char *kStyle = R"(
body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px} td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
.better{font-weight:bold;background:#e3f5e1} .worse{color:#b00020} .note{color:#555;font-size:13px}
.banner{background:#fff4ce;border:1px solid #e0c060;padding:8px;margin:8px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:10px;align-items:start}
.charts img{width:100%;border:1px solid #ddd} .images img{max-width:100%;margin:6px 0}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;color:#fff;font-size:12px}
)";

} // namespace

QJsonObject comparisonToJson(const Comparison &c, float confidence)
{
    QJsonArray header;
    for (const HeaderRow &r : headerRows(c, confidence)) {
        header.append(
            QJsonObject{{QStringLiteral("metric"), r.name},
                        {QStringLiteral("a"), r.a},
                        {QStringLiteral("b"), r.b},
                        {QStringLiteral("delta"), r.delta()},
                        {QStringLiteral("delta_percent"), number(r.deltaPercent())},
                        {QStringLiteral("better"), r.better() > 0   ? QStringLiteral("B")
                                                   : r.better() < 0 ? QStringLiteral("A")
                                                                    : QStringLiteral("=")}});
    }
    QJsonArray classes;
    for (const ClassComparison &r : classComparisons(c)) {
        classes.append(QJsonObject{{QStringLiteral("class"), r.cls},
                                   {QStringLiteral("name"), r.name},
                                   {QStringLiteral("instances"), r.instances},
                                   {QStringLiteral("ap50_a"), r.ap50A},
                                   {QStringLiteral("ap50_b"), r.ap50B},
                                   {QStringLiteral("ap50_95_a"), r.ap50_95A},
                                   {QStringLiteral("ap50_95_b"), r.ap50_95B},
                                   {QStringLiteral("delta_ap50_95"), r.deltaAp50_95()},
                                   {QStringLiteral("p_a"), r.pA},
                                   {QStringLiteral("p_b"), r.pB},
                                   {QStringLiteral("r_a"), r.rA},
                                   {QStringLiteral("r_b"), r.rB}});
    }
    const std::vector<ImageComparison> images = compareImages(c.a.matches, c.b.matches, confidence);
    const ComparisonSummary s = summarise(images);
    QJsonArray perImage;
    for (int i : rankImages(images, DisagreementOrder::Disagreement)) {
        const ImageComparison &r = images[i];
        perImage.append(QJsonObject{{QStringLiteral("image"), c.a.predictions.images[i].imagePath},
                                    {QStringLiteral("labels"), r.labels},
                                    {QStringLiteral("tp_a"), r.tpA},
                                    {QStringLiteral("fp_a"), r.fpA},
                                    {QStringLiteral("fn_a"), r.fnA},
                                    {QStringLiteral("tp_b"), r.tpB},
                                    {QStringLiteral("fp_b"), r.fpB},
                                    {QStringLiteral("fn_b"), r.fnB},
                                    {QStringLiteral("only_a"), r.onlyA},
                                    {QStringLiteral("only_b"), r.onlyB},
                                    {QStringLiteral("both_miss"), r.bothMiss},
                                    {QStringLiteral("disagreement"), r.disagreement()}});
    }
    QJsonArray layers;
    for (const LayerChange &l : c.layers)
        layers.append(QJsonObject{{QStringLiteral("layer"), l.layer},
                                  {QStringLiteral("relative_l2_change"), l.relativeChange},
                                  {QStringLiteral("parameters"), double(l.parameters)}});
    QJsonArray names;
    for (const QString &n : c.names)
        names.append(n);
    const EvaluationSettings &e = c.settings;
    return QJsonObject{
        {QStringLiteral("settings"),
         QJsonObject{{QStringLiteral("data"), e.dataYaml},
                     {QStringLiteral("split"), e.split},
                     {QStringLiteral("imgsz"), e.imgsz},
                     {QStringLiteral("batch"), e.batch},
                     {QStringLiteral("rect"), e.rect},
                     {QStringLiteral("conf"), double(e.conf)},
                     {QStringLiteral("iou"), double(e.iou)},
                     {QStringLiteral("max_det"), e.maxDet},
                     {QStringLiteral("images"), int(c.a.predictions.images.size())},
                     {QStringLiteral("match_iou"), double(kCompareMatchIou)},
                     {QStringLiteral("confusion_conf"), double(kConfusionConf)},
                     {QStringLiteral("confusion_iou"), double(kConfusionIou)}}},
        {QStringLiteral("names"), names},
        {QStringLiteral("confidence"), double(confidence)},
        {QStringLiteral("same_weights"), c.sameWeights},
        {QStringLiteral("a"), modelJson(c.a)},
        {QStringLiteral("b"), modelJson(c.b)},
        {QStringLiteral("header"), header},
        {QStringLiteral("per_class"), classes},
        {QStringLiteral("summary"), QJsonObject{{QStringLiteral("only_a"), s.onlyA},
                                                {QStringLiteral("only_b"), s.onlyB},
                                                {QStringLiteral("both_miss"), s.bothMiss},
                                                {QStringLiteral("both_find"), s.bothFind},
                                                {QStringLiteral("text"), s.sentence()}}},
        {QStringLiteral("bootstrap"),
         QJsonObject{{QStringLiteral("delta_map50_95"), c.bootstrap.delta},
                     {QStringLiteral("low"), c.bootstrap.low},
                     {QStringLiteral("high"), c.bootstrap.high},
                     {QStringLiteral("resamples"), c.bootstrap.resamples},
                     {QStringLiteral("seed"), double(c.bootstrap.seed)},
                     {QStringLiteral("significant"), c.bootstrap.significant()}}},
        {QStringLiteral("images"), perImage},
        {QStringLiteral("layers"), layers},
        {QStringLiteral("warnings"), QJsonArray::fromStringList(c.warnings)},
    };
}

QByteArray drawImageComparison(const Comparison &c, int index, float confidence, int maxSide)
{
    if (index < 0 || index >= int(c.a.predictions.images.size()))
        return {};
    const ImagePredictions &image = c.a.predictions.images[index];
    const cv::Mat original = loadImage(image.imagePath, nullptr);
    if (original.empty())
        return {};
    const double scale = double(maxSide) / std::max(original.cols, original.rows);
    cv::Mat base;
    cv::resize(original, base, cv::Size(), scale, scale, cv::INTER_AREA);
    const int thickness = 2;

    cv::Mat truth = base.clone();
    for (const GroundTruth &g : image.labels)
        drawBox(truth, g.x1, g.y1, g.x2, g.y2, scale, kLabel, thickness);
    caption(truth, "ground truth: " + std::to_string(image.labels.size()) + " objects");

    const auto pane = [&](const ComparedModel &m, const char *name) {
        cv::Mat out = base.clone();
        const ImagePredictions &p = m.predictions.images[index];
        const ImageMatches &match = m.matches[index];
        for (size_t l = 0; l < p.labels.size(); ++l) {
            if (!match.found(int(l), confidence))
                drawBox(out, p.labels[l].x1, p.labels[l].y1, p.labels[l].x2, p.labels[l].y2, scale,
                        kMissed, thickness, true);
        }
        for (size_t k = 0; k < p.detections.size() && k < match.outcome.size(); ++k) {
            const Detection &d = p.detections[k];
            if (d.conf < confidence)
                continue;
            const cv::Scalar colour =
                match.outcome[k] == DetectionOutcome::TruePositive ? kTruePositive
                : match.outcome[k] == DetectionOutcome::WrongClass ? kWrongClass
                                                                   : kFalsePositive;
            drawBox(out, d.x1, d.y1, d.x2, d.y2, scale, colour, thickness);
        }
        caption(out, std::string(name) + ": " + QFileInfo(m.info.path).fileName().toStdString());
        return out;
    };
    cv::Mat a = pane(c.a, "A"), b = pane(c.b, "B");
    const cv::Mat gap(base.rows, 6, base.type(), cv::Scalar(255, 255, 255));
    cv::Mat row;
    cv::hconcat(std::vector<cv::Mat>{truth, gap, a, gap, b}, row);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", row, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    return QByteArray(reinterpret_cast<const char *>(jpeg.data()), qsizetype(jpeg.size()));
}

Status writeComparisonReport(const QString &dir, const Comparison &c, float confidence,
                             const std::vector<ChartImage> &charts, int imagesShown)
{
    const QFileInfo target(dir);
    if (target.exists() && !QFileInfo::exists(dir + QStringLiteral("/compare.json")))
        return Status::fail(
            QStringLiteral("%1 exists and is not a comparison report: choose another name")
                .arg(dir));
    const QString parent = target.absolutePath();
    if (!QDir().mkpath(parent))
        return Status::fail(QStringLiteral("%1: cannot create the folder").arg(parent));
    const QString staging = QStringLiteral("%1/.%2.tmp-%3")
                                .arg(parent, target.fileName())
                                .arg(QCoreApplication::applicationPid());
    QDir(staging).removeRecursively();
    if (!QDir().mkpath(staging))
        return Status::fail(QStringLiteral("%1: cannot create the folder").arg(staging));
    const auto fail = [&](const QString &message) {
        QDir(staging).removeRecursively();
        return Status::fail(message);
    };
    const auto write = [&](const QString &name, const QByteArray &bytes) {
        QFile f(staging + QLatin1Char('/') + name);
        return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.flush();
    };

    const QJsonObject json = comparisonToJson(c, confidence);
    if (!write(QStringLiteral("compare.json"), QJsonDocument(json).toJson()))
        return fail(QStringLiteral("%1: cannot write compare.json").arg(dir));
    for (const ChartImage &chart : charts) {
        if (!write(chart.fileName, chart.png))
            return fail(QStringLiteral("%1: cannot write %2").arg(dir, chart.fileName));
    }

    // report.html: one file, every image inline, no script and no network.
    const QString nameA = QFileInfo(c.a.info.path).fileName();
    const QString nameB = QFileInfo(c.b.info.path).fileName();
    QString html;
    html += QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>YoloDeck: "
                           "%1 vs %2</title><style>%3</style></head><body>")
                .arg(escape(nameA), escape(nameB), QString::fromLatin1(kStyle));
    html += QStringLiteral("<h1>%1 (A) vs %2 (B)</h1>").arg(escape(nameA), escape(nameB));
    html += QStringLiteral("<p class=\"note\">%1 · %2 images of %3 · TP/FP/FN at confidence %4 "
                           "(IoU %5)</p>")
                .arg(escape(c.settings.describe()))
                .arg(c.a.predictions.images.size())
                .arg(escape(c.settings.dataYaml))
                .arg(double(confidence))
                .arg(double(kCompareMatchIou));
    if (c.sameWeights)
        html += QStringLiteral("<div class=\"banner\">A and B hold the same weights: the model "
                               "was evaluated once.</div>");
    for (const QString &w : c.warnings)
        html += QStringLiteral("<div class=\"banner\">%1</div>").arg(escape(w));

    html += QStringLiteral("<h2>Files</h2><table><tr><th></th><th>file</th><th>kind</th>"
                           "<th>epoch</th><th>fitness</th><th>date</th><th>size</th></tr>");
    for (const auto *m : {&c.a, &c.b}) {
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td>"
                               "<td>%6</td><td>%7 MB</td></tr>")
                    .arg(m == &c.a ? QStringLiteral("A") : QStringLiteral("B"),
                         escape(m->info.path), escape(m->info.kind))
                    .arg(m->info.epoch)
                    .arg(fmt(m->metrics.fitness()),
                         m->info.created.toLocalTime().toString(QStringLiteral("yyyy-MM-dd hh:mm")))
                    .arg(m->info.size / 1e6, 0, 'f', 1);
    }
    html += QStringLiteral("</table>");

    html += QStringLiteral("<h2>Metrics</h2><table><tr><th>metric</th><th>A</th><th>B</th>"
                           "<th>Δ</th><th>Δ %</th></tr>");
    for (const HeaderRow &r : headerRows(c, confidence)) {
        const int decimals = r.integer ? 0 : (r.name == QLatin1String("ms/image") ? 1 : 4);
        const QString classA = r.better() < 0 ? QStringLiteral(" class=\"better\"") : QString();
        const QString classB = r.better() > 0 ? QStringLiteral(" class=\"better\"") : QString();
        html += QStringLiteral("<tr><td>%1</td><td%2>%3</td><td%4>%5</td><td>%6</td><td>%7</td>"
                               "</tr>")
                    .arg(escape(r.name), classA, fmt(r.a, decimals), classB, fmt(r.b, decimals),
                         signedFmt(r.delta(), decimals), signedFmt(r.deltaPercent(), 1));
    }
    html += QStringLiteral("</table>");
    const std::vector<ImageComparison> images = compareImages(c.a.matches, c.b.matches, confidence);
    html += QStringLiteral("<p>%1</p>").arg(escape(summarise(images).sentence()));
    const BootstrapInterval &bs = c.bootstrap;
    html += QStringLiteral("<p>Δ mAP50-95 (B − A) = %1, 95% interval [%2, %3] over %4 bootstrap "
                           "resamples of the images (seed %5): <b>%6</b></p>")
                .arg(signedFmt(bs.delta), signedFmt(bs.low), signedFmt(bs.high))
                .arg(bs.resamples)
                .arg(bs.seed)
                .arg(bs.significant() ? QStringLiteral("significant")
                                      : QStringLiteral("not significant"));

    html += QStringLiteral("<h2>Per class (regressions first)</h2><table><tr><th>class</th>"
                           "<th>instances</th><th>AP50 A</th><th>AP50 B</th><th>AP50-95 A</th>"
                           "<th>AP50-95 B</th><th>Δ AP50-95</th><th>P A</th><th>P B</th>"
                           "<th>R A</th><th>R B</th></tr>");
    for (const ClassComparison &r : classComparisons(c)) {
        html += QStringLiteral("<tr><td>%1</td><td>%2</td><td>%3</td><td>%4</td><td>%5</td>"
                               "<td>%6</td><td%7>%8</td><td>%9</td><td>%10</td><td>%11</td>"
                               "<td>%12</td></tr>")
                    .arg(escape(r.name))
                    .arg(r.instances)
                    .arg(fmt(r.ap50A), fmt(r.ap50B), fmt(r.ap50_95A), fmt(r.ap50_95B),
                         r.deltaAp50_95() < 0 ? QStringLiteral(" class=\"worse\"") : QString(),
                         signedFmt(r.deltaAp50_95()), fmt(r.pA), fmt(r.pB), fmt(r.rA))
                    .arg(fmt(r.rB));
    }
    html += QStringLiteral("</table>");

    if (!charts.empty()) {
        html += QStringLiteral("<h2>Charts</h2><div class=\"charts\">");
        for (const ChartImage &chart : charts)
            html += imageTag(chart.png, QStringLiteral("image/png"), chart.title);
        html += QStringLiteral("</div>");
    }

    const std::vector<int> ranked = rankImages(images, DisagreementOrder::Disagreement);
    const int shown = std::min<int>(imagesShown, int(ranked.size()));
    html += QStringLiteral("<h2>The %1 images the models disagree on most</h2>").arg(shown);
    html += QStringLiteral("<p class=\"legend\"><span style=\"background:#3cb43c\">true positive"
                           "</span><span style=\"background:#e63232\">false positive</span>"
                           "<span style=\"background:#ff9600\">wrong class</span><span "
                           "style=\"background:#c828c8\">missed (dashed)</span><span "
                           "style=\"background:#888\">ground truth (white)</span></p>"
                           "<div class=\"images\">");
    for (int k = 0; k < shown; ++k) {
        const ImageComparison &r = images[ranked[k]];
        const QString path = c.a.predictions.images[ranked[k]].imagePath;
        html += QStringLiteral("<p>%1. %2: %3 objects; A TP %4 FP %5 FN %6; B TP %7 FP %8 FN %9; "
                               "only A %10, only B %11</p>")
                    .arg(k + 1)
                    .arg(escape(QFileInfo(path).fileName()))
                    .arg(r.labels)
                    .arg(r.tpA)
                    .arg(r.fpA)
                    .arg(r.fnA)
                    .arg(r.tpB)
                    .arg(r.fpB)
                    .arg(r.fnB)
                    .arg(r.onlyA)
                    .arg(r.onlyB);
        const QByteArray jpeg = drawImageComparison(c, ranked[k], confidence);
        if (!jpeg.isEmpty())
            html += imageTag(jpeg, QStringLiteral("image/jpeg"), QFileInfo(path).fileName());
    }
    html += QStringLiteral("</div><p class=\"note\">Written by YoloDeck on %1.</p></body></html>")
                .arg(QDateTime::currentDateTime().toString(Qt::ISODate));
    if (!write(QStringLiteral("report.html"), html.toUtf8()))
        return fail(QStringLiteral("%1: cannot write report.html").arg(dir));

    // Into place: the old report (if any) goes only once the new one is complete.
    if (target.exists() && !QDir(dir).removeRecursively())
        return fail(QStringLiteral("%1: cannot replace the previous report").arg(dir));
    if (!QDir().rename(staging, dir))
        return fail(QStringLiteral("%1: cannot move the report into place").arg(dir));
    syncDirectory(parent);
    return okStatus();
}

} // namespace yolodeck
