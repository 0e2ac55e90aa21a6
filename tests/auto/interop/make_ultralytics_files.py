#!/usr/bin/python3
"""Write files shaped like Ultralytics YOLOv8 checkpoints and run folders, for YoloDeck's interop tests.

YoloDeck reads Ultralytics .pt files with its own C++ pickle reader. Testing that against real
downloads would need the network and the ultralytics package, so this script builds look-alikes:
stand-in classes registered under Ultralytics' module paths (so the pickles name the same globals),
the YOLOv8 layer layout with Ultralytics' attribute names (so the state_dict keys match), and the
checkpoint dicts of Ultralytics 8.0 / 8.3 (so the reader meets the same opcodes, protocols and
archive prefixes). Written from the published architecture and file layout; no Ultralytics code.

Usage: /usr/bin/python3 make_ultralytics_files.py OUTDIR   (Debian's python3-torch 1.13 + numpy)
Importing this file only defines the stand-in classes; install_stand_in_modules() registers them.
"""
import copy, datetime, hashlib, io, json, math, os, shlex, shutil, sys, types
from pathlib import Path

import numpy as np
import torch
from torch import nn

# yolov8.yaml scales: [depth, width, max_channels]
SCALES = {"n": [0.33, 0.25, 1024], "s": [0.33, 0.50, 1024], "m": [0.67, 0.75, 768],
          "l": [1.00, 1.00, 512], "x": [1.00, 1.25, 512]}
# yolov8.yaml layers 0-21 as [from, repeats, module, args]; layer 22 is the head, added per task.
BACKBONE = [[-1, 1, "Conv", [64, 3, 2]], [-1, 1, "Conv", [128, 3, 2]], [-1, 3, "C2f", [128, True]],
            [-1, 1, "Conv", [256, 3, 2]], [-1, 6, "C2f", [256, True]], [-1, 1, "Conv", [512, 3, 2]],
            [-1, 6, "C2f", [512, True]], [-1, 1, "Conv", [1024, 3, 2]], [-1, 3, "C2f", [1024, True]],
            [-1, 1, "SPPF", [1024, 5]]]
HEAD = [[-1, 1, "nn.Upsample", [None, 2, "nearest"]], [[-1, 6], 1, "Concat", [1]], [-1, 3, "C2f", [512]],
        [-1, 1, "nn.Upsample", [None, 2, "nearest"]], [[-1, 4], 1, "Concat", [1]], [-1, 3, "C2f", [256]],
        [-1, 1, "Conv", [256, 3, 2]], [[-1, 12], 1, "Concat", [1]], [-1, 3, "C2f", [512]],
        [-1, 1, "Conv", [512, 3, 2]], [[-1, 9], 1, "Concat", [1]], [-1, 3, "C2f", [1024]]]
COCO_NAMES = (
    "person,bicycle,car,motorcycle,airplane,bus,train,truck,boat,traffic light,fire hydrant,stop sign,"
    "parking meter,bench,bird,cat,dog,horse,sheep,cow,elephant,bear,zebra,giraffe,backpack,umbrella,"
    "handbag,tie,suitcase,frisbee,skis,snowboard,sports ball,kite,baseball bat,baseball glove,skateboard,"
    "surfboard,tennis racket,bottle,wine glass,cup,fork,knife,spoon,bowl,banana,apple,sandwich,orange,"
    "broccoli,carrot,hot dog,pizza,donut,cake,chair,couch,potted plant,bed,dining table,toilet,tv,laptop,"
    "mouse,remote,keyboard,cell phone,microwave,oven,toaster,sink,refrigerator,book,clock,vase,scissors,"
    "teddy bear,hair drier,toothbrush").split(",")
SHAPE_NAMES = ["red circle", "green square", "blue triangle"]
VERSION, VERSION_V80 = "8.3.40", "8.0.196"

# ----------------------------------------------------------------------------- stand-in classes
_STAND_INS = {}  # module path -> {class name: class}


def stand_in(module_path):
    """Give a class an Ultralytics module path, so pickle writes e.g. `ultralytics.nn.modules.conv Conv`."""
    def register(cls):
        cls.__module__ = module_path
        _STAND_INS.setdefault(module_path, {})[cls.__name__] = cls
        return cls
    return register


