#include "ui/chartview.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

using namespace yolodeck;

namespace {
BatchProgress batch(int epoch, int index, int batches, double box, double lr = 0.01)
{
    BatchProgress p;
    p.epoch = epoch;
    p.epochs = 10;
    p.batch = index;
    p.batches = batches;
    p.globalStep = qint64(epoch - 1) * batches + index;
    p.loss = {box, box / 2, box / 4};
    p.lr = {lr, lr, lr};
    return p;
}

EpochRecord record(int epoch, double map50, double time)
{
    EpochRecord r;
    r.epoch = epoch;
    r.time = time;
    r.trainLoss = {1.0 / epoch, 0.5 / epoch, 0.25 / epoch};
    r.valLoss = {1.1 / epoch, 0.6 / epoch, 0.3 / epoch};
    r.precision = 0.5;
    r.recall = 0.4;
    r.map50 = map50;
    r.map50_95 = map50 / 2;
    r.fitness = 0.1 * map50 + 0.9 * map50 / 2;
    return r;
}

// The batch curves (3 raw, 3 smoothed) of two views hold the same points.
bool sameBatchCurves(const ChartView &a, const ChartView &b)
{
    for (int g = 0; g < 6; ++g) {
        const auto da = a.plot()->graph(g)->data();
        const auto db = b.plot()->graph(g)->data();
        if (da->size() != db->size()) {
            qWarning("graph %d: %d points instead of %d", g, da->size(), db->size());
            return false;
        }
        for (int i = 0; i < da->size(); ++i) {
            if (da->at(i)->key != db->at(i)->key ||
                std::abs(da->at(i)->value - db->at(i)->value) > 1e-12) {
                qWarning("graph %d point %d: (%g, %g) instead of (%g, %g)", g, i, da->at(i)->key,
                         da->at(i)->value, db->at(i)->key, db->at(i)->value);
                return false;
            }
        }
    }
    return true;
}

int lines(const QString &text, const QString &prefix)
{
    int n = 0;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        if (line.startsWith(prefix))
            ++n;
    }
    return n;
}
} // namespace

