"""A YOLOv8 detector in plain PyTorch: the network Ultralytics users train, as bench_peer's peer.

Written for YoloDeck from the published architecture (yolov8.yaml and the YOLOv8 module
descriptions), not from Ultralytics' code. The module tree uses Ultralytics' attribute names, so
state_dict keys are theirs and YoloDeck's ("model.0.conv.weight", "model.22.cv2.0.0.conv.weight",
"model.22.dfl.conv.weight"): weights move between the three by name. Runs on Debian's
python3-torch 1.13 with nothing else installed.

    /usr/bin/python3 tests/benchmarks/peer/yolov8.py [nc]    # parameter count of every scale

Forward follows Ultralytics: in training mode the Detect head returns the raw per-level maps
[B, 4 * reg_max + nc, H / s, W / s]; in eval mode it returns (decoded [B, 4 + nc, A], maps).
"""
import math
import sys

import torch
from torch import nn

# [depth, width, max_channels]: Ultralytics' yolov8.yaml scales, and YoloDeck's own "tiny"
# (core/model/modelscale.cpp: a third of the depth, an eighth of the width, at most 256 channels).
SCALES = {
    "n": (0.33, 0.25, 1024),
    "s": (0.33, 0.50, 1024),
    "m": (0.67, 0.75, 768),
    "l": (1.00, 1.00, 512),
    "x": (1.00, 1.25, 512),
    "tiny": (0.33, 0.125, 256),
}

# Ultralytics' published parameter counts for 80 classes (model summaries of yolov8{n,s,m}).
ULTRALYTICS_PARAMETERS_80 = {"n": 3_157_200, "s": 11_166_560, "m": 25_902_640}

STRIDES = (8, 16, 32)
BN_EPS, BN_MOMENTUM = 1e-3, 0.03  # Ultralytics sets these on every BatchNorm2d


class Conv(nn.Module):
    """Conv2d without bias, BatchNorm, SiLU; fuse() folds the BatchNorm in for inference."""

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.SiLU()
        self.fused = False

    def forward(self, x):
        if self.fused:
            return self.act(self.conv(x))
        return self.act(self.bn(self.conv(x)))

    @torch.no_grad()
    def fuse(self):
        # The eval-mode BatchNorm is an affine map per channel: scale the filters and add a bias.
        gain = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        folded = nn.Conv2d(self.conv.in_channels, self.conv.out_channels, self.conv.kernel_size,
                           self.conv.stride, self.conv.padding, bias=True)
        folded.weight.copy_(self.conv.weight * gain.view(-1, 1, 1, 1))
        folded.bias.copy_(self.bn.bias - self.bn.running_mean * gain)
        self.conv = folded.to(self.conv.weight.device)
        del self.bn
        self.fused = True


class Bottleneck(nn.Module):
    def __init__(self, c1, c2, shortcut=True, e=1.0):
        super().__init__()
        hidden = int(c2 * e)
        self.cv1 = Conv(c1, hidden, 3, 1)
        self.cv2 = Conv(hidden, c2, 3, 1)
        self.add = shortcut and c1 == c2

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """cv1 makes two halves; n bottlenecks chain on the second; cv2 merges all intermediate maps."""

    def __init__(self, c1, c2, n=1, shortcut=False, e=0.5):
        super().__init__()
        self.c = int(c2 * e)
        self.cv1 = Conv(c1, 2 * self.c, 1, 1)
        self.cv2 = Conv((2 + n) * self.c, c2, 1, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, e=1.0) for _ in range(n))

    def forward(self, x):
        parts = list(self.cv1(x).chunk(2, 1))
        for block in self.m:
            parts.append(block(parts[-1]))
        return self.cv2(torch.cat(parts, 1))


