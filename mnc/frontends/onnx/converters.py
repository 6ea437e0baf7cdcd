"""Per-operator converters of the ONNX importer: a table from op_type to a function(importer, node).

A node whose inputs are all constants is folded with onnx's own reference evaluator instead
(shape arithmetic of exported models, quantizing weights), whatever its type.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper

from mnc.frontends.onnx.context import (
    NCHW_TO_NHWC, Const, Importer, Value, invert, layout_for_rank, node_attrs, node_input,
)
from mnc.frontends.onnx.qdq import dequantize_linear, quantize_linear
from mnc.ir import QuantParams

# ---- helpers ------------------------------------------------------------------------------

def _only_first_output(imp: Importer, node: onnx.NodeProto) -> None:
    if any(name for name in node.output[1:]):
        raise imp.unsupported("only the first output is supported")


def _out_shape(imp: Importer, node: onnx.NodeProto) -> tuple[int, ...]:
    name = node.output[0]
    if name not in imp.inferred:
        raise imp.malformed(f"shape of {name!r} could not be inferred")
    return imp.inferred[name]


def _pair(values, default: int) -> tuple[int, int]:
    if values is None:
        return (default, default)
    if len(values) != 2:
        raise ValueError(values)
    return (int(values[0]), int(values[1]))


def _scalar(imp: Importer, name: str) -> float:
    data = imp.const_array(name)
    if data.size != 1:
        raise imp.unsupported(f"input {name!r} must be a scalar, got shape {data.shape}")
    return float(data.reshape(-1)[0])


def _spatial(imp: Importer, v: Value) -> tuple[int, int]:
    if len(v.shape) != 4:
        raise imp.unsupported(f"only 4-D NCHW inputs are supported, got shape {v.shape}")
    return v.shape[2], v.shape[3]


def _window_pads(imp: Importer, a: dict, size, kernel, stride) -> list[list[int]]:
    """[[begin, end] for H, W] from auto_pad / pads."""
    mode = a.get("auto_pad", "NOTSET")
    if mode == "NOTSET":
        p = [0, 0, 0, 0] if a.get("pads") is None else [int(x) for x in a["pads"]]
        if len(p) != 4:
            raise imp.unsupported(f"pads {p} are not 2-D")
        if min(p) < 0:
            raise imp.unsupported(f"negative pads {p}")
        return [[p[0], p[2]], [p[1], p[3]]]
    if mode == "VALID":
        return [[0, 0], [0, 0]]
    if mode not in ("SAME_UPPER", "SAME_LOWER"):
        raise imp.unsupported(f"auto_pad {mode!r}")
    pads = []
    for n, k, s in zip(size, kernel, stride):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        small, big = total // 2, total - total // 2
        pads.append([small, big] if mode == "SAME_UPPER" else [big, small])
    return pads


def _mnc_pad(pads: list[list[int]]) -> tuple[int, int, int, int]:
    (t, b), (l, r) = pads
    return (t, b, l, r)


def _no_dilation(imp: Importer, a: dict) -> None:
    if a.get("dilations") is not None and any(int(d) != 1 for d in a["dilations"]):
        raise imp.unsupported(f"dilations {list(a['dilations'])} (only 1 is supported)")


def _nhwc_axis(axis: int) -> int:
    """Position of ONNX (NCHW) axis `axis` in the NHWC tensor."""
    return NCHW_TO_NHWC.index(axis)


def _norm_axis(imp: Importer, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise imp.malformed(f"axis {axis} out of range for rank {rank}")
    return axis % rank


def _emit_unary(imp: Importer, node: onnx.NodeProto, kind: str) -> None:
    x = imp.value(node.input[0])
    imp.bind(node.output[0], imp.emit(kind, [x.tensor], {}, node.output[0], x.layout, x.shape))


def _unary(kind: str):
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        node_attrs(imp, node, {})
        _emit_unary(imp, node, kind)
    return convert


# ---- convolution and pooling --------------------------------------------------------------

def _conv(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None,
                           "pads": None, "strides": None})
    x = imp.as_nhwc(imp.value(node.input[0]))
    w = imp.const(node.input[1])
    if w.data.ndim != 4:
        raise imp.unsupported(f"only 2-D convolutions are supported (weights {w.data.shape})")
    _no_dilation(imp, a)
    out_c, in_per_group, kh, kw = w.data.shape
    channels, group = x.shape[1], int(a["group"])
    stride = _pair(a["strides"], 1)
    pads = _mnc_pad(_window_pads(imp, a, x.shape[2:], (kh, kw), stride))
    attrs = {"stride": stride, "pad": pads, "dilation": (1, 1), "act": "none"}
    if group == 1:
        if in_per_group != channels:
            raise imp.malformed(f"weights expect {in_per_group} input channels, input has {channels}")
        kind, weights = "conv2d", imp.add_const_tensor(w, node.input[1], perm=(0, 2, 3, 1))
    elif group == channels and in_per_group == 1 and out_c % channels == 0:
        kind, weights = "depthwise_conv2d", imp.add_const_tensor(w, node.input[1], perm=(1, 2, 3, 0))
        attrs["depth_multiplier"] = out_c // channels
    else:
        raise imp.unsupported(f"group={group} with {channels} input channels (only 1 or depthwise)")
    inputs = [x.tensor, weights]
    if node_input(node, 2):
        inputs.append(imp.add_const_tensor(imp.const(node.input[2]), node.input[2]))
    imp.bind(node.output[0], imp.emit(kind, inputs, attrs, node.output[0], "nhwc", _out_shape(imp, node)))


def _ceil_extra(imp: Importer, pads, size, kernel, stride) -> list[int]:
    """Extra end padding that makes floor-mode pooling produce ONNX's ceil_mode output size."""
    extra = []
    for (b, e), n, k, s in zip(pads, size, kernel, stride):
        out = -(-(n + b + e - k) // s) + 1
        if (out - 1) * s >= n + b:  # the last window would start inside the end padding
            out -= 1
        extra.append(max(0, (out - 1) * s + k - (n + b + e)))
    return extra


def _pool(kind: str):
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        defaults = {"auto_pad": "NOTSET", "ceil_mode": 0, "dilations": None, "kernel_shape": None, "pads": None,
                    "strides": None}
        defaults.update({"count_include_pad": 0} if kind == "avg_pool2d" else {"storage_order": 0})
        a = node_attrs(imp, node, defaults)
        _only_first_output(imp, node)
        x = imp.as_nhwc(imp.value(node.input[0]))
        size = _spatial(imp, x)
        if a["kernel_shape"] is None or len(a["kernel_shape"]) != 2:
            raise imp.unsupported(f"only 2-D pooling is supported (kernel_shape {a['kernel_shape']})")
        _no_dilation(imp, a)
        kernel, stride = _pair(a["kernel_shape"], 1), _pair(a["strides"], 1)
        pads = _window_pads(imp, a, size, kernel, stride)
        if a["ceil_mode"]:
            for p, extra in zip(pads, _ceil_extra(imp, pads, size, kernel, stride)):
                p[1] += extra
        if kind == "avg_pool2d" and a["count_include_pad"] and any(map(any, pads)):
            x, pads = _explicit_zero_pad(imp, node, x, pads, a["ceil_mode"])
        attrs = {"kernel": kernel, "stride": stride, "pad": _mnc_pad(pads), "act": "none"}
        imp.bind(node.output[0], imp.emit(kind, [x.tensor], attrs, node.output[0], "nhwc", _out_shape(imp, node)))
    return convert


def _explicit_zero_pad(imp: Importer, node, x: Value, pads, ceil_mode) -> tuple[Value, list]:
    """count_include_pad=1: pad with zeros first, so the average counts the padding."""
    if ceil_mode:
        raise imp.unsupported("count_include_pad=1 together with ceil_mode=1")
    (t, b), (l, r) = pads
    shape = (x.shape[0], x.shape[1], x.shape[2] + t + b, x.shape[3] + l + r)
    padded = imp.emit("pad", [x.tensor], {"pads": ((0, 0), (t, b), (l, r), (0, 0))}, node.output[0] + "_pad",
                      "nhwc", shape)
    return padded, [[0, 0], [0, 0]]


def _global_average_pool(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {})
    x = imp.as_nhwc(imp.value(node.input[0]))
    _spatial(imp, x)
    attrs = {"axes": (1, 2), "keepdims": True}
    imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "nhwc", _out_shape(imp, node)))


