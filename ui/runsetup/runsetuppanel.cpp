#include "ui/runsetup/runsetuppanel.h"

#include "core/model/modelscale.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QSpinBox>
#include <QStandardPaths>
#include <QToolButton>
#include <QVBoxLayout>

namespace yolodeck {

namespace {
// Keys with their own widget in the basic section; resume is what the resume dialog sets.
const char *const kBasicKeys[] = {"data",   "model", "epochs",      "imgsz",   "batch",
                                  "device", "nproc", "save_period", "project", "name"};
constexpr int kMaxRecent = 10;

bool isBasicKey(const QString &key)
{
    for (const char *k : kBasicKeys) {
        if (key == QLatin1String(k))
            return true;
    }
    return key == QLatin1String("resume");
}

// An editor and its "…" button as one form row.
QWidget *rowWithButton(QWidget *editor, QToolButton *button)
{
    auto row = new QWidget;
    auto layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(editor, 1);
    layout->addWidget(button);
    return row;
}

QLabel *errorLabel()
{
    auto label = new QLabel;
    label->setWordWrap(true);
    label->setStyleSheet(QStringLiteral("color: #c0392b;"));
    label->setVisible(false);
    return label;
}
} // namespace

QString RunSetupPanel::demoDatasetPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation))
        .filePath(QStringLiteral("demo/data.yaml"));
}

QString RunSetupPanel::defaultProjectFolder()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    if (base.isEmpty())
        base = QDir::homePath();
    return QDir::cleanPath(QDir(base).absoluteFilePath(QStringLiteral("YoloDeck/runs")));
}

