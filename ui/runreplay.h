#pragma once

#include "core/monitor/runfigures.h"
#include "core/runlog/epochrecord.h"
#include "core/train/trainingobserver.h"

#include <QString>

#include <vector>

namespace yolodeck {

// A finished (or running) run read back from its folder for the charts: results.csv gives the
// epoch rows, events.jsonl the batch losses and where sessions resumed. File → Open Run uses it;
// it reads whole files, so call it off the GUI thread. An Ultralytics run folder (no events.jsonl)
// gives epoch rows only, its planned epochs from args.yaml (core/interop/ultralyticsrun.h).
struct RunReplay
{
    QString runDir;
    QString source = QStringLiteral("yolodeck"); // who wrote the folder: or "ultralytics"
    History history;
    std::vector<BatchProgress> batches; // in order, later sessions replacing what they cut off
    std::vector<double> resumeMarkers;  // completed epochs where a session resumed
    int batchesPerEpoch = 0;
    int bestEpoch = 0;
    int epochs = 0;    // the planned total of the newest session
    int worldSize = 1; // training processes of the newest session (run_start's world_size)
    QString error;     // why nothing could be read; empty on success
    // Nothing more will come: the newest session wrote run_end (YoloDeck), or results.csv has
    // every planned epoch or results.png was drawn after it (Ultralytics).
    bool finished = false;
    // Speed and host figures of the newest session (events.jsonl), for the System tab's
    // diagnosis of a run this window only watches.
    RunFigures figures;
};

// `path` is a run folder (YoloDeck's or Ultralytics'), or a results.csv / events.jsonl inside one.
RunReplay loadRunReplay(const QString &path);

} // namespace yolodeck
