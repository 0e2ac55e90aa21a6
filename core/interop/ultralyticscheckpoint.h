#pragma once

#include "core/common/result.h"

#include <QJsonObject>
#include <QString>
#include <torch/types.h>

#include <map>
#include <string>

namespace yolodeck {

// An Ultralytics YOLOv8 detection checkpoint (yolov8n.pt, a run's best.pt or last.pt) read in C++
// with no Python: the PyTorch zip is opened with PyTorchStreamReader, data.pkl is parsed by
// core/interop's own pickle reader (which executes nothing), and the module tree of `ema` (or of
// `model` when `ema` is None) is walked through `_parameters`, `_buffers` and `_modules` to give
// the tensors under Ultralytics' state_dict names ("model.0.conv.weight" ...
// "model.22.dfl.conv.weight"), which are also YoloDeck's own model names.
//
// The result speaks YoloDeck's language (DESIGN.md §8): `meta` has the shape of a YoloDeck
// meta.json with "source": "ultralytics", so the browser, `inspect`, `checkpoints` and the resume
// planner need no second code path. Its fields:
//   kind      "full" when the file holds an EMA and an optimizer state YoloDeck can continue
//             (SGD or AdamW), "weights" otherwise (stripped files, yolov8n.pt)
//   epoch     completed epochs (Ultralytics stores the 0-based index of the last one; a stripped
//             file stores -1, which stays -1)
//   model     {scale, nc, imgsz, parameters}; names; best_fitness; fitness and metrics (from
//             train_metrics); created (date); ema_updates (updates); history (train_results)
//   ultralytics  {model_class, weights_from ("ema" or "model"), version, date, train_args,
//             optimizer {name, lr, momentum, weight_decay, groups}, not_continuable (why)}
// Tensor keys: "model.<name>" the weights (as stored, usually fp16), "ema.<name>" the same EMA
// weights when the file has an EMA, and "uoptim.<param name>.<momentum|exp_avg|exp_avg_sq|step>"
// the optimizer state by parameter name (the trainer maps it onto its own parameter groups).
struct ForeignCheckpoint
{
    QJsonObject meta;
    std::map<std::string, torch::Tensor> tensors;
};

// True when the archive at path has a data.pkl and no YoloDeck meta.json (cheap: reads the zip
// directory only). A file that is not a zip archive gives false.
bool looksLikeTorchSavePickle(const QString &path);

// Reads what the file says about itself, without loading a single tensor's bytes (listing a
// run's weights stays fast). Fails with one line naming the file and the problem: not a zip,
// truncated, no Ultralytics model inside, a segmentation/pose/classification model, a YOLO
// architecture other than YOLOv8 detection, a damaged or hostile pickle.
Result<QJsonObject> readUltralyticsMeta(const QString &path);

// Reads the metadata and every tensor (to the CPU, dtypes as stored). Every storage record is
// checked against the sizes the pickle claims before a byte is copied.
Result<ForeignCheckpoint> loadUltralyticsCheckpoint(const QString &path);

// The same from an archive in memory; `name` stands for the file in messages. For tests and
// fuzzing.
Result<ForeignCheckpoint> loadUltralyticsCheckpointFromBytes(const std::string &bytes,
                                                             const QString &name);

} // namespace yolodeck
