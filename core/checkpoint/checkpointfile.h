#pragma once

#include "core/checkpoint/checkpointmeta.h"
#include "core/common/result.h"

#include <torch/types.h>

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <map>
#include <string>

namespace yolodeck {

// The full state of a run as one value: meta.json plus named tensors. Keys are free-form and may
// contain dots ("model.backbone.0.conv.weight", "ema.…", "optim.…", "rng.cpu").
struct CheckpointData
{
    QJsonObject meta;
    std::map<std::string, torch::Tensor> tensors;
    // meta.json's "history" as compact JSON array text, for a writer that keeps it serialized and
    // appends one epoch at a time: a save then copies bytes instead of building and serializing a
    // tree that grows with the run. When set, it is what the file's meta.json has as "history"
    // (meta's own "history", if any, is ignored). loadCheckpoint() leaves it empty and puts the
    // history in meta.
    QByteArray historyJson;
};

// File format (DESIGN.md §4). A PyTorch zip archive written by torch::jit::Module::save() from a
// module of class __torch__.yolodeck.Checkpoint that has one attribute, `tensors`, of type
// Dict[str, Tensor]; meta.json is the archive's extra file (record "extra/meta.json"). A dict keeps
// every key exactly as given (dots included) and every dtype bit-exact, and it opens in Python
// PyTorch with no YoloDeck code:
//
//   import torch, json
//   e = {"meta.json": ""}
//   t = torch.jit.load("last.pt", _extra_files=e).tensors  # dict: key -> CPU tensor
//   meta = json.loads(e["meta.json"])
//
// or from a shell:
// clang-format off
//   python3 -c "import torch,json; e={'meta.json':''}; t=torch.jit.load('last.pt',_extra_files=e).tensors; print(json.loads(e['meta.json'])['epoch'], len(t))"
// clang-format on
//
// meta.json is compact JSON (`yolodeck-cli inspect FILE` prints it indented, without the history).
// A second extra file, tensors.json, maps each key to its dtype, shape and CRC-32: PyTorch's reader
// ignores the zip CRCs, so loadCheckpoint() checks these instead and refuses a file whose bytes
// changed after it was written. Tensors are stored detached and compact: a view or a non-contiguous
// tensor is saved as a contiguous copy of its values, so shapes, dtypes and bytes round-trip
// exactly while strides may not.

// meta.json as a checkpoint stores it: data.meta as compact JSON, with data.historyJson as its
// "history" when set.
std::string checkpointMetaJson(const CheckpointData &data);

// Saves data to path so that a crash at any instant leaves either the previous file or the new one:
// the archive is written to "<dir>/.<name>.tmp-<pid>-<n>" in the same folder, fsynced, renamed over
// path, and the folder is fsynced. On failure the temporary file is removed, the previous file is
// untouched, and the message names the file and the reason. Tensors on any device are accepted.
Status saveCheckpointAtomically(const QString &path, const CheckpointData &data);

// The temporary files of saveCheckpointAtomically that a process killed mid-save left in dir
// (their pid no longer runs on this machine) are removed: a crash during an x-scale save would
// otherwise leave hundreds of megabytes behind, hidden. Returns the names removed and their size.
struct RemovedTemporaries
{
    QStringList names;
    qint64 bytes = 0;
};
RemovedTemporaries removeStaleTemporaries(const QString &dir);

// Loads a checkpoint; tensors are mapped to the CPU. Never throws: an empty, truncated, foreign,
// damaged or newer-format file gives a one-line message naming the file and the problem.
Result<CheckpointData> loadCheckpoint(const QString &path);

// SHA-256 (hex) of the tensors whose keys start with prefix (e.g. "model."; empty = all): over the
// keys in sorted order, each followed by its dtype, shape and the raw bytes of its values in
// row-major order. Equal hashes mean equal weights. Fails when no key has the prefix.
Result<QString> tensorsHash(const CheckpointData &data, const std::string &prefix);

} // namespace yolodeck
