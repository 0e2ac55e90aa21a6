#include "ui/compare/classcomparisonmodel.h"
#include "ui/compare/comparisonheadermodel.h"
#include "ui/compare/imagecomparisonmodel.h"

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QFont>
#include <QSignalSpy>
#include <QtTest>

#include "handmadecomparison.h"

using namespace yolodeck;

// The three item models of the comparison view on a hand-made comparison whose every count is
// known (handmadecomparison.h).
class TestComparisonModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headerMarksTheBetterValue();
    void headerUpdatesInPlaceWithTheSlider();
    void classTableListsRegressionsFirst();
    void imageOrders_data();
    void imageOrders();
    void imageCountsFollowTheSlider();
    void classFilter();
    void confusionCellFilter();

private:
    static int rowOf(const QAbstractItemModel &model, const QString &name);
    static std::vector<int> imagesOf(const ImageComparisonModel &model);
};

int TestComparisonModels::rowOf(const QAbstractItemModel &model, const QString &name)
{
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.index(r, 0).data().toString() == name)
            return r;
    }
    return -1;
}

std::vector<int> TestComparisonModels::imagesOf(const ImageComparisonModel &model)
{
    std::vector<int> images;
    for (int r = 0; r < model.rowCount(); ++r)
        images.push_back(model.index(r, 0).data(ImageComparisonModel::ImageIndexRole).toInt());
    return images;
}

void TestComparisonModels::headerMarksTheBetterValue()
{
    const Comparison c = handmade::comparison();
    ComparisonHeaderModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setModelNames(QStringLiteral("best.pt"), QStringLiteral("last.pt"));
    model.setRows(headerRows(c, 0.25f));
    QCOMPARE(model.columnCount(), int(ComparisonHeaderModel::ColumnCount));
    QCOMPARE(model.headerData(ComparisonHeaderModel::A, Qt::Horizontal).toString(),
             QStringLiteral("A: best.pt"));
    QCOMPARE(model.headerData(ComparisonHeaderModel::B, Qt::Horizontal).toString(),
             QStringLiteral("B: last.pt"));

    auto cell = [&model](const QString &metric, int column) {
        const int row = rowOf(model, metric);
        return row < 0 ? QModelIndex() : model.index(row, column);
    };
    auto bold = [](const QModelIndex &i) { return i.data(Qt::FontRole).value<QFont>().bold(); };
    auto tinted = [](const QModelIndex &i) { return i.data(Qt::BackgroundRole).isValid(); };

    // TP: A 3, B 2; higher is better, so A is marked.
    QCOMPARE(cell(QStringLiteral("TP"), ComparisonHeaderModel::A).data().toString(),
             QStringLiteral("3"));
    QCOMPARE(cell(QStringLiteral("TP"), ComparisonHeaderModel::B).data().toString(),
             QStringLiteral("2"));
    QCOMPARE(cell(QStringLiteral("TP"), ComparisonHeaderModel::Delta).data().toString(),
             QStringLiteral("-1"));
    QCOMPARE(cell(QStringLiteral("TP"), ComparisonHeaderModel::DeltaPercent).data().toString(),
             QStringLiteral("-33.3%"));
    QVERIFY(bold(cell(QStringLiteral("TP"), ComparisonHeaderModel::A)));
    QVERIFY(tinted(cell(QStringLiteral("TP"), ComparisonHeaderModel::A)));
    QVERIFY(!bold(cell(QStringLiteral("TP"), ComparisonHeaderModel::B)));
    QVERIFY(!tinted(cell(QStringLiteral("TP"), ComparisonHeaderModel::B)));

    // FP: A 2, B 4; lower is better, so A again, although B's number is larger.
    QCOMPARE(cell(QStringLiteral("FP"), ComparisonHeaderModel::B).data().toString(),
             QStringLiteral("4"));
    QVERIFY(bold(cell(QStringLiteral("FP"), ComparisonHeaderModel::A)));
    QVERIFY(!bold(cell(QStringLiteral("FP"), ComparisonHeaderModel::B)));
    QCOMPARE(cell(QStringLiteral("FP"), 0).data(ComparisonHeaderModel::BetterRole).toInt(), -1);

    // Box loss 1.0 → 0.8: lower is better, B is marked and its Δ is green (not red).
    const QModelIndex boxB = cell(QStringLiteral("val/box_loss"), ComparisonHeaderModel::B);
    QVERIFY(bold(boxB));
    QVERIFY(tinted(boxB));
    QVERIFY(!bold(cell(QStringLiteral("val/box_loss"), ComparisonHeaderModel::A)));
    QCOMPARE(cell(QStringLiteral("val/box_loss"), ComparisonHeaderModel::Delta).data().toString(),
             QStringLiteral("-0.200"));
    const QColor goodDelta = cell(QStringLiteral("val/box_loss"), ComparisonHeaderModel::Delta)
                                 .data(Qt::ForegroundRole)
                                 .value<QBrush>()
                                 .color();
    QVERIFY2(goodDelta.green() > goodDelta.red(), qPrintable(goodDelta.name()));
    // cls loss 2.0 → 2.5: worse, A marked, Δ red.
    QVERIFY(bold(cell(QStringLiteral("val/cls_loss"), ComparisonHeaderModel::A)));
    const QColor badDelta = cell(QStringLiteral("val/cls_loss"), ComparisonHeaderModel::Delta)
                                .data(Qt::ForegroundRole)
                                .value<QBrush>()
                                .color();
    QVERIFY2(badDelta.red() > badDelta.green(), qPrintable(badDelta.name()));
    // dfl loss equal: nothing marked.
    QVERIFY(!bold(cell(QStringLiteral("val/dfl_loss"), ComparisonHeaderModel::A)));
    QVERIFY(!bold(cell(QStringLiteral("val/dfl_loss"), ComparisonHeaderModel::B)));
    QCOMPARE(
        cell(QStringLiteral("val/dfl_loss"), 0).data(ComparisonHeaderModel::BetterRole).toInt(), 0);
    // ms/image 5.0 → 4.0: B is faster.
    QVERIFY(bold(cell(QStringLiteral("ms/image"), ComparisonHeaderModel::B)));
    QCOMPARE(
        cell(QStringLiteral("ms/image"), ComparisonHeaderModel::DeltaPercent).data().toString(),
        QStringLiteral("-20.0%"));
    // mAP50-95: A's dog AP is lost by B.
    QVERIFY(bold(cell(QStringLiteral("mAP50-95"), ComparisonHeaderModel::A)));
    QCOMPARE(cell(QStringLiteral("mAP50-95"), ComparisonHeaderModel::A).data().toString(),
             QString::number(c.a.metrics.map50_95, 'f', 3));
}

