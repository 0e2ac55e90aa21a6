#pragma once

#include "core/model/modelscale.h"
#include "core/model/yololayers.h"

#include <QString>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace yolodeck {

// The optimizer's three parameter groups (Ultralytics' build_optimizer): weights that get weight
// decay, normalisation-layer weights and all biases (no decay). Frozen parameters are left out.
struct ParamGroups
{
    std::vector<torch::Tensor> weightsDecay;
    std::vector<torch::Tensor> normWeights;
    std::vector<torch::Tensor> biases;
};

class OneDnnForward;
class OneDnnTraining;
class YoloModelImpl;
namespace onednn {
QString layoutProblem(const YoloModelImpl &model);
}
class YoloModel;

// YOLOv8 anchor-free detector, the layer graph of Ultralytics' yolov8.yaml scaled by a
// ModelScale. Parameter names are the checkpoint keys and match Ultralytics' state_dict:
// "model.<layer>.<...>", e.g. "model.0.conv.weight", "model.22.cv2.0.2.bias",
// "model.22.dfl.conv.weight".
class YoloModelImpl : public torch::nn::Module
{
public:
    YoloModelImpl(const ModelScale &scale, int nc);

    // x: [B, 3, H, W] with H and W multiples of 32. Returns the raw per-level maps
    // [B, 4 * regMax + nc, H / s, W / s] for s = 8, 16, 32 (what the loss consumes).
    std::vector<torch::Tensor> forward(torch::Tensor x);

    // Raw maps -> [B, A, 4 + nc]: boxes xyxy in input pixels, then sigmoid class scores. Computed
    // in float32 whatever the maps' dtype (autocast).
    torch::Tensor decode(const std::vector<torch::Tensor> &feats) const;

    int nc() const { return m_nc; }
    const std::vector<int64_t> &strides() const { return m_strides; }
    int regMax() const { return static_cast<int>(m_detect->regMax); }
    const ModelScale &scale() const { return m_scale; }

    // Every parameter, the frozen DFL weights included (as Ultralytics counts them).
    int64_t parameterCount() const;
    // Parameters that train (requires_grad).
    int64_t gradientCount() const;
    // Giga floating-point operations (2 x multiply-accumulates of the convolutions) of one
    // forward pass on an imgsz x imgsz image (rounded up to a multiple of 32), the way
    // Ultralytics reports it (thop).
    double gflops(int imgsz) const;
    // Ultralytics-like layer table: index, from, repeats, params, module, arguments, and a last
    // line "YOLOv8n summary: L layers, P parameters, G gradients, F GFLOPs".
    QString summary(int imgsz = 640) const;

    // Detect head bias priors (Ultralytics' bias_init); run by the constructor.
    void initBiases();

    ParamGroups parameterGroups() const;

    // What runs forward(): "oneDNN" for an inference copy on the CPU that OneDnnForward took,
    // otherwise "LibTorch" (with the reason oneDNN does not run, for an inference copy).
    QString inferenceEngine() const;

    // The engine of training steps (forward() in training mode with gradients, on the CPU in
    // float32): "oneDNN" (OneDnnTraining: every map in oneDNN's blocked layout, no reorders around
    // the convolutions) or "LibTorch", the default. useOneDnnTraining(true) switches to oneDNN
    // when it can run this model as it is now (device, dtype, widths), and otherwise says why not
    // in *whyNot and keeps LibTorch; false goes back to LibTorch. The two engines sum in different
    // orders, so a run keeps the engine it started with.
    bool useOneDnnTraining(bool on, QString *whyNot = nullptr);
    QString trainingEngine() const;

private:
    friend class OneDnnForward;
    friend class OneDnnTraining;
    friend QString onednn::layoutProblem(const YoloModelImpl &model);
    friend YoloModel inferenceCopy(const YoloModelImpl &model);

    struct LayerInfo
    {
        QString from;
        int repeats;
        QString type;
        QString args;
        torch::nn::Module *module;
    };
    template <typename M>
    M addLayer(M module, const QString &from, int repeats, const QString &type,
               const QString &args);

    ModelScale m_scale;
    int m_nc;
    std::vector<int64_t> m_strides{8, 16, 32};
    std::vector<LayerInfo> m_layers;
    torch::nn::ModuleList m_model{nullptr};

    // Layers by their yolov8.yaml index.
    Conv m_l0{nullptr}, m_l1{nullptr}, m_l3{nullptr}, m_l5{nullptr}, m_l7{nullptr}, m_l16{nullptr},
        m_l19{nullptr};
    C2f m_l2{nullptr}, m_l4{nullptr}, m_l6{nullptr}, m_l8{nullptr}, m_l12{nullptr}, m_l15{nullptr},
        m_l18{nullptr}, m_l21{nullptr};
    Sppf m_l9{nullptr};
    torch::nn::Upsample m_l10{nullptr}, m_l13{nullptr};
    Concat m_l11{nullptr}, m_l14{nullptr}, m_l17{nullptr}, m_l20{nullptr};
    Detect m_detect{nullptr};
    // Set by inferenceCopy() when oneDNN can run the copy (CPU, float32); forward() then uses it.
    std::shared_ptr<OneDnnForward> m_oneDnn;
    // Set by useOneDnnTraining(true); forward() in training mode then uses it.
    std::shared_ptr<OneDnnTraining> m_oneDnnTraining;
    QString m_whyNotOneDnn;
};
TORCH_MODULE(YoloModel);

// A module's parameters then buffers, in registration order: the same walk over two models of
// the same architecture pairs up the same tensors (copies, the EMA).
std::vector<torch::Tensor> stateTensors(const torch::nn::Module &module);

// A copy of `model` for inference only (validation, predict, comparison): same device and
// weights, eval mode, no gradients, and every Conv's BatchNorm folded into its convolution
// (ConvImpl::fuseBatchNorm). On the CPU in float32 its forward() runs on OneDnnForward (each Conv
// one oneDNN primitive with its SiLU fused, maps in oneDNN's blocked layout) when the build has
// oneDNN and YOLODECK_ONEDNN is not 0; otherwise LibTorch's. Either way its outputs equal
// model.eval()'s to float rounding (tst_yolomodel, tst_onednnforward, tst_trainer).
YoloModel inferenceCopy(const YoloModelImpl &model);

} // namespace yolodeck
