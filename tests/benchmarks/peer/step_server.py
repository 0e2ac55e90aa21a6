"""bench_peer's Python side: one YOLOv8 (yolov8.py) that trains and infers on request.

    /usr/bin/python3 step_server.py --dir DIR --scale n --nc 80 --threads 2 [--fuse]

bench_peer starts this process and sends one command per line on stdin; every command gets one
reply line on stdout, "ok key=value ..." or "error <message>" (diagnostics go to stderr, so stdout
carries nothing else). Times are measured here, with this process's own clock around the work
alone, so the pipe and the C++ side's waiting play no part in them.

The files are exchanged in DIR, all written by YoloDeck's writeStateDict (a name -> tensor dict
that torch.load reads):

  check   load DIR/check_weights.pt (YoloDeck's state dict) into a fresh model and redo what
          YoloDeck did to DIR/check_case.pt's "input": eval-mode maps and decoded boxes, train-mode
          maps, the network loss and its gradients, then a second train-mode forward with the
          YOLOv8 loss (detection_loss.py) on the case's "targets" and its gradients; reply the
          largest differences from the case's tensors, and how far Python's float32 gradients and
          YoloDeck's are from the same step run in float64.
  setup   the models to time: two copies of DIR/weights.pt loaded by name (strict), each with an
          SGD optimizer with YoloDeck's benchmark settings; DIR/inputs.pt's "images" batch and its
          "targets".
  train   one training step on the first copy: zero_grad, forward, network loss, backward, SGD.
  step    one training step on the second copy with the YOLOv8 loss: zero_grad, forward,
          DetectionLoss (assignment included), backward, SGD step.
  val     one inference pass on the batch: eval mode, torch.inference_mode (as Ultralytics'
          validator), forward with the head's decode.
  quit

Two losses: the YOLOv8 loss (detection_loss.py, written to compute what YoloDeck's DetectionLoss
computes), which makes "step" the whole training step a user runs; and the network loss, the sum
over the three levels of the mean of the squared raw head outputs, which leaves only the network,
its backward pass and the optimizer in "train".
"""
import argparse
import copy
import os
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import torch  # noqa: E402

import yolov8  # noqa: E402
from detection_loss import DetectionLoss  # noqa: E402

# Ultralytics' SGD defaults (lr0, momentum, weight_decay), the same numbers bench_peer gives
# YoloDeck's optimizer; Nesterov as Ultralytics builds its SGD.
LR, MOMENTUM, WEIGHT_DECAY = 0.01, 0.937, 5e-4


def peer_loss(maps):
    return sum(m.float().pow(2).mean() for m in maps)


def load_weights(model, path):
    state = {str(k): v for k, v in torch.load(path, map_location="cpu").items()}
    model.load_state_dict(state, strict=True)  # any missing, unexpected or misshapen key raises
    return len(state)


def max_abs(a, b):
    return (a.detach().float() - b.detach().float()).abs().max().item() if a.numel() else 0.0


def worst_gradient(model, gradients):
    """The largest difference between the model's gradients and `gradients` (name -> tensor),
    each against the largest magnitude in the model's tensor (the scales differ by orders), and how
    many gradients were compared."""
    worst, compared = 0.0, 0
    for name, p in model.named_parameters():
        if p.grad is None:
            continue
        theirs = gradients.get(name)
        if theirs is None:
            raise RuntimeError("no gradient for " + name + " to compare with")
        scale = max(p.grad.abs().max().item(), 1e-12)
        worst = max(worst, max_abs(p.grad, theirs) / scale)
        compared += 1
    return worst, compared


def with_prefix(case, prefix):
    return {k[len(prefix):]: v for k, v in case.items() if k.startswith(prefix)}


def relative(mine, theirs):
    return abs(mine - theirs) / max(abs(theirs), 1e-12)


def sgd(model):
    decay, norm, biases = model.parameter_groups()
    optimizer = torch.optim.SGD(biases, lr=LR, momentum=MOMENTUM, nesterov=True)
    optimizer.add_param_group({"params": decay, "weight_decay": WEIGHT_DECAY})
    optimizer.add_param_group({"params": norm, "weight_decay": 0.0})
    return optimizer