RunSetupPanel::RunSetupPanel(QWidget *parent)
    : QWidget(parent)
{
    TrainConfig defaults;
    // A window is started from a menu, so a folder relative to its working directory would be
    // somewhere the user never looks.
    defaults.project = defaultProjectFolder();
    auto content = new QWidget;
    auto column = new QVBoxLayout(content);

    auto form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);

    // Dataset: editable path with recent entries and the demo, plus a file picker.
    m_data = new QComboBox;
    m_data->setEditable(true);
    m_data->setInsertPolicy(QComboBox::NoInsert);
    m_data->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_data->setMinimumContentsLength(12);
    m_data->lineEdit()->setPlaceholderText(tr("path/to/data.yaml"));
    auto browseButton = [](const QString &toolTip) {
        auto button = new QToolButton;
        button->setText(tr("…"));
        button->setToolTip(toolTip);
        return button;
    };
    auto browse = browseButton(tr("Choose a data.yaml"));
    addField(
        form, QStringLiteral("data"), tr("Dataset"), m_data,
        [this] {
            const int i = m_data->currentIndex();
            if (i >= 0 && m_data->currentText() == m_data->itemText(i))
                return m_data->itemData(i).toString();
            return m_data->currentText().trimmed();
        },
        [this](const QString &t) { rebuildDatasetList(t); }, rowWithButton(m_data, browse));
    rebuildDatasetList(QString());

    m_model = new QComboBox;
    m_model->setEditable(true);
    m_model->addItems(modelScaleNames());
    m_model->setToolTip(tr("Model scale (n s m l x; tiny for quick tests) or a .pt file to "
                           "fine-tune from: a YoloDeck checkpoint or Ultralytics weights such as "
                           "yolov8n.pt or a run's best.pt"));
    auto browseModelButton = browseButton(tr("Choose weights to fine-tune from (.pt)"));
    addField(
        form, QStringLiteral("model"), tr("Model"), m_model,
        [this] { return m_model->currentText().trimmed(); },
        [this](const QString &t) { m_model->setCurrentText(t); },
        rowWithButton(m_model, browseModelButton));

    auto spin = [](int min, int max, int step) {
        auto box = new QSpinBox;
        box->setRange(min, max);
        box->setSingleStep(step);
        box->setKeyboardTracking(true);
        return box;
    };
    m_epochs = spin(1, 100000, 10);
    addField(
        form, QStringLiteral("epochs"), tr("Epochs"), m_epochs,
        [this] { return m_epochs->cleanText(); },
        [this](const QString &t) { m_epochs->setValue(t.toInt()); });
    m_imgsz = spin(32, 8192, 32);
    addField(
        form, QStringLiteral("imgsz"), tr("Image size"), m_imgsz,
        [this] { return m_imgsz->cleanText(); },
        [this](const QString &t) { m_imgsz->setValue(t.toInt()); });
    m_batch = spin(1, 4096, 1);
    addField(
        form, QStringLiteral("batch"), tr("Batch"), m_batch,
        [this] { return m_batch->cleanText(); },
        [this](const QString &t) { m_batch->setValue(t.toInt()); });

    m_device = new QComboBox;
    setDevices({});
    addField(
        form, QStringLiteral("device"), tr("Device"), m_device,
        [this] { return m_device->currentData().toString(); },
        [this](const QString &t) {
            int i = m_device->findData(t);
            if (i < 0) {
                m_device->addItem(t, t);
                i = m_device->count() - 1;
            }
            m_device->setCurrentIndex(i);
        });

    // One process unless asked: nproc=1, not TrainConfig's 0, so a window started inside a
    // cluster allocation (RANK or SLURM_PROCID in its environment) never joins that job.
    m_processes = spin(1, 64, 1);
    m_processes->setToolTip(
        tr("nproc=: data-parallel training in this many local processes. batch stays the global "
           "batch: it is split evenly over the processes, so it must be divisible by their "
           "number. With threads=0 (every core) each process gets cores/N LibTorch intra-op "
           "threads."));
    addField(
        form, QStringLiteral("nproc"), tr("Processes"), m_processes,
        [this] { return m_processes->cleanText(); },
        [this](const QString &t) { m_processes->setValue(qMax(1, t.toInt())); });

    m_savePeriod = spin(-1, 100000, 1);
    m_savePeriod->setSpecialValueText(tr("off"));
    m_savePeriod->setToolTip(tr("Also keep epochN.pt every N epochs"));
    addField(
        form, QStringLiteral("save_period"), tr("Save every"), m_savePeriod,
        [this] { return QString::number(m_savePeriod->value()); },
        [this](const QString &t) { m_savePeriod->setValue(t.toInt()); });

    m_project = new QLineEdit;
    auto browseProjectButton = browseButton(tr("Choose the folder that holds the runs"));
    addField(
        form, QStringLiteral("project"), tr("Output folder"), m_project,
        [this] { return m_project->text().trimmed(); },
        [this](const QString &t) { m_project->setText(t); },
        rowWithButton(m_project, browseProjectButton));
    m_name = new QLineEdit;
    addField(
        form, QStringLiteral("name"), tr("Run name"), m_name,
        [this] { return m_name->text().trimmed(); },
        [this](const QString &t) { m_name->setText(t); });
    column->addLayout(form);

    // Advanced: every remaining key, typed as on the command line (key=value).
    m_advancedToggle = new QToolButton;
    m_advancedToggle->setText(tr("Advanced"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setArrowType(Qt::RightArrow);
    m_advancedToggle->setAutoRaise(true);
    column->addWidget(m_advancedToggle);
    m_advanced = new QWidget;
    auto advancedForm = new QFormLayout(m_advanced);
    advancedForm->setContentsMargins(0, 0, 0, 0);
    advancedForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (const QString &key : TrainConfig::keys()) {
        if (isBasicKey(key))
            continue;
        auto edit = new QLineEdit;
        edit->setPlaceholderText(defaults.value(key));
        // Key names are the CLI's: shown as they are typed there, not translated.
        addField(
            advancedForm, key, key, edit, [edit] { return edit->text().trimmed(); },
            [edit](const QString &t) { edit->setText(t); });
    }
    m_advanced->setVisible(false);
    column->addWidget(m_advanced);

    m_summary = new QLabel;
    m_summary->setWordWrap(true);
    column->addWidget(m_summary);
    column->addStretch();

    auto scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_advancedToggle, &QToolButton::toggled, this, &RunSetupPanel::setAdvancedVisible);
    connect(browse, &QToolButton::clicked, this, &RunSetupPanel::browseDataset);
    connect(browseProjectButton, &QToolButton::clicked, this, &RunSetupPanel::browseProject);
    connect(browseModelButton, &QToolButton::clicked, this, &RunSetupPanel::browseModel);
    connect(m_data, &QComboBox::currentIndexChanged, this, [this] {
        // Choosing the demo picks settings whose mAP visibly climbs within a minute on a laptop
        // CPU: the tiny model on 64 px images, one optimizer step per batch of 8 (nbs=8 instead
        // of accumulating to 64 images), no warmup, no mosaic (it shrinks 64 px shapes to specks).
        if (isDemoSelected() && !m_updating) {
            m_model->setCurrentText(QStringLiteral("tiny"));
            m_imgsz->setValue(64);
            m_batch->setValue(8);
            m_epochs->setValue(qMin(m_epochs->value(), 20));
            setText(QStringLiteral("nbs"), QStringLiteral("8"));
            setText(QStringLiteral("warmup_epochs"), QStringLiteral("0"));
            setText(QStringLiteral("mosaic"), QStringLiteral("0"));
        }
    });

    setConfig(defaults);
}