void TestComparisonModels::headerUpdatesInPlaceWithTheSlider()
{
    const Comparison c = handmade::comparison();
    ComparisonHeaderModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRows(headerRows(c, 0.25f));
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setRows(headerRows(c, 0.5f));
    QCOMPARE(reset.count(), 0);
    QCOMPARE(changed.count(), 1);
    // At 0.5 A loses its dog at 0.30 and its cat false positive at 0.40.
    QCOMPARE(
        model.index(rowOf(model, QStringLiteral("TP")), ComparisonHeaderModel::A).data().toString(),
        QStringLiteral("2"));
    QCOMPARE(
        model.index(rowOf(model, QStringLiteral("FP")), ComparisonHeaderModel::A).data().toString(),
        QStringLiteral("1"));
}

void TestComparisonModels::classTableListsRegressionsFirst()
{
    const Comparison c = handmade::comparison();
    ClassComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRows(classComparisons(c));
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.columnCount(), int(ClassComparisonModel::ColumnCount));
    // B finds neither dog (AP 0) while A finds both: dog is the regression, listed first.
    QCOMPARE(model.index(0, ClassComparisonModel::Class).data().toString(), QStringLiteral("dog"));
    QCOMPARE(model.index(1, ClassComparisonModel::Class).data().toString(), QStringLiteral("cat"));
    QCOMPARE(model.index(0, ClassComparisonModel::Instances).data().toString(),
             QStringLiteral("2"));
    QCOMPARE(model.index(1, ClassComparisonModel::Instances).data().toString(),
             QStringLiteral("3"));
    QCOMPARE(model.index(0, ClassComparisonModel::Ap50_95B).data().toString(),
             QStringLiteral("0.000"));
    const ClassMetrics &dogA = c.a.metrics.perClass[1];
    QCOMPARE(model.index(0, ClassComparisonModel::Ap50_95A).data().toString(),
             QString::number(dogA.ap50_95, 'f', 3));
    QCOMPARE(model.index(0, ClassComparisonModel::Ap50_95Delta).data().toString(),
             QString::number(-dogA.ap50_95, 'f', 3));

    const double dogDelta = model.index(0, ClassComparisonModel::Ap50_95Delta)
                                .data(ClassComparisonModel::ValueRole)
                                .toDouble();
    const double catDelta = model.index(1, ClassComparisonModel::Ap50_95Delta)
                                .data(ClassComparisonModel::ValueRole)
                                .toDouble();
    QVERIFY(dogDelta < 0);
    QVERIFY(catDelta > 0); // B finds one more cat
    QVERIFY(model.index(1, ClassComparisonModel::Ap50_95Delta)
                .data()
                .toString()
                .startsWith(QLatin1Char('+')));
    const QColor red = model.index(0, ClassComparisonModel::Ap50_95Delta)
                           .data(Qt::ForegroundRole)
                           .value<QBrush>()
                           .color();
    QVERIFY2(red.red() > 150 && red.green() < 100, qPrintable(red.name()));
    const QColor green = model.index(1, ClassComparisonModel::Ap50_95Delta)
                             .data(Qt::ForegroundRole)
                             .value<QBrush>()
                             .color();
    QVERIFY2(green.green() > green.red(), qPrintable(green.name()));
    QCOMPARE(model.index(0, 0).data(ClassComparisonModel::ClassRole).toInt(), 1);
}

