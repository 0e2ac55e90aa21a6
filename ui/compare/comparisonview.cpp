#include "ui/compare/comparisonview.h"

#include "ui/compare/classcomparisonmodel.h"
#include "ui/compare/compareworker.h"
#include "ui/compare/comparisoncharts.h"
#include "ui/compare/comparisonheadermodel.h"
#include "ui/compare/imagecomparisonmodel.h"
#include "ui/compare/imagecomparisonview.h"
#include "ui/metatypes.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>
#include <set>

namespace yolodeck {

namespace {

QCustomPlot *newPlot(QWidget *parent = nullptr)
{
    auto plot = new QCustomPlot(parent);
    plot->setMinimumSize(220, 160);
    plot->setNoAntialiasingOnDrag(true);
    return plot;
}

QTableView *newTable(QAbstractItemModel *model)
{
    auto table = new QTableView;
    table->setModel(model);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->setAlternatingRowColors(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setHighlightSections(false);
    return table;
}

QString sizeText(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QString signedNumber(double v, int decimals)
{
    const QString s = QString::number(v, 'f', decimals);
    return v >= 0 ? QLatin1Char('+') + s : s;
}

} // namespace

ComparisonView::ComparisonView(QWidget *parent)
    : QWidget(parent)
{
    registerMetaTypes();

    // Top: the two models, the settings, warnings, progress and "Evaluate on…".
    auto card = [](const QString &name, const QColor &color) {
        auto label = new QLabel;
        label->setObjectName(name);
        label->setTextFormat(Qt::RichText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setStyleSheet(QStringLiteral("QLabel#%1 { border-left: 5px solid %2; padding: 2px "
                                            "6px; background: palette(base); }")
                                 .arg(name, color.name()));
        label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
        return label;
    };
    m_cardA = card(QStringLiteral("compareCardA"), ComparisonCharts::colorA());
    m_cardB = card(QStringLiteral("compareCardB"), ComparisonCharts::colorB());
    m_banner = new QLabel(tr("A and B hold the same weights; evaluated once."));
    m_banner->setStyleSheet(
        QStringLiteral("background: #fff4c2; border: 1px solid #e0c060; padding: 3px;"));
    m_banner->setVisible(false);
    m_settings = new QLabel;
    m_settings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_warnings = new QLabel;
    m_warnings->setWordWrap(true);
    m_warnings->setStyleSheet(QStringLiteral("color: #a05a00;"));
    m_warnings->setVisible(false);

    m_stage = new QLabel;
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(260);
    m_cancel = new QPushButton(tr("Cancel"));
    m_progressRow = new QWidget;
    auto progressLayout = new QHBoxLayout(m_progressRow);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    progressLayout->addWidget(m_stage, 1);
    progressLayout->addWidget(m_progress);
    progressLayout->addWidget(m_cancel);
    m_progressRow->setVisible(false);

    m_dataYaml = new QLineEdit;
    m_dataYaml->setPlaceholderText(tr("the run's own data.yaml"));
    m_dataYaml->setToolTip(tr("Evaluate both checkpoints on another dataset (data.yaml)"));
    auto browse = new QPushButton(tr("Browse…"));
    m_split = new QComboBox;
    m_split->addItem(tr("val"), QStringLiteral("val"));
    m_split->addItem(tr("test"), QStringLiteral("test"));
    m_split->addItem(tr("train"), QStringLiteral("train"));
    m_evaluate = new QPushButton(tr("Evaluate on…"));
    m_evaluate->setToolTip(tr("Run the comparison again on this data.yaml and split"));
    // "Evaluate on…" sits in the corner of the sub-tab bar, where it takes no height.
    auto evaluate = new QWidget;
    auto evaluateRow = new QHBoxLayout(evaluate);
    evaluateRow->setContentsMargins(0, 0, 0, 2);
    evaluateRow->addWidget(new QLabel(tr("Dataset:")));
    evaluateRow->addWidget(m_dataYaml, 1);
    evaluateRow->addWidget(browse);
    evaluateRow->addWidget(m_split);
    evaluateRow->addWidget(m_evaluate);
    m_dataYaml->setMinimumWidth(160);

    auto cards = new QHBoxLayout;
    cards->addWidget(m_cardA, 1);
    cards->addWidget(m_cardB, 1);

    m_tabs = new QTabWidget;
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(createSummaryTab(), tr("Summary"));
    m_tabs->addTab(createCurvesTab(), tr("Curves"));
    m_tabs->addTab(createConfusionTab(), tr("Confusion"));
    m_tabs->addTab(createImagesTab(), tr("Images"));
    m_tabs->addTab(createWeightsTab(), tr("Weights"));
    m_tabs->setCornerWidget(evaluate, Qt::TopRightCorner);
    connect(m_tabs, &QTabWidget::currentChanged, this, &ComparisonView::replotShownPlots);

    auto content = new QWidget;
    auto contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->setSpacing(4);
    contentLayout->addLayout(cards);
    contentLayout->addWidget(m_banner);
    contentLayout->addWidget(m_settings);
    contentLayout->addWidget(m_warnings);
    contentLayout->addWidget(m_tabs, 1);

    m_placeholder = new QLabel(tr("No comparison yet.\n\nSelect two checkpoints in the "
                                  "Checkpoints tab and press Compare… (or none, for best.pt "
                                  "against last.pt), drop two .pt files on the window, or use "
                                  "File → Compare Checkpoints…."));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_pages = new QStackedWidget;
    m_pages->addWidget(m_placeholder);
    m_pages->addWidget(content);

    auto layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_progressRow);
    layout->addWidget(m_pages, 1);

    connect(m_cancel, &QPushButton::clicked, this, &ComparisonView::cancel);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Evaluate on dataset"), QFileInfo(m_dataYaml->text()).absolutePath(),
            tr("Dataset (*.yaml *.yml)"));
        if (!path.isEmpty())
            m_dataYaml->setText(path);
    });
    connect(m_evaluate, &QPushButton::clicked, this, &ComparisonView::evaluateOn);
    m_evaluate->setEnabled(false);
}

