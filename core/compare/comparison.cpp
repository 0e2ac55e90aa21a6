#include "core/compare/comparison.h"

#include <QJsonArray>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace yolodeck {

namespace {

// Count of values >= c in a descending vector.
int countAtLeast(const std::vector<float> &descending, float c)
{
    return int(std::partition_point(descending.begin(), descending.end(),
                                    [c](float v) { return v >= c; }) -
               descending.begin());
}

// numpy.percentile's default (linear interpolation between closest ranks) of sorted values.
double percentile(const std::vector<double> &sorted, double q)
{
    if (sorted.empty())
        return 0.0;
    const double pos = q * double(sorted.size() - 1);
    const size_t lo = size_t(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - double(lo)) * (sorted[hi] - sorted[lo]);
}

History historyOf(const CheckpointInfo &info)
{
    History out;
    for (const QJsonValue &v : info.meta.value(QStringLiteral("history")).toArray())
        out.push_back(EpochRecord::fromJson(v.toObject()));
    return out;
}

ComparedModel compared(const CheckpointInfo &info, PredictionSet set)
{
    ComparedModel m;
    m.info = info;
    m.predictions = std::move(set);
    m.metrics = metricsOf(m.predictions);
    m.matches = matchImages(m.predictions);
    m.confusion = confusionMatrix(m.predictions);
    m.history = historyOf(info);
    return m;
}

} // namespace

int ImageMatches::truePositives(float c) const
{
    int n = 0;
    for (float f : labelFoundAt)
        n += f >= c ? 1 : 0;
    return n;
}

int ImageMatches::falsePositives(float c) const
{
    return countAtLeast(falsePositiveConf, c);
}

int ImageMatches::falseNegatives(float c) const
{
    return int(labelFoundAt.size()) - truePositives(c);
}

ImageMatches matchImage(const ImagePredictions &image)
{
    ImageMatches m;
    std::vector<size_t> order(image.detections.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return image.detections[a].conf > image.detections[b].conf;
    });
    m.labelFoundAt.assign(image.labels.size(), -1.0f);
    const size_t n = image.detections.size();
    m.conf.resize(n);
    m.outcome.resize(n);
    m.label.resize(n);
    for (size_t k : order) {
        const Detection &d = image.detections[k];
        int best = -1;
        float bestIou = kCompareMatchIou;
        bool overlapsOtherClass = false;
        for (size_t l = 0; l < image.labels.size(); ++l) {
            const GroundTruth &g = image.labels[l];
            const float v = boxIou(g, d);
            if (v < kCompareMatchIou)
                continue;
            if (g.cls != d.cls) {
                overlapsOtherClass = true;
            } else if (m.labelFoundAt[l] < 0 && v >= bestIou) {
                bestIou = v;
                best = int(l);
            }
        }
        m.conf[k] = d.conf;
        m.label[k] = best;
        if (best >= 0) {
            m.labelFoundAt[best] = d.conf;
            m.outcome[k] = DetectionOutcome::TruePositive;
        } else {
            m.outcome[k] =
                overlapsOtherClass ? DetectionOutcome::WrongClass : DetectionOutcome::FalsePositive;
            m.falsePositiveConf.push_back(d.conf); // descending: visited in confidence order
        }
    }
    return m;
}

std::vector<ImageMatches> matchImages(const PredictionSet &set)
{
    std::vector<ImageMatches> out;
    out.reserve(set.images.size());
    for (const ImagePredictions &image : set.images)
        out.push_back(matchImage(image));
    return out;
}