def install_stand_in_modules():
    """Put the stand-in modules into sys.modules; pickle finds a class as sys.modules[mod].<qualname>."""
    paths = set(_STAND_INS) | {"ultralytics.nn.modules"}
    for path in sorted(paths | {p.rsplit(".", i)[0] for p in paths for i in range(1, p.count(".") + 1)}):
        mod = sys.modules.get(path)
        if mod is None or not getattr(mod, "_yolodeck_stand_in", False):
            mod = sys.modules[path] = types.ModuleType(path)
            mod._yolodeck_stand_in = True
        for name, cls in _STAND_INS.get(path, {}).items():
            setattr(mod, name, cls)
        if "." in path:
            parent, child = path.rsplit(".", 1)
            setattr(sys.modules[parent], child, mod)


@stand_in("ultralytics.utils")
class IterableSimpleNamespace(types.SimpleNamespace):
    """The training args object; it pickles as REDUCE (class, ()) followed by BUILD (its __dict__)."""
    def __iter__(self):
        return iter(vars(self).items())

    def get(self, key, default=None):
        return getattr(self, key, default)


@stand_in("ultralytics.nn.modules.conv")
class Conv(nn.Module):
    """Conv2d without bias + BatchNorm2d(eps 1e-3, momentum 0.03) + SiLU, 'same' padding."""
    default_act = nn.SiLU()  # one instance shared by every Conv, so the pickle memoises it

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=0.001, momentum=0.03)
        self.act = self.default_act

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


@stand_in("ultralytics.nn.modules.conv")
class Concat(nn.Module):
    def __init__(self, dimension=1):
        super().__init__()
        self.d = dimension

    def forward(self, x):
        return torch.cat(x, self.d)


@stand_in("ultralytics.nn.modules.block")
class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, k=(3, 3), e=1.0):
        super().__init__()
        c_ = int(c2 * e)
        self.cv1, self.cv2 = Conv(c1, c_, k[0], 1), Conv(c_, c2, k[1], 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        return x + self.cv2(self.cv1(x)) if self.add else self.cv2(self.cv1(x))


@stand_in("ultralytics.nn.modules.block")
class C2f(nn.Module):
    """Split cv1's output in two halves, chain n bottlenecks on the second, concatenate everything."""
    def __init__(self, c1, c2, n=1, shortcut=False):
        super().__init__()
        self.c = int(c2 * 0.5)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, k=(3, 3), e=1.0) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


