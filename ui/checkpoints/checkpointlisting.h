#pragma once

#include "core/checkpoint/checkpointmeta.h"

#include <QSet>
#include <QString>

#include <vector>

namespace yolodeck {

// One look at a run's weights folder for the checkpoint browser: every .pt file with its
// metadata, the files marked Keep, and the periodic epochN.pt files that the run's keep=K setting
// removes when it saves its next epochN.pt (core/checkpoint/retention.h). Paths are absolute.
struct CheckpointListing
{
    std::vector<CheckpointInfo> checkpoints; // listCheckpoints() order
    QSet<QString> kept;                      // files with a "<file>.keep" mark beside them
    QSet<QString> toPrune;                   // what checkpointsToPrune(weights, keep) names now
    int keep = 0;                            // the run's keep= (args.yaml); 0 keeps every epochN.pt
};

// Lists `dir`, a run folder or its weights folder. The infos' meta leaves out "history"
// (listCheckpoints() does not read it), so a listing's cost does not grow with the run. Opens every
// file's zip directory, so it runs on CheckpointListWorker's thread, never on the GUI thread.
CheckpointListing listRunCheckpoints(const QString &dir);

// The keep= value that the run owning `dir` (a run folder or its weights folder) was started or
// last resumed with: the `keep:` line of its args.yaml, which the trainer rewrites at every start.
// 0 (keep everything) when there is no args.yaml, no such line (older runs, Ultralytics runs) or
// no number in it.
int runKeepSetting(const QString &dir);

} // namespace yolodeck
