#pragma once

#include "core/compare/checkpointcomparer.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;

namespace yolodeck {

// File → Compare Checkpoints…: two .pt files (A and B), optionally another data.yaml and the
// split to evaluate on. OK checks the pair first (checkComparablePair: both readable YoloDeck
// checkpoints with the same class names) and shows the reason in the dialog instead of closing
// when it fails.
class CompareDialog final : public QDialog
{
    Q_OBJECT

public:
    explicit CompareDialog(QWidget *parent = nullptr);

    void setPaths(const QString &a, const QString &b);
    void setDataYaml(const QString &dataYaml);
    CompareRequest request() const;
    QString message() const; // the last refusal, empty when none

    void accept() override;

private:
    QLineEdit *m_a = nullptr;
    QLineEdit *m_b = nullptr;
    QLineEdit *m_dataYaml = nullptr;
    QComboBox *m_split = nullptr;
    QLabel *m_message = nullptr;
};

} // namespace yolodeck