@stand_in("ultralytics.nn.modules.block")
class SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        c_ = c1 // 2
        self.cv1, self.cv2 = Conv(c1, c_, 1, 1), Conv(c_ * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(kernel_size=k, stride=1, padding=k // 2)

    def forward(self, x):
        y = [self.cv1(x)]
        y.extend(self.m(y[-1]) for _ in range(3))
        return self.cv2(torch.cat(y, 1))


@stand_in("ultralytics.nn.modules.block")
class DFL(nn.Module):
    """Frozen 1x1 conv holding 0..15: the expectation over the 16 distance bins."""
    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1


@stand_in("ultralytics.nn.modules.block")
class Proto(nn.Module):
    """Mask prototypes of the segmentation head (only here so seg.pt has the real class tree)."""
    def __init__(self, c1, c_=256, c2=32):
        super().__init__()
        self.cv1 = Conv(c1, c_, k=3)
        self.upsample = nn.ConvTranspose2d(c_, c_, 2, 2, 0, bias=True)
        self.cv2, self.cv3 = Conv(c_, c_, k=3), Conv(c_, c2)

    def forward(self, x):
        return self.cv3(self.cv2(self.upsample(self.cv1(x))))


def _branch(c_in, c_mid, c_out):
    return nn.Sequential(Conv(c_in, c_mid, 3), Conv(c_mid, c_mid, 3), nn.Conv2d(c_mid, c_out, 1))


@stand_in("ultralytics.nn.modules.head")
class Detect(nn.Module):
    """Box (cv2, 4*reg_max) and class (cv3, nc) branches per level; returns the raw maps, undecoded."""
    def __init__(self, nc=80, ch=()):
        super().__init__()
        self.nc, self.nl, self.reg_max = nc, len(ch), 16
        self.no = nc + self.reg_max * 4
        self.stride = torch.tensor([8.0, 16.0, 32.0])
        c2, c3 = max(16, ch[0] // 4, self.reg_max * 4), max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(_branch(x, c2, 4 * self.reg_max) for x in ch)
        self.cv3 = nn.ModuleList(_branch(x, c3, nc) for x in ch)
        self.dfl = DFL(self.reg_max)

    def forward(self, x):
        return [torch.cat((self.cv2[i](x[i]), self.cv3[i](x[i])), 1) for i in range(self.nl)]


@stand_in("ultralytics.nn.modules.head")
class Segment(Detect):
    def __init__(self, nc=80, nm=32, npr=256, ch=()):
        super().__init__(nc, ch)
        self.nm, self.npr = nm, npr
        self.proto = Proto(ch[0], npr, nm)
        c4 = max(ch[0] // 4, nm)
        self.cv4 = nn.ModuleList(_branch(x, c4, nm) for x in ch)

    def forward(self, x):
        p = self.proto(x[0])
        mc = torch.cat([self.cv4[i](x[i]).flatten(2) for i in range(self.nl)], 2)
        return Detect.forward(self, x), mc, p


def make_divisible(x, divisor=8):
    return math.ceil(x / divisor) * divisor


@stand_in("ultralytics.nn.tasks")
class DetectionModel(nn.Module):
    """yolov8{scale}.yaml built into `model` (nn.Sequential of 23 layers, each tagged with i/f/type/np)."""
    head_name = "Detect"

    def __init__(self, scale="n", nc=80, names=None):
        super().__init__()
        depth, width, max_ch = SCALES[scale]
        task = "Segment" if self.head_name == "Segment" else "Detect"
        yaml_file = f"yolov8{scale}{'-seg' if task == 'Segment' else ''}.yaml"
        head_args = [nc, 32, 256] if task == "Segment" else [nc]
        layout = BACKBONE + HEAD + [[[15, 18, 21], 1, task, head_args]]
        self.yaml = {"nc": nc, "scales": copy.deepcopy(SCALES), "backbone": copy.deepcopy(BACKBONE),
                     "head": copy.deepcopy(layout[10:]), "scale": scale, "yaml_file": yaml_file, "ch": 3}
        ch, layers, save = [], [], []
        for i, (f, n, name, args) in enumerate(layout):
            n = max(round(n * depth), 1) if n > 1 else n
            c1 = 3 if i == 0 else ch[f] if isinstance(f, int) else None
            if name in ("Conv", "C2f", "SPPF"):
                c2 = make_divisible(min(args[0], max_ch) * width)
                m = (Conv(c1, c2, *args[1:]) if name == "Conv" else
                     C2f(c1, c2, n, *args[1:]) if name == "C2f" else SPPF(c1, c2, args[1]))
            elif name == "nn.Upsample":
                m, c2 = nn.Upsample(None, 2, "nearest"), c1
            elif name == "Concat":
                m, c2 = Concat(1), sum(ch[x] for x in f)
            elif name == "Detect":
                m = Detect(nc, [ch[x] for x in f])
            else:
                m = Segment(nc, 32, make_divisible(min(256, max_ch) * width), [ch[x] for x in f])
            m.i, m.f, m.type = i, f, f"{type(m).__module__}.{type(m).__qualname__}"
            m.np = sum(p.numel() for p in m.parameters())
            save.extend(x % i for x in ([f] if isinstance(f, int) else f) if x != -1)
            layers.append(m)
            ch.append(c2 if name != task else None)
        self.model = nn.Sequential(*layers)
        self.save = sorted(save)
        self.names = names if names is not None else {i: f"{i}" for i in range(nc)}
        self.inplace = True
        self.stride = torch.tensor([8.0, 16.0, 32.0])
        self.nc = nc

    def forward(self, x):
        y = []
        for m in self.model:
            if m.f != -1:
                x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
            x = m(x)
            y.append(x)
        return x


@stand_in("ultralytics.nn.tasks")
class SegmentationModel(DetectionModel):
    head_name = "Segment"


# ----------------------------------------------------------------------------- weights
def randomise(model, seed):
    """Random but reproducible weights of trained-network magnitude, and BN statistics that all differ.

    Conv weights ~ N(0, 1/fan_in) keep activations O(1) through 23 layers; BN running stats are random
    (var > 0) so a reader that ignores or swaps any of them fails the forward-parity test. The head's
    last biases follow Ultralytics' bias_init (box 1.0, class log(5 / nc / (640 / stride)^2)).
    """
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and m.weight.requires_grad:
                # a stride-2, 2x2 transposed conv feeds each output from in_channels inputs
                fan_in = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.weight.shape[0]
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) / math.sqrt(fan_in))
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=g) + 0.5)
                m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.5)
                m.num_batches_tracked.fill_(int(torch.randint(1000, 100000, (1,), generator=g)))
        head = model.model[-1]
        for a, b, s in zip(head.cv2, head.cv3, head.stride.tolist()):
            a[-1].bias.data[:] = 1.0 + torch.randn(a[-1].bias.shape, generator=g) * 0.05
            b[-1].bias.data[:] = math.log(5 / head.nc / (640 / s) ** 2) + torch.randn(head.nc, generator=g) * 0.05
    return model


