#!/usr/bin/env python3
"""Convert resemblyzer's pretrained.pt to safetensors, with the Python standard library only.

Why: pretrained.pt is in PyTorch's *legacy* (pre-1.6, non-zip) serialisation, which candle's
pickle reader does not handle, and installing torch (~800 MB) just to re-save 17 MB of weights
is out of proportion. The legacy layout is: magic pickle, protocol pickle, sys-info pickle, the
state pickle (tensors as persistent ids naming a storage + offset/shape/stride), the list of
storage keys, then each storage as int64 element count + raw little-endian data.

Usage: resemblyzer-to-safetensors.py IN.pt OUT.safetensors
"""
import json
import pickle
import struct
import sys

MAGIC = 0x1950A86A20F9469CFC6C
WANTED = [f"lstm.{k}_l{i}" for i in range(3) for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
WANTED += ["linear.weight", "linear.bias"]


class _Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel[, view_metadata])
        if pid[0] != "storage":
            raise ValueError(f"unexpected persistent id {pid[0]!r}")
        if pid[1] != "torch.FloatStorage":
            raise ValueError(f"storage {pid[2]} is {pid[1]}, expected torch.FloatStorage")
        return pid[2]

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return f"torch.{name}"
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *_rest: _Tensor(storage, offset, shape, stride)
        if module == "collections" and name == "OrderedDict":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def main(src, dst):
    with open(src, "rb") as f:
        if pickle.load(f) != MAGIC:
            raise SystemExit(f"{src}: not a legacy PyTorch file (bad magic number)")
        pickle.load(f)  # protocol version
        info = pickle.load(f)
        if not info.get("little_endian", False):
            raise SystemExit(f"{src}: big-endian file")
        state = _Unpickler(f).load()["model_state"]
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            data = f.read(numel * 4)
            if len(data) != numel * 4:
                raise SystemExit(f"{src}: truncated storage {key}")
            storages[key] = data

    header, blobs, pos = {}, [], 0
    for name in WANTED:
        t = state[name]
        n = 1
        for d in t.shape:
            n *= d
        # contiguous row-major check: stride must be the C-order stride of shape
        expect, acc = [], 1
        for d in reversed(t.shape):
            expect.insert(0, acc)
            acc *= d
        if tuple(expect) != t.stride:
            raise SystemExit(f"{name}: non-contiguous tensor {t.shape} {t.stride}")
        data = storages[t.storage][t.offset * 4:(t.offset + n) * 4]
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(dst, "wb") as out:
        out.write(struct.pack("<Q", len(head)))
        out.write(head)
        for b in blobs:
            out.write(b)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