class TestChartView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pointsAreAdded()
    {
        ChartView view(ChartView::Kind::Losses);
        for (int i = 1; i <= 8; ++i)
            view.appendBatch(batch(1, i, 8, 2.0));
        view.appendEpoch(record(1, 0.3, 10));
        view.flush();
        QCOMPARE(view.batchPointCount(), 8);
        QCOMPARE(view.epochPointCount(), 1);
        // Graphs: 3 raw + 3 smoothed batch curves, 6 epoch series.
        QCOMPARE(view.plot()->graphCount(), 12);
        QCOMPARE(view.plot()->graph(0)->dataCount(), 8);
        QCOMPARE(view.plot()->graph(1)->dataCount(), 8);
        QCOMPARE(view.plot()->graph(6)->dataCount(), 1);
        // Epoch x: a batch of epoch 1 sits at 1/8 .. 8/8.
        QCOMPARE(view.plot()->graph(0)->data()->at(0)->key, 0.125);
        QCOMPARE(view.plot()->graph(0)->data()->at(7)->key, 1.0);

        // The same epoch again replaces its row.
        view.appendEpoch(record(1, 0.35, 10));
        QCOMPARE(view.epochPointCount(), 1);
    }

    void metricsHaveNoBatchCurves()
    {
        ChartView view(ChartView::Kind::Metrics);
        view.appendBatch(batch(1, 1, 4, 1.0));
        view.appendEpoch(record(1, 0.3, 10));
        view.appendEpoch(record(2, 0.4, 20));
        view.flush();
        QCOMPARE(view.batchPointCount(), 0);
        QCOMPARE(view.plot()->graphCount(), 4);
        QCOMPARE(view.plot()->graph(2)->data()->at(1)->value, 0.4); // mAP50 of epoch 2
    }

    void epochTimeFromCumulativeTime()
    {
        ChartView view(ChartView::Kind::EpochTime);
        view.appendEpoch(record(1, 0.1, 12.5));
        view.appendEpoch(record(2, 0.1, 25.0));
        view.appendEpoch(record(3, 0.1, 40.0));
        view.flush();
        QCOMPARE(view.plot()->graph(0)->data()->at(0)->value, 12.5);
        QCOMPARE(view.plot()->graph(0)->data()->at(2)->value, 15.0);
    }

    void smoothing_data()
    {
        QTest::addColumn<double>("weight");
        QTest::addColumn<QList<double>>("expected");
        // Values 1, 3: EMA with TensorBoard's debiasing.
        QTest::newRow("off") << 0.0 << QList<double>{1.0, 3.0};
        // w=0.5: last = 0.5, debias 0.5 -> 1; last = 0.25 + 1.5 = 1.75, debias 0.75 -> 2.333
        QTest::newRow("0.5") << 0.5 << QList<double>{1.0, 1.75 / 0.75};
        QTest::newRow("0.9") << 0.9 << QList<double>{1.0, (0.09 + 0.3) / (1 - 0.81)};
    }

    void smoothing()
    {
        QFETCH(double, weight);
        QFETCH(QList<double>, expected);
        ChartView view(ChartView::Kind::Losses);
        view.setSmoothing(weight);
        view.appendBatch(batch(1, 1, 2, 1.0));
        view.appendBatch(batch(1, 2, 2, 3.0));
        const std::vector<double> smoothed = view.smoothedSeries(0);
        QCOMPARE(int(smoothed.size()), expected.size());
        for (int i = 0; i < expected.size(); ++i)
            QVERIFY2(qAbs(smoothed[size_t(i)] - expected[i]) < 1e-12,
                     qPrintable(QString::number(smoothed[size_t(i)])));
        // The plotted curve is the smoothed one.
        view.flush();
        QVERIFY(qAbs(view.plot()->graph(1)->data()->at(1)->value - expected[1]) < 1e-12);
        QCOMPARE(view.plot()->graph(0)->data()->at(1)->value, 3.0); // raw stays raw
    }

    void branchResetDropsLaterPoints()
    {
        ChartView view(ChartView::Kind::Losses);
        History history;
        for (int e = 1; e <= 5; ++e) {
            for (int b = 1; b <= 4; ++b)
                view.appendBatch(batch(e, b, 4, 1.0 / e));
            view.appendEpoch(record(e, 0.1 * e, 10.0 * e));
            history.push_back(record(e, 0.1 * e, 10.0 * e));
        }
        view.setBestEpoch(5);
        view.addResumeMarker(4);
        QCOMPARE(view.batchPointCount(), 20);

        // A branch from epoch3.pt: history is rows 1..3; everything later goes.
        history.resize(3);
        view.resetToHistory(history);
        QCOMPARE(view.batchPointCount(), 12);
        QCOMPARE(view.epochPointCount(), 3);
        QVERIFY(view.resumeMarkers().empty()); // the marker at 4 was in the dropped future
        QCOMPARE(view.bestEpoch(), 0);         // best was epoch 5, gone too
        view.addResumeMarker(3);
        // The branch's own epoch 4 does not interleave with the old one.
        view.appendBatch(batch(4, 1, 4, 0.9));
        view.flush();
        QCOMPARE(view.batchPointCount(), 13);
        const auto data = view.plot()->graph(0)->data();
        for (int i = 1; i < data->size(); ++i)
            QVERIFY(data->at(i)->key > data->at(i - 1)->key);
        QCOMPARE(data->at(data->size() - 1)->value, 0.9);
    }

    void incrementalRedrawsMatchAFullRebuild()
    {
        // A live chart redraws after every few batches and only appends what is new; whatever
        // happens in between (a batch reported again, a branch, a new smoothing weight, the other
        // x axis) it must show exactly what a chart given the same points at once shows.
        ChartView live(ChartView::Kind::Losses);
        live.setBatchesPerEpoch(5);
        std::vector<BatchProgress> sent;
        auto send = [&](const BatchProgress &p) {
            live.appendBatch(p);
            sent.push_back(p);
        };
        auto check = [&](double smoothing, ChartView::XAxis axis) {
            live.flush();
            ChartView fresh(ChartView::Kind::Losses);
            fresh.setBatchesPerEpoch(5);
            fresh.setSmoothing(smoothing);
            fresh.setXAxis(axis);
            for (const BatchProgress &p : sent)
                fresh.appendBatch(p);
            fresh.flush();
            return sameBatchCurves(live, fresh);
        };

        for (int e = 1; e <= 3; ++e) {
            for (int b = 1; b <= 5; ++b) {
                send(batch(e, b, 5, 3.0 / (e + 0.1 * b)));
                if (b % 2 == 0)
                    QVERIFY(check(0.6, ChartView::XAxis::Epoch));
            }
        }
        QVERIFY(check(0.6, ChartView::XAxis::Epoch));
        QCOMPARE(live.plot()->graph(1)->dataCount(), 15);

        // The newest batch reported again with another value replaces the point.
        send(batch(3, 5, 5, 7.0));
        QVERIFY(check(0.6, ChartView::XAxis::Epoch));
        QCOMPARE(live.plot()->graph(0)->dataCount(), 15);
        QCOMPARE(live.plot()->graph(0)->data()->at(14)->value, 7.0);

        live.setSmoothing(0.9);
        QVERIFY(check(0.9, ChartView::XAxis::Epoch));
        live.setXAxis(ChartView::XAxis::Step);
        QVERIFY(check(0.9, ChartView::XAxis::Step));

        // A branch from epoch 2 after a stop at batch 2 of epoch 3: later points go, new ones
        // continue the smoothing from the kept ones.
        const History history{record(1, 0.1, 10), record(2, 0.2, 20)};
        live.resetToHistory(history, 2);
        for (int b = 3; b <= 5; ++b)
            send(batch(3, b, 5, 0.5 * b));
        // The reference gets the final picture directly.
        live.flush();
        ChartView fresh(ChartView::Kind::Losses);
        fresh.setBatchesPerEpoch(5);
        fresh.setSmoothing(0.9);
        fresh.setXAxis(ChartView::XAxis::Step);
        for (int e = 1; e <= 3; ++e)
            for (int b = 1; b <= 5; ++b)
                fresh.appendBatch(e == 3 && b > 2 ? batch(3, b, 5, 0.5 * b)
                                                  : batch(e, b, 5, 3.0 / (e + 0.1 * b)));
        fresh.flush();
        QVERIFY(sameBatchCurves(live, fresh));

        live.clear();
        live.flush();
        QCOMPARE(live.plot()->graph(0)->dataCount(), 0);
        QCOMPARE(live.plot()->graph(1)->dataCount(), 0);
    }

    void longRunsAreThinnedNotDropped()
    {
        // 120,000 batches: far more than a chart keeps. The newest batches stay as they came,
        // older ones become an evenly spaced archive of means, and nothing of the run is lost
        // from view: the curve still starts at the first batch and its mean is unchanged.
        constexpr int kBatches = 120000;
        constexpr int kPerEpoch = 100;
        ChartView view(ChartView::Kind::Losses);
        view.setSmoothing(0.9);
        double sum = 0;
        for (int i = 0; i < kBatches; ++i) {
            const double loss = 5.0 / (1.0 + i / 1000.0) + (i % 2 ? 0.25 : -0.25);
            sum += loss;
            view.appendBatch(batch(i / kPerEpoch + 1, i % kPerEpoch + 1, kPerEpoch, loss));
        }
        view.flush();
        const int points = view.batchPointCount();
        QVERIFY2(points <= ChartView::kMaxArchivedPoints + 2 * ChartView::kRecentBatchPoints + 1,
                 qPrintable(QString::number(points)));
        QVERIFY(points >= ChartView::kRecentBatchPoints);
        QCOMPARE(view.plot()->graph(0)->dataCount(), points);
        QVERIFY(view.archiveStride() > 1);

        // Every batch is accounted for exactly once, and the weighted mean is the run's mean.
        qint64 covered = 0;
        double weighted = 0;
        const QSharedPointer<QCPGraphDataContainer> raw = view.plot()->graph(0)->data();
        for (int i = 0; i < points; ++i) {
            covered += view.batchesAt(i);
            weighted += raw->at(i)->value * view.batchesAt(i);
        }
        QCOMPARE(covered, qint64(kBatches));
        QVERIFY(std::abs(weighted / kBatches - sum / kBatches) < 1e-9);

        // The newest kRecentBatchPoints are single batches with their own values (the zig-zag of
        // +-0.25 survives there and is averaged away in the archive).
        const int last = points - 1;
        QCOMPARE(view.batchesAt(last), 1);
        QCOMPARE(raw->at(last)->value,
                 5.0 / (1.0 + (kBatches - 1) / 1000.0) + ((kBatches - 1) % 2 ? 0.25 : -0.25));
        QCOMPARE(raw->at(last)->key, double(kBatches) / kPerEpoch);
        for (int i = points - ChartView::kRecentBatchPoints; i < points; ++i)
            QCOMPARE(view.batchesAt(i), 1);

        // The archive is even: every point holds the stride, but its last one may hold fewer.
        int archived = 0;
        while (archived < points && view.batchesAt(archived) > 1)
            ++archived;
        QVERIFY(archived > ChartView::kMaxArchivedPoints / 2);
        for (int i = 0; i + 1 < archived; ++i)
            QCOMPARE(view.batchesAt(i), view.archiveStride());
        QVERIFY(view.batchesAt(archived - 1) <= view.archiveStride());
        QVERIFY(raw->at(0)->key < 0.5 * view.archiveStride() / kPerEpoch + 0.01);

        // The read-out names an archived point for what it is.
        view.resize(600, 400);
        view.resetView();
        view.flush();
        view.plot()->xAxis->setRange(0, 2 * view.archiveStride() / double(kPerEpoch));
        view.plot()->yAxis->setRange(0, 6);
        view.plot()->replot();
        const double key = raw->at(1)->key;
        view.hoverAt(QPointF(view.plot()->xAxis->coordToPixel(key),
                             view.plot()->yAxis->coordToPixel(raw->at(1)->value)));
        QVERIFY2(
            view.hoverText().contains(QStringLiteral("mean of %1 batches").arg(view.batchesAt(1))),
            qPrintable(view.hoverText()));

        // A branch cut inside the archive keeps what is before it, and a clear starts over at
        // full resolution.
        view.resetToHistory({record(1, 0.1, 10)}, 0);
        view.flush();
        QVERIFY(view.batchPointCount() >= 1);
        QVERIFY(view.plot()->graph(0)->data()->at(view.batchPointCount() - 1)->key <= 1.0 + 1e-9);
        view.clear();
        QCOMPARE(view.archiveStride(), 1);
    }

    void thinnedCurveSmoothsLikeTheFullOne()
    {
        // The smoothed curve over archived means follows the one over every batch: an archived
        // point weighs as the batches it holds. Same input, one chart fed 1,000 batches (all kept),
        // the other 100,000 batches in which each of the 1,000 values repeats 100 times.
        ChartView full(ChartView::Kind::Losses);
        ChartView thinned(ChartView::Kind::Losses);
        full.setSmoothing(0.9);
        thinned.setSmoothing(std::pow(0.9, 1.0 / 100));
        for (int i = 0; i < 1000; ++i) {
            const double loss = 3.0 * std::exp(-i / 300.0);
            full.appendBatch(batch(i / 100 + 1, i % 100 + 1, 100, loss));
            for (int r = 0; r < 100; ++r) {
                const int j = i * 100 + r;
                thinned.appendBatch(batch(j / 10000 + 1, j % 10000 + 1, 10000, loss));
            }
        }
        full.flush();
        thinned.flush();
        const std::vector<double> a = full.smoothedSeries(0);
        const std::vector<double> b = thinned.smoothedSeries(0);
        const QSharedPointer<QCPGraphDataContainer> keys = thinned.plot()->graph(1)->data();
        // Compare at each thinned point with the full curve at the same position.
        double worst = 0;
        for (int i = 0; i < thinned.batchPointCount(); ++i) {
            const double epoch = keys->at(i)->key;
            const int k = std::clamp(int(std::lround(epoch * 100)) - 1, 0, 999);
            worst = std::max(worst, std::abs(b[size_t(i)] - a[size_t(k)]) / a[size_t(k)]);
        }
        QVERIFY2(worst < 0.05, qPrintable(QString::number(worst)));
    }

    void denseCurvesDrawnWithoutAntialiasing()
    {
        ChartView view(ChartView::Kind::Losses);
        view.resize(400, 300);
        view.show();
        for (int b = 1; b <= 20; ++b)
            view.appendBatch(batch(1, b, 20, 1.0 + 0.1 * (b % 3)));
        view.flush();
        // 20 points over ~300 px: antialiased, so the curve is not jagged.
        QVERIFY(view.plot()->graph(1)->antialiased());
        QVERIFY(!view.plot()->graph(0)->antialiased()); // the faint raw band never is

        for (int e = 2; e <= 200; ++e)
            for (int b = 1; b <= 20; ++b)
                view.appendBatch(batch(e, b, 20, 1.0 + 0.1 * (b % 3)));
        view.flush();
        // 4,000 points over ~300 px: a dense band, drawn the fast way.
        QVERIFY(!view.plot()->graph(1)->antialiased());
        QVERIFY(!view.plot()->graph(3)->antialiased());

        // Zoomed into two epochs: 40 visible points, antialiased again.
        view.plot()->xAxis->setRange(10, 12);
        view.plot()->replot();
        QVERIFY(view.plot()->graph(1)->antialiased());
    }

    void midEpochResumeKeepsItsBatches()
    {
        ChartView view(ChartView::Kind::Losses);
        view.setBatchesPerEpoch(10);
        for (int b = 1; b <= 10; ++b)
            view.appendBatch(batch(1, b, 10, 1.0));
        for (int b = 1; b <= 7; ++b)
            view.appendBatch(batch(2, b, 10, 1.0));
        History history{record(1, 0.1, 10)};
        view.resetToHistory(history, 4); // stopped after batch 4 of epoch 2
        QCOMPARE(view.batchPointCount(), 14);
    }

    void resumeMarker()
    {
        ChartView view(ChartView::Kind::Losses);
        view.setBatchesPerEpoch(4);
        view.addResumeMarker(2);
        view.addResumeMarker(2); // once only
        view.addResumeMarker(3.5);
        QCOMPARE(view.resumeMarkers(), (std::vector<double>{2, 3.5}));
        view.flush();
        // Each marker is a vertical line plus its label.
        int lines = 0;
        for (int i = 0; i < view.plot()->itemCount(); ++i) {
            if (auto line = qobject_cast<QCPItemStraightLine *>(view.plot()->item(i))) {
                ++lines;
                QCOMPARE(line->point1->key(), line->point2->key());
            }
        }
        QCOMPARE(lines, 2);
        // On the step axis the marker moves to epoch * batches per epoch.
        view.setXAxis(ChartView::XAxis::Step);
        view.flush();
        QList<double> keys;
        for (int i = 0; i < view.plot()->itemCount(); ++i) {
            if (auto line = qobject_cast<QCPItemStraightLine *>(view.plot()->item(i)))
                keys << line->point1->key();
        }
        QCOMPARE(keys, (QList<double>{8, 14}));
    }

    void csvExport()
    {
        ChartView view(ChartView::Kind::Losses);
        view.setSmoothing(0);
        view.appendBatch(batch(1, 1, 2, 2.0));
        view.appendBatch(batch(1, 2, 2, 4.0));
        view.appendEpoch(record(1, 0.3, 10));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("losses.csv"));
        QVERIFY(view.exportCsv(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(file.readAll());
        const QStringList rows = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(rows.first(), QStringLiteral("series,epoch,step,value,smoothed,batches"));
        QCOMPARE(rows.size(), 1 + 3 * 2 + 6);
        QVERIFY(rows.contains(QStringLiteral("train box,0.5,1,2,2,1")));
        QVERIFY(rows.contains(QStringLiteral("train box,1,2,4,4,1")));
        QVERIFY(rows.contains(QStringLiteral("train cls,1,2,2,2,1")));
        QVERIFY(rows.contains(QStringLiteral("train box (epoch),1,2,1,,")));
        QVERIFY(rows.contains(QStringLiteral("val box,1,2,1.1,,")));
        QCOMPARE(lines(text, QStringLiteral("val dfl,")), 1);

        QVERIFY(!view.exportCsv(dir.filePath(QStringLiteral("missing/folder/x.csv"))));
    }

    void pngExport()
    {
        ChartView view(ChartView::Kind::Metrics);
        view.appendEpoch(record(1, 0.3, 10));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("metrics.png"));
        QVERIFY(view.exportPng(path, 400, 300));
        QImage image(path);
        QCOMPARE(image.size(), QSize(400, 300));
    }

    void replotsAreBatched()
    {
        ChartView view(ChartView::Kind::Losses);
        view.resize(600, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTRY_VERIFY(!view.replotPending());
        const int before = view.replotCount();
        // 1000 batches arriving over ~0.5 s, as a fast trainer would send them.
        for (int i = 1; i <= 1000; ++i) {
            view.appendBatch(batch(1 + (i - 1) / 100, (i - 1) % 100 + 1, 100, 1.0 / i));
            if (i % 20 == 0)
                QTest::qWait(10);
        }
        QTRY_VERIFY(!view.replotPending());
        const int replots = view.replotCount() - before;
        QVERIFY2(replots >= 1 && replots <= 20, qPrintable(QString::number(replots)));
        QCOMPARE(view.plot()->graph(0)->dataCount(), 1000);
    }

    void logScaleAndReset()
    {
        ChartView view(ChartView::Kind::Losses);
        view.setLogY(true);
        QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        view.setLogY(false);
        QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLinear);

        view.appendBatch(batch(1, 1, 2, 1.0));
        view.appendBatch(batch(1, 2, 2, 3.0));
        view.flush();
        view.plot()->xAxis->setRange(100, 200); // as if the user panned away
        view.resetView();
        view.flush();
        QVERIFY(view.plot()->xAxis->range().contains(0.5));
        QVERIFY(view.plot()->xAxis->range().contains(1.0));
    }

    void hoverReadout()
    {
        ChartView view(ChartView::Kind::Metrics);
        view.resize(600, 400);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.appendEpoch(record(1, 0.3, 10));
        view.appendEpoch(record(2, 0.6, 20));
        view.flush();
        view.plot()->replot();
        QSignalSpy spy(&view, &ChartView::hoverTextChanged);
        const double x = view.plot()->xAxis->coordToPixel(2);
        const double y = view.plot()->yAxis->coordToPixel(0.6);
        view.hoverAt(QPointF(x + 2, y - 2));
        QCOMPARE(spy.count(), 1);
        QVERIFY2(view.hoverText().contains(QLatin1String("mAP50: 0.6")),
                 qPrintable(view.hoverText()));
        QVERIFY(view.hoverText().contains(QLatin1String("epoch 2.00")));
        view.hoverAt(QPointF(-500, -500));
        QVERIFY(view.hoverText().isEmpty());
    }
};

QTEST_MAIN(TestChartView)
#include "tst_chartview.moc"