def build(cls, scale, nc, names, seed):
    return randomise(cls(scale, nc, names), seed)


# ----------------------------------------------------------------------------- training stand-in
def build_optimizer(model, kind, lr, momentum, decay):
    """Ultralytics' grouping: biases, then decayed weights (the frozen DFL weight too), then BN weights."""
    g_bias, g_decay, g_bn, names = [], [], [], {}
    for module_name, module in model.named_modules():
        for param_name, p in module.named_parameters(recurse=False):
            full = f"{module_name}.{param_name}" if module_name else param_name
            names[id(p)] = full
            (g_bias if "bias" in full else g_bn if isinstance(module, nn.BatchNorm2d) else g_decay).append(p)
    if kind == "SGD":
        opt = torch.optim.SGD(g_bias, lr=lr, momentum=momentum, nesterov=True)
    else:
        opt = torch.optim.AdamW(g_bias, lr=lr, betas=(momentum, 0.999), weight_decay=0.0)
    opt.add_param_group({"params": g_decay, "weight_decay": decay})
    opt.add_param_group({"params": g_bn, "weight_decay": 0.0})
    for group in opt.param_groups:
        group["initial_lr"] = lr  # LambdaLR adds this when the scheduler is created
    return opt, [[names[id(p)] for p in grp["params"]] for grp in opt.param_groups]


def epoch_lrs(epoch, args, nb):
    """lr/pg0..2 after the last batch of `epoch` (0-based): linear LambdaLR plus the warmup ramp."""
    lr = args["lr0"] * (max(1 - epoch / args["epochs"], 0) * (1 - args["lrf"]) + args["lrf"])
    ni, nw = (epoch + 1) * nb - 1, max(round(args["warmup_epochs"] * nb), 100)
    if ni > nw:
        return [lr] * 3
    return [float(np.interp(ni, [0, nw], [args["warmup_bias_lr"] if j == 0 else 0.0, lr])) for j in range(3)]


def fp16_optimizer_state(sd):
    """Ultralytics 8.2+ halves every float32 optimizer state tensor except 'step' before saving."""
    for state in sd["state"].values():
        for k, v in state.items():
            if k != "step" and isinstance(v, torch.Tensor) and v.dtype is torch.float32:
                state[k] = v.half()
    return sd


def train_snapshots(model, kind, args, seed, steps=3, updates=147):  # EMA ramp as at update ~150
    """Take `steps` real optimizer steps with an EMA beside them; snapshot after each of the last two.

    Returns (group names, [snapshot after steps-1, snapshot after steps]); each snapshot holds the raw
    model, the EMA model (both half, as saved) and a deep copy of the fp32 optimizer state dict.
    """
    g = torch.Generator().manual_seed(seed)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    opt, groups = build_optimizer(model, kind, args["lr0"], args["momentum"], args["weight_decay"])
    model.train()
    snaps = []
    for step in range(steps):
        x = torch.rand(2, 3, 64, 64, generator=g)
        loss = sum(o.pow(2).mean() for o in model(x))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
        opt.step()
        updates += 1
        d = 0.9999 * (1 - math.exp(-updates / 2000))  # Ultralytics' EMA ramp (tau 2000)
        with torch.no_grad():
            msd = model.state_dict()
            for k, v in ema.state_dict().items():
                if v.dtype.is_floating_point:
                    v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
        if step >= steps - 2:
            snaps.append({"model": copy.deepcopy(model).half(), "ema": copy.deepcopy(ema).half(),
                          "optimizer": copy.deepcopy(opt.state_dict())})
    return groups, snaps