std::vector<std::pair<int, int>> confusionCells(const ImagePredictions &image, int nc, float conf,
                                                float iouThreshold)
{
    std::vector<std::pair<int, int>> cells;
    std::vector<const Detection *> dets;
    for (const Detection &d : image.detections) {
        if (d.conf > conf && d.cls >= 0 && d.cls < nc)
            dets.push_back(&d);
    }
    std::vector<const GroundTruth *> gts;
    for (const GroundTruth &g : image.labels) {
        if (g.cls >= 0 && g.cls < nc)
            gts.push_back(&g);
    }
    // Candidate pairs above the IoU, best first; one per detection, then one per label.
    struct Pair
    {
        int gt, det;
        float iou;
    };
    std::vector<Pair> pairs;
    for (size_t g = 0; g < gts.size(); ++g) {
        for (size_t d = 0; d < dets.size(); ++d) {
            const float v = boxIou(*gts[g], *dets[d]);
            if (v > iouThreshold)
                pairs.push_back({int(g), int(d), v});
        }
    }
    const auto byIou = [](const Pair &a, const Pair &b) { return a.iou > b.iou; };
    std::stable_sort(pairs.begin(), pairs.end(), byIou);
    std::vector<bool> detUsed(dets.size(), false), gtUsed(gts.size(), false);
    std::vector<Pair> perDet;
    for (const Pair &p : pairs) {
        if (!detUsed[p.det]) {
            detUsed[p.det] = true;
            perDet.push_back(p);
        }
    }
    std::vector<int> gtMatch(gts.size(), -1);
    std::vector<bool> detMatched(dets.size(), false);
    for (const Pair &p : perDet) {
        if (!gtUsed[p.gt]) {
            gtUsed[p.gt] = true;
            gtMatch[p.gt] = p.det;
            detMatched[p.det] = true;
        }
    }
    for (size_t g = 0; g < gts.size(); ++g) {
        if (gtMatch[g] >= 0)
            cells.emplace_back(dets[gtMatch[g]]->cls, gts[g]->cls);
        else
            cells.emplace_back(nc, gts[g]->cls);
    }
    for (size_t d = 0; d < dets.size(); ++d) {
        if (!detMatched[d])
            cells.emplace_back(dets[d]->cls, nc);
    }
    return cells;
}

ConfusionMatrix confusionMatrix(const PredictionSet &set, float conf, float iouThreshold)
{
    ConfusionMatrix m;
    m.nc = set.names.size();
    const int side = m.nc + 1;
    m.counts.assign(size_t(side) * side, 0.0);
    m.cellImages.assign(size_t(side) * side, {});
    for (size_t i = 0; i < set.images.size(); ++i) {
        for (const auto &[pred, truth] : confusionCells(set.images[i], m.nc, conf, iouThreshold)) {
            const size_t cell = size_t(pred) * side + truth;
            m.counts[cell] += 1;
            std::vector<int> &images = m.cellImages[cell];
            if (images.empty() || images.back() != int(i))
                images.push_back(int(i));
        }
    }
    return m;
}

ConfusionMatrix ConfusionMatrix::normalised() const
{
    ConfusionMatrix out = *this;
    const int side = nc + 1;
    for (int t = 0; t < side; ++t) {
        double sum = 0;
        for (int p = 0; p < side; ++p)
            sum += at(p, t);
        for (int p = 0; p < side; ++p)
            out.counts[size_t(p) * side + t] = at(p, t) / (sum + 1e-9);
    }
    return out;
}

DetectionMetrics metricsOf(const PredictionSet &set)
{
    MetricsAccumulator accumulator(set.names.size());
    for (const ImagePredictions &image : set.images)
        accumulator.addImage(image.detections, image.labels);
    return accumulator.compute(set.names);
}

int ImageComparison::disagreement() const
{
    return onlyA + onlyB + std::abs(fpA - fpB);
}

std::vector<ImageComparison> compareImages(const std::vector<ImageMatches> &a,
                                           const std::vector<ImageMatches> &b, float c)
{
    const size_t n = std::min(a.size(), b.size());
    std::vector<ImageComparison> out(n);
    for (size_t i = 0; i < n; ++i) {
        ImageComparison &r = out[i];
        r.image = int(i);
        r.labels = int(a[i].labelFoundAt.size());
        for (int l = 0; l < r.labels; ++l) {
            const bool fa = a[i].found(l, c);
            const bool fb = l < int(b[i].labelFoundAt.size()) && b[i].found(l, c);
            r.tpA += fa;
            r.tpB += fb;
            r.onlyA += fa && !fb;
            r.onlyB += fb && !fa;
            r.bothMiss += !fa && !fb;
        }
        r.fnA = r.labels - r.tpA;
        r.fnB = r.labels - r.tpB;
        r.fpA = a[i].falsePositives(c);
        r.fpB = b[i].falsePositives(c);
    }
    return out;
}

