#pragma once

#include "ui/resumerequest.h"

#include <QDialog>

class QLabel;
class QPushButton;
class QSpinBox;

namespace yolodeck {

// The confirmation before resuming from (or fine-tuning from) a checkpoint: what the file is, what
// will happen and where, the checks that passed, warnings and problems, and the total number of
// epochs (which may be raised to extend the run). The buttons say which of the two the user does.
class ResumeDialog final : public QDialog
{
    Q_OBJECT

public:
    enum class Choice
    {
        None,
        Resume,
        FineTune
    };

    explicit ResumeDialog(const ResumeRequest &request, QWidget *parent = nullptr);

    Choice choice() const { return m_choice; }
    int epochs() const;
    const ResumeRequest &request() const { return m_request; }

private:
    ResumeRequest m_request;
    Choice m_choice = Choice::None;
    QSpinBox *m_epochs = nullptr;
};

} // namespace yolodeck
