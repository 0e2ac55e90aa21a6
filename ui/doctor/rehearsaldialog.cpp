#include "ui/doctor/rehearsaldialog.h"

#include "core/train/rehearsal.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace yolodeck {

RehearsalDialog::RehearsalDialog(const QString &checkpoint, QWidget *parent,
                                 const QMap<QString, QString> &overrides)
    : QDialog(parent)
{
    setWindowTitle(tr("Test resume from %1").arg(QFileInfo(checkpoint).fileName()));
    m_status = new QLabel(tr("Planning the resume and training a few batches in a scratch folder "
                             "(the run folder is not touched)…"));
    m_status->setWordWrap(true);
    m_verdictLabel = new QLabel;
    m_verdictLabel->setWordWrap(true);
    m_verdictLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_verdictLabel->hide();
    m_view = new QPlainTextEdit;
    m_view->setReadOnly(true);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_cancelButton = buttons->button(QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::rejected, this, &RehearsalDialog::reject);

    auto layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_verdictLabel);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(720, 480);

    RehearsalOptions options;
    options.checkpoint = checkpoint;
    options.overrides = overrides;
    options.batches = 10;
    options.cancel = &m_cancel;
    // Progress and the result come back as queued calls on this dialog; the destructor joins the
    // thread first, and calls still queued when the dialog dies are dropped with its events.
    options.progress = [this](const BatchProgress &progress) {
        QMetaObject::invokeMethod(
            this, [this, progress] { showBatch(progress); }, Qt::QueuedConnection);
    };
    m_thread = std::thread([this, options] {
        RehearsalReport report;
        try {
            report = rehearse(options);
        } catch (const std::exception &e) {
            // Torch errors are caught here, at the worker boundary, and shown as the failure.
            report.ok = false;
            report.error = QString::fromLocal8Bit(e.what());
        }
        QMetaObject::invokeMethod(
            this, [this, report = std::move(report)] { showReport(report); }, Qt::QueuedConnection);
    });
}

RehearsalDialog::~RehearsalDialog()
{
    m_cancel = true;
    if (m_thread.joinable())
        m_thread.join();
}

void RehearsalDialog::reject()
{
    if (!m_running) {
        QDialog::reject();
        return;
    }
    m_cancel = true;
    m_closeWhenDone = true;
    m_cancelButton->setEnabled(false);
    m_status->setText(tr("Cancelling after the current batch…"));
}

void RehearsalDialog::showBatch(const BatchProgress &progress)
{
    m_status->setText(tr("Rehearsing batch %1…").arg(progress.batch));
    m_view->appendPlainText(tr("epoch %1 batch %2/%3: box %4 cls %5 dfl %6, %7 ms")
                                .arg(progress.epoch)
                                .arg(progress.batch)
                                .arg(progress.batches)
                                .arg(progress.loss[0], 0, 'f', 4)
                                .arg(progress.loss[1], 0, 'f', 4)
                                .arg(progress.loss[2], 0, 'f', 4)
                                .arg(progress.stepMs, 0, 'f', 0));
}

void RehearsalDialog::showReport(const RehearsalReport &report)
{
    m_thread.join(); // it has nothing left to do but return
    m_running = false;
    m_text = report.toText();
    m_verdict = report.ok ? report.verdict : report.error;
    m_scratchDir = report.scratchDir;
    m_view->setPlainText(m_text);
    if (!report.ok) {
        m_status->setText(tr("The resume cannot be rehearsed:"));
        m_verdictLabel->setStyleSheet(QStringLiteral("color: #b00020; font-weight: bold"));
    } else {
        m_status->setText(report.cancelled ? tr("Rehearsal cancelled.") : tr("Rehearsal done."));
        const bool exact = report.firstDifferent < 0 && report.compared > 0;
        m_verdictLabel->setStyleSheet(exact ? QStringLiteral("color: #1b7f3b; font-weight: bold")
                                            : QStringLiteral("color: #b00020; font-weight: bold"));
    }
    m_verdictLabel->setText(m_verdict);
    m_verdictLabel->show();
    m_cancelButton->setText(tr("Close"));
    m_cancelButton->setEnabled(true);
    Q_EMIT rehearsalFinished();
    if (m_closeWhenDone)
        QDialog::reject();
}

} // namespace yolodeck