class SPPF(nn.Module):
    """Three chained k x k max-pools; the input and the three results are concatenated."""

    def __init__(self, c1, c2, k=5):
        super().__init__()
        hidden = c1 // 2
        self.cv1 = Conv(c1, hidden, 1, 1)
        self.cv2 = Conv(hidden * 4, c2, 1, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        y0 = self.cv1(x)
        y1 = self.m(y0)
        y2 = self.m(y1)
        return self.cv2(torch.cat((y0, y1, y2, self.m(y2)), 1))


class Concat(nn.Module):
    def forward(self, xs):
        return torch.cat(xs, 1)


class DFL(nn.Module):
    """Distribution Focal Loss integral (Li et al. 2020): softmax over reg_max bins, expectation
    taken by a frozen 1x1 conv with weights 0..reg_max-1."""

    def __init__(self, reg_max=16):
        super().__init__()
        self.reg_max = reg_max
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.arange(reg_max, dtype=torch.float).view(1, reg_max, 1, 1))

    def forward(self, x):  # [B, 4 * reg_max, A] -> [B, 4, A]
        b, _, a = x.shape
        probs = x.view(b, 4, self.reg_max, a).transpose(2, 1).softmax(1)
        return self.conv(probs).view(b, 4, a)


def make_anchors(feats, strides, offset=0.5):
    """Cell centres of every level, row-major, in grid units; and each anchor's stride."""
    points, stride_col = [], []
    for f, s in zip(feats, strides):
        h, w = f.shape[2:]
        sx = torch.arange(w, dtype=f.dtype, device=f.device) + offset
        sy = torch.arange(h, dtype=f.dtype, device=f.device) + offset
        gy, gx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((gx, gy), -1).view(-1, 2))
        stride_col.append(torch.full((h * w, 1), float(s), dtype=f.dtype, device=f.device))
    return torch.cat(points), torch.cat(stride_col)


def dist2bbox(distance, anchor_points, xywh=True, dim=-1):
    lt, rb = distance.chunk(2, dim)
    x1y1 = anchor_points - lt
    x2y2 = anchor_points + rb
    if xywh:
        return torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), dim)
    return torch.cat((x1y1, x2y2), dim)


def _branch(c_in, c_mid, c_out):
    return nn.Sequential(Conv(c_in, c_mid, 3), Conv(c_mid, c_mid, 3), nn.Conv2d(c_mid, c_out, 1))


