#include "core/checkpoint/checkpointmeta.h"
#include "core/train/trainer.h"
#include "ui/checkpoints/checkpointbrowser.h"
#include "ui/checkpoints/checkpointtablemodel.h"
#include "ui/compare/classcomparisonmodel.h"
#include "ui/compare/comparisoncharts.h"
#include "ui/compare/comparisonheadermodel.h"
#include "ui/compare/comparisonview.h"
#include "ui/compare/imagecomparisonmodel.h"
#include "ui/compare/imagecomparisonview.h"
#include "ui/mainwindow.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QItemSelectionModel>
#include <QMimeData>
#include <QSignalSpy>
#include <QSlider>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

#include "handmadecomparison.h"
#include "windowtesthelpers.h"

using namespace yolodeck;
using namespace windowtest;

// The Compare tab: filled from a hand-made comparison (every number known), driven by the
// slider, the keys and a click on the confusion matrix; the checkpoint browser's Compare… button;
// and the whole path on a real tiny run: train, compare best.pt with last.pt in the window.
class TestComparisonView : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_yaml;
    QString m_run; // 2 epochs, save_period 1: epoch1.pt, epoch2.pt, best.pt, last.pt

    static QString headerCell(ComparisonView &view, const QString &metric, int column)
    {
        const ComparisonHeaderModel *model = view.headerModel();
        for (int r = 0; r < model->rowCount(); ++r) {
            if (model->index(r, 0).data().toString() == metric)
                return model->index(r, column).data().toString();
        }
        return {};
    }
    static QPushButton *compareButton(CheckpointBrowser &browser)
    {
        return buttonWithText(&browser, QStringLiteral("Compare…"));
    }
    static int rowOfFile(CheckpointBrowser &browser, const QString &name)
    {
        const QAbstractItemModel *model = browser.view()->model();
        for (int r = 0; r < model->rowCount(); ++r) {
            if (model->index(r, CheckpointTableModel::File).data().toString() == name)
                return r;
        }
        return -1;
    }
    QString weights(const QString &name) const
    {
        return m_run + QStringLiteral("/weights/") + name;
    }

private Q_SLOTS:
    void initTestCase();
    void fillsBothColumnsTheSentenceAndTheDelta();
    void sliderChangesTheCounts();
    void keysChangeTheImage();
    void imagePanesZoomTogether();
    void confusionClickListsTheCellsImages();
    void chartsRenderOffscreen();
    void browserComparesTwoSelectedRowsOlderFirst();
    void browserComparesBestWithLastByDefault();
    void windowComparesAFinishedRun();
};

void TestComparisonView::initTestCase()
{
    QVERIFY(m_dir.isValid());
    isolateWindowTest(this, QStringLiteral("tst_comparisonview"));
    // Prediction sets are cached per file content: keep this test's out of the user's cache.
    qputenv("YOLODECK_CACHE_DIR", m_dir.filePath(QStringLiteral("cache")).toLocal8Bit());
    m_yaml = writeSmallDataset(m_dir.filePath(QStringLiteral("synth")));
    QVERIFY(!m_yaml.isEmpty());
    TrainConfig c;
    c.data = m_yaml;
    c.model = QStringLiteral("tiny");
    c.imgsz = 64;
    c.batch = 8;
    c.nbs = 8;
    c.warmupEpochs = 0;
    c.mosaic = 0;
    c.epochs = 2;
    c.savePeriod = 1;
    c.workers = 1;
    c.threads = 1;
    c.project = m_dir.filePath(QStringLiteral("runs"));
    c.name = QStringLiteral("finished");
    Trainer trainer(c);
    TrainingObserver quiet;
    const RunFinished done = trainer.run(&quiet);
    QVERIFY2(!done.failed, qPrintable(done.message));
    m_run = done.runDir;
    for (const char *name : {"epoch1.pt", "epoch2.pt", "best.pt", "last.pt"})
        QVERIFY2(QFileInfo::exists(weights(QString::fromLatin1(name))), name);
}

