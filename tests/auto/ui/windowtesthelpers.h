#pragma once

// Support for the window tests: reaching modal dialogs, actions and buttons by their text.

#include "core/data/synthdataset.h"
#include "ui/metatypes.h"

#include <QAction>
#include <QApplication>
#include <QCoreApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTimer>
#include <QWidget>

#include <functional>

namespace windowtest {

// A modal exec() runs its own event loop inside the call that opened it, so a test can only reach
// the dialog from a timer that fires inside that loop. The handler gets the first visible modal
// widget, once, and must close it.
class ModalAnswerer final : public QObject
{
public:
    explicit ModalAnswerer(std::function<void(QWidget *)> handler)
        : m_handler(std::move(handler))
    {
        m_timer.setInterval(20);
        connect(&m_timer, &QTimer::timeout, this, [this] {
            QWidget *modal = QApplication::activeModalWidget();
            if (!modal || !modal->isVisible())
                return;
            m_timer.stop();
            ++m_answered;
            m_handler(modal);
        });
        m_timer.start();
    }
    int answered() const { return m_answered; }

private:
    std::function<void(QWidget *)> m_handler;
    QTimer m_timer;
    int m_answered = 0;
};

inline QAction *actionWithText(QWidget *window, const QString &text)
{
    for (QAction *action : window->findChildren<QAction *>()) {
        if (action->text() == text)
            return action;
    }
    return nullptr;
}

inline QPushButton *buttonWithText(QWidget *parent, const QString &text)
{
    for (QPushButton *button : parent->findChildren<QPushButton *>()) {
        if (button->text() == text)
            return button;
    }
    return nullptr;
}

// A failure opens a warning box (QMessageBox::warning) whose exec() would hold the test until
// ctest's timeout. Close such boxes and print their text; the assertions on what the run reported
// then fail with the reason.
inline void closeWarningBoxes(QObject *context)
{
    auto guard = new QTimer(context);
    guard->setInterval(300);
    QObject::connect(guard, &QTimer::timeout, context, [] {
        auto box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        if (box && box->icon() == QMessageBox::Warning) {
            qWarning("closing a warning box: %s: %s", qPrintable(box->windowTitle()),
                     qPrintable(box->text()));
            box->close();
        }
    });
    guard->start();
}

// The window reads and writes QSettings (geometry, chart options, recent runs): keep the user's own
// settings out of a test, start it from the same defaults, and close stray warning boxes.
inline void isolateWindowTest(QObject *context, const QString &testName)
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("YoloDeckTests"));
    QCoreApplication::setApplicationName(testName);
    QSettings().clear();
    yolodeck::registerMetaTypes();
    closeWarningBoxes(context);
}

// The small generated dataset the window tests train on (32 train / 8 val images of 64 px);
// returns its data.yaml, or an empty string when it cannot be written.
inline QString writeSmallDataset(const QString &dir)
{
    yolodeck::SynthOptions o;
    o.dir = dir;
    o.train = 32;
    o.val = 8;
    o.imgsz = 64;
    return yolodeck::writeSynthDataset(o).isOk() ? dir + QStringLiteral("/data.yaml") : QString();
}

} // namespace windowtest