def _reduce_mean(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axes": None, "keepdims": 1, "noop_with_empty_axes": 0})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    axes = a["axes"] if a["axes"] is not None else (imp.const_array(node_input(node, 1)).tolist() if node_input(node, 1) else [])
    if not axes and a["noop_with_empty_axes"]:
        imp.bind(node.output[0], x)
        return
    axes = sorted({_norm_axis(imp, int(ax), rank) for ax in axes} if axes else range(rank))
    out_shape = _out_shape(imp, node)
    if x.layout == "nhwc" and not a["keepdims"] and {2, 3} <= set(axes):  # what is left is in ONNX order
        attrs = {"axes": tuple(sorted(_nhwc_axis(ax) for ax in axes)), "keepdims": False}
        imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "plain", out_shape))
        return
    if x.layout == "nhwc":
        kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        attrs = {"axes": tuple(sorted(_nhwc_axis(ax) for ax in axes)), "keepdims": True}
        mean = imp.emit("mean", [x.tensor], attrs, node.output[0], "nhwc", kept)
        imp.bind(node.output[0], mean if a["keepdims"] else imp.reshape(mean, out_shape, node.output[0]))
        return
    attrs = {"axes": tuple(axes), "keepdims": bool(a["keepdims"])}
    imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "plain", out_shape))