void TestComparisonView::fillsBothColumnsTheSentenceAndTheDelta()
{
    const Comparison c = handmade::comparison();
    ComparisonView view;
    view.setComparison(c);
    QVERIFY(view.comparison());

    // Both columns, every metric row.
    QCOMPARE(view.headerModel()->rowCount(), 13);
    QCOMPARE(headerCell(view, QStringLiteral("mAP50-95"), ComparisonHeaderModel::A),
             QString::number(c.a.metrics.map50_95, 'f', 3));
    QCOMPARE(headerCell(view, QStringLiteral("mAP50-95"), ComparisonHeaderModel::B),
             QString::number(c.b.metrics.map50_95, 'f', 3));
    QCOMPARE(headerCell(view, QStringLiteral("TP"), ComparisonHeaderModel::A), QStringLiteral("3"));
    QCOMPARE(headerCell(view, QStringLiteral("TP"), ComparisonHeaderModel::B), QStringLiteral("2"));
    QCOMPARE(view.headerModel()->headerData(ComparisonHeaderModel::A, Qt::Horizontal).toString(),
             QStringLiteral("A: best.pt"));
    QCOMPARE(view.classModel()->rowCount(), 2);

    // The sentence at the default confidence 0.25 and the bootstrap line.
    QVERIFY2(view.summaryText().contains(
                 QStringLiteral("B finds 1 objects that A misses and misses 2 that A finds")),
             qPrintable(view.summaryText()));
    QVERIFY2(view.bootstrapText().contains(QStringLiteral("95% interval [")),
             qPrintable(view.bootstrapText()));
    QVERIFY2(view.bootstrapText().contains(QStringLiteral("(1000 resamples, seed 0): A is better")),
             qPrintable(view.bootstrapText()));

    // The Δ matrix is B − A, drawn on a symmetric diverging scale.
    QCustomPlot *delta = view.confusionPlot(2);
    QCPColorMap *map = nullptr;
    for (int i = 0; i < delta->plottableCount(); ++i)
        map = map ? map : qobject_cast<QCPColorMap *>(delta->plottable(i));
    QVERIFY(map);
    QCOMPARE(map->data()->keySize(), 3);
    // [predicted cat, true dog]: B 1 (image 2), A 0. [dog, dog]: B 0, A 2.
    QCOMPARE(map->data()->cell(1, 0), 1.0);
    QCOMPARE(map->data()->cell(1, 1), -2.0);
    QCOMPARE(map->dataRange().lower, -map->dataRange().upper);
    QVERIFY(map->dataRange().upper >= 2.0);
    QCPColorMap *mapA = qobject_cast<QCPColorMap *>(view.confusionPlot(0)->plottable(0));
    QVERIFY(mapA);
    QCOMPARE(mapA->data()->cell(1, 1), 2.0);
}

void TestComparisonView::sliderChangesTheCounts()
{
    QTemporaryDir images;
    ComparisonView view;
    view.setComparison(handmade::comparison(images.path()));
    QCOMPARE(headerCell(view, QStringLiteral("FP"), ComparisonHeaderModel::A), QStringLiteral("2"));
    const QString before = view.summaryText();
    const int shown = view.imageView()->image();
    QCOMPARE(shown, 1); // the image where A and B disagree most
    const size_t boxesB = view.imageView()->boxes(ImageComparisonView::Pane::B).size();
    QCOMPARE(boxesB, size_t(3)); // B's cat and two false positives

    // 0.65: every false positive goes but B's wrong class at 0.85.
    view.confidenceSlider()->setValue(650);
    QCOMPARE(view.confidence(), 0.65f);
    QCOMPARE(headerCell(view, QStringLiteral("FP"), ComparisonHeaderModel::A), QStringLiteral("0"));
    QCOMPARE(headerCell(view, QStringLiteral("FP"), ComparisonHeaderModel::B), QStringLiteral("1"));
    QVERIFY(view.summaryText() != before);
    QVERIFY2(view.summaryText().contains(QStringLiteral("At confidence 0.65")),
             qPrintable(view.summaryText()));
    QCOMPARE(view.imageModel()->confidence(), 0.65f);
    QCOMPARE(view.imageView()->confidence(), 0.65f);
    QCOMPARE(view.imageView()->image(), 1); // the shown image stays
    QCOMPARE(view.imageView()->boxes(ImageComparisonView::Pane::B).size(), size_t(1));
}

