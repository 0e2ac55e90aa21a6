#pragma once

#include "core/common/result.h"
#include "core/train/trainconfig.h"

#include <QMap>
#include <QWidget>

#include <functional>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QToolButton;

namespace yolodeck {

// The run setup on the left of the window: dataset (recent files, the built-in demo, a file
// picker), model scale, epochs, image size, batch, device, processes (nproc), save period, output
// folder, and every other TrainConfig key in a collapsible Advanced section. Each edit is checked
// at once with TrainConfig::set() (and validate() for the keys that depend on each other, plus
// batch divisible by nproc); the message appears under the field, naming the key, and Start stays
// disabled until everything is valid.
class RunSetupPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit RunSetupPanel(QWidget *parent = nullptr);

    // The configuration as typed, or the first problem.
    Result<TrainConfig> config() const;
    bool isValid() const;
    void setConfig(const TrainConfig &config);

    // The error shown next to a key's field; empty when it is fine.
    QString errorFor(const QString &key) const;
    QWidget *editorFor(const QString &key) const;
    // Sets a key's field from text, as if the user had typed it.
    void setText(const QString &key, const QString &text);
    QString text(const QString &key) const;

    void setRecentDatasets(const QStringList &paths);
    QStringList recentDatasets() const { return m_recent; }
    void setDevices(const QStringList &cudaDevices); // "cuda:0 (RTX 4090)", ...
    bool isAdvancedVisible() const;
    void setAdvancedVisible(bool visible);
    void setEditable(bool editable); // false while a run is in progress

    // Where the demo dataset lives; written by the training worker on first use.
    static QString demoDatasetPath();
    // The window's default output folder (project=): an absolute folder a newcomer can find,
    // <Documents>/YoloDeck/runs, or ~/YoloDeck/runs without a documents folder. yolodeck-cli
    // keeps Ultralytics' runs/detect relative to where it is started.
    static QString defaultProjectFolder();
    bool isDemoSelected() const;
    void selectDemo();

Q_SIGNALS:
    void validityChanged(bool valid);
    void configEdited();

private:
    struct Field
    {
        QWidget *editor = nullptr;
        QLabel *error = nullptr;
        std::function<QString()> text;
        std::function<void(const QString &)> setText;
    };
    void addField(QFormLayout *form, const QString &key, const QString &label, QWidget *editor,
                  std::function<QString()> text, std::function<void(const QString &)> setText,
                  QWidget *shown = nullptr);
    void revalidate();
    void browseDataset();
    void browseProject();
    void browseModel();
    void rebuildDatasetList(const QString &current);

    QMap<QString, Field> m_fields;
    QStringList m_order;
    QStringList m_recent;
    QComboBox *m_data = nullptr;
    QComboBox *m_model = nullptr;
    QSpinBox *m_epochs = nullptr;
    QSpinBox *m_imgsz = nullptr;
    QSpinBox *m_batch = nullptr;
    QComboBox *m_device = nullptr;
    QSpinBox *m_processes = nullptr;
    QSpinBox *m_savePeriod = nullptr;
    QLineEdit *m_project = nullptr;
    QLineEdit *m_name = nullptr;
    QToolButton *m_advancedToggle = nullptr;
    QWidget *m_advanced = nullptr;
    QLabel *m_summary = nullptr;
    bool m_valid = false;
    bool m_updating = false;
};

} // namespace yolodeck
