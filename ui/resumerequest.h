#pragma once

#include <QString>
#include <QStringList>

namespace yolodeck {

// What the resume confirmation shows about one dropped or chosen .pt file: a plain description,
// independent of how it was worked out (see TrainingWorker::planResume, the hook that fills it
// from core's ResumePlanner).
struct ResumeRequest
{
    enum class Action
    {
        Continue, // exact resume in the same run folder
        Branch,   // exact resume into a new folder <name>-from-e<N>
        FineTune, // a new run starting from the file's weights
        Refused,  // cannot be used
    };
    QString checkpoint;
    Action action = Action::Refused;
    QString runDir; // where training will write
    int completedEpochs = 0;
    int completedBatch = 0; // > 0 for a mid-epoch stop
    int epochs = 0;         // the planned total; the dialog lets the user raise it
    bool exact = true;
    bool foreign = false;     // written by another tool (an Ultralytics last.pt): never exact
    QString dataOverride;     // a data.yaml that replaces the checkpoint's own (foreign runs)
    bool canFineTune = false; // a readable checkpoint can always seed a fine-tune
    QString summary;
    QStringList checks;
    QStringList warnings;
    QStringList problems;
};

} // namespace yolodeck
