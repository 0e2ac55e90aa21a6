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
          maps, the benchmark loss and its gradients; reply the largest differences from the case's
          tensors.
  setup   the model to time: DIR/weights.pt loaded by name (strict), DIR/inputs.pt's "images"
          batch, an SGD optimizer with YoloDeck's benchmark settings.
  train   one training step: zero_grad, forward, benchmark loss, backward, SGD step.
  val     one inference pass on the batch: eval mode, torch.inference_mode (as Ultralytics'
          validator), forward with the head's decode.
  quit

The benchmark loss is the one both sides compute alike: the sum over the three levels of the mean
of the squared raw head outputs (YoloDeck's bench_peer.cpp computes the same).
"""
import argparse
import copy
import os
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import torch  # noqa: E402

import yolov8  # noqa: E402

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


class Peer:
    def __init__(self, directory, scale, nc, fuse):
        self.directory, self.scale, self.nc, self.fuse = directory, scale, nc, fuse
        self.model = self.optimizer = self.images = self.inference_model = None

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
        theirs = case["train.loss"].item()
        out["loss_python"] = loss.item()
        out["loss_rel"] = abs(loss.item() - theirs) / max(abs(theirs), 1e-12)
        # Each gradient against the largest magnitude in its tensor: the scales differ by orders.
        worst, compared = 0.0, 0
        for name, p in model.named_parameters():
            if p.grad is None:
                continue
            theirs = case.get("grad." + name)
            if theirs is None:
                raise RuntimeError("YoloDeck sent no gradient for " + name)
            scale = max(theirs.abs().max().item(), 1e-12)
            worst = max(worst, max_abs(p.grad, theirs) / scale)
            compared += 1
        out["grad_rel"] = worst
        out["grads"] = compared
        return out

    def setup(self):
        self.model = self.new_model()
        tensors = load_weights(self.model, self.path("weights.pt"))
        self.images = torch.load(self.path("inputs.pt"), map_location="cpu")["images"].contiguous()
        self.inference_model = None
        decay, norm, biases = self.model.parameter_groups()
        self.optimizer = torch.optim.SGD(biases, lr=LR, momentum=MOMENTUM, nesterov=True)
        self.optimizer.add_param_group({"params": decay, "weight_decay": WEIGHT_DECAY})
        self.optimizer.add_param_group({"params": norm, "weight_decay": 0.0})
        self.model.train()
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
    commands = {"check": peer.check, "setup": peer.setup, "train": peer.train, "val": peer.val}
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
