#include "core/eval/detectionmetrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace yolodeck {

namespace {

// Ultralytics' eps in box_iou (float32) and in ap_per_class (float64).
constexpr float kIouEps = 1e-7f;
constexpr double kEps = 1e-16;
// Width of the box filter applied to the mean F1 curve, as a fraction of its length
// (Ultralytics: smooth(f1.mean(0), 0.1)).
constexpr double kF1SmoothFraction = 0.1;
// Recall samples of the AP integral: COCO's 101-point interpolation.
constexpr int kApPoints = 101;

// numpy.linspace(0, 1, n): i * step, last sample exactly 1.
std::vector<double> linspace01(int n)
{
    std::vector<double> x(n);
    const double step = 1.0 / (n - 1);
    for (int i = 0; i < n; ++i)
        x[i] = i * step;
    x[n - 1] = 1.0;
    return x;
}

// numpy.interp(x, xp, fp, left, right) for non-decreasing xp. Where xp repeats a value, numpy
// takes the last of the repeated entries (it searches for the last xp[j] <= x); AP values depend
// on that, e.g. recall 1 maps to the appended precision 0, which is why a perfect class scores
// 0.995 and not 1.
double interp(double x, const std::vector<double> &xp, const std::vector<double> &fp, double left,
              double right)
{
    const size_t n = xp.size();
    if (x > xp[n - 1])
        return right;
    if (x < xp[0])
        return left;
    const size_t j =
        static_cast<size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
    if (j == n - 1 || xp[j] == x)
        return fp[j];
    const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    return slope * (x - xp[j]) + fp[j];
}

// numpy.trapz(y, x).
double trapezoid(const std::vector<double> &y, const std::vector<double> &x)
{
    double sum = 0;
    for (size_t i = 1; i < x.size(); ++i)
        sum += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
    return sum;
}

// Ultralytics' smooth(y, f): box filter of odd width round(len · f · 2) // 2 + 1, the ends padded
// with the edge values so that the output has the input's length.
std::vector<double> boxFilter(const std::vector<double> &y, double fraction)
{
    const int len = static_cast<int>(y.size());
    // Python's round() rounds halves to even, as nearbyint does in the default rounding mode.
    const int width = static_cast<int>(std::nearbyint(len * fraction * 2)) / 2 + 1;
    const int pad = width / 2;
    std::vector<double> padded;
    padded.reserve(len + 2 * pad);
    padded.insert(padded.end(), pad, y.front());
    padded.insert(padded.end(), y.begin(), y.end());
    padded.insert(padded.end(), pad, y.back());
    std::vector<double> out(len);
    const double weight = 1.0 / width;
    for (int i = 0; i < len; ++i) {
        double sum = 0;
        for (int k = 0; k < width; ++k)
            sum += padded[i + k] * weight;
        out[i] = sum;
    }
    return out;
}

// Ultralytics' compute_ap: add the (0, 1) and (1, 0) end points, take the precision envelope and
// integrate it over 101 recall points with the trapezoid rule. Fills prCurve (precision at
// kCurvePoints recall samples) when asked.
double averagePrecision(const std::vector<double> &recall, const std::vector<double> &precision,
                        std::vector<double> *prCurve)
{
    // Reused between calls: the bootstrap calls this tens of thousands of times.
    thread_local std::vector<double> mrec;
    thread_local std::vector<double> mpre;
    mrec.clear();
    mpre.clear();
    mrec.push_back(0.0);
    mpre.push_back(1.0);
    mrec.insert(mrec.end(), recall.begin(), recall.end());
    mpre.insert(mpre.end(), precision.begin(), precision.end());
    mrec.push_back(1.0);
    mpre.push_back(0.0);
    for (size_t i = mpre.size() - 1; i-- > 0;)
        mpre[i] = std::max(mpre[i], mpre[i + 1]);

    static const std::vector<double> apRecall = linspace01(kApPoints);
    thread_local std::vector<double> sampled;
    sampled.resize(apRecall.size());
    for (size_t i = 0; i < apRecall.size(); ++i)
        sampled[i] = interp(apRecall[i], mrec, mpre, mpre.front(), mpre.back());

    if (prCurve) {
        static const std::vector<double> curveRecall = linspace01(kCurvePoints);
        prCurve->resize(curveRecall.size());
        for (size_t i = 0; i < curveRecall.size(); ++i)
            (*prCurve)[i] = interp(curveRecall[i], mrec, mpre, mpre.front(), mpre.back());
    }
    return trapezoid(sampled, apRecall);
}

} // namespace

float boxIou(const GroundTruth &a, const Detection &b)
{
    const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
    const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
    const float inter = w * h;
    const float areaA = (a.x2 - a.x1) * (a.y2 - a.y1);
    const float areaB = (b.x2 - b.x1) * (b.y2 - b.y1);
    return inter / (areaA + areaB - inter + kIouEps);
}