def _batch_norm(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0})
    if a["training_mode"]:
        raise imp.unsupported("training_mode=1")
    _only_first_output(imp, node)
    x = imp.value(node.input[0])
    if len(x.shape) not in (2, 4):
        raise imp.unsupported(f"only 4-D (NCHW) or 2-D inputs are supported, got shape {x.shape}")
    params = [imp.add_const_tensor(imp.const(n), n) for n in node.input[1:5]]
    attrs = {"eps": float(a["epsilon"])}
    imp.bind(node.output[0], imp.emit("batch_norm", [x.tensor, *params], attrs, node.output[0], x.layout, x.shape))


# ---- activations --------------------------------------------------------------------------

def _clip(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {})
    lo = _scalar(imp, node_input(node, 1)) if node_input(node, 1) else -math.inf
    hi = _scalar(imp, node_input(node, 2)) if node_input(node, 2) else math.inf
    if (lo, hi) == (-math.inf, math.inf):
        imp.bind(node.output[0], imp.value(node.input[0]))
        return
    kinds = {(0.0, 6.0): "relu6", (0.0, math.inf): "relu"}
    if (lo, hi) not in kinds:
        raise imp.unsupported(f"Clip(min={lo}, max={hi}): only [0, 6] (relu6) and [0, inf) (relu) are supported")
    _emit_unary(imp, node, kinds[(lo, hi)])


def _hard_sigmoid(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"alpha": 0.2, "beta": 0.5})
    if abs(a["alpha"] - 1 / 6) > 1e-6 or a["beta"] != 0.5:
        raise imp.unsupported(f"HardSigmoid(alpha={a['alpha']:g}, beta={a['beta']:g}): "
                              "only alpha=1/6, beta=0.5 is supported")
    _emit_unary(imp, node, "hard_sigmoid")


# ---- elementwise --------------------------------------------------------------------------

def _operand(imp: Importer, name: str, layout: str, rank: int) -> str:
    """An Add/Mul operand as an mnc tensor that broadcasts correctly in the output's layout."""
    if imp.is_const(name):
        const = imp.const(name)
        if layout == "nhwc":
            data = const.data.reshape((1,) * (rank - const.data.ndim) + const.data.shape)
            const = Const(data, const.quant)
        return imp.materialize(const, name, layout if const.data.ndim == 4 else "plain").tensor
    v = imp.value(name)
    if layout == "nhwc" and v.layout != "nhwc":
        v = imp.as_nhwc(v) if len(v.shape) == 4 else imp.reshape(v, (1,) * (4 - len(v.shape)) + v.shape, name + "_r4")
    elif layout == "plain" and v.layout == "nhwc":
        v = imp.as_plain(v)
    return v.tensor


def _binary_layout(imp: Importer, names, out_shape) -> str:
    """Layout propagation: a rank-4 Add/Mul computes in the layout its rank-4 activations already
    have (NHWC values between tf2onnx's Transposes stay plain); "nhwc" otherwise."""
    layouts = {imp.value(n).layout for n in names if not imp.is_const(n) and len(imp.value(n).shape) == 4}
    if len(out_shape) == 4 and layouts == {"plain"}:
        return "plain"
    return layout_for_rank(len(out_shape))