ComparisonView::~ComparisonView()
{
    if (m_worker)
        m_worker->cancel(m_generation);
    m_thread.quit();
    m_thread.wait();
}

QWidget *ComparisonView::createSummaryTab()
{
    m_headerModel = new ComparisonHeaderModel(this);
    auto header = newTable(m_headerModel);
    header->setSelectionMode(QAbstractItemView::NoSelection);
    header->horizontalHeader()->setStretchLastSection(true);
    m_summarySentence = new QLabel;
    m_summarySentence->setWordWrap(true);
    m_summarySentence->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_bootstrap = new QLabel;
    m_bootstrap->setWordWrap(true);
    m_bootstrap->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto left = new QWidget;
    auto leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(header, 1);
    leftLayout->addWidget(m_summarySentence);
    leftLayout->addWidget(m_bootstrap);

    m_classModel = new ClassComparisonModel(this);
    auto classes = newTable(m_classModel);
    classes->horizontalHeader()->setStretchLastSection(true);
    m_classAp = newPlot();
    auto right = new QSplitter(Qt::Vertical);
    right->addWidget(classes);
    right->addWidget(m_classAp);
    right->setStretchFactor(0, 1);
    right->setStretchFactor(1, 1);

    auto split = new QSplitter(Qt::Horizontal);
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(0, 0);
    split->setStretchFactor(1, 1);
    // The metric table needs the width of its numbers; the per-class side gets the rest.
    split->setSizes({470, 700});
    return split;
}

QWidget *ComparisonView::createCurvesTab()
{
    m_curveClass = new QComboBox;
    m_curveClass->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    auto top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Class:")));
    top->addWidget(m_curveClass);
    top->addStretch();
    top->addWidget(new QLabel(tr("Dots: each model's max-F1 point. Dashed line: the confidence "
                                 "slider of the Images tab.")));
    auto grid = new QGridLayout;
    grid->setSpacing(2);
    for (size_t i = 0; i < m_curves.size(); ++i) {
        QCustomPlot *plot = newPlot();
        m_curves[i] = plot;
        grid->addWidget(plot, int(i) / 2, int(i) % 2);
        connect(plot, &QCustomPlot::mouseMove, this, [this, plot](QMouseEvent *event) {
            showCurveReadout(plot, event->position(), event->globalPosition().toPoint());
        });
    }
    auto page = new QWidget;
    auto layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addLayout(grid, 1);
    connect(m_curveClass, &QComboBox::currentIndexChanged, this, &ComparisonView::fillCurves);
    return page;
}