const std::array<float, kIouThresholdCount> &MetricsAccumulator::iouThresholds()
{
    // torch.linspace(0.5, 0.95, 10) on the CPU: float32 step, the first half counted up from the
    // start and the second half down from the end.
    static const std::array<float, kIouThresholdCount> thresholds = [] {
        std::array<float, kIouThresholdCount> t{};
        const float start = 0.5f, end = 0.95f;
        const float step = (end - start) / static_cast<float>(kIouThresholdCount - 1);
        for (int i = 0; i < kIouThresholdCount; ++i) {
            t[i] = i < kIouThresholdCount / 2
                       ? start + step * static_cast<float>(i)
                       : end - step * static_cast<float>(kIouThresholdCount - 1 - i);
        }
        return t;
    }();
    return thresholds;
}

MetricsAccumulator::MetricsAccumulator(int nc)
    : m_nc(std::max(nc, 0))
    , m_instances(m_nc, 0)
    , m_imagesWith(m_nc, 0)
{}

void MetricsAccumulator::addImage(const std::vector<Detection> &detections,
                                  const std::vector<GroundTruth> &labels)
{
    ++m_images;
    const auto validClass = [this](int c) { return c >= 0 && c < m_nc; };

    std::vector<GroundTruth> gts;
    gts.reserve(labels.size());
    std::vector<bool> present(m_nc, false);
    std::vector<int> labelClasses;
    for (const GroundTruth &g : labels) {
        if (!validClass(g.cls))
            continue;
        gts.push_back(g);
        labelClasses.push_back(g.cls);
        ++m_instances[g.cls];
        present[g.cls] = true;
    }
    const int image = static_cast<int>(m_imageLabelClasses.size());
    m_imageLabelClasses.push_back(std::move(labelClasses));
    for (int c = 0; c < m_nc; ++c)
        m_imagesWith[c] += present[c] ? 1 : 0;

    std::vector<Detection> dets;
    dets.reserve(detections.size());
    for (const Detection &d : detections) {
        if (validClass(d.cls))
            dets.push_back(d);
    }

    // Each detection's best same-class label. Ultralytics sorts the candidate pairs by IoU with
    // an ascending argsort reversed, so of two equal IoUs the later label comes first; ">=" below
    // reproduces that. The best label is the same at every threshold the IoU passes.
    const size_t nd = dets.size();
    std::vector<int> bestLabel(nd, -1);
    std::vector<float> bestIou(nd, 0.0f);
    for (size_t d = 0; d < nd; ++d) {
        for (size_t l = 0; l < gts.size(); ++l) {
            if (gts[l].cls != dets[d].cls)
                continue;
            const float iou = boxIou(gts[l], dets[d]);
            if (iou >= bestIou[d] && iou > 0.0f) {
                bestIou[d] = iou;
                bestLabel[d] = static_cast<int>(l);
            }
        }
    }

    const auto &thresholds = iouThresholds();
    std::vector<Prediction> added(nd);
    for (size_t d = 0; d < nd; ++d) {
        added[d].conf = dets[d].conf;
        added[d].cls = dets[d].cls;
        added[d].image = image;
        added[d].correct.fill(false);
    }
    std::vector<bool> labelTaken(gts.size());
    for (int t = 0; t < kIouThresholdCount; ++t) {
        std::fill(labelTaken.begin(), labelTaken.end(), false);
        // One detection per label: the earliest detection that chose it (Ultralytics' second
        // np.unique runs on pairs already ordered by detection index).
        for (size_t d = 0; d < nd; ++d) {
            if (bestLabel[d] < 0 || bestIou[d] < thresholds[t] || labelTaken[bestLabel[d]])
                continue;
            labelTaken[bestLabel[d]] = true;
            added[d].correct[t] = true;
        }
    }
    m_predictions.insert(m_predictions.end(), added.begin(), added.end());
    m_order.clear();
}

const std::vector<size_t> &MetricsAccumulator::confidenceOrder() const
{
    // All predictions by descending confidence; stable so that ties keep the order of arrival.
    if (m_order.size() != m_predictions.size()) {
        m_order.resize(m_predictions.size());
        std::iota(m_order.begin(), m_order.end(), size_t{0});
        std::stable_sort(m_order.begin(), m_order.end(), [this](size_t a, size_t b) {
            return m_predictions[a].conf > m_predictions[b].conf;
        });
    }
    return m_order;
}

