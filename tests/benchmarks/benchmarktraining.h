#pragma once

// The optimizer the training benchmarks share: Ultralytics' SGD defaults (lr0 0.01, momentum 0.937,
// weight_decay 5e-4) on its three parameter groups, as the trainer builds them.

#include "core/model/yolomodel.h"
#include "core/train/optimizer.h"

#include <utility>
#include <vector>

namespace yolodeck::benchmark {

inline Optimizer ultralyticsSgd(const YoloModelImpl &model)
{
    const ParamGroups groups = model.parameterGroups();
    std::vector<Optimizer::Group> og(3);
    og[0].params = groups.biases;
    og[1].params = groups.weightsDecay;
    og[1].weightDecay = 5e-4;
    og[2].params = groups.normWeights;
    for (Optimizer::Group &g : og) {
        g.lr = g.initialLr = 0.01;
        g.momentum = 0.937;
    }
    return Optimizer(Optimizer::Kind::SGD, std::move(og));
}

} // namespace yolodeck::benchmark
