#!/usr/bin/python3
"""Check a state dict YoloDeck exported (torch::pickle_save of name -> tensor) against an Ultralytics file.

Usage: /usr/bin/python3 check_exported_state_dict.py EXPORTED.pt REFERENCE.pt [--atol X]

The export is only useful to Ultralytics users if `model.load_state_dict(sd, strict=True)` accepts it
on Ultralytics' own module tree, so this loads it into the stand-in DetectionModel (same module names
and shapes as Ultralytics'), then compares every tensor with the reference checkpoint's model (EMA
first, as Ultralytics loads it). Prints one JSON line; exit code 0 only when everything matches.
"""
import argparse, json, sys
from pathlib import Path

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_ultralytics_files as stand_ins  # noqa: E402  (defines classes only; no files written)

WIDTH_TO_SCALE = {16: "n", 32: "s", 48: "m", 64: "l", 80: "x"}  # layer 0's channels = 64 * width


def exported_state_dict(obj):
    """torch::pickle_save of a c10::Dict loads as a dict; also accept a module or a checkpoint."""
    if isinstance(obj, torch.nn.Module):
        return obj.state_dict()
    if isinstance(obj, dict) and not all(isinstance(v, torch.Tensor) for v in obj.values()):
        module = obj.get("ema") or obj.get("model")
        if isinstance(module, torch.nn.Module):
            return module.state_dict()
    return {str(k): v for k, v in obj.items()}


def infer_architecture(sd, reference):
    """Scale from the stem's width, nc from the last class conv; the reference only breaks ties."""
    scale = WIDTH_TO_SCALE.get(sd["model.0.conv.weight"].shape[0]) if "model.0.conv.weight" in sd else None
    nc = sd["model.22.cv3.0.2.weight"].shape[0] if "model.22.cv3.0.2.weight" in sd else None
    segment = any(k.startswith("model.22.proto.") for k in sd)
    if reference is not None:
        scale = scale or reference.yaml.get("scale")
        nc = nc or reference.nc
        segment = segment or type(reference).__name__ == "SegmentationModel"
    return scale or "n", int(nc or 80), segment


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exported")
    parser.add_argument("reference")
    parser.add_argument("--atol", type=float, default=1e-6,
                        help="largest allowed |exported - reference| after .float() (fp16 -> fp32 is exact)")
    opts = parser.parse_args()
    stand_ins.install_stand_in_modules()
    torch.set_num_threads(1)

    sd = exported_state_dict(torch.load(opts.exported, map_location="cpu"))
    ckpt = torch.load(opts.reference, map_location="cpu")
    reference = ckpt.get("ema") or ckpt.get("model") if isinstance(ckpt, dict) else ckpt
    scale, nc, segment = infer_architecture(sd, reference)
    cls = stand_ins.SegmentationModel if segment else stand_ins.DetectionModel
    model = cls(scale, nc)

    report = {"keys": len(sd), "scale": scale, "nc": nc, "missing": [], "unexpected": [],
              "shape_mismatch": [], "value_mismatch": [], "max_abs_diff": 0.0, "error": None}
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:  # strict=True raises on any missing/unexpected key or wrong shape
        report["error"] = " ".join(str(e).split())[:1000]
        expected = model.state_dict()
        report["missing"] = [k for k in expected if k not in sd]
        report["unexpected"] = [k for k in sd if k not in expected]

    ref_sd = reference.state_dict() if reference is not None else {}
    report["missing"] += [k for k in ref_sd if k not in sd and k not in report["missing"]]
    for name, ref in ref_sd.items():
        if name not in sd:
            continue
        got = sd[name]
        if tuple(got.shape) != tuple(ref.shape):
            report["shape_mismatch"].append(name)
            continue
        diff = (got.detach().float() - ref.float()).abs().max().item() if ref.numel() else 0.0
        report["max_abs_diff"] = max(report["max_abs_diff"], diff)
        if not diff <= opts.atol:  # also catches NaN
            report["value_mismatch"].append(name)

    report["ok"] = bool(ref_sd) and not (report["missing"] or report["unexpected"] or report["error"]
                                         or report["shape_mismatch"] or report["value_mismatch"])
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