QWidget *ComparisonView::createConfusionTab()
{
    m_normalise = new QCheckBox(tr("Normalise by true class"));
    auto top = new QHBoxLayout;
    top->addWidget(m_normalise);
    top->addStretch();
    top->addWidget(new QLabel(tr("Detections with confidence > 0.25, matched at IoU > 0.45 "
                                 "regardless of class (as Ultralytics). Click a cell to list "
                                 "its images.")));
    auto row = new QHBoxLayout;
    row->setSpacing(2);
    for (size_t side = 0; side < m_confusion.size(); ++side) {
        QCustomPlot *plot = newPlot();
        m_confusion[side] = plot;
        row->addWidget(plot, 1);
        connect(plot, &QCustomPlot::mousePress, this, [this, plot, side](QMouseEvent *event) {
            int predicted = 0, truth = 0;
            if (event->button() == Qt::LeftButton &&
                ComparisonCharts::confusionCellAt(plot, event->position(), &predicted, &truth))
                showConfusionCell(int(side), predicted, truth);
        });
    }
    auto page = new QWidget;
    auto layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addLayout(row, 1);
    connect(m_normalise, &QCheckBox::toggled, this, &ComparisonView::fillConfusion);
    return page;
}

QWidget *ComparisonView::createImagesTab()
{
    m_order = new QComboBox;
    m_order->addItem(tr("Where A and B disagree most"), int(DisagreementOrder::Disagreement));
    m_order->addItem(tr("B misses what A finds"), int(DisagreementOrder::BMissesAFinds));
    m_order->addItem(tr("B adds false positives"), int(DisagreementOrder::BAddsFalsePositives));
    m_order->addItem(tr("Both wrong"), int(DisagreementOrder::BothWrong));
    m_classFilter = new QComboBox;
    m_classFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_filterLabel = new QLabel;
    m_filterLabel->setStyleSheet(QStringLiteral("background: #e8f0fe; padding: 1px 4px;"));
    m_clearFilter = new QPushButton(tr("Show all images"));
    m_filterLabel->setVisible(false);
    m_clearFilter->setVisible(false);
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setRange(0, kSliderSteps);
    m_slider->setValue(int(std::lround(m_confidence * kSliderSteps)));
    m_slider->setMinimumWidth(160);
    m_slider->setToolTip(tr("Confidence threshold of both models"));
    m_confidenceLabel = new QLabel;
    m_confidenceLabel->setMinimumWidth(m_confidenceLabel->fontMetrics().horizontalAdvance(
                                           tr("confidence %1").arg(0.888, 0, 'f', 3)) +
                                       6);
    auto top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Order:")));
    top->addWidget(m_order);
    top->addWidget(new QLabel(tr("Class:")));
    top->addWidget(m_classFilter);
    top->addWidget(m_filterLabel);
    top->addWidget(m_clearFilter);
    top->addStretch();
    top->addWidget(m_confidenceLabel);
    top->addWidget(m_slider, 1);
    m_imagesSentence = new QLabel;
    m_imagesSentence->setWordWrap(true);

    m_imageModel = new ImageComparisonModel(this);
    m_imageTable = newTable(m_imageModel);
    m_imageTable->horizontalHeader()->setSectionResizeMode(ImageComparisonModel::Image,
                                                           QHeaderView::Stretch);
    m_imageView = new ImageComparisonView;
    auto split = new QSplitter(Qt::Vertical);
    split->addWidget(m_imageTable);
    split->addWidget(m_imageView);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    split->setSizes({200, 400});

    auto page = new QWidget;
    auto layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_imagesSentence);
    layout->addWidget(split, 1);

    connect(m_slider, &QSlider::valueChanged, this,
            [this](int value) { setConfidence(float(value) / kSliderSteps); });
    connect(m_order, &QComboBox::currentIndexChanged, this,
            [this] { m_imageModel->setOrder(DisagreementOrder(m_order->currentData().toInt())); });
    connect(m_classFilter, &QComboBox::currentIndexChanged, this, [this] {
        m_imageModel->setClassFilter(m_classFilter->currentIndex() < 0
                                         ? ImageComparisonModel::kNoClass
                                         : m_classFilter->currentData().toInt());
    });
    connect(m_clearFilter, &QPushButton::clicked, this, [this] {
        m_imageModel->clearImageFilter();
        updateFilterLabel();
    });
    connect(m_imageModel, &ImageComparisonModel::rowsRanked, this, &ComparisonView::onRowsRanked);
    connect(m_imageTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &ComparisonView::showCurrentImage);
    connect(m_imageView, &ImageComparisonView::previousRequested, this,
            [this] { showNextImage(-1); });
    connect(m_imageView, &ImageComparisonView::nextRequested, this, [this] { showNextImage(1); });
    return page;
}