void RunSetupPanel::addField(QFormLayout *form, const QString &key, const QString &label,
                             QWidget *editor, std::function<QString()> text,
                             std::function<void(const QString &)> setText, QWidget *shown)
{
    Field field;
    field.editor = editor;
    field.error = errorLabel();
    field.text = std::move(text);
    field.setText = std::move(setText);
    editor->setObjectName(key);
    const QString help = TrainConfig::help(key);
    if (editor->toolTip().isEmpty() && !help.isEmpty())
        editor->setToolTip(tr("%1=: %2").arg(key, help));
    auto cell = new QWidget;
    auto cellLayout = new QVBoxLayout(cell);
    cellLayout->setContentsMargins(0, 0, 0, 0);
    cellLayout->setSpacing(1);
    cellLayout->addWidget(shown ? shown : editor);
    cellLayout->addWidget(field.error);
    form->addRow(label, cell);
    m_fields.insert(key, field);
    m_order << key;

    // Every kind of editor reports edits through one of these signals.
    auto changed = [this] {
        if (m_updating)
            return;
        revalidate();
        Q_EMIT configEdited();
    };
    if (auto line = qobject_cast<QLineEdit *>(editor))
        connect(line, &QLineEdit::textChanged, this, changed);
    else if (auto box = qobject_cast<QSpinBox *>(editor))
        connect(box, &QSpinBox::textChanged, this, changed);
    else if (auto combo = qobject_cast<QComboBox *>(editor)) {
        connect(combo, &QComboBox::currentIndexChanged, this, changed);
        if (combo->isEditable())
            connect(combo, &QComboBox::editTextChanged, this, changed);
    }
}

void RunSetupPanel::revalidate()
{
    TrainConfig config;
    bool valid = true;
    for (const QString &key : std::as_const(m_order)) {
        const Field &field = m_fields[key];
        const QString value = field.text();
        QString error;
        // An empty advanced field means "the default".
        if (!(value.isEmpty() && !isBasicKey(key))) {
            const Status s = config.set(key, value);
            if (!s)
                error = s.error();
        }
        if (key == QLatin1String("data") && error.isEmpty()) {
            if (value.isEmpty())
                error = tr("data= is required: choose a data.yaml or the demo dataset");
            else if (!isDemoSelected() && !QFileInfo(value).isFile())
                error = tr("data=%1 is not valid: no such file").arg(value);
        }
        field.error->setText(error);
        field.error->setVisible(!error.isEmpty());
        valid = valid && error.isEmpty();
    }
    if (valid && config.nproc > 1 && config.batch % config.nproc != 0) {
        // Each rank loads batch/nproc images a step, so the global batch must split evenly.
        const int below = config.batch - config.batch % config.nproc;
        const int above = below + config.nproc;
        const QString error =
            below > 0 ? tr("batch=%1 is not valid with nproc=%2: the global batch is split evenly "
                           "over the processes, so it must be divisible by %2 (try batch=%3 or "
                           "%4, or another number of processes).")
                            .arg(config.batch)
                            .arg(config.nproc)
                            .arg(below)
                            .arg(above)
                      : tr("batch=%1 is not valid with nproc=%2: each process needs at least one "
                           "image per step (try batch=%3 or fewer processes).")
                            .arg(config.batch)
                            .arg(config.nproc)
                            .arg(above);
        const Field &field = m_fields[QStringLiteral("nproc")];
        field.error->setText(error);
        field.error->setVisible(true);
        valid = false;
    }
    QString summary;
    if (valid) {
        const Status s = config.validate();
        if (!s) {
            valid = false;
            summary = s.error();
            // Messages start with the key they are about ("imgsz=100 is not valid: ...").
            const QString key = summary.section(QLatin1Char('='), 0, 0);
            if (m_fields.contains(key)) {
                m_fields[key].error->setText(summary);
                m_fields[key].error->setVisible(true);
            }
        }
    } else {
        summary = tr("Fix the fields marked in red to start.");
    }
    m_summary->setText(summary);
    m_summary->setStyleSheet(valid ? QString() : QStringLiteral("color: #c0392b;"));
    if (valid != m_valid) {
        m_valid = valid;
        Q_EMIT validityChanged(valid);
    }
}

Result<TrainConfig> RunSetupPanel::config() const
{
    TrainConfig config;
    for (const QString &key : m_order) {
        const QString value = m_fields[key].text();
        if (value.isEmpty() && !isBasicKey(key))
            continue;
        const Status s = config.set(key, value);
        if (!s)
            return Result<TrainConfig>::fail(s.error());
    }
    const Status s = config.validate();
    if (!s)
        return Result<TrainConfig>::fail(s.error());
    if (!m_valid) {
        // A check of the panel's own (the dataset file exists): report the field's message.
        for (const QString &key : m_order) {
            if (!m_fields[key].error->text().isEmpty())
                return Result<TrainConfig>::fail(m_fields[key].error->text());
        }
        return Result<TrainConfig>::fail(m_summary->text());
    }
    return Result<TrainConfig>::ok(config);
}

