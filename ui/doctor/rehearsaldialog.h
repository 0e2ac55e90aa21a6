#pragma once

#include <QDialog>
#include <QMap>
#include <QString>

#include <atomic>
#include <thread>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace yolodeck {

struct BatchProgress;
struct RehearsalReport;

// Test resume…: core's rehearse() on a worker thread: the resume is planned with every check, a
// few batches are trained in a scratch folder (never the run folder) and compared with what the
// run recorded. One line per rehearsed batch while it runs; the report, verdict first, at the end.
class RehearsalDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit RehearsalDialog(const QString &checkpoint, QWidget *parent = nullptr,
                             const QMap<QString, QString> &overrides = {});
    // Cancels and joins the worker: rehearse() checks the flag between batches.
    ~RehearsalDialog() override;

    bool isRunning() const { return m_running; }
    QString reportText() const { return m_text; } // empty until finished
    QString verdict() const { return m_verdict; }
    QString scratchDir() const { return m_scratchDir; }

    // Cancel while running: asks the worker to stop and closes once it has (the scratch folder
    // is removed by then). Otherwise closes at once.
    void reject() override;

Q_SIGNALS:
    void rehearsalFinished();

private:
    void showBatch(const BatchProgress &progress);
    void showReport(const RehearsalReport &report);

    std::thread m_thread;
    std::atomic<bool> m_cancel{false};
    bool m_running = true;
    bool m_closeWhenDone = false;
    QString m_text;
    QString m_verdict;
    QString m_scratchDir;
    QLabel *m_status = nullptr;
    QLabel *m_verdictLabel = nullptr;
    QPlainTextEdit *m_view = nullptr;
    QPushButton *m_cancelButton = nullptr;
};

} // namespace yolodeck