QWidget *ComparisonView::createWeightsTab()
{
    m_layers = newPlot();
    m_mapByEpoch = newPlot();
    auto page = new QWidget;
    auto layout = new QHBoxLayout(page);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_layers, 3);
    layout->addWidget(m_mapByEpoch, 2);
    return page;
}

void ComparisonView::ensureWorker()
{
    if (m_worker)
        return;
    m_worker = new CompareWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &ComparisonView::requestCompare, m_worker, &CompareWorker::run);
    connect(m_worker, &CompareWorker::progress, this, &ComparisonView::onProgress);
    connect(m_worker, &CompareWorker::finished, this, &ComparisonView::onFinished);
    connect(m_worker, &CompareWorker::failed, this, &ComparisonView::onFailed);
    connect(m_worker, &CompareWorker::cancelled, this, &ComparisonView::onCancelled);
    m_thread.setObjectName(QStringLiteral("compare"));
    m_thread.start();
}

void ComparisonView::compare(const CompareRequest &request)
{
    ensureWorker();
    if (m_running)
        m_worker->cancel(m_generation);
    m_request = request;
    ++m_generation;
    m_stage->setText(tr("Comparing %1 with %2…")
                         .arg(QFileInfo(request.a).fileName(), QFileInfo(request.b).fileName()));
    m_progress->setRange(0, 0);
    setRunning(true);
    Q_EMIT started();
    Q_EMIT requestCompare(request, m_generation);
}

void ComparisonView::cancel()
{
    if (!m_running || !m_worker)
        return;
    m_worker->cancel(m_generation);
    m_stage->setText(tr("Cancelling…"));
    m_cancel->setEnabled(false);
}

void ComparisonView::setRunning(bool running)
{
    m_running = running;
    m_progressRow->setVisible(running);
    m_cancel->setEnabled(running);
    m_evaluate->setEnabled(!running && (m_comparison || !m_request.a.isEmpty()));
}

void ComparisonView::onProgress(const CompareProgress &progress, quint64 generation)
{
    if (generation != m_generation || !m_running)
        return;
    m_stage->setText(progress.stage);
    if (progress.total > 0) {
        m_progress->setRange(0, progress.total);
        m_progress->setValue(std::min(progress.done, progress.total));
    } else {
        m_progress->setRange(0, 0);
    }
}

void ComparisonView::onFinished(const Comparison &comparison, quint64 generation)
{
    if (generation != m_generation)
        return;
    setRunning(false);
    setComparison(comparison);
    Q_EMIT finished();
}

void ComparisonView::onFailed(const QString &message, quint64 generation)
{
    if (generation != m_generation)
        return;
    setRunning(false);
    Q_EMIT failed(message);
}

void ComparisonView::onCancelled(quint64 generation)
{
    if (generation != m_generation)
        return;
    setRunning(false);
    Q_EMIT cancelled();
}

void ComparisonView::evaluateOn()
{
    CompareRequest request = m_request;
    if (request.a.isEmpty() && m_comparison) {
        request.a = m_comparison->a.info.path;
        request.b = m_comparison->b.info.path;
    }
    if (request.a.isEmpty())
        return;
    request.dataYaml = m_dataYaml->text().trimmed();
    request.split = m_split->currentData().toString();
    compare(request);
}