void TestComparisonModels::imageOrders_data()
{
    QTest::addColumn<int>("order");
    QTest::addColumn<std::vector<int>>("images");
    // See handmadecomparison.h for what each image holds at confidence 0.25.
    QTest::newRow("disagreement") << int(DisagreementOrder::Disagreement)
                                  << std::vector<int>{1, 2, 0, 3, 4};
    QTest::newRow("B misses what A finds")
        << int(DisagreementOrder::BMissesAFinds) << std::vector<int>{2, 0, 1, 3, 4};
    QTest::newRow("B adds false positives")
        << int(DisagreementOrder::BAddsFalsePositives) << std::vector<int>{1, 2, 0, 4, 3};
    QTest::newRow("both wrong") << int(DisagreementOrder::BothWrong)
                                << std::vector<int>{4, 1, 2, 0, 3};
}

void TestComparisonModels::imageOrders()
{
    QFETCH(int, order);
    QFETCH(std::vector<int>, images);
    auto c = std::make_shared<const Comparison>(handmade::comparison());
    ImageComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(c, 0.25f);
    QSignalSpy ranked(&model, &ImageComparisonModel::rowsRanked);
    model.setOrder(DisagreementOrder(order));
    QCOMPARE(ranked.count(), order == int(DisagreementOrder::Disagreement) ? 0 : 1);
    QCOMPARE(imagesOf(model), images);
    QCOMPARE(model.index(0, ImageComparisonModel::Image).data().toString(),
             QStringLiteral("img%1.jpg").arg(images[0]));
}