# ----------------------------------------------------------------------------- run data
def train_args(**over):
    """vars(args) of an Ultralytics 8.3 train run, in default.yaml order (keys YoloDeck may not know included)."""
    a = dict(task="detect", mode="train", model="yolov8n.pt", data="/home/user/datasets/shapes/data.yaml",
             epochs=10, time=None, patience=100, batch=8, imgsz=64, save=True, save_period=-1, cache=False,
             device=None, workers=2, project=None, name="train", exist_ok=False, pretrained=True,
             optimizer="SGD", verbose=True, seed=0, deterministic=True, single_cls=False, rect=False,
             cos_lr=False, close_mosaic=10, resume=False, amp=True, fraction=1.0, profile=False,
             freeze=None, multi_scale=False, overlap_mask=True, mask_ratio=4, dropout=0.0, val=True,
             split="val", save_json=False, save_hybrid=False, conf=None, iou=0.7, max_det=300, half=False,
             dnn=False, plots=True, source=None, vid_stride=1, stream_buffer=False, visualize=False,
             augment=False, agnostic_nms=False, classes=None, retina_masks=False, embed=None, show=False,
             save_frames=False, save_txt=False, save_conf=False, save_crop=False, show_labels=True,
             show_conf=True, show_boxes=True, line_width=None, format="torchscript", keras=False,
             optimize=False, int8=False, dynamic=False, simplify=True, opset=None, workspace=None,
             nms=False, lr0=0.01, lrf=0.01, momentum=0.937, weight_decay=0.0005, warmup_epochs=3.0,
             warmup_momentum=0.8, warmup_bias_lr=0.1, box=7.5, cls=0.5, dfl=1.5, pose=12.0, kobj=1.0,
             nbs=64, hsv_h=0.015, hsv_s=0.7, hsv_v=0.4, degrees=0.0, translate=0.1, scale=0.5, shear=0.0,
             perspective=0.0, flipud=0.0, fliplr=0.5, bgr=0.0, mosaic=1.0, mixup=0.0, copy_paste=0.0,
             copy_paste_mode="flip", auto_augment="randaugment", erasing=0.4, crop_fraction=1.0, cfg=None,
             tracker="botsort.yaml", save_dir="runs/detect/train")
    a.update(over)
    return a


BATCHES_PER_EPOCH, UPDATES_PER_EPOCH = 240, 30  # 1920 images at batch 8, accumulate = 64 / 8 = 8
# Five finished epochs of the shapes run. Epoch 4 (row 4) is the best: 0.1*0.6904 + 0.9*0.4034 is
# exactly 0.4321 in float64; epoch 5 scores lower, so best.pt stays at epoch index 3.
RESULTS = {"time": [41.2, 80.7, 119.9, 159.4, 198.6],
           "train/box_loss": [2.4113, 1.9872, 1.6125, 1.4203, 1.3388],
           "train/cls_loss": [3.8821, 2.7344, 1.9530, 1.5127, 1.3342],
           "train/dfl_loss": [1.9034, 1.6611, 1.4472, 1.3301, 1.2846],
           "metrics/precision(B)": [0.21033, 0.51247, 0.71158, 0.80322, 0.79851],
           "metrics/recall(B)": [0.18542, 0.43316, 0.60288, 0.68817, 0.70064],
           "metrics/mAP50(B)": [0.1045, 0.3521, 0.5876, 0.6904, 0.6952],
           "metrics/mAP50-95(B)": [0.0412, 0.1677, 0.3190, 0.4034, 0.3961],
           "val/box_loss": [2.2301, 1.8312, 1.5604, 1.4412, 1.4530],
           "val/cls_loss": [3.5127, 2.4480, 1.7813, 1.5209, 1.5366],
           "val/dfl_loss": [1.8422, 1.6010, 1.4297, 1.3560, 1.3612]}
METRIC_KEYS = list(RESULTS)[4:11]


def results_rows(args, n_rows):
    """results.csv rows (dicts in column order), values already rounded as '%.6g' writes them."""
    rows = []
    for e in range(n_rows):
        row = {"epoch": e + 1, **{k: float("%.6g" % v[e]) for k, v in RESULTS.items()}}
        row.update({f"lr/pg{j}": float("%.6g" % lr) for j, lr in enumerate(epoch_lrs(e, args, BATCHES_PER_EPOCH))})
        rows.append(row)
    return rows


def fitness(row):
    """Ultralytics' fitness: weights [0, 0, 0.1, 0.9] on (P, R, mAP50, mAP50-95), summed by numpy."""
    keys = METRIC_KEYS[:4]
    return (np.array([row[k] for k in keys]) * np.array([0.0, 0.0, 0.1, 0.9])).sum()