void ComparisonView::setComparison(const Comparison &comparison)
{
    m_comparison = std::make_shared<const Comparison>(comparison);
    const Comparison &c = *m_comparison;
    m_pages->setCurrentIndex(1);
    fillCards();

    m_headerModel->setModelNames(QFileInfo(c.a.info.path).fileName(),
                                 QFileInfo(c.b.info.path).fileName());
    m_classModel->setRows(classComparisons(c));
    ComparisonCharts::fillClassAp(m_classAp, c);
    replotWhenShown(m_classAp);

    const BootstrapInterval &boot = c.bootstrap;
    if (boot.resamples > 0) {
        m_bootstrap->setText(
            tr("Δ mAP50-95 = %1, 95% interval [%2, %3] (%4 resamples, seed %5): %6")
                .arg(signedNumber(boot.delta, 3), signedNumber(boot.low, 3),
                     signedNumber(boot.high, 3))
                .arg(boot.resamples)
                .arg(boot.seed)
                .arg(boot.significant() ? (boot.delta > 0 ? tr("B is better") : tr("A is better"))
                                        : tr("not significant")));
    } else {
        m_bootstrap->setText(
            tr("Δ mAP50-95 = %1 (no bootstrap interval)")
                .arg(signedNumber(c.b.metrics.map50_95 - c.a.metrics.map50_95, 3)));
    }

    {
        const QSignalBlocker block(m_curveClass);
        m_curveClass->clear();
        m_curveClass->addItem(tr("all classes"), ComparisonCharts::kAllClasses);
        for (const ClassMetrics &m : c.a.metrics.perClass)
            m_curveClass->addItem(m.name.isEmpty() ? QString::number(m.cls) : m.name, m.cls);
    }
    {
        const QSignalBlocker block(m_classFilter);
        m_classFilter->clear();
        m_classFilter->addItem(tr("all classes"), ImageComparisonModel::kNoClass);
        for (int i = 0; i < c.names.size(); ++i)
            m_classFilter->addItem(c.names[i], i);
    }
    fillCurves();
    fillConfusion();
    ComparisonCharts::fillLayerChange(m_layers, c);
    replotWhenShown(m_layers);
    ComparisonCharts::fillMapByEpoch(m_mapByEpoch, c);
    replotWhenShown(m_mapByEpoch);

    m_imageView->setComparison(m_comparison);
    m_imageView->setConfidence(m_confidence);
    m_imageModel->setOrder(DisagreementOrder(m_order->currentData().toInt()));
    m_imageModel->setComparison(m_comparison, m_confidence);
    updateFilterLabel();
    updateForConfidence();
    setRunning(m_running);
}

void ComparisonView::fillCards()
{
    const Comparison &c = *m_comparison;
    auto text = [](const QString &letter, const ComparedModel &m) {
        const CheckpointInfo &info = m.info;
        const QString kind =
            info.kind == QLatin1String("full") ? tr("full (resumable)") : tr("weights only");
        QStringList facts;
        facts << kind;
        if (info.epoch >= 0)
            facts << tr("epoch %1").arg(info.epoch);
        if (std::isfinite(info.fitness))
            facts << tr("fitness %1").arg(info.fitness, 0, 'f', 4);
        if (info.created.isValid())
            facts << QLocale().toString(info.created, QLocale::ShortFormat);
        facts << sizeText(info.size);
        return tr("<b>%1</b>&nbsp; <b>%2</b><br><span>%3</span>")
            .arg(letter, QFileInfo(info.path).fileName().toHtmlEscaped(),
                 facts.join(QStringLiteral(" · ")).toHtmlEscaped());
    };
    m_cardA->setText(text(QStringLiteral("A"), c.a));
    m_cardA->setToolTip(c.a.info.path);
    m_cardB->setText(text(QStringLiteral("B"), c.b));
    m_cardB->setToolTip(c.b.info.path);
    m_banner->setVisible(c.sameWeights);

    const size_t images = c.a.predictions.images.size();
    m_settings->setText(tr("%1 · %2 images of %3 (%4)")
                            .arg(c.settings.describe())
                            .arg(images)
                            .arg(c.settings.split, QFileInfo(c.settings.dataYaml).fileName()));
    m_settings->setToolTip(c.settings.dataYaml);
    QStringList warnings = c.warnings;
    if (warnings.isEmpty() && images < size_t(kSmallSplitImages))
        warnings << tr("Only %1 images: differences this small may be noise.").arg(images);
    m_warnings->setText(warnings.join(QLatin1Char('\n')));
    m_warnings->setVisible(!warnings.isEmpty());
    {
        const QSignalBlocker block(m_split);
        const int split = m_split->findData(c.settings.split);
        if (split >= 0)
            m_split->setCurrentIndex(split);
    }
    if (m_dataYaml->text().isEmpty())
        m_dataYaml->setText(c.settings.dataYaml);
}