class Detect(nn.Module):
    """Decoupled head: per level a box branch (cv2, 4 * reg_max logits) and a class branch
    (cv3, nc logits)."""

    def __init__(self, nc, ch, strides=STRIDES, reg_max=16, xywh=True):
        super().__init__()
        self.nc, self.reg_max, self.strides = nc, reg_max, tuple(strides)
        self.xywh = xywh  # Ultralytics returns centre boxes; YoloDeck's decode() returns corners
        c2 = max(16, ch[0] // 4, 4 * reg_max)
        c3 = max(ch[0], min(nc, 100))
        self.cv2 = nn.ModuleList(_branch(x, c2, 4 * reg_max) for x in ch)
        self.cv3 = nn.ModuleList(_branch(x, c3, nc) for x in ch)
        self.dfl = DFL(reg_max)

    def forward(self, xs):
        maps = [torch.cat((box(x), cls(x)), 1) for x, box, cls in zip(xs, self.cv2, self.cv3)]
        if self.training:
            return maps
        return self.decode(maps), maps

    def decode(self, maps):
        """Raw maps -> [B, 4 + nc, A]: boxes in input pixels, then sigmoid class scores."""
        flat = torch.cat([m.flatten(2) for m in maps], 2)
        points, strides = make_anchors(maps, self.strides)
        box, cls = flat.split((4 * self.reg_max, self.nc), 1)
        boxes = dist2bbox(self.dfl(box), points.t().unsqueeze(0), self.xywh, 1) * strides.t()
        return torch.cat((boxes, cls.sigmoid()), 1)

    @torch.no_grad()
    def bias_init(self):
        # Box logits start at 1.0; class logits at the prior of ~5 objects per 640 px image
        # spread over nc classes and the level's cells (Ultralytics' Detect.bias_init).
        for box, cls, s in zip(self.cv2, self.cv3, self.strides):
            box[-1].bias.fill_(1.0)
            cls[-1].bias.fill_(math.log(5 / self.nc / (640 / s) ** 2))


def _channels(c, width, max_channels):
    return int(math.ceil(min(c, max_channels) * width / 8) * 8)  # make_divisible(., 8)


def _repeats(n, depth):
    return max(round(n * depth), 1) if n > 1 else n  # Python's round: half to even


class DetectionModel(nn.Module):
    """The 23 layers of yolov8.yaml in self.model; forward wires them as the yaml's "from" says."""

    def __init__(self, scale="n", nc=80, xywh=True):
        super().__init__()
        depth, width, max_channels = SCALES[scale]
        c64, c128, c256, c512, c1024 = (_channels(c, width, max_channels)
                                        for c in (64, 128, 256, 512, 1024))
        n3, n6 = _repeats(3, depth), _repeats(6, depth)
        self.scale, self.nc = scale, nc
        self.model = nn.Sequential(
            Conv(3, c64, 3, 2),  # 0  P1/2
            Conv(c64, c128, 3, 2),  # 1  P2/4
            C2f(c128, c128, n3, True),  # 2
            Conv(c128, c256, 3, 2),  # 3  P3/8
            C2f(c256, c256, n6, True),  # 4
            Conv(c256, c512, 3, 2),  # 5  P4/16
            C2f(c512, c512, n6, True),  # 6
            Conv(c512, c1024, 3, 2),  # 7  P5/32
            C2f(c1024, c1024, n3, True),  # 8
            SPPF(c1024, c1024, 5),  # 9
            nn.Upsample(None, 2, "nearest"),  # 10
            Concat(),  # 11 [-1, 6]
            C2f(c1024 + c512, c512, n3),  # 12
            nn.Upsample(None, 2, "nearest"),  # 13
            Concat(),  # 14 [-1, 4]
            C2f(c512 + c256, c256, n3),  # 15 P3 out
            Conv(c256, c256, 3, 2),  # 16
            Concat(),  # 17 [-1, 12]
            C2f(c256 + c512, c512, n3),  # 18 P4 out
            Conv(c512, c512, 3, 2),  # 19
            Concat(),  # 20 [-1, 9]
            C2f(c512 + c1024, c1024, n3),  # 21 P5 out
            Detect(nc, (c256, c512, c1024), xywh=xywh),  # 22
        )
        self.model[22].bias_init()

    def forward(self, x):
        m = self.model
        p3 = m[4](m[3](m[2](m[1](m[0](x)))))
        p4 = m[6](m[5](p3))
        p5 = m[9](m[8](m[7](p4)))
        h12 = m[12](m[11]((m[10](p5), p4)))
        out3 = m[15](m[14]((m[13](h12), p3)))
        out4 = m[18](m[17]((m[16](out3), h12)))
        out5 = m[21](m[20]((m[19](out4), p5)))
        return m[22]([out3, out4, out5])

    def fuse(self):
        """Folds every Conv's BatchNorm into its convolution (inference only), as Ultralytics'
        fuse() does before a standalone validation or predict."""
        for module in self.modules():
            if isinstance(module, Conv) and not module.fused:
                module.fuse()
        return self

    def parameter_groups(self):
        """Ultralytics' three optimizer groups: weights with decay, norm weights, biases."""
        decay, norm, biases = [], [], []
        for module in self.modules():
            for name, p in module.named_parameters(recurse=False):
                if not p.requires_grad:
                    continue  # the frozen DFL conv
                if name == "bias":
                    biases.append(p)
                elif isinstance(module, nn.BatchNorm2d):
                    norm.append(p)
                else:
                    decay.append(p)
        return decay, norm, biases


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def main(argv):
    nc = int(argv[1]) if len(argv) > 1 else 80
    failed = False
    for scale in SCALES:
        count = parameter_count(DetectionModel(scale, nc))
        expected = ULTRALYTICS_PARAMETERS_80.get(scale) if nc == 80 else None
        verdict = "" if expected is None else (
            " (Ultralytics: %d, %s)" % (expected, "equal" if count == expected else "DIFFERENT"))
        failed |= expected is not None and count != expected
        print("yolov8%s nc=%d: %d parameters%s" % (scale, nc, count, verdict))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