class Peer:
    def __init__(self, directory, scale, nc, fuse):
        self.directory, self.scale, self.nc, self.fuse = directory, scale, nc, fuse
        self.model = self.optimizer = self.images = self.inference_model = None
        self.full_model = self.full_optimizer = self.targets = None
        self.criterion = DetectionLoss(nc)

    def new_model(self):
        # Corner boxes from the decoder, as YoloDeck's decode() returns them, so the check can
        # compare them (Ultralytics' centre form costs the same two adds).
        return yolov8.DetectionModel(self.scale, self.nc, xywh=False)

    def path(self, name):
        return os.path.join(self.directory, name)

    def check(self):
        model = self.new_model()
        tensors = load_weights(model, self.path("check_weights.pt"))
        case = torch.load(self.path("check_case.pt"), map_location="cpu")
        case = {str(k): v for k, v in case.items()}
        x = case["input"]
        levels = len(yolov8.STRIDES)
        out = {"tensors": tensors, "parameters": yolov8.parameter_count(model)}

        model.eval()
        with torch.inference_mode():
            decoded, maps = model(x)
            fused_decoded, _ = copy.deepcopy(model).fuse()(x)
        # YoloDeck's decode() is [B, A, 4 + nc]; the head's is [B, 4 + nc, A].
        reference = case["eval.decoded"].transpose(1, 2)
        out["eval_maps"] = max(max_abs(maps[i], case["eval.%d" % i]) for i in range(levels))
        out["eval_decoded"] = max_abs(decoded, reference)
        out["fused_decoded"] = max_abs(fused_decoded, reference)

        model.train()
        maps = model(x)
        loss = peer_loss(maps)
        loss.backward()
        out["train_maps"] = max(max_abs(maps[i], case["train.%d" % i]) for i in range(levels))
        out["loss_python"] = loss.item()
        out["loss_rel"] = relative(loss.item(), case["train.loss"].item())
        out["grad_rel"], out["grads"] = worst_gradient(model, with_prefix(case, "grad."))

        # The YOLOv8 loss on a second forward, as YoloDeck did it.
        reference = copy.deepcopy(model).double()  # before this forward moves the statistics
        model.zero_grad(set_to_none=True)
        total, items = self.criterion(model(x), case["targets"], x.shape[2], x.shape[3])
        total.backward()
        out["full_loss_python"] = total.item()
        out["full_loss_rel"] = relative(total.item(), case["full.loss"].item())
        out["full_items"] = max_abs(items, case["full.items"])
        yolodeck = with_prefix(case, "fullgrad.")
        out["full_grad_rel"], out["full_grads"] = worst_gradient(model, yolodeck)

        # Both sides' float32 gradients against the same step in float64: how close each gets.
        reference.zero_grad(set_to_none=True)
        criterion64 = DetectionLoss(self.nc, dtype=torch.float64)
        total64, _ = criterion64(reference(x.double()), case["targets"], x.shape[2], x.shape[3])
        total64.backward()
        out["f64_grad_rel_python"], _ = worst_gradient(
            reference, {n: p.grad for n, p in model.named_parameters() if p.grad is not None})
        out["f64_grad_rel_yolodeck"], _ = worst_gradient(reference, yolodeck)
        return out

    def setup(self):
        self.model = self.new_model()
        tensors = load_weights(self.model, self.path("weights.pt"))
        self.full_model = self.new_model()
        load_weights(self.full_model, self.path("weights.pt"))
        inputs = {str(k): v for k, v in torch.load(self.path("inputs.pt"),
                                                   map_location="cpu").items()}
        self.images = inputs["images"].contiguous()
        self.targets = inputs["targets"].contiguous()
        self.inference_model = None
        self.optimizer = sgd(self.model)
        self.full_optimizer = sgd(self.full_model)
        self.model.train()
        self.full_model.train()
        return {"tensors": tensors, "parameters": yolov8.parameter_count(self.model),
                "threads": torch.get_num_threads()}

    def train(self):
        if not self.model.training:
            self.model.train()
        start = time.perf_counter_ns()
        self.optimizer.zero_grad()
        loss = peer_loss(self.model(self.images))
        loss.backward()
        self.optimizer.step()
        ms = (time.perf_counter_ns() - start) / 1e6
        return {"ms": ms, "loss": loss.item()}

    def step(self):
        start = time.perf_counter_ns()
        self.full_optimizer.zero_grad()
        height, width = self.images.shape[2:]
        loss, _ = self.criterion(self.full_model(self.images), self.targets, height, width)
        loss.backward()
        self.full_optimizer.step()
        ms = (time.perf_counter_ns() - start) / 1e6
        return {"ms": ms, "loss": loss.item()}

    def val(self):
        if self.inference_model is None or self.model.training:
            self.model.eval()
            self.inference_model = copy.deepcopy(self.model).fuse() if self.fuse else self.model
        start = time.perf_counter_ns()
        with torch.inference_mode():
            decoded, _ = self.inference_model(self.images)
        ms = (time.perf_counter_ns() - start) / 1e6
        return {"ms": ms, "anchors": decoded.shape[2]}


def format_reply(values):
    return "ok " + " ".join("%s=%r" % (k, v) for k, v in values.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="where bench_peer writes the tensors")
    parser.add_argument("--scale", default="n", choices=sorted(yolov8.SCALES))
    parser.add_argument("--nc", type=int, default=80)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fuse", action="store_true",
                        help="validate a copy with BatchNorm folded in (as a standalone val)")
    opts = parser.parse_args()
    torch.set_num_threads(opts.threads)
    peer = Peer(opts.dir, opts.scale, opts.nc, opts.fuse)
    commands = {"check": peer.check, "setup": peer.setup, "train": peer.train, "step": peer.step,
                "val": peer.val}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            if words[0] not in commands:
                raise ValueError("unknown command %r" % words[0])
            reply = format_reply(commands[words[0]]())
        except Exception as e:  # the C++ side shows the message and stops
            reply = "error %s: %s" % (type(e).__name__, " ".join(str(e).split())[:500])
        print(reply, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