void ComparisonView::fillCurves()
{
    if (!m_comparison)
        return;
    const int cls = m_curveClass->currentIndex() < 0 ? ComparisonCharts::kAllClasses
                                                     : m_curveClass->currentData().toInt();
    const ComparisonCharts::Curve curves[] = {
        ComparisonCharts::Curve::PrecisionRecall, ComparisonCharts::Curve::F1,
        ComparisonCharts::Curve::Precision, ComparisonCharts::Curve::Recall};
    for (size_t i = 0; i < m_curves.size(); ++i) {
        ComparisonCharts::fillCurve(m_curves[i], *m_comparison, curves[i], cls, m_confidence);
        replotWhenShown(m_curves[i]);
    }
}

void ComparisonView::replotWhenShown(QCustomPlot *plot)
{
    // Ten plots drawn at once kept the event loop busy for over 100 ms when a comparison
    // arrived; a hidden one is drawn when its tab is shown.
    if (plot->isVisible()) {
        plot->replot();
        m_stalePlots.remove(plot);
    } else {
        m_stalePlots.insert(plot);
    }
}

void ComparisonView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    replotShownPlots();
}

void ComparisonView::replotShownPlots()
{
    const QSet<QCustomPlot *> stale = m_stalePlots;
    for (QCustomPlot *plot : stale) {
        if (plot->isVisible())
            replotWhenShown(plot);
    }
}

void ComparisonView::fillConfusion()
{
    if (!m_comparison)
        return;
    const ComparisonCharts::Side sides[] = {ComparisonCharts::Side::A, ComparisonCharts::Side::B,
                                            ComparisonCharts::Side::Delta};
    for (size_t i = 0; i < m_confusion.size(); ++i) {
        ComparisonCharts::fillConfusion(m_confusion[i], *m_comparison, sides[i],
                                        m_normalise->isChecked());
        replotWhenShown(m_confusion[i]);
    }
}

void ComparisonView::setConfidence(float confidence)
{
    confidence = std::clamp(confidence, 0.0f, 1.0f);
    const int value = int(std::lround(confidence * kSliderSteps));
    if (m_slider->value() != value) {
        const QSignalBlocker block(m_slider);
        m_slider->setValue(value);
    }
    if (confidence == m_confidence && m_comparison && m_imageModel->confidence() == confidence)
        return;
    m_confidence = confidence;
    if (!m_comparison) {
        m_confidenceLabel->setText(tr("confidence %1").arg(double(m_confidence), 0, 'f', 3));
        return;
    }
    m_imageView->setConfidence(m_confidence);
    m_imageModel->setConfidence(m_confidence);
    updateForConfidence();
}

