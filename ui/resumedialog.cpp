#include "ui/resumedialog.h"

#include "ui/doctor/rehearsaldialog.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace yolodeck {

namespace {
QString bulletList(const QStringList &lines, const QString &color)
{
    QString html = QStringLiteral("<ul style=\"margin-left:-24px; color:%1\">").arg(color);
    for (const QString &line : lines)
        html += QStringLiteral("<li>") + line.toHtmlEscaped() + QStringLiteral("</li>");
    return html + QStringLiteral("</ul>");
}
} // namespace

ResumeDialog::ResumeDialog(const ResumeRequest &request, QWidget *parent)
    : QDialog(parent)
    , m_request(request)
{
    setWindowTitle(tr("Resume from %1").arg(QFileInfo(request.checkpoint).fileName()));
    auto layout = new QVBoxLayout(this);

    QString headline;
    switch (request.action) {
    case ResumeRequest::Action::Continue:
        headline = request.exact ? tr("<b>Exact resume</b> in the same run folder.")
                                 : tr("<b>Resume (not exact)</b> in the same run folder.");
        break;
    case ResumeRequest::Action::Branch:
        headline = request.foreign
                       ? tr("<b>Continue this Ultralytics run (not exact)</b> in a new YoloDeck "
                            "run folder. Its weights, EMA, optimizer state and history are "
                            "restored; the data order differs from Ultralytics'. The Ultralytics "
                            "files are not modified.")
                       : tr("<b>Exact resume as a branch:</b> this is an older state of its run, "
                            "so training continues in a new folder and nothing after it is "
                            "overwritten.");
        break;
    case ResumeRequest::Action::FineTune:
        headline = tr("<b>Fine-tune only:</b> this file holds weights without optimizer state, so "
                      "it cannot be resumed. A new run starts from its weights.");
        break;
    case ResumeRequest::Action::Refused:
        headline = tr("<b>This file cannot be resumed.</b>");
        break;
    }
    auto headlineLabel = new QLabel(headline);
    headlineLabel->setWordWrap(true);
    layout->addWidget(headlineLabel);

    auto form = new QFormLayout;
    form->addRow(tr("Checkpoint:"), new QLabel(request.checkpoint));
    if (request.completedEpochs >= 0) {
        const QString state = request.completedBatch > 0
                                  ? tr("%1 epochs completed, stopped at batch %2 of the next")
                                        .arg(request.completedEpochs)
                                        .arg(request.completedBatch)
                                  : tr("%1 epochs completed").arg(request.completedEpochs);
        form->addRow(tr("State:"), new QLabel(state));
    }
    if (!request.runDir.isEmpty())
        form->addRow(tr("Writes to:"), new QLabel(request.runDir));
    m_epochs = new QSpinBox(this); // parented: it is not in the layout for fine-tune/refused
    m_epochs->setRange(qMax(1, request.completedEpochs + 1), 100000);
    m_epochs->setValue(qMax(request.epochs, m_epochs->minimum()));
    m_epochs->setToolTip(tr("Raise it to train longer: the learning-rate schedule continues "
                            "smoothly to the new end"));
    if (request.action == ResumeRequest::Action::Continue ||
        request.action == ResumeRequest::Action::Branch)
        form->addRow(tr("Total epochs:"), m_epochs);
    else
        m_epochs->hide();
    layout->addLayout(form);

    QString details;
    if (!request.checks.isEmpty())
        details +=
            tr("<p>Checks passed:</p>") + bulletList(request.checks, QStringLiteral("#1e7b34"));
    if (!request.warnings.isEmpty())
        details += tr("<p>Warnings:</p>") + bulletList(request.warnings, QStringLiteral("#9a6700"));
    if (!request.problems.isEmpty())
        details += tr("<p>Problems:</p>") + bulletList(request.problems, QStringLiteral("#c0392b"));
    if (!details.isEmpty()) {
        auto detailsLabel = new QLabel(details);
        detailsLabel->setWordWrap(true);
        detailsLabel->setTextFormat(Qt::RichText);
        layout->addWidget(detailsLabel);
    }

    auto buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    if (request.action == ResumeRequest::Action::Continue ||
        request.action == ResumeRequest::Action::Branch) {
        auto resume = buttons->addButton(request.foreign ? tr("Continue in YoloDeck")
                                         : request.action == ResumeRequest::Action::Branch
                                             ? tr("Resume as branch")
                                             : tr("Resume"),
                                         QDialogButtonBox::AcceptRole);
        resume->setDefault(true);
        connect(resume, &QPushButton::clicked, this, [this] {
            m_choice = Choice::Resume;
            accept();
        });
        auto testResume = buttons->addButton(tr("Test resume…"), QDialogButtonBox::ActionRole);
        testResume->setToolTip(tr("Train a few batches from this checkpoint in a scratch folder "
                                  "and compare them with what the run recorded"));
        connect(testResume, &QPushButton::clicked, this, [this] {
            // Window-modal over this dialog, so this dialog cannot close under it.
            auto dialog = new RehearsalDialog(m_request.checkpoint, this);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            dialog->open();
        });
    }
    if (request.canFineTune) {
        auto fineTune = buttons->addButton(tr("Fine-tune from it"), QDialogButtonBox::ActionRole);
        connect(fineTune, &QPushButton::clicked, this, [this] {
            m_choice = Choice::FineTune;
            accept();
        });
    }
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    setMinimumWidth(520);
}

int ResumeDialog::epochs() const
{
    return m_epochs->value();
}

} // namespace yolodeck
