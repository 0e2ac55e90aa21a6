// Precompiled header of core: LibTorch is the slowest header set in the build by far.
#pragma once
#include <torch/torch.h>