void ComparisonView::updateForConfidence()
{
    m_confidenceLabel->setText(tr("confidence %1").arg(double(m_confidence), 0, 'f', 3));
    if (!m_comparison)
        return;
    m_headerModel->setRows(headerRows(*m_comparison, m_confidence));
    const ComparisonSummary summary = m_imageModel->summary();
    const QString sentence = tr("At confidence %1: B finds %2 objects that A misses and misses %3 "
                                "that A finds; both miss %4. False positives: A %5, B %6.")
                                 .arg(double(m_confidence), 0, 'f', 2)
                                 .arg(summary.onlyB)
                                 .arg(summary.onlyA)
                                 .arg(summary.bothMiss)
                                 .arg(summary.fpA)
                                 .arg(summary.fpB);
    m_summarySentence->setText(sentence);
    m_imagesSentence->setText(sentence);
    // The slider's line on the curves against confidence: move it, do not redraw the curves.
    for (QCustomPlot *plot : m_curves) {
        for (int i = 0; i < plot->itemCount(); ++i) {
            if (auto line = qobject_cast<QCPItemStraightLine *>(plot->item(i))) {
                line->point1->setCoords(m_confidence, 0);
                line->point2->setCoords(m_confidence, 1);
            }
        }
        plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

QString ComparisonView::summaryText() const
{
    return m_summarySentence->text();
}

QString ComparisonView::bootstrapText() const
{
    return m_bootstrap->text();
}

void ComparisonView::onRowsRanked()
{
    QItemSelectionModel *selection = m_imageTable->selectionModel();
    int row = m_imageModel->rowOfImage(m_imageView->image());
    if (row < 0)
        row = m_imageModel->rowCount() > 0 ? 0 : -1;
    if (row < 0) {
        m_imageView->setImage(-1);
        return;
    }
    const QModelIndex index = m_imageModel->index(row, 0);
    if (selection->currentIndex().row() != row)
        selection->setCurrentIndex(index,
                                   QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    else
        showCurrentImage();
}

void ComparisonView::showCurrentImage()
{
    const QModelIndex current = m_imageTable->selectionModel()->currentIndex();
    const int image = current.isValid() ? m_imageModel->imageAt(current.row()) : -1;
    if (image != m_imageView->image())
        m_imageView->setImage(image);
}

void ComparisonView::showNextImage(int step)
{
    const int rows = m_imageModel->rowCount();
    if (rows == 0)
        return;
    const QModelIndex current = m_imageTable->selectionModel()->currentIndex();
    const int row = std::clamp((current.isValid() ? current.row() : -1) + step, 0, rows - 1);
    const QModelIndex index = m_imageModel->index(row, 0);
    m_imageTable->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect |
                                                               QItemSelectionModel::Rows);
    m_imageTable->scrollTo(index);
}

void ComparisonView::showConfusionCell(int side, int predicted, int truth)
{
    if (!m_comparison)
        return;
    const Comparison &c = *m_comparison;
    const int n = c.a.confusion.nc + 1;
    const size_t cell = size_t(predicted * n + truth);
    std::set<int> images;
    if (side != 1 && cell < c.a.confusion.cellImages.size())
        images.insert(c.a.confusion.cellImages[cell].begin(), c.a.confusion.cellImages[cell].end());
    if (side != 0 && cell < c.b.confusion.cellImages.size())
        images.insert(c.b.confusion.cellImages[cell].begin(), c.b.confusion.cellImages[cell].end());
    auto name = [&c](int cls) {
        return cls >= 0 && cls < c.names.size() ? c.names[cls] : tr("background");
    };
    const QString who = side == 0 ? tr("A") : side == 1 ? tr("B") : tr("A or B");
    m_imageModel->setImageFilter(std::vector<int>(images.begin(), images.end()),
                                 tr("%1: true %2, predicted %3 (%4 images)")
                                     .arg(who, name(truth), name(predicted))
                                     .arg(images.size()));
    updateFilterLabel();
    m_tabs->setCurrentIndex(ImagesTab);
}

void ComparisonView::updateFilterLabel()
{
    const bool filtered = m_imageModel->hasImageFilter();
    m_filterLabel->setText(m_imageModel->imageFilterDescription());
    m_filterLabel->setVisible(filtered);
    m_clearFilter->setVisible(filtered);
}

void ComparisonView::showCurveReadout(QCustomPlot *plot, const QPointF &pixel, const QPoint &global)
{
    if (!plot->axisRect()->rect().contains(pixel.toPoint())) {
        QToolTip::hideText();
        return;
    }
    m_lastReadout = ComparisonCharts::curveReadout(plot, plot->xAxis->pixelToCoord(pixel.x()));
    if (m_lastReadout.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(global, m_lastReadout, plot);
}

} // namespace yolodeck