bool RunSetupPanel::isValid() const
{
    return m_valid;
}

void RunSetupPanel::setConfig(const TrainConfig &config)
{
    const TrainConfig defaults;
    m_updating = true;
    for (const QString &key : std::as_const(m_order)) {
        const QString value = config.value(key);
        // Advanced keys at their default stay empty, so the placeholder shows the default.
        if (!isBasicKey(key) && value == defaults.value(key))
            m_fields[key].setText(QString());
        else
            m_fields[key].setText(value);
    }
    m_updating = false;
    revalidate();
}

QString RunSetupPanel::errorFor(const QString &key) const
{
    const auto it = m_fields.constFind(key);
    return it == m_fields.constEnd() || !it->error->isVisibleTo(this) ? QString()
                                                                      : it->error->text();
}

QWidget *RunSetupPanel::editorFor(const QString &key) const
{
    return m_fields.value(key).editor;
}

void RunSetupPanel::setText(const QString &key, const QString &text)
{
    const auto it = m_fields.constFind(key);
    if (it == m_fields.constEnd())
        return;
    it->setText(text);
    revalidate();
}

QString RunSetupPanel::text(const QString &key) const
{
    const auto it = m_fields.constFind(key);
    return it == m_fields.constEnd() ? QString() : it->text();
}

void RunSetupPanel::rebuildDatasetList(const QString &current)
{
    const bool wasUpdating = m_updating;
    m_updating = true;
    m_data->clear();
    m_data->addItem(tr("Demo (generated shapes)"), demoDatasetPath());
    for (const QString &path : std::as_const(m_recent))
        m_data->addItem(path, path);
    const int i = current.isEmpty() ? -1 : m_data->findData(current);
    if (i >= 0) {
        m_data->setCurrentIndex(i);
    } else {
        m_data->setCurrentIndex(-1);
        m_data->setEditText(current);
    }
    m_data->lineEdit()->setCursorPosition(0); // a long path shows its beginning
    m_updating = wasUpdating;
}

void RunSetupPanel::setRecentDatasets(const QStringList &paths)
{
    const QString current = text(QStringLiteral("data"));
    m_recent = paths.mid(0, kMaxRecent);
    m_recent.removeAll(demoDatasetPath());
    rebuildDatasetList(current);
    revalidate();
}

void RunSetupPanel::setDevices(const QStringList &cudaDevices)
{
    const QString current = m_device->currentData().toString();
    const bool wasUpdating = m_updating;
    m_updating = true;
    m_device->clear();
    m_device->addItem(tr("auto (CUDA if present)"), QString());
    m_device->addItem(tr("cpu"), QStringLiteral("cpu"));
    for (const QString &d : cudaDevices)
        m_device->addItem(d, d.section(QLatin1Char(' '), 0, 0));
    const int i = m_device->findData(current);
    m_device->setCurrentIndex(i >= 0 ? i : 0);
    m_updating = wasUpdating;
}

bool RunSetupPanel::isAdvancedVisible() const
{
    return m_advanced->isVisibleTo(this);
}

void RunSetupPanel::setAdvancedVisible(bool visible)
{
    m_advanced->setVisible(visible);
    const QSignalBlocker block(m_advancedToggle);
    m_advancedToggle->setChecked(visible);
    m_advancedToggle->setArrowType(visible ? Qt::DownArrow : Qt::RightArrow);
}

void RunSetupPanel::setEditable(bool editable)
{
    for (const Field &field : std::as_const(m_fields))
        field.editor->setEnabled(editable);
}

bool RunSetupPanel::isDemoSelected() const
{
    return text(QStringLiteral("data")) == demoDatasetPath();
}

void RunSetupPanel::selectDemo()
{
    m_data->setCurrentIndex(0);
    m_data->lineEdit()->setCursorPosition(0);
}

void RunSetupPanel::browseDataset()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose a dataset"), QFileInfo(text(QStringLiteral("data"))).absolutePath(),
        tr("Dataset description (*.yaml *.yml)"));
    if (path.isEmpty())
        return;
    rebuildDatasetList(QString());
    m_data->setEditText(path);
    revalidate();
}

void RunSetupPanel::browseModel()
{
    const QString current = text(QStringLiteral("model"));
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Choose weights to fine-tune from"),
        current.endsWith(QLatin1String(".pt")) ? QFileInfo(current).absolutePath() : QString(),
        tr("PyTorch weights: YoloDeck or Ultralytics (*.pt)"));
    if (path.isEmpty())
        return;
    m_model->setCurrentText(path);
    revalidate();
}

void RunSetupPanel::browseProject()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Output folder"), m_project->text());
    if (!dir.isEmpty())
        m_project->setText(dir);
}

} // namespace yolodeck