void TestComparisonView::keysChangeTheImage()
{
    QTemporaryDir images;
    ComparisonView view;
    view.resize(1200, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setComparison(handmade::comparison(images.path()));
    view.tabs()->setCurrentIndex(ComparisonView::ImagesTab);
    ImageComparisonView *pane = view.imageView();
    // Ranked by disagreement: 1, 2, 0, 3, 4.
    QCOMPARE(pane->image(), 1);
    QTest::keyClick(pane, Qt::Key_Right);
    QCOMPARE(pane->image(), 2);
    QTest::keyClick(pane, Qt::Key_PageDown);
    QCOMPARE(pane->image(), 0);
    QTest::keyClick(pane, Qt::Key_Left);
    QCOMPARE(pane->image(), 2);
    QTest::keyClick(pane, Qt::Key_PageUp);
    QTest::keyClick(pane, Qt::Key_Left); // already first: stays
    QCOMPARE(pane->image(), 1);
    QCOMPARE(view.imageTable()->selectionModel()->currentIndex().row(), 0);

    // Image 2 at 0.25: A finds the dog (green); B calls it a cat (orange) and misses the dog
    // (magenta, dashed).
    QTest::keyClick(pane, Qt::Key_Right);
    QCOMPARE(pane->image(), 2);
    const auto &a = pane->boxes(ImageComparisonView::Pane::A);
    QCOMPARE(a.size(), size_t(1));
    QCOMPARE(a[0].color, ImageComparisonView::truePositiveColor());
    const auto &b = pane->boxes(ImageComparisonView::Pane::B);
    QCOMPARE(b.size(), size_t(2));
    QCOMPARE(b[0].color, ImageComparisonView::missedColor());
    QVERIFY(b[0].dashed);
    QCOMPARE(b[1].color, ImageComparisonView::wrongClassColor());
    QCOMPARE(pane->boxes(ImageComparisonView::Pane::GroundTruth).size(), size_t(1));
}

void TestComparisonView::imagePanesZoomTogether()
{
    QTemporaryDir images;
    ComparisonView view;
    view.resize(1200, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setComparison(handmade::comparison(images.path()));
    view.tabs()->setCurrentIndex(ComparisonView::ImagesTab);
    ImageComparisonView *pane = view.imageView();
    QVERIFY(pane->isVisible());
    const QPointF object(25, 25); // a corner of image 1's cat
    auto inPane = [pane, object](ImageComparisonView::Pane p) {
        return pane->toWidget(p, object) - pane->paneRect(p).topLeft();
    };
    QCOMPARE(inPane(ImageComparisonView::Pane::A), inPane(ImageComparisonView::Pane::B));

    // Wheel over pane A, around a point: every pane zooms, that point stays under the cursor.
    const QPointF cursor = pane->toWidget(ImageComparisonView::Pane::A, object);
    QWheelEvent wheel(cursor, pane->mapToGlobal(cursor), QPoint(), QPoint(0, 240), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(pane, &wheel);
    QVERIFY(pane->zoom() > 1.3);
    QVERIFY((pane->toWidget(ImageComparisonView::Pane::A, object) - cursor).manhattanLength() < 1);
    QCOMPARE(inPane(ImageComparisonView::Pane::GroundTruth), inPane(ImageComparisonView::Pane::A));
    QCOMPARE(inPane(ImageComparisonView::Pane::B), inPane(ImageComparisonView::Pane::A));

    // Drag in pane B: all three move by the same pixels.
    const QPointF before = pane->toWidget(ImageComparisonView::Pane::GroundTruth, object);
    const QPoint start = pane->paneRect(ImageComparisonView::Pane::B).center().toPoint();
    QTest::mousePress(pane, Qt::LeftButton, Qt::NoModifier, start);
    QMouseEvent move(QEvent::MouseMove, QPointF(start + QPoint(30, 20)),
                     pane->mapToGlobal(QPointF(start + QPoint(30, 20))), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(pane, &move);
    QTest::mouseRelease(pane, Qt::LeftButton, Qt::NoModifier, start + QPoint(30, 20));
    const QPointF after = pane->toWidget(ImageComparisonView::Pane::GroundTruth, object);
    QVERIFY((after - before - QPointF(30, 20)).manhattanLength() < 0.5);
    QCOMPARE(inPane(ImageComparisonView::Pane::B), inPane(ImageComparisonView::Pane::GroundTruth));
}

void TestComparisonView::confusionClickListsTheCellsImages()
{
    ComparisonView view;
    view.resize(1300, 700);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.setComparison(handmade::comparison());
    view.tabs()->setCurrentIndex(ComparisonView::ConfusionTab);
    QCustomPlot *delta = view.confusionPlot(2);
    QTRY_VERIFY(delta->isVisible() && delta->width() > 100);
    delta->replot();
    // The [predicted cat, true dog] cell: only image 2 (B's wrong class).
    const QPoint cell(int(delta->xAxis->coordToPixel(1)), int(delta->yAxis->coordToPixel(0)));
    QTest::mouseClick(delta, Qt::LeftButton, Qt::NoModifier, cell);
    QCOMPARE(view.tabs()->currentIndex(), int(ComparisonView::ImagesTab));
    QVERIFY(view.imageModel()->hasImageFilter());
    QCOMPARE(view.imageModel()->rowCount(), 1);
    QCOMPARE(view.imageModel()->imageAt(0), 2);
    QCOMPARE(view.imageView()->image(), 2);
    QVERIFY2(view.imageModel()->imageFilterDescription().contains(QStringLiteral("true dog")),
             qPrintable(view.imageModel()->imageFilterDescription()));
    // Outside the matrix: nothing happens.
    view.tabs()->setCurrentIndex(ComparisonView::ConfusionTab);
    QTest::mouseClick(delta, Qt::LeftButton, Qt::NoModifier, QPoint(2, 2));
    QCOMPARE(view.tabs()->currentIndex(), int(ComparisonView::ConfusionTab));
}

void TestComparisonView::chartsRenderOffscreen()
{
    const std::vector<ChartImage> charts = renderComparisonCharts(handmade::comparison(), 0.25f);
    QStringList files;
    for (const ChartImage &chart : charts) {
        files << chart.fileName;
        QImage image;
        QVERIFY2(image.loadFromData(chart.png, "PNG"), qPrintable(chart.fileName));
        QVERIFY(image.width() >= 600);
        // Not blank: the chart's drawing has both models' colours somewhere.
        QVERIFY(!chart.title.isEmpty());
    }
    QCOMPARE(files,
             (QStringList{QStringLiteral("pr_curve.png"), QStringLiteral("f1_curve.png"),
                          QStringLiteral("p_curve.png"), QStringLiteral("r_curve.png"),
                          QStringLiteral("class_ap.png"), QStringLiteral("confusion_a.png"),
                          QStringLiteral("confusion_b.png"), QStringLiteral("confusion_delta.png"),
                          QStringLiteral("layer_change.png"), QStringLiteral("map_by_epoch.png")}));
    // The PR chart draws A's blue and B's orange curves.
    QImage pr;
    pr.loadFromData(charts[0].png, "PNG");
    bool blue = false, orange = false;
    for (int y = 0; y < pr.height(); y += 1) {
        for (int x = 0; x < pr.width(); x += 1) {
            const QColor c = pr.pixelColor(x, y);
            blue = blue || c == ComparisonCharts::colorA();
            orange = orange || c == ComparisonCharts::colorB();
        }
    }
    QVERIFY(blue);
    QVERIFY(orange);

    // The hover read-out names both models' values.
    QCustomPlot plot;
    ComparisonCharts::fillCurve(&plot, handmade::comparison(), ComparisonCharts::Curve::Recall,
                                ComparisonCharts::kAllClasses);
    const QString readout = ComparisonCharts::curveReadout(&plot, 0.5);
    QVERIFY2(readout.startsWith(QStringLiteral("A ")) && readout.contains(QStringLiteral(" · B ")),
             qPrintable(readout));
}

void TestComparisonView::browserComparesTwoSelectedRowsOlderFirst()
{
    CheckpointBrowser browser;
    browser.setDirectory(m_run);
    QTRY_COMPARE(browser.model()->rowCount(), 4);
    QSignalSpy spy(&browser, &CheckpointBrowser::compareRequested);
    // Select the newer one first: the order of the clicks must not matter.
    QItemSelectionModel *selection = browser.view()->selectionModel();
    const QAbstractItemModel *model = browser.view()->model();
    selection->select(model->index(rowOfFile(browser, QStringLiteral("epoch2.pt")), 0),
                      QItemSelectionModel::Select | QItemSelectionModel::Rows);
    selection->select(model->index(rowOfFile(browser, QStringLiteral("epoch1.pt")), 0),
                      QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(selection->selectedRows().size(), 2);
    QPushButton *compare = compareButton(browser);
    QVERIFY(compare);
    QVERIFY(compare->isEnabled());
    QVERIFY2(compare->toolTip().contains(QStringLiteral("epoch1.pt (A) with epoch2.pt (B)")),
             qPrintable(compare->toolTip()));
    // Two rows: the single-file actions are off.
    QVERIFY(!buttonWithText(&browser, QStringLiteral("Resume"))->isEnabled());
    QVERIFY(!buttonWithText(&browser, QStringLiteral("Delete…"))->isEnabled());
    compare->click();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(QFileInfo(spy.at(0).at(0).toString()).fileName(), QStringLiteral("epoch1.pt"));
    QCOMPARE(QFileInfo(spy.at(0).at(1).toString()).fileName(), QStringLiteral("epoch2.pt"));
    QCOMPARE(QFileInfo(spy.at(0).at(0).toString()).canonicalFilePath(),
             QFileInfo(weights(QStringLiteral("epoch1.pt"))).canonicalFilePath());
}

void TestComparisonView::browserComparesBestWithLastByDefault()
{
    CheckpointBrowser browser;
    browser.setDirectory(m_run);
    QTRY_COMPARE(browser.model()->rowCount(), 4);
    QSignalSpy spy(&browser, &CheckpointBrowser::compareRequested);
    browser.view()->clearSelection();
    QPushButton *compare = compareButton(browser);
    QVERIFY(compare->isEnabled());
    QVERIFY2(compare->toolTip().contains(QStringLiteral("best.pt (A) with last.pt (B)")),
             qPrintable(compare->toolTip()));
    compare->click();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(QFileInfo(spy.at(0).at(0).toString()).canonicalFilePath(),
             QFileInfo(weights(QStringLiteral("best.pt"))).canonicalFilePath());
    QCOMPARE(QFileInfo(spy.at(0).at(1).toString()).canonicalFilePath(),
             QFileInfo(weights(QStringLiteral("last.pt"))).canonicalFilePath());
    // One row selected: still the run's pair, and Resume acts on that row.
    browser.view()->selectRow(rowOfFile(browser, QStringLiteral("epoch1.pt")));
    QVERIFY(buttonWithText(&browser, QStringLiteral("Resume"))->isEnabled());
    compare->click();
    QCOMPARE(spy.count(), 2);
    QCOMPARE(QFileInfo(spy.at(1).at(0).toString()).fileName(), QStringLiteral("best.pt"));
}

void TestComparisonView::windowComparesAFinishedRun()
{
    MainWindow window;
    window.resize(1366, 768);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(!window.tabs()->isTabVisible(MainWindow::CompareTab));
    ComparisonView *view = window.comparisonView();
    QSignalSpy finished(view, &ComparisonView::finished);
    QSignalSpy failed(view, &ComparisonView::failed);

    // Compare… with nothing selected in the run's Checkpoints tab: best.pt against last.pt.
    window.checkpointBrowser()->setDirectory(m_run);
    QTRY_COMPARE(window.checkpointBrowser()->model()->rowCount(), 4);
    window.tabs()->setCurrentIndex(MainWindow::CheckpointsTab);
    compareButton(*window.checkpointBrowser())->click();
    QVERIFY(window.tabs()->isTabVisible(MainWindow::CompareTab));
    QCOMPARE(window.tabs()->currentIndex(), int(MainWindow::CompareTab));
    QVERIFY(view->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 0, 240000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(finished.count(), 1);
    QVERIFY(!view->isRunning());

    const Comparison *c = view->comparison();
    QVERIFY(c);
    QCOMPARE(QFileInfo(c->a.info.path).fileName(), QStringLiteral("best.pt"));
    QCOMPARE(QFileInfo(c->b.info.path).fileName(), QStringLiteral("last.pt"));
    QCOMPARE(c->a.predictions.images.size(), size_t(8)); // the val split
    // Both columns of every metric are filled with numbers.
    const ComparisonHeaderModel *header = view->headerModel();
    QCOMPARE(header->rowCount(), 13);
    for (int r = 0; r < header->rowCount(); ++r) {
        for (int column : {int(ComparisonHeaderModel::A), int(ComparisonHeaderModel::B)}) {
            bool number = false;
            header->index(r, column).data().toString().toDouble(&number);
            QVERIFY2(number, qPrintable(header->index(r, 0).data().toString()));
        }
    }
    QCOMPARE(view->imageModel()->rowCount(), 8);
    QVERIFY(!view->summaryText().isEmpty());

    // YOLODECK_SCREENSHOT_DIR set: one picture of the window per sub-tab, for the docs.
    const QString shots = qEnvironmentVariable("YOLODECK_SCREENSHOT_DIR");
    if (!shots.isEmpty()) {
        for (int tab = 0; tab < view->tabs()->count(); ++tab) {
            view->tabs()->setCurrentIndex(tab);
            QTest::qWait(200);
            window.grab().save(
                QDir(shots).filePath(QStringLiteral("compare-window-%1.png").arg(tab)));
        }
        view->tabs()->setCurrentIndex(ComparisonView::SummaryTab);
    }

    // Two .pt files dropped at once: a comparison of them, older first.
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(weights(QStringLiteral("epoch2.pt"))),
                  QUrl::fromLocalFile(weights(QStringLiteral("epoch1.pt")))});
    const QPoint pos = window.rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QVERIFY(view->isRunning());
    QCOMPARE(QFileInfo(view->lastRequest().a).fileName(), QStringLiteral("epoch1.pt"));
    QCOMPARE(QFileInfo(view->lastRequest().b).fileName(), QStringLiteral("epoch2.pt"));
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() + failed.count() > 1, 240000);
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.at(0).at(0).toString()));
    QCOMPARE(QFileInfo(view->comparison()->b.info.path).fileName(), QStringLiteral("epoch2.pt"));
    QVERIFY(!view->comparison()->sameWeights); // two different epochs
}

QTEST_MAIN(TestComparisonView)
#include "tst_comparisonview.moc"