void TestComparisonModels::imageCountsFollowTheSlider()
{
    auto c = std::make_shared<const Comparison>(handmade::comparison());
    ImageComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(c, 0.25f);
    QCOMPARE(model.columnCount(), int(ImageComparisonModel::ColumnCount));
    auto count = [&model](int image, int column) {
        return model.index(model.rowOfImage(image), column).data().toString();
    };
    // Image 0: A finds cat and dog, B only the cat.
    QCOMPARE(count(0, ImageComparisonModel::Labels), QStringLiteral("2"));
    QCOMPARE(count(0, ImageComparisonModel::TruePositivesA), QStringLiteral("2"));
    QCOMPARE(count(0, ImageComparisonModel::TruePositivesB), QStringLiteral("1"));
    QCOMPARE(count(0, ImageComparisonModel::FalseNegativesB), QStringLiteral("1"));
    QCOMPARE(count(0, ImageComparisonModel::OnlyA), QStringLiteral("1"));
    // Image 1: B finds the cat A misses and adds two false positives.
    QCOMPARE(count(1, ImageComparisonModel::OnlyB), QStringLiteral("1"));
    QCOMPARE(count(1, ImageComparisonModel::FalsePositivesB), QStringLiteral("2"));
    QCOMPARE(count(1, ImageComparisonModel::FalseNegativesA), QStringLiteral("1"));
    // Image 2 at 0.25: A's dog at 0.30 counts; B's wrong class is a false positive.
    QCOMPARE(count(2, ImageComparisonModel::TruePositivesA), QStringLiteral("1"));
    QCOMPARE(count(2, ImageComparisonModel::FalsePositivesB), QStringLiteral("1"));
    QCOMPARE(count(3, ImageComparisonModel::FalsePositivesA), QStringLiteral("1"));
    QCOMPARE(model.summary().onlyA, 2);
    QCOMPARE(model.summary().onlyB, 1);
    QCOMPARE(model.summary().bothMiss, 1);

    QSignalSpy ranked(&model, &ImageComparisonModel::rowsRanked);
    model.setConfidence(0.5f);
    QCOMPARE(ranked.count(), 1);
    // A's dog (0.30) and cat false positive (0.40) fall under the threshold.
    QCOMPARE(count(2, ImageComparisonModel::TruePositivesA), QStringLiteral("0"));
    QCOMPARE(count(2, ImageComparisonModel::FalseNegativesA), QStringLiteral("1"));
    QCOMPARE(count(2, ImageComparisonModel::OnlyA), QStringLiteral("0"));
    QCOMPARE(count(3, ImageComparisonModel::FalsePositivesA), QStringLiteral("0"));
    QCOMPARE(model.summary().onlyA, 1);
    QCOMPARE(model.summary().bothMiss, 2);
    // The ranking follows: image 3 has nothing left to disagree about.
    QCOMPARE(imagesOf(model), (std::vector<int>{1, 0, 2, 3, 4}));

    // At 0.95 nothing is detected: every label is missed by both.
    model.setConfidence(0.95f);
    QCOMPARE(model.summary().bothMiss, 5);
    QCOMPARE(model.summary().fpA + model.summary().fpB, 0);
}

void TestComparisonModels::classFilter()
{
    auto c = std::make_shared<const Comparison>(handmade::comparison());
    ImageComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(c, 0.25f);
    // Dog: the labels of images 0 and 2, B's false positive in 1, both false positives in 4.
    model.setClassFilter(1);
    QCOMPARE(imagesOf(model), (std::vector<int>{1, 2, 0, 4}));
    // Cat: every image; image 3 only through A's false positive at 0.40...
    model.setClassFilter(0);
    QCOMPARE(imagesOf(model), (std::vector<int>{1, 2, 0, 3, 4}));
    // ... which the slider removes.
    model.setConfidence(0.5f);
    QCOMPARE(model.rowOfImage(3), -1);
    QCOMPARE(model.rowCount(), 4);
    model.setClassFilter(ImageComparisonModel::kNoClass);
    QCOMPARE(model.rowCount(), 5);
}

void TestComparisonModels::confusionCellFilter()
{
    const Comparison comparison = handmade::comparison();
    auto c = std::make_shared<const Comparison>(comparison);
    ImageComparisonModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setComparison(c, 0.25f);
    // B predicts cat where the truth is dog in image 2 only ([predicted, true] = [0, 1]).
    const int n = comparison.b.confusion.nc + 1;
    const std::vector<int> &cell = comparison.b.confusion.cellImages[size_t(0 * n + 1)];
    QCOMPARE(cell, std::vector<int>{2});
    model.setImageFilter(cell, QStringLiteral("B: true dog, predicted cat"));
    QVERIFY(model.hasImageFilter());
    QCOMPARE(imagesOf(model), std::vector<int>{2});
    QCOMPARE(model.imageFilterDescription(), QStringLiteral("B: true dog, predicted cat"));
    // Both miss a cat (background row, cat column): images 1 for A... and 4 for both.
    const std::vector<int> &missedByA = comparison.a.confusion.cellImages[size_t(2 * n + 0)];
    model.setImageFilter(missedByA, QString());
    QCOMPARE(imagesOf(model), (std::vector<int>{1, 4}));
    // The filter composes with the order.
    model.setOrder(DisagreementOrder::BothWrong);
    QCOMPARE(imagesOf(model), (std::vector<int>{4, 1}));
    model.clearImageFilter();
    QCOMPARE(model.rowCount(), 5);
}

QTEST_GUILESS_MAIN(TestComparisonModels)
#include "tst_comparisonmodels.moc"