def yaml_scalar(v):
    """yaml.safe_dump's spelling of the scalars train args hold (None, bools, numbers, plain strings)."""
    if v is None or isinstance(v, bool):
        return {None: "null", True: "true", False: "false"}[v]
    if isinstance(v, (int, float)):
        return repr(v)
    quote = v.lower() in ("", "null", "~", "true", "false", "yes", "no", "on", "off") or \
        v[0] in "!&*-?:,[]{}#|>@`'\"% " or ": " in v or " #" in v or v.endswith(" ") or v.replace(".", "", 1).isdigit()
    return "'" + v.replace("'", "''") + "'" if quote else v


def write_run(folder, args, rows, legacy):
    """args.yaml + results.csv as Ultralytics 8.3 writes them, or 8.0.x (no time column, %23s padding)."""
    (folder / "weights").mkdir(parents=True, exist_ok=True)
    (folder / "args.yaml").write_text("".join(f"{k}: {yaml_scalar(v)}\n" for k, v in args.items()))
    cols = [c for c in rows[0] if not (legacy and c == "time")]
    if legacy:  # 8.0.x wrote the header with '%23s,' and the values with '%23.5g,'
        lines = [",".join("%23s" % c for c in cols)] + [",".join("%23.5g" % r[c] for c in cols) for r in rows]
    else:
        lines = [",".join(cols)] + [",".join("%.6g" % r[c] for c in cols) for r in rows]
    (folder / "results.csv").write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- checkpoints
def meta(version=VERSION):
    return {"date": datetime.datetime(2024, 12, 1, 12, 0, 0).isoformat(), "version": version,
            "license": "AGPL-3.0 License (https://ultralytics.com/license)", "docs": "https://docs.ultralytics.com"}


def stripped(model, args, metrics=None, results=None):
    """What strip_optimizer leaves: meta keys first, EMA as `model` (half, frozen), args as a plain dict."""
    model = copy.deepcopy(model).half().eval().requires_grad_(False)  # an EMA is always in eval mode
    model.args = dict(args)
    ckpt = {"epoch": -1, "best_fitness": None, "model": model, "ema": None, "updates": None,
            "optimizer": None, "train_args": dict(args), "train_metrics": metrics, "train_results": results}
    return {**meta(), **ckpt}


def training_ckpt(snap, epoch, best, args, rows, legacy=False):
    """save_model()'s dict: 8.3 keeps only the EMA and halves optimizer state; 8.0 kept both, fp32."""
    ema, updates = snap["ema"], UPDATES_PER_EPOCH * (epoch + 1)
    ema.args = IterableSimpleNamespace(**args)
    opt = copy.deepcopy(snap["optimizer"])
    lrs = epoch_lrs(epoch, args, BATCHES_PER_EPOCH)
    for group, lr in zip(opt["param_groups"], lrs):
        group["lr"] = lr
    if legacy:
        snap["model"].args = ema.args
        return {"epoch": epoch, "best_fitness": best, "model": snap["model"], "ema": ema,
                "updates": updates, "optimizer": opt, "train_args": dict(args),
                **{k: meta(VERSION_V80)[k] for k in ("date", "version")}}
    row = rows[epoch]
    metrics = {**{k: float(row[k]) for k in METRIC_KEYS}, "fitness": float(fitness(row))}
    results = {c: [r[c] for r in rows[:epoch + 1]] for c in rows[0]}
    return {"epoch": epoch, "best_fitness": best, "model": None, "ema": ema, "updates": updates,
            "optimizer": fp16_optimizer_state(opt), "train_args": dict(args), "train_metrics": metrics,
            "train_results": results, **meta()}


