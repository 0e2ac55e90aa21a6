#!/usr/bin/python3
"""Write the seed corpora of fuzz_pickle and fuzz_ultralytics (tests/fuzz/corpus/{pickle,ultralytics}).

A real Ultralytics-shaped checkpoint is megabytes; a seed must stay small. So the YOLOv8n stand-in of
tests/auto/interop/make_ultralytics_files.py gets every parameter and buffer replaced by a stride-0
view of a one-element storage: the pickle describes the same module tree, names and shapes, and the
archive holds one storage record per dtype. YoloDeck reads it as a valid checkpoint (the views are
checked against their storages like any others), in a few kilobytes. Around it: slightly broken
copies, foreign files, and small hand-made pickles of every protocol. Seeds named bad-* must be
refused (tests/auto/fuzz checks each one's message); all others must be accepted.

Usage: /usr/bin/python3 tests/fuzz/make_pickle_seeds.py   (Debian's python3-torch 1.13 + numpy)
"""
import collections, io, os, pickle, sys, zipfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "auto" / "interop"))
import make_ultralytics_files as u  # noqa: E402  (the stand-in classes, no Ultralytics code)


WALKED = {"_parameters", "_buffers", "_modules"}  # what the reader walks of a module's state


def stride0(module):
    """Every tensor of the module becomes a view, of the right shape, of one shared element."""
    bases = {}
    for sub in module.modules():
        for table in (sub._parameters, sub._buffers):
            for key, t in table.items():
                if t is None:
                    continue
                base = bases.setdefault(t.dtype, torch.ones(1, dtype=t.dtype))
                view = base.expand(t.shape) if t.dim() else base[0]
                table[key] = torch.nn.Parameter(view, requires_grad=False) \
                    if isinstance(t, torch.nn.Parameter) else view
    return module


def saved(obj, protocol=2):
    buf = io.BytesIO()
    torch.save(obj, buf, pickle_protocol=protocol)
    return buf.getvalue()


def data_pkl(archive):
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


def without(archive, suffix):
    """The same archive without the record whose name ends with suffix (stored, like torch's)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if not info.filename.endswith(suffix):
                dst.writestr(info, src.read(info))
    return out.getvalue()


def main():
    torch.manual_seed(0)
    u.install_stand_in_modules()
    shapes = dict(enumerate(u.SHAPE_NAMES))
    net = stride0(u.DetectionModel("n", 3, shapes).half().eval())
    args = u.train_args(model="yolov8n.yaml", data="shapes.yaml", epochs=5, imgsz=64)
    ckpt = {**u.meta(), "epoch": -1, "best_fitness": None, "model": net, "ema": None, "updates": None,
            "optimizer": None, "train_args": args, "train_metrics": None, "train_results": None}
    # Protocol 4 (Ultralytics 8.3's best.pt) fits in a seed as it is; protocol 2 only once the
    # modules lose the private attributes the reader never looks at (hooks, flags).
    good = saved(ckpt, protocol=4)
    for module in net.modules():
        for key in [k for k in vars(module) if k.startswith("_") and k not in WALKED]:
            delattr(module, key)
    slim2 = saved(ckpt, protocol=2)

    ultra = HERE / "corpus" / "ultralytics"
    pick = HERE / "corpus" / "pickle"
    for d in (ultra, pick):
        d.mkdir(parents=True, exist_ok=True)
    files = {
        ultra / "yolov8n-stride0.pt": good,
        ultra / "bad-truncated.pt": good[: len(good) // 2],
        ultra / "bad-no-storage-record.pt": without(good, "/data/0"),
        ultra / "bad-no-data-pkl.pt": without(good, "/data.pkl"),
        ultra / "bad-not-detection.pt": saved({"a": torch.zeros(3), "b": [1, 2.5, "x"]}),
        ultra / "bad-evil-reduce.pt": saved({**u.meta(), "epoch": -1, "model": u._Shell("true")}),
        pick / "yolov8n.pkl": data_pkl(good),
        pick / "yolov8n-slim-protocol2.pkl": data_pkl(slim2),
        pick / "bad-truncated.pkl": data_pkl(good)[:700],
    }
    # Hand-made streams: every protocol, the containers and scalars the reader knows, shared and
    # self-referencing values, and the data constructors it interprets.
    shared = [1, 2]
    loop = []
    loop.append(loop)
    plain = {"epoch": 3, "fitness": 0.25, "big": 2**62, "neg": -7, "none": None, "flag": True,
             "name": "yolov8n", "bytes": b"\x00\x01", "tuple": (1, (2.5, "a")), "set": {1, 2},
             "frozen": frozenset({"x"}), "shared": (shared, shared), "od": collections.OrderedDict(a=1),
             "np": np.float64(0.4321), "npi": np.int64(12)}
    for protocol in range(0, 6):
        values = dict(plain)
        if protocol == 0:
            # Protocol 0 writes a numpy scalar's raw bytes as a raw-unicode-escape string, which
            # YoloDeck's reader does not decode (torch.save never writes protocol 0).
            del values["np"]
        files[pick / f"plain-protocol{protocol}.pkl"] = pickle.dumps(values, protocol=protocol)
    files[pick / "self-reference.pkl"] = pickle.dumps(loop, protocol=2)
    files[pick / "tensor.pkl"] = data_pkl(saved({"t": torch.arange(6.0).reshape(2, 3)[:, 1:]}))
    files[pick / "evil-reduce.pkl"] = pickle.dumps(u._Shell("true"), protocol=2)
    files[pick / "bad-unknown-opcode.pkl"] = b"\x80\x02K\x01\x97."
    for path, data in files.items():
        assert len(data) < 64 * 1024, (path, len(data))
        path.write_bytes(data)
        print(f"{path.relative_to(HERE)}: {len(data)} bytes")


if __name__ == "__main__":
    main()
