#pragma once

#include "core/common/result.h"

#include <QString>
#include <torch/types.h>

#include <map>
#include <string>

namespace yolodeck {

// Hands weights back to Python (DESIGN.md §8): a plain dict from Ultralytics' state_dict names
// ("model.0.conv.weight" ... "model.22.dfl.conv.weight") to CPU tensors, in torch.save's format,
// written by LibTorch's torch::pickle_save. In Python:
//
//   sd = torch.load("best.state_dict.pt")
//   model = YOLO("yolov8n.yaml")          # the same scale; nc from the data
//   model.model.load_state_dict(sd)      # no missing or unexpected keys
//
// Written atomically (a temporary file in the same folder, fsync, rename): a crash never leaves a
// half-written file under the final name. The message of a failure names the file and the reason.
Status writeStateDict(const QString &path, const std::map<std::string, torch::Tensor> &tensors);

} // namespace yolodeck
