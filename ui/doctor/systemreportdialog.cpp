#include "ui/doctor/systemreportdialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace yolodeck {

SystemReportDialog::SystemReportDialog(const EnvironmentOptions &options, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("System Report"));
    m_status = new QLabel(tr("Measuring… (matrix products, disk and data, a few seconds)"));
    m_status->setWordWrap(true);
    m_findings = new QLabel;
    m_findings->setWordWrap(true);
    m_findings->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_findings->hide();
    m_view = new QPlainTextEdit;
    m_view->setReadOnly(true);
    m_view->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    m_copy = buttons->addButton(tr("Copy"), QDialogButtonBox::ActionRole);
    m_copy->setEnabled(false);
    connect(m_copy, &QPushButton::clicked, this, &SystemReportDialog::copyReport);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(m_findings);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(760, 560);

    // A plain thread rather than a worker QObject: one blocking call, one result. The result comes
    // back as a queued call on this dialog; the destructor joins first, so `this` outlives it (and
    // a call still queued when the dialog dies is dropped with its events).
    m_thread = std::thread([this, options] {
        EnvironmentReport report = buildEnvironmentReport(options);
        QMetaObject::invokeMethod(
            this, [this, report = std::move(report)] { showReport(report); }, Qt::QueuedConnection);
    });
}

SystemReportDialog::~SystemReportDialog()
{
    if (m_thread.joinable())
        m_thread.join();
}

void SystemReportDialog::showReport(const EnvironmentReport &report)
{
    m_text = report.toText();
    m_view->setPlainText(m_text);
    if (report.findings.empty()) {
        m_status->setText(tr("No problems found."));
    } else {
        m_status->setText(
            tr("%n finding(s) that can slow training:", nullptr, int(report.findings.size())));
        QString html = QStringLiteral("<ul style=\"margin-left:-24px; color:#b00020\">");
        for (const auto &finding : report.findings)
            html += QStringLiteral("<li><b>%1</b><br>%2</li>")
                        .arg(finding.problem.toHtmlEscaped(),
                             tr("Fix: %1").arg(finding.fix).toHtmlEscaped());
        m_findings->setText(html + QStringLiteral("</ul>"));
        m_findings->show();
    }
    m_copy->setEnabled(true);
    m_finished = true;
    Q_EMIT reportReady();
}

void SystemReportDialog::copyReport()
{
    QGuiApplication::clipboard()->setText(m_text);
}

} // namespace yolodeck
