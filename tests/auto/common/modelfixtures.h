#pragma once

// Models for the model tests: by scale name, and with BatchNorm statistics as after training.
#include "core/model/modelscale.h"
#include "core/model/yolomodel.h"

#include <QtGlobal>

namespace yolodeck::testing {

inline YoloModel makeModel(const QString &scaleName, int nc)
{
    const auto scale = modelScale(scaleName);
    if (!scale)
        qFatal("unknown scale");
    return YoloModel(*scale, nc);
}

// BatchNorm statistics and affine far from their initial 0 / 1, as after training: folding them
// into the convolutions is then not a no-op.
inline void perturbBatchNorm(YoloModelImpl &model)
{
    torch::NoGradGuard noGrad;
    for (const auto &module : model.modules()) {
        if (auto *bn = module->as<torch::nn::BatchNorm2dImpl>()) {
            bn->running_mean.uniform_(-0.5, 0.5);
            bn->running_var.uniform_(0.2, 3.0);
            bn->weight.uniform_(0.5, 1.5);
            bn->bias.uniform_(-0.3, 0.3);
        }
    }
}

} // namespace yolodeck::testing