ComparisonSummary summarise(const std::vector<ImageComparison> &images)
{
    ComparisonSummary s;
    for (const ImageComparison &r : images) {
        s.onlyA += r.onlyA;
        s.onlyB += r.onlyB;
        s.bothMiss += r.bothMiss;
        s.bothFind += r.labels - r.onlyA - r.onlyB - r.bothMiss;
        s.tpA += r.tpA;
        s.fpA += r.fpA;
        s.fnA += r.fnA;
        s.tpB += r.tpB;
        s.fpB += r.fpB;
        s.fnB += r.fnB;
    }
    return s;
}

QString ComparisonSummary::sentence() const
{
    return QStringLiteral("B finds %1 objects that A misses and misses %2 that A finds; both miss "
                          "%3. False positives: A %4, B %5.")
        .arg(onlyB)
        .arg(onlyA)
        .arg(bothMiss)
        .arg(fpA)
        .arg(fpB);
}

std::vector<int> rankImages(const std::vector<ImageComparison> &images, DisagreementOrder order)
{
    const auto key = [order](const ImageComparison &r) -> std::pair<int, int> {
        switch (order) {
        case DisagreementOrder::BMissesAFinds:
            return {r.onlyA, r.disagreement()};
        case DisagreementOrder::BAddsFalsePositives:
            return {r.fpB - r.fpA, r.disagreement()};
        case DisagreementOrder::BothWrong:
            return {r.bothMiss + std::min(r.fpA, r.fpB), r.disagreement()};
        case DisagreementOrder::Disagreement:
            break;
        }
        return {r.disagreement(), r.onlyA + r.onlyB};
    };
    std::vector<int> idx(images.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int x, int y) { return key(images[x]) > key(images[y]); });
    return idx;
}

BootstrapInterval bootstrapMapDelta(const PredictionSet &a, const PredictionSet &b, int resamples,
                                    quint64 seed, const std::atomic<bool> *cancel)
{
    BootstrapInterval out;
    out.seed = seed;
    MetricsAccumulator accA(a.names.size()), accB(b.names.size());
    for (const ImagePredictions &image : a.images)
        accA.addImage(image.detections, image.labels);
    for (const ImagePredictions &image : b.images)
        accB.addImage(image.detections, image.labels);
    out.delta = accB.compute(b.names).map50_95 - accA.compute(a.names).map50_95;
    const size_t n = std::min(a.images.size(), b.images.size());
    if (n == 0 || a.images.size() != b.images.size())
        return out;
    // mt19937_64 with a plain modulo: the same seed draws the same images on every platform
    // (std::uniform_int_distribution is implementation-defined). The bias of the modulo is below
    // 1e-15 for any split size.
    std::mt19937_64 rng(seed);
    std::vector<int> weights(n);
    std::vector<double> deltas;
    deltas.reserve(resamples);
    for (int r = 0; r < resamples; ++r) {
        if (cancel && cancel->load())
            return out;
        std::fill(weights.begin(), weights.end(), 0);
        for (size_t k = 0; k < n; ++k)
            ++weights[rng() % n];
        deltas.push_back(accB.map50_95(weights) - accA.map50_95(weights));
    }
    std::sort(deltas.begin(), deltas.end());
    out.low = percentile(deltas, 0.025);
    out.high = percentile(deltas, 0.975);
    out.resamples = resamples;
    return out;
}

double HeaderRow::deltaPercent() const
{
    return a != 0 ? (b - a) / std::abs(a) * 100.0 : std::nan("");
}

