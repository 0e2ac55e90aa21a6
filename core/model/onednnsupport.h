#pragma once

// What the two oneDNN engines (OneDnnForward for inference, OneDnnTraining for training steps)
// share: the switch, the model check, and, in builds with oneDNN, the blocked map layout.

#include <QString>

#include <cstdint>

#ifdef YOLODECK_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#include <torch/types.h>
#endif

namespace yolodeck {

class YoloModelImpl;

namespace onednn {

// YOLODECK_ONEDNN=0 (or off, false) turns both engines off: LibTorch's path then runs, as in
// builds without oneDNN.
bool turnedOff();

// Why neither engine can run `model`, or an empty string when they can: turned off, not on the
// CPU, not float32, or a map the blocked layout cannot hold (layoutProblem).
QString modelProblem(const YoloModelImpl &model);

// Why the blocked layout cannot hold `model`'s maps, or an empty string when it can: every map
// that is concatenated or split must be whole blocks of 8 channels (Ultralytics' widths are:
// make_divisible(c, 8)); the head's branches may have any width (padded blocks).
QString layoutProblem(const YoloModelImpl &model);

constexpr int64_t kBlock = 8; // nChw8c: channels in blocks of 8, innermost

inline int64_t blocks(int64_t channels)
{
    return (channels + kBlock - 1) / kBlock;
}

#ifdef YOLODECK_HAVE_ONEDNN

// How a map is held: plain NCHW (the network's input and the head's outputs) or blocked
// ([N, ceil(C / 8), H, W, 8], every map in between). A channel count that is not a multiple of 8
// (a class branch of the head, whose width follows the number of classes) is padded with
// channels oneDNN keeps at zero.
enum class Layout
{
    Plain,
    Blocked
};

// A float buffer of LibTorch's allocator for a oneDNN memory of `desc` (padding included).
inline torch::Tensor bufferFor(const dnnl::memory::desc &desc)
{
    return torch::empty({int64_t(desc.get_size() / sizeof(float))},
                        torch::TensorOptions().dtype(torch::kFloat));
}

inline dnnl::memory::desc mapDesc(int64_t n, int64_t c, int64_t h, int64_t w, Layout layout)
{
    return dnnl::memory::desc({n, c, h, w}, dnnl::memory::data_type::f32,
                              layout == Layout::Blocked ? dnnl::memory::format_tag::nChw8c
                                                        : dnnl::memory::format_tag::nchw);
}

#endif

} // namespace onednn

} // namespace yolodeck