def _binary(kind: str, negate: bool = False, reciprocal: bool = False):
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        node_attrs(imp, node, {})
        a, b = node.input[0], node.input[1]
        if negate or reciprocal:  # Sub/Div by a constant become Add/Mul by its negation/reciprocal
            if not imp.is_const(b):
                raise imp.unsupported("the second input must be a constant")
            data = imp.const_array(b).astype(np.float32)
            b = b + ("_neg" if negate else "_recip")
            imp.bind_const(b, Const(-data if negate else (np.float32(1) / data).astype(np.float32)))
        out_shape = _out_shape(imp, node)
        layout = _binary_layout(imp, (a, b), out_shape)
        inputs = [_operand(imp, n, layout, len(out_shape)) for n in (a, b)]
        imp.bind(node.output[0], imp.emit(kind, inputs, {"act": "none"}, node.output[0], layout, out_shape))
    return convert


# ---- fully connected ----------------------------------------------------------------------

def _fully_connected(imp: Importer, node, x: Value, weights: Const, bias: Const | None, out_shape) -> None:
    """x (one row, any shape) times weights [N, K] plus bias [N] -> ONNX output `out_shape`."""
    src = imp.as_plain(x).tensor
    if src in imp.nchw_of:  # fold the NHWC->NCHW element order fix into the weight columns
        src, (c, h, w) = imp.nchw_of[src]
        n = weights.data.shape[0]
        weights = Const(weights.data.reshape(n, c, h, w).transpose(0, 2, 3, 1).reshape(n, -1), weights.quant)
    inputs = [src, imp.add_const_tensor(weights, node.input[1])]
    if bias is not None:
        inputs.append(imp.add_const_tensor(bias, node_input(node, 2) or node.output[0] + "_bias"))
    n = weights.data.shape[0]
    fc = imp.emit("fully_connected", inputs, {"act": "none"}, node.output[0], "plain", (1, n))
    imp.bind(node.output[0], fc if tuple(out_shape) == (1, n) else imp.reshape(fc, out_shape, node.output[0]))


def _gemm(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0})
    x = imp.value(node.input[0])
    rows = x.shape[1] if a["transA"] else x.shape[0]
    if len(x.shape) != 2 or rows != 1:
        raise imp.unsupported(f"input A {x.shape} (transA={a['transA']}) must hold one row (batch 1)")
    w = imp.const(node.input[1])
    w = w if a["transB"] else Const(w.data.T, _transposed_quant(w.quant))
    if a["alpha"] != 1.0:
        w = Const((w.as_float() * np.float32(a["alpha"])).astype(np.float32))
    n = w.data.shape[0]
    bias = None
    if node_input(node, 2):
        c = imp.const(node.input[2])
        if c.data.size not in (1, n) or c.data.ndim > 2:
            raise imp.unsupported(f"bias C of shape {c.data.shape} does not broadcast to [1, {n}]")
        if c.quant is not None and a["beta"] == 1.0 and c.data.size == n:
            bias = Const(c.data.reshape(n), c.quant)
        else:
            bias = Const(np.broadcast_to(c.as_float() * np.float32(a["beta"]), (1, n)).reshape(n).astype(np.float32))
    _fully_connected(imp, node, x, w, bias, _out_shape(imp, node))


def _transposed_quant(quant: QuantParams | None) -> QuantParams | None:
    if quant is None or quant.axis is None:
        return quant
    return QuantParams(quant.scale, quant.zero_point, 1 - quant.axis)


def _matmul(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {})
    if not imp.is_const(node.input[1]):
        raise imp.unsupported("MatMul of two activations (the second input must be constant weights)")
    x, w = imp.value(node.input[0]), imp.const(node.input[1])
    if w.data.ndim != 2:
        raise imp.unsupported(f"weights of rank {w.data.ndim} (only 2-D)")
    if int(np.prod(x.shape[:-1])) != 1:
        raise imp.unsupported(f"input {x.shape} must hold one row (batch 1)")
    _fully_connected(imp, node, x, Const(w.data.T, _transposed_quant(w.quant)), None, _out_shape(imp, node))


# ---- shape ops ----------------------------------------------------------------------------

def _reshape(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"allowzero": 0})
    x = imp.value(node.input[0])
    target = [int(d) for d in imp.const_array(node.input[1])]
    if a["allowzero"] and 0 in target:
        raise imp.unsupported("allowzero=1 with a zero in the target shape")
    imp.bind(node.output[0], imp.reshape(x, _out_shape(imp, node), node.output[0]))


