#pragma once

#include "core/doctor/environmentreport.h"

#include <QDialog>

#include <thread>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace yolodeck {

// Help -> System Report: what `yolodeck-cli doctor` says about this machine, measured on a worker
// thread (the GEMM and disk timings take seconds), with the findings that slow training on top and
// a Copy button for bug reports.
class SystemReportDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit SystemReportDialog(const EnvironmentOptions &options, QWidget *parent = nullptr);
    // The measurement cannot be interrupted: closing early waits for it (a few seconds).
    ~SystemReportDialog() override;

    bool isFinished() const { return m_finished; }
    QString reportText() const { return m_text; } // empty until finished
    void copyReport();

Q_SIGNALS:
    void reportReady();

private:
    void showReport(const EnvironmentReport &report);

    std::thread m_thread;
    bool m_finished = false;
    QString m_text;
    QLabel *m_status = nullptr;
    QLabel *m_findings = nullptr;
    QPlainTextEdit *m_view = nullptr;
    QPushButton *m_copy = nullptr;
};

} // namespace yolodeck