int HeaderRow::better() const
{
    if (a == b)
        return 0;
    const bool bHigher = b > a;
    return bHigher != lowerIsBetter ? 1 : -1;
}

std::vector<HeaderRow> headerRows(const Comparison &comparison, float c)
{
    const DetectionMetrics &ma = comparison.a.metrics;
    const DetectionMetrics &mb = comparison.b.metrics;
    const auto f1 = [](const DetectionMetrics &m) {
        return 2 * m.precision * m.recall / (m.precision + m.recall + 1e-16);
    };
    const ComparisonSummary s =
        summarise(compareImages(comparison.a.matches, comparison.b.matches, c));
    const PredictionSet &pa = comparison.a.predictions;
    const PredictionSet &pb = comparison.b.predictions;
    return {
        {QStringLiteral("P"), ma.precision, mb.precision},
        {QStringLiteral("R"), ma.recall, mb.recall},
        {QStringLiteral("F1"), f1(ma), f1(mb)},
        {QStringLiteral("mAP50"), ma.map50, mb.map50},
        {QStringLiteral("mAP50-95"), ma.map50_95, mb.map50_95},
        {QStringLiteral("fitness"), ma.fitness(), mb.fitness()},
        {QStringLiteral("TP"), double(s.tpA), double(s.tpB), false, true},
        {QStringLiteral("FP"), double(s.fpA), double(s.fpB), true, true},
        {QStringLiteral("FN"), double(s.fnA), double(s.fnB), true, true},
        {QStringLiteral("val/box_loss"), pa.loss[0], pb.loss[0], true},
        {QStringLiteral("val/cls_loss"), pa.loss[1], pb.loss[1], true},
        {QStringLiteral("val/dfl_loss"), pa.loss[2], pb.loss[2], true},
        {QStringLiteral("ms/image"), pa.msPerImage, pb.msPerImage, true},
    };
}

std::vector<ClassComparison> classComparisons(const Comparison &comparison)
{
    std::vector<ClassComparison> rows;
    const auto &classesB = comparison.b.metrics.perClass;
    for (const ClassMetrics &ca : comparison.a.metrics.perClass) {
        ClassComparison r;
        r.cls = ca.cls;
        r.name = ca.name;
        r.instances = ca.instances;
        r.ap50A = ca.ap50;
        r.ap50_95A = ca.ap50_95;
        r.pA = ca.precision;
        r.rA = ca.recall;
        const auto cb = std::find_if(classesB.begin(), classesB.end(),
                                     [&](const ClassMetrics &m) { return m.cls == ca.cls; });
        if (cb != classesB.end()) {
            r.ap50B = cb->ap50;
            r.ap50_95B = cb->ap50_95;
            r.pB = cb->precision;
            r.rB = cb->recall;
        }
        rows.push_back(r);
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const ClassComparison &x, const ClassComparison &y) {
                         return x.deltaAp50_95() < y.deltaAp50_95();
                     });
    return rows;
}

Comparison buildComparison(const CheckpointInfo &infoA, PredictionSet setA,
                           const CheckpointInfo &infoB, PredictionSet setB, int resamples,
                           quint64 seed, const std::atomic<bool> *cancel)
{
    Comparison c;
    c.sameWeights = !setA.weightsHash.isEmpty() && setA.weightsHash == setB.weightsHash;
    c.settings = setA.settings;
    c.names = setA.names;
    c.bootstrap = bootstrapMapDelta(setA, setB, resamples, seed, cancel);
    c.a = compared(infoA, std::move(setA));
    c.b = compared(infoB, std::move(setB));
    const int images = int(c.a.predictions.images.size());
    if (images < kSmallSplitImages) {
        c.warnings << QStringLiteral("The split has only %1 images (fewer than %2): differences of "
                                     "a few hundredths in mAP are often chance; see the bootstrap "
                                     "interval.")
                          .arg(images)
                          .arg(kSmallSplitImages);
    }
    return c;
}

} // namespace yolodeck
