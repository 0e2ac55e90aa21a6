#include "ui/compare/comparedialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace yolodeck {

CompareDialog::CompareDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Compare Checkpoints"));
    m_a = new QLineEdit;
    m_a->setPlaceholderText(tr("e.g. runs/train/exp/weights/best.pt"));
    m_b = new QLineEdit;
    m_b->setPlaceholderText(tr("e.g. runs/train/exp/weights/last.pt"));
    m_dataYaml = new QLineEdit;
    m_dataYaml->setPlaceholderText(tr("optional: the run's own data.yaml"));
    m_split = new QComboBox;
    m_split->addItem(tr("val"), QStringLiteral("val"));
    m_split->addItem(tr("test"), QStringLiteral("test"));
    m_split->addItem(tr("train"), QStringLiteral("train"));
    m_message = new QLabel;
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_message->setVisible(false);

    auto field = [this](QLineEdit *edit, const QString &title, const QString &filter) {
        auto browse = new QPushButton(tr("Browse…"));
        connect(browse, &QPushButton::clicked, this, [this, edit, title, filter] {
            const QString path = QFileDialog::getOpenFileName(
                this, title, QFileInfo(edit->text()).absolutePath(), filter);
            if (!path.isEmpty())
                edit->setText(path);
        });
        auto row = new QHBoxLayout;
        row->addWidget(edit, 1);
        row->addWidget(browse);
        return row;
    };
    auto form = new QFormLayout;
    form->addRow(tr("Checkpoint A:"), field(m_a, tr("Checkpoint A"), tr("Checkpoints (*.pt)")));
    form->addRow(tr("Checkpoint B:"), field(m_b, tr("Checkpoint B"), tr("Checkpoints (*.pt)")));
    form->addRow(tr("Dataset:"),
                 field(m_dataYaml, tr("Evaluate on dataset"), tr("Dataset (*.yaml *.yml)")));
    form->addRow(tr("Split:"), m_split);

    auto hint = new QLabel(tr("Both checkpoints are evaluated once on the split (results are "
                              "cached); B is compared against A."));
    hint->setWordWrap(true);
    auto buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Compare"));
    connect(buttons, &QDialogButtonBox::accepted, this, &CompareDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &CompareDialog::reject);

    auto layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(hint);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    setMinimumWidth(560);
}

void CompareDialog::setPaths(const QString &a, const QString &b)
{
    m_a->setText(a);
    m_b->setText(b);
}

void CompareDialog::setDataYaml(const QString &dataYaml)
{
    m_dataYaml->setText(dataYaml);
}

CompareRequest CompareDialog::request() const
{
    CompareRequest request;
    request.a = m_a->text().trimmed();
    request.b = m_b->text().trimmed();
    request.dataYaml = m_dataYaml->text().trimmed();
    request.split = m_split->currentData().toString();
    return request;
}

QString CompareDialog::message() const
{
    return m_message->isVisible() ? m_message->text() : QString();
}

void CompareDialog::accept()
{
    const CompareRequest r = request();
    QString problem;
    if (r.a.isEmpty() || r.b.isEmpty()) {
        problem = tr("Choose two checkpoint files.");
    } else if (!r.dataYaml.isEmpty() && !QFileInfo::exists(r.dataYaml)) {
        problem = tr("%1 does not exist.").arg(r.dataYaml);
    } else {
        const Status status = checkComparablePair(r.a, r.b);
        if (!status)
            problem = status.error();
    }
    m_message->setText(problem);
    m_message->setVisible(!problem.isEmpty());
    if (problem.isEmpty())
        QDialog::accept();
}

} // namespace yolodeck