def save(obj, path, protocol=2, via_buffer=False):
    """torch.save to a path names the zip's folder after the file stem; through BytesIO it is 'archive/'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if via_buffer:
        buf = io.BytesIO()
        torch.save(obj, buf, pickle_protocol=protocol)
        path.write_bytes(buf.getvalue())
    else:
        torch.save(obj, str(path), pickle_protocol=protocol)


def describe(t):
    t = t.detach().cpu().contiguous()
    return {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
            "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest()}


def manifest_entry(ckpt, prefix, protocol, groups=None, kind=None):
    """What the C++ test checks a file against; tensor hashes are of the module YoloDeck should pick."""
    source = "ema" if ckpt.get("ema") is not None else "model"
    module = ckpt[source]
    sd = module.state_dict()
    entry = {"prefix": prefix, "protocol": protocol, "version": ckpt["version"], "keys": list(ckpt),
             "source": source, "model_class": type(module).__name__, "head_class": type(module.model[-1]).__name__,
             "epoch": ckpt["epoch"], "updates": ckpt["updates"],
             "best_fitness": None if ckpt["best_fitness"] is None else float(ckpt["best_fitness"]),
             "names": [module.names[i] for i in range(len(module.names))], "nc": module.nc,
             "scale": module.yaml["scale"], "order": list(sd), "tensors": {k: describe(v) for k, v in sd.items()},
             "optimizer": None, "train_args": ckpt["train_args"], "train_metrics": ckpt.get("train_metrics")}
    opt = ckpt["optimizer"]
    if opt is not None:
        flat = [name for g in groups for name in g]  # state_dict() numbers params across groups in order
        entry["optimizer"] = {
            "kind": kind, "groups": groups,
            "state": {flat[i]: {k: describe(v) for k, v in s.items()} for i, s in opt["state"].items()},
            "param_groups": [{k: v for k, v in g.items() if k != "params"} for g in opt["param_groups"]]}
    return entry


def write_parity(model, folder, seed):
    """Reference forward pass of a stored (fp16) model run in fp32, on a non-square input."""
    folder.mkdir(parents=True, exist_ok=True)
    net = copy.deepcopy(model).float().eval()
    x = torch.rand(1, 3, 128, 96, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        outs = net(x)
    (folder / "input.bin").write_bytes(x.numpy().astype("<f4").tobytes())
    for i, o in enumerate(outs):
        (folder / f"out{i}.bin").write_bytes(o.numpy().astype("<f4").tobytes())
    info = {"input": {"file": "input.bin", "shape": list(x.shape), "dtype": "float32"},
            "outputs": [{"file": f"out{i}.bin", "shape": list(o.shape), "dtype": "float32",
                         "max_abs": float(o.abs().max())} for i, o in enumerate(outs)],
            "stride": [8, 16, 32], "nc": net.nc, "reg_max": 16, "layout": "NCHW, channels = 64 box + nc class"}
    (folder / "parity.json").write_text(json.dumps(info, indent=1))
    return outs


class _Shell:
    """Unpickling this runs a shell command; the C++ reader must refuse the global, never call it."""
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return os.system, (self.cmd,)


def write_bad_files(out, good_file):
    bad = out / "bad"
    bad.mkdir(parents=True, exist_ok=True)
    (bad / "PWNED").unlink(missing_ok=True)
    save({**meta(), "epoch": -1, "model": _Shell("touch " + shlex.quote(str((bad / "PWNED").resolve())))},
         bad / "evil_reduce.pt")
    save({"a": torch.zeros(3)}, bad / "not_detection.pt")
    # YOLOv5 (non-u) pickled its own classes: models.yolo.Model built from models.common.Conv.
    v5 = {p: types.ModuleType(p) for p in ("models", "models.yolo", "models.common")}
    Model = type("Model", (nn.Module,), {"__module__": "models.yolo"})
    V5Conv = type("Conv", (nn.Module,), {"__module__": "models.common"})
    v5["models.yolo"].Model, v5["models.common"].Conv = Model, V5Conv
    saved = {p: sys.modules.get(p) for p in v5}
    sys.modules.update(v5)
    try:
        torch.manual_seed(5)  # the Conv2d/BatchNorm defaults below draw from the global generator
        model, conv = Model(), V5Conv()
        conv.conv, conv.bn, conv.act = nn.Conv2d(3, 16, 6, 2, 2, bias=False), nn.BatchNorm2d(16), nn.SiLU()
        model.model, model.yaml, model.names = nn.Sequential(conv), {"nc": 80, "depth_multiple": 0.33}, COCO_NAMES
        save({"epoch": -1, "best_fitness": None, "model": model.half(), "ema": None, "updates": None,
              "optimizer": None, "wandb_id": None, "date": "2021-04-12T00:00:00"}, bad / "yolov5_old.pt")
    finally:
        for p, m in saved.items():
            if m is None:
                del sys.modules[p]
            else:
                sys.modules[p] = m
    data = good_file.read_bytes()  # a crash mid-write: the zip's central directory is missing
    (bad / "truncated.pt").write_bytes(data[: len(data) // 2])


# ----------------------------------------------------------------------------- main
def main(out):
    torch.set_num_threads(1)  # one thread keeps float reductions, hence the written bytes, reproducible
    install_stand_in_modules()
    out.mkdir(parents=True, exist_ok=True)
    manifest = {}

    def emit(rel, ckpt, protocol=2, via_buffer=False, groups=None, kind=None):
        save(ckpt, out / rel, protocol, via_buffer)
        prefix = "archive/" if via_buffer else Path(rel).stem + "/"
        manifest[rel] = manifest_entry(ckpt, prefix, protocol, groups, kind)

    coco, shapes = dict(enumerate(COCO_NAMES)), dict(enumerate(SHAPE_NAMES))
    # 1. yolov8n.pt: the COCO-pretrained stand-in, stripped, saved to a path with protocol 2.
    net = build(DetectionModel, "n", 80, coco, seed=8)
    n_sd, n_params = len(net.state_dict()), sum(p.numel() for p in net.parameters())
    assert (n_sd, n_params) == (355, 3_157_200), (n_sd, n_params)  # published yolov8n figures
    print(f"yolov8n@80: {n_sd} state_dict entries, {n_params:,} parameters")
    ckpt = stripped(net, train_args(model="yolov8n.yaml", data="coco.yaml", epochs=500, batch=128, imgsz=640,
                                    workers=8, optimizer="auto", name="yolov8n", save_dir="runs/detect/yolov8n"))
    emit("yolov8n.pt", ckpt)
    write_parity(ckpt["model"], out / "parity", seed=128)

    # 2-4 and 8. The custom shapes run: real optimizer steps, then the 8.3 training and stripped formats.
    sgd_args, adamw_args = train_args(), train_args(optimizer="AdamW", lr0=0.001)
    rows = results_rows(sgd_args, 5)
    best = np.float64(fitness(rows[3]))  # numpy scalar, as Ultralytics stores it
    assert best == 0.4321
    groups, (snap3, snap4) = train_snapshots(build(DetectionModel, "n", 3, shapes, seed=3), "SGD", sgd_args, seed=33)
    best_run = training_ckpt(snap3, 3, best, sgd_args, rows)
    emit("last.pt", training_ckpt(snap4, 4, best, sgd_args, rows), via_buffer=True, groups=groups, kind="SGD")
    write_run(out / "runs/detect/train", sgd_args, rows, legacy=False)
    shutil.copyfile(out / "last.pt", out / "runs/detect/train/weights/last.pt")
    manifest["runs/detect/train/weights/last.pt"] = manifest["last.pt"]
    emit("runs/detect/train/weights/best.pt", best_run, via_buffer=True, groups=groups, kind="SGD")

    ckpt = stripped(snap3["ema"], sgd_args, best_run["train_metrics"], best_run["train_results"])
    emit("best.pt", ckpt, protocol=4)
    write_parity(ckpt["model"], out / "parity-best", seed=129)

    ad_groups, (_, snap) = train_snapshots(build(DetectionModel, "n", 3, shapes, seed=3), "AdamW", adamw_args, seed=33)
    emit("last-adamw.pt", training_ckpt(snap, 4, best, adamw_args, results_rows(adamw_args, 5)),
         protocol=5, via_buffer=True, groups=ad_groups, kind="AdamW")

    # The same run as Ultralytics 8.0.x wrote it: padded CSV, model + EMA, fp32 optimizer state.
    write_run(out / "runs/detect/train-v8.0", sgd_args, rows, legacy=True)
    for name, snap_, epoch in (("last", snap4, 4), ("best", snap3, 3)):
        emit(f"runs/detect/train-v8.0/weights/{name}.pt", groups=groups, kind="SGD",
             ckpt=training_ckpt(copy.deepcopy(snap_), epoch, best, sgd_args, rows, legacy=True))

    # 5. seg.pt: the segmentation family at the class level (SegmentationModel / Segment / Proto).
    seg = build(SegmentationModel, "n", 80, coco, seed=9)
    assert sum(p.numel() for p in seg.parameters()) == 3_409_968  # yolov8n-seg's published count
    emit("seg.pt", stripped(seg, train_args(task="segment", model="yolov8n-seg.yaml", data="coco.yaml", imgsz=640)))

    write_bad_files(out, out / "best.pt")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {len(manifest)} checkpoints, parity data, run folders and bad/ into {out}")
    print(f"SGD groups (bias, decay, bn): {[len(g) for g in groups]}")

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
