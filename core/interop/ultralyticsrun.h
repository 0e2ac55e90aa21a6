#pragma once

// No torch header here: the window and yolodeck-cli include this file.

#include "core/common/result.h"
#include "core/runlog/epochrecord.h"

#include <QString>
#include <QVariantMap>

#include <vector>

namespace yolodeck {

// A run folder that Ultralytics (`yolo train`, `model.train()`) writes, runs/detect/trainN:
//   args.yaml        the run's arguments (task, mode, model, data, epochs, batch, imgsz, ...)
//   results.csv      one row per epoch, grown while training runs; no events.jsonl, so no batch
//                    losses
//   weights/*.pt     last.pt, best.pt, epochN.pt (save_period): Ultralytics pickles, listed by
//                    listCheckpoints() like YoloDeck's own files
//   results.png      drawn once, after the final validation: the run has ended
// Read into the history the window's charts and yolodeck-cli show for YoloDeck's own runs
// (DESIGN.md §8).

// The epochs of one results.csv, as YoloDeck keeps them.
struct UltralyticsResults
{
    // Ascending 1-based epochs, each epoch once. A column the file lacks is NaN (8.0.x wrote no
    // `time`); columns YoloDeck does not know are ignored. fitness = 0.1·mAP50 + 0.9·mAP50-95,
    // Ultralytics' fixed weights. `time` counts on across resumes (Ultralytics restarts it at 0).
    History history;
    // Completed epochs after which a later session continued: `time` fell back, or the epochs
    // started again at or below one already written. A resumed run appends to the same file, and
    // a crash between writing a row and saving last.pt makes the resumed session write that
    // epoch again; the later row replaces the earlier one (and every row after it), so the charts
    // never interleave two sessions.
    std::vector<int> resumedAfter;
};

// Everything YoloDeck shows about an Ultralytics run folder.
struct UltralyticsRunInfo
{
    QString runDir;      // absolute, cleaned
    QString resultsPath; // runDir/results.csv (may not exist yet: the first epoch is running)
    QString argsPath;    // runDir/args.yaml
    QString weightsDir;  // runDir/weights
    QVariantMap args;    // args.yaml: null -> invalid QVariant, numbers, bools, strings, lists
    QString argsError;   // why args.yaml could not be read; empty when it was read or is absent
    // args.yaml `epochs`; 0 when unknown (no args.yaml, or `time=` hours, with which Ultralytics
    // recomputes the number of epochs while it trains).
    int plannedEpochs = 0;
    UltralyticsResults results;
    int bestEpoch = 0; // the row with the highest fitness (the earliest of equals); 0 if none
    double bestFitness = qQNaN();
    // The last row is epoch `plannedEpochs`, or results.png (drawn after the final validation,
    // also when patience or time= ended the run early) is at least as new as results.csv.
    bool finished = false;

    int epochsDone() const { return results.history.empty() ? 0 : results.history.back().epoch; }
};

// True for a folder Ultralytics wrote: no events.jsonl (every YoloDeck run has one), and either an
// args.yaml with Ultralytics' `task:` or `mode:` key or a results.csv whose header (padding
// trimmed) has an `epoch` column and Ultralytics' metric columns.
bool isUltralyticsRunFolder(const QString &dir);

// Reads results.csv, written by any Ultralytics 8.x: padded (8.0.x) or plain header, any column
// order, with or without `time`, extra columns. A last line without its newline that does not
// parse is being written: it is left out, not an error. An empty file (Ultralytics 8.3 rewrites it
// whole) has no rows. A malformed row elsewhere fails with "<file>:<line>: ..." naming the row.
Result<UltralyticsResults> readUltralyticsResults(const QString &csvPath);

// Reads args.yaml into a map. Fails with the file and the YAML error.
Result<QVariantMap> readUltralyticsArgs(const QString &yamlPath);

// Reads the whole folder (`dir` may also be its results.csv or args.yaml). Fails when it is not
// an Ultralytics run folder or its results.csv is malformed; a missing or broken args.yaml is not
// fatal (argsError says why, plannedEpochs is 0).
Result<UltralyticsRunInfo> readUltralyticsRun(const QString &dir);

} // namespace yolodeck
