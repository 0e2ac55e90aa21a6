#pragma once

// No torch header here: the window's checkpoint browser includes this file.

#include "core/common/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <vector>

namespace yolodeck {

// The newest checkpoint layout this build reads (meta.json "format"). A file with a higher number
// was written by a newer YoloDeck and is refused with a message saying so.
constexpr int kCheckpointFormatVersion = 1;

// The archive records that hold YoloDeck's own data, relative to the archive root. Torch's
// Module::save() stores its extra files under "extra/".
constexpr const char *kCheckpointMetaRecord = "extra/meta.json";

// One row of the checkpoint browser: what meta.json says about a file, read without its tensors.
struct CheckpointInfo
{
    QString path;           // absolute
    QString kind;           // "full" (resumable) or "weights" (fine-tune only); empty if unreadable
    QString source;         // who wrote it: "yolodeck" or "ultralytics" (DESIGN.md §8)
    int epoch = -1;         // completed epochs
    int batch = 0;          // batch within the next epoch: > 0 for a mid-epoch stop
    double map50 = qQNaN(); // NaN when meta.json has no metrics (e.g. before the first validation)
    double map50_95 = qQNaN();
    double fitness = qQNaN();
    qint64 size = 0;   // bytes
    QDateTime created; // meta.json "created"; the file's modification time when absent
    QJsonObject meta;  // the whole meta.json
    QString error;     // one-line reason when the file cannot be used; empty when it can

    bool isValid() const { return error.isEmpty(); }
    bool isResumable() const { return isValid() && kind == QLatin1String("full"); }
};

// Whether a metadata read includes meta.json's "history": the metrics of every epoch so far, which
// grow with the run (about 500 bytes an epoch). Listing, pruning and save notices read only the
// other fields, so that their cost does not grow with the run.
enum class MetaHistory
{
    Include,
    Omit
};

// Reads the meta.json record of a checkpoint and nothing else (no tensor is touched, so it is fast
// for any file size). Failures are one line naming the file and the problem: empty file, not a
// PyTorch zip archive, a TorchScript model, ... An Ultralytics .pt (a torch.save pickle) is read by
// core/interop and gives a meta.json-shaped object with "source": "ultralytics".
Result<QJsonObject> readCheckpointMeta(const QString &path,
                                       MetaHistory history = MetaHistory::Include);

// Fills a CheckpointInfo from a meta.json object (no file access beyond what is given).
CheckpointInfo checkpointInfoFromMeta(const QString &path, const QJsonObject &meta);

// Reads the metadata of one file into a CheckpointInfo; an unreadable file gets `error` set.
CheckpointInfo readCheckpointInfo(const QString &path, MetaHistory history = MetaHistory::Include);

// Every *.pt of a run: `dir` is a run folder (its weights/ sub-folder is listed) or a weights
// folder itself. Readable files come first, sorted by epoch, then batch, then file name; files that
// cannot be read follow, sorted by name, each with its `error` set — they are listed, not dropped,
// so the user sees why a file they expect is unusable. Reads metadata only, without the history
// (MetaHistory::Omit).
std::vector<CheckpointInfo> listCheckpoints(const QString &dir);

} // namespace yolodeck