DetectionMetrics MetricsAccumulator::compute(const QStringList &names) const
{
    DetectionMetrics result;
    result.images = m_images;
    result.instances = std::accumulate(m_instances.begin(), m_instances.end(), 0);

    std::vector<int> classes;
    for (int c = 0; c < m_nc; ++c) {
        if (m_instances[c] > 0)
            classes.push_back(c);
    }
    if (classes.empty())
        return result;

    const std::vector<size_t> &order = confidenceOrder();

    static const std::vector<double> confAxis = linspace01(kCurvePoints);
    const size_t nClasses = classes.size();
    std::vector<std::vector<double>> pCurves(nClasses, std::vector<double>(kCurvePoints, 0.0));
    std::vector<std::vector<double>> rCurves(nClasses, std::vector<double>(kCurvePoints, 0.0));

    for (size_t ci = 0; ci < nClasses; ++ci) {
        const int c = classes[ci];
        ClassMetrics cm;
        cm.cls = c;
        cm.name = c < names.size() ? names.at(c) : QString::number(c);
        cm.images = m_imagesWith[c];
        cm.instances = m_instances[c];
        cm.prCurve.assign(kCurvePoints, 0.0);

        std::vector<const Prediction *> preds;
        for (size_t i : order) {
            if (m_predictions[i].cls == c)
                preds.push_back(&m_predictions[i]);
        }
        if (preds.empty()) {
            result.perClass.push_back(std::move(cm));
            continue;
        }

        const size_t np = preds.size();
        // numpy.interp needs an increasing axis, hence -conf (Ultralytics interpolates at -x).
        std::vector<double> negConf(np);
        for (size_t k = 0; k < np; ++k)
            negConf[k] = -static_cast<double>(preds[k]->conf);

        for (int t = 0; t < kIouThresholdCount; ++t) {
            std::vector<double> recall(np), precision(np);
            double tp = 0, fp = 0;
            for (size_t k = 0; k < np; ++k) {
                if (preds[k]->correct[t])
                    tp += 1;
                else
                    fp += 1;
                recall[k] = tp / (cm.instances + kEps);
                precision[k] = tp / (tp + fp);
            }
            if (t == 0) {
                // Above the highest confidence nothing is predicted: recall 0, precision 1.
                for (int q = 0; q < kCurvePoints; ++q) {
                    rCurves[ci][q] = interp(-confAxis[q], negConf, recall, 0.0, recall.back());
                    pCurves[ci][q] =
                        interp(-confAxis[q], negConf, precision, 1.0, precision.back());
                }
            }
            cm.ap[t] = averagePrecision(recall, precision, t == 0 ? &cm.prCurve : nullptr);
        }
        cm.ap50 = cm.ap[0];
        cm.ap50_95 = std::accumulate(cm.ap.begin(), cm.ap.end(), 0.0) / kIouThresholdCount;
        cm.precisionCurve = pCurves[ci];
        cm.recallCurve = rCurves[ci];
        result.perClass.push_back(std::move(cm));
    }

    // P and R are read where the smoothed mean F1 over classes peaks (first peak, as argmax).
    std::vector<double> meanF1(kCurvePoints, 0.0);
    for (size_t ci = 0; ci < nClasses; ++ci) {
        for (int q = 0; q < kCurvePoints; ++q) {
            const double p = pCurves[ci][q], r = rCurves[ci][q];
            meanF1[q] += 2 * p * r / (p + r + kEps);
        }
    }
    for (double &f : meanF1)
        f /= static_cast<double>(nClasses);
    const std::vector<double> smoothed = boxFilter(meanF1, kF1SmoothFraction);
    const int best =
        static_cast<int>(std::max_element(smoothed.begin(), smoothed.end()) - smoothed.begin());
    result.confidence = confAxis[best];

    double sumP = 0, sumR = 0, sumAp50 = 0, sumAp = 0;
    for (size_t ci = 0; ci < nClasses; ++ci) {
        ClassMetrics &cm = result.perClass[ci];
        cm.precision = pCurves[ci][best];
        cm.recall = rCurves[ci][best];
        sumP += cm.precision;
        sumR += cm.recall;
        sumAp50 += cm.ap50;
        sumAp += cm.ap50_95;
    }
    result.precision = sumP / nClasses;
    result.recall = sumR / nClasses;
    result.map50 = sumAp50 / nClasses;
    result.map50_95 = sumAp / nClasses;
    return result;
}

double MetricsAccumulator::map50_95(const std::vector<int> &imageWeights) const
{
    if (imageWeights.size() != m_imageLabelClasses.size())
        return 0.0;
    std::vector<double> instances(m_nc, 0.0);
    for (size_t i = 0; i < imageWeights.size(); ++i) {
        for (int c : m_imageLabelClasses[i])
            instances[c] += imageWeights[i];
    }
    // A prediction of an image drawn w times stands w times in the ranking, next to its copies:
    // the cumulative TP/FP counts step through it w times.
    double sum = 0;
    int classes = 0;
    const std::vector<size_t> &order = confidenceOrder();
    for (int c = 0; c < m_nc; ++c) {
        if (instances[c] <= 0)
            continue;
        ++classes;
        std::vector<const Prediction *> preds;
        for (size_t i : order) {
            const Prediction &p = m_predictions[i];
            if (p.cls == c && imageWeights[p.image] > 0)
                preds.push_back(&p);
        }
        if (preds.empty())
            continue;
        double apSum = 0;
        std::vector<double> recall, precision;
        for (int t = 0; t < kIouThresholdCount; ++t) {
            recall.clear();
            precision.clear();
            double tp = 0, fp = 0;
            for (const Prediction *p : preds) {
                for (int w = 0; w < imageWeights[p->image]; ++w) {
                    if (p->correct[t])
                        tp += 1;
                    else
                        fp += 1;
                    recall.push_back(tp / (instances[c] + kEps));
                    precision.push_back(tp / (tp + fp));
                }
            }
            apSum += averagePrecision(recall, precision, nullptr);
        }
        sum += apSum / kIouThresholdCount;
    }
    return classes > 0 ? sum / classes : 0.0;
}

} // namespace yolodeck
