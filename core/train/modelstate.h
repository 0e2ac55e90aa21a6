#pragma once

#include "core/checkpoint/checkpointfile.h"
#include "core/common/result.h"
#include "core/model/yolomodel.h"

#include <QJsonObject>
#include <QStringList>

#include <map>
#include <string>

namespace yolodeck {

// Parameters and buffers of a module under "<prefix><name>", the checkpoint's tensor keys.
std::map<std::string, torch::Tensor> namedState(const torch::nn::Module &module,
                                                const std::string &prefix);

// Copies tensors named "<prefix><name>" into the module. strict: every tensor must be present with
// its shape. Not strict (fine-tuning): tensors whose shape differs (another class count) are left
// as initialised. Returns how many tensors were copied.
Result<int> loadNamedState(torch::nn::Module &module,
                           const std::map<std::string, torch::Tensor> &tensors,
                           const std::string &prefix, bool strict);

// A model ready for inference, built from any YoloDeck checkpoint (EMA weights of a full one, the
// weights of a stripped one).
struct LoadedModel
{
    YoloModel model{nullptr};
    QStringList names;
    int imgsz = 640;
    QJsonObject meta;
};
Result<LoadedModel> loadModelForInference(const QString &path, const torch::Device &device);

// Parses device= ("", cpu, cuda, cuda:N, N); "" picks CUDA when present.
Result<torch::Device> selectDevice(const QString &device);
QString describeDevice(const torch::Device &device);

} // namespace yolodeck
