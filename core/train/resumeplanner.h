#pragma once

#include "core/checkpoint/checkpointmeta.h"
#include "core/common/result.h"
#include "core/train/trainconfig.h"

#include <QMap>
#include <QString>
#include <QStringList>

namespace yolodeck {

// What resuming (or fine-tuning from) a checkpoint will do, worked out before anything runs, so the
// CLI can print it and the window can show it in the drop dialog (DESIGN.md §4).
struct ResumePlan
{
    enum class Mode
    {
        Continue, // the newest state of its run: continue in the same run folder
        Branch,   // an older state: a new folder <name>-from-e<N> with the history 1..N
        FineTune, // a weights-only file: a new run that starts from its weights
        Refused,  // cannot be used; `problems` says why
    };
    Mode mode = Mode::Refused;
    QString checkpoint;     // absolute path
    CheckpointInfo info;    // what the file says about itself
    QString runDir;         // where the run continues (Continue) or the branch that will be made
    TrainConfig config;     // the checkpoint's configuration with the allowed overrides applied
    int epochs = 0;         // total epochs after the resume (raised when extending)
    bool extends = false;   // epochs raised above the checkpoint's
    bool exact = true;      // false when forced overrides change the math
    QStringList overridden; // math keys the user changed (only with force=true)
    bool worldSizeChanged = false; // resumed with another number of processes (not exact)
    QStringList checks;   // passed checks, one line each ("architecture: YOLOv8n, 3 classes")
    QStringList warnings; // resume possible, but look ("LibTorch 1.13.1 -> 2.1.0")
    QStringList problems; // why it is refused

    QString modeName() const; // "continue", "branch", "fine-tune", "refused"
    QString summary() const;  // one paragraph for the CLI and the dialog
};

class ResumePlanner
{
public:
    // checkpoint: the file to resume from. overrides: keys the user typed along with resume=
    // (epochs=..., workers=..., device=..., or math keys with force=true). The dataset named by
    // the checkpoint (or by an overriding data=) is scanned to compare fingerprints.
    static ResumePlan plan(const QString &checkpoint, const QMap<QString, QString> &overrides);

    // resume=true: the newest last.pt under the project folder (by modification time).
    static Result<QString> newestLastCheckpoint(const QString &projectDir);
};

} // namespace yolodeck