def _shape_only(allowed: dict):
    """Ops that only change the shape (Flatten, Squeeze, Unsqueeze): ONNX inferred the result."""
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        node_attrs(imp, node, allowed)
        imp.bind(node.output[0], imp.reshape(imp.value(node.input[0]), _out_shape(imp, node), node.output[0]))
    return convert


def _transpose(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"perm": None})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    perm = list(a["perm"]) if a["perm"] is not None else list(range(rank))[::-1]
    out_shape = _out_shape(imp, node)
    out_layout = _cancelling_layout(x.layout, perm) if len(out_shape) == 4 else layout_for_rank(len(out_shape))
    perm_mnc = _mnc_perm(x.layout, out_layout, perm)
    imp.bind(node.output[0], imp.permute(x, perm_mnc, node.output[0], out_layout, out_shape))


def _mnc_perm(in_layout: str, out_layout: str, perm) -> tuple[int, ...]:
    """The permutation of the stored (mnc) data that ONNX's Transpose(perm) amounts to."""
    rank = len(perm)
    p_in = NCHW_TO_NHWC if in_layout == "nhwc" else tuple(range(rank))
    p_out = NCHW_TO_NHWC if out_layout == "nhwc" else tuple(range(rank))
    inv_in = invert(p_in)
    return tuple(inv_in[perm[p_out[i]]] for i in range(rank))


def _cancelling_layout(in_layout: str, perm) -> str:
    """Layout propagation: a rank-4 Transpose's output is stored the way that needs no data
    movement when there is one. tf2onnx brackets every NCHW op of a Keras model with
    Transpose(0,3,1,2) / Transpose(0,2,3,1); the NHWC values between them stay "plain" (ONNX order,
    here NHWC) and the NCHW ones "nhwc" (mnc's storage of an NCHW value), so both are the same bytes."""
    for layout in ("nhwc", "plain"):
        if list(_mnc_perm(in_layout, layout, perm)) == sorted(perm):
            return layout
    return "nhwc"


def _pad(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"mode": "constant"})
    if a["mode"] != "constant":
        raise imp.unsupported(f"mode {a['mode']!r} (only constant)")
    x = imp.value(node.input[0])
    rank = len(x.shape)
    if node_input(node, 2) and np.any(imp.const_array(node.input[2]) != 0):
        raise imp.unsupported("a non-zero constant_value")
    pads = [int(p) for p in imp.const_array(node.input[1])]
    axes = [int(ax) for ax in imp.const_array(node.input[3])] if node_input(node, 3) else list(range(rank))
    if len(pads) != 2 * len(axes):
        raise imp.malformed(f"{len(pads)} pads for {len(axes)} axes")
    if min(pads, default=0) < 0:
        raise imp.unsupported(f"negative pads {pads}")
    per_dim = [[0, 0] for _ in range(rank)]
    for i, ax in enumerate(axes):
        per_dim[_norm_axis(imp, ax, rank)] = [pads[i], pads[i + len(axes)]]
    if x.layout == "nhwc":
        per_dim = [per_dim[i] for i in NCHW_TO_NHWC]
    attrs = {"pads": tuple(tuple(p) for p in per_dim)}
    imp.bind(node.output[0], imp.emit("pad", [x.tensor], attrs, node.output[0], x.layout, _out_shape(imp, node)))


