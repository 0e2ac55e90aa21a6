#pragma once

#include "core/common/result.h"

#include <QString>
#include <QStringList>

namespace yolodeck {

// Which checkpoints a run keeps on the disk (keep=K, the resume checklist): only the newest K
// periodic epochN.pt files. best.pt, last.pt, the epochN.pt of a run's final epoch (meta
// "final": true) and every file the user marked Keep stay, whatever K says.

// A Keep mark is an empty file beside the checkpoint, "<file>.keep" (e.g. epoch7.pt.keep), so it
// survives copies of the folder and needs no index that could go stale.
bool isKept(const QString &checkpointPath);
Status setKept(const QString &checkpointPath, bool kept);

// The epochN.pt files of `weightsDir` that keep=K removes now, oldest first (none when keep <= 0).
QStringList checkpointsToPrune(const QString &weightsDir, int keep);

} // namespace yolodeck