def _softmax(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": -1})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    axis = _norm_axis(imp, int(a["axis"]), rank)
    if x.layout == "nhwc" and axis == 1:
        imp.bind(node.output[0], imp.emit("softmax", [x.tensor], {"beta": 1.0}, node.output[0], "nhwc", x.shape))
        return
    if x.layout == "nhwc" or any(d != 1 for d in x.shape[axis + 1:]):
        raise imp.unsupported(f"softmax over axis {a['axis']} of shape {x.shape} (only the channel/innermost axis)")
    inner = x if axis == rank - 1 else imp.reshape(x, x.shape[:axis + 1], node.output[0] + "_inner")
    soft = imp.emit("softmax", [inner.tensor], {"beta": 1.0}, node.output[0], "plain", inner.shape)
    imp.bind(node.output[0], soft if axis == rank - 1 else imp.reshape(soft, x.shape, node.output[0]))


def _concat(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": None})
    out_shape = _out_shape(imp, node)
    rank, layout = len(out_shape), layout_for_rank(len(out_shape))
    axis = _norm_axis(imp, int(a["axis"]), rank)
    inputs = []
    for name in node.input:
        v = imp.materialize(imp.const(name), name, layout) if imp.is_const(name) else imp.value(name)
        inputs.append((imp.as_nhwc(v) if layout == "nhwc" else v).tensor)
    attrs = {"axis": _nhwc_axis(axis) if layout == "nhwc" else axis}
    imp.bind(node.output[0], imp.emit("concat", inputs, attrs, node.output[0], layout, out_shape))


def _identity(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {"seed": 0} if node.op_type == "Dropout" else {})
    _only_first_output(imp, node)
    if node.op_type == "Dropout" and node_input(node, 2) and _scalar(imp, node.input[2]):
        raise imp.unsupported("training_mode=True")
    if imp.is_const(node.input[0]):
        imp.bind_const(node.output[0], imp.const(node.input[0]))
    else:
        imp.bind(node.output[0], imp.value(node.input[0]))


def _shape(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"start": 0, "end": None})
    shape = imp.value(node.input[0]).shape
    imp.bind_const(node.output[0], Const(np.array(shape[a["start"]:a["end"]], dtype=np.int64)))


def _constant(imp: Importer, node: onnx.NodeProto) -> None:
    if len(node.attribute) != 1:
        raise imp.malformed("a Constant needs exactly one value attribute")
    attr = node.attribute[0]
    if attr.name not in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        raise imp.unsupported(f"attribute {attr.name!r} is not supported")
    if attr.name == "value":
        data = onnx.numpy_helper.to_array(attr.t)
    else:
        data = np.array(helper.get_attribute_value(attr),
                        dtype=np.float32 if "float" in attr.name else np.int64)
    imp.bind_const(node.output[0], Const(data))


# ---- the table ----------------------------------------------------------------------------

CONVERTERS = {
    "Conv": _conv,
    "BatchNormalization": _batch_norm,
    "Relu": _unary("relu"),
    "Clip": _clip,
    "HardSwish": _unary("hard_swish"),
    "HardSigmoid": _hard_sigmoid,
    "Sigmoid": _unary("logistic"),
    "Add": _binary("add"),
    "Mul": _binary("mul"),
    "Sub": _binary("add", negate=True),
    "Div": _binary("mul", reciprocal=True),
    "GlobalAveragePool": _global_average_pool,
    "AveragePool": _pool("avg_pool2d"),
    "MaxPool": _pool("max_pool2d"),
    "ReduceMean": _reduce_mean,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Flatten": _shape_only({"axis": 1}),
    "Reshape": _reshape,
    "Squeeze": _shape_only({}),
    "Unsqueeze": _shape_only({}),
    "Pad": _pad,
    "Softmax": _softmax,
    "Transpose": _transpose,
    "Concat": _concat,
    "Constant": _constant,
    "Identity": _identity,
    "Dropout": _identity,
    "Shape": _shape,
    "QuantizeLinear": quantize_linear,
    "DequantizeLinear": dequantize_linear,
}

# Converters that must see constant inputs themselves rather than have the node folded.
_NO_FOLD = {"DequantizeLinear", "Constant", "Identity", "Dropout"}


def convert_node(imp: Importer, node: onnx.NodeProto) -> None:
    if node.domain not in ("", "ai.onnx"):
        raise imp.unsupported(f"operator domain {node.domain!r} is not supported")
    inputs = [n for n in node.input if n]
    if inputs and all(imp.is_const(n) for n in inputs) and node.op_type not in _NO_FOLD:
        _fold(imp, node)
        return
    converter = CONVERTERS.get(node.op_type)
    if converter is None:
        raise imp.unsupported(f"unsupported operator {node.op_type}")
    converter(imp, node)


def _fold(imp: Importer, node: onnx.NodeProto) -> None:
    """Evaluate a node on constant inputs with onnx's reference implementation."""
    from onnx.reference import ReferenceEvaluator

    feeds = {n: imp.const_array(n) if node.op_type != "QuantizeLinear" else imp.const(n).data
             for n in node.input if n}
    try:
        results = ReferenceEvaluator(node).run(None, feeds)
    except Exception as exc:  # noqa: BLE001 - any failure means the model is broken or exotic
        raise imp.unsupported(f"cannot fold constant {node.op_type}: {str(exc).splitlines()[0]}") from None
    for name, value in zip(node.output, results):
        if name:
            imp.bind_const(name, Const(np.asarray(value)))
