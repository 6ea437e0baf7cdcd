"""Per-operator converters of the ONNX importer: a table from op_type to a function(importer, node).

A node whose inputs are all constants is folded with onnx's own reference evaluator instead
(shape arithmetic of exported models, quantizing weights), whatever its type.
"""

from __future__ import annotations

import math

import numpy as np
import onnx

from mnc.frontends.onnx import shape_converters as shapes
from mnc.frontends.onnx.context import Const, Importer, Value, layout_for_rank
from mnc.frontends.onnx.nodes import (
    emit_unary, mnc_pad, nhwc_axis, no_dilation, node_attrs, node_input, node_out_shape, norm_axis, only_first_output,
    pair, scalar, spatial, unary, window_pads,
)
from mnc.frontends.onnx.qdq import dequantize_linear, quantize_linear
from mnc.ir import QuantParams


# ---- convolution and pooling --------------------------------------------------------------

def _conv(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"auto_pad": "NOTSET", "dilations": None, "group": 1, "kernel_shape": None,
                           "pads": None, "strides": None})
    x = imp.as_nhwc(imp.value(node.input[0]))
    w = imp.const(node.input[1])
    if w.data.ndim != 4:
        raise imp.unsupported(f"only 2-D convolutions are supported (weights {w.data.shape})")
    no_dilation(imp, a)
    out_c, in_per_group, kh, kw = w.data.shape
    channels, group = x.shape[1], int(a["group"])
    stride = pair(a["strides"], 1)
    pads = mnc_pad(window_pads(imp, a, x.shape[2:], (kh, kw), stride))
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
    imp.bind(node.output[0], imp.emit(kind, inputs, attrs, node.output[0], "nhwc", node_out_shape(imp, node)))


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
        only_first_output(imp, node)
        x = imp.as_nhwc(imp.value(node.input[0]))
        size = spatial(imp, x)
        if a["kernel_shape"] is None or len(a["kernel_shape"]) != 2:
            raise imp.unsupported(f"only 2-D pooling is supported (kernel_shape {a['kernel_shape']})")
        no_dilation(imp, a)
        kernel, stride = pair(a["kernel_shape"], 1), pair(a["strides"], 1)
        pads = window_pads(imp, a, size, kernel, stride)
        if a["ceil_mode"]:
            for p, extra in zip(pads, _ceil_extra(imp, pads, size, kernel, stride)):
                p[1] += extra
        if kind == "avg_pool2d" and a["count_include_pad"] and any(map(any, pads)):
            x, pads = _explicit_zero_pad(imp, node, x, pads, a["ceil_mode"])
        attrs = {"kernel": kernel, "stride": stride, "pad": mnc_pad(pads), "act": "none"}
        imp.bind(node.output[0], imp.emit(kind, [x.tensor], attrs, node.output[0], "nhwc", node_out_shape(imp, node)))
    return convert


def _explicit_zero_pad(imp: Importer, node, x: Value, pads, ceil_mode) -> tuple[Value, list]:
    """count_include_pad=1: pad with zeros first, so the average counts the padding."""
    if ceil_mode:
        raise imp.unsupported("count_include_pad=1 together with ceil_mode=1")
    (t, b), (l, r) = pads
    shape = (x.shape[0], x.shape[1], x.shape[2] + t + b, x.shape[3] + l + r)
    padded = imp.emit("pad", [x.tensor], {"pads": ((0, 0), (t, b), (l, r), (0, 0))}, node.output[0] + "shapes.pad",
                      "nhwc", shape)
    return padded, [[0, 0], [0, 0]]


def _global_average_pool(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {})
    x = imp.as_nhwc(imp.value(node.input[0]))
    spatial(imp, x)
    attrs = {"axes": (1, 2), "keepdims": True}
    imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "nhwc", node_out_shape(imp, node)))


def _reduce_mean(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axes": None, "keepdims": 1, "noop_with_empty_axes": 0})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    axes = a["axes"] if a["axes"] is not None else (imp.const_array(node_input(node, 1)).tolist() if node_input(node, 1) else [])
    if not axes and a["noop_with_empty_axes"]:
        imp.bind(node.output[0], x)
        return
    axes = sorted({norm_axis(imp, int(ax), rank) for ax in axes} if axes else range(rank))
    out_shape = node_out_shape(imp, node)
    if x.layout == "nhwc" and not a["keepdims"] and {2, 3} <= set(axes):  # what is left is in ONNX order
        attrs = {"axes": tuple(sorted(nhwc_axis(ax) for ax in axes)), "keepdims": False}
        imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "plain", out_shape))
        return
    if x.layout == "nhwc":
        kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        attrs = {"axes": tuple(sorted(nhwc_axis(ax) for ax in axes)), "keepdims": True}
        mean = imp.emit("mean", [x.tensor], attrs, node.output[0], "nhwc", kept)
        imp.bind(node.output[0], mean if a["keepdims"] else imp.reshape(mean, out_shape, node.output[0]))
        return
    attrs = {"axes": tuple(axes), "keepdims": bool(a["keepdims"])}   # plain in, plain out: ONNX order
    imp.bind(node.output[0], imp.emit("mean", [x.tensor], attrs, node.output[0], "plain", out_shape))


def _batch_norm(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"epsilon": 1e-5, "momentum": 0.9, "training_mode": 0})
    if a["training_mode"]:
        raise imp.unsupported("training_mode=1")
    only_first_output(imp, node)
    x = imp.value(node.input[0])
    if len(x.shape) not in (2, 4):
        raise imp.unsupported(f"only 4-D (NCHW) or 2-D inputs are supported, got shape {x.shape}")
    params = [imp.add_const_tensor(imp.const(n), n) for n in node.input[1:5]]
    attrs = {"eps": float(a["epsilon"])}
    imp.bind(node.output[0], imp.emit("batch_norm", [x.tensor, *params], attrs, node.output[0], x.layout, x.shape))


# ---- activations --------------------------------------------------------------------------

def _clip(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {})
    lo = scalar(imp, node_input(node, 1)) if node_input(node, 1) else -math.inf
    hi = scalar(imp, node_input(node, 2)) if node_input(node, 2) else math.inf
    if (lo, hi) == (-math.inf, math.inf):
        imp.bind(node.output[0], imp.value(node.input[0]))
        return
    kinds = {(0.0, 6.0): "relu6", (0.0, math.inf): "relu"}
    if (lo, hi) not in kinds:
        raise imp.unsupported(f"Clip(min={lo}, max={hi}): only [0, 6] (relu6) and [0, inf) (relu) are supported")
    emit_unary(imp, node, kinds[(lo, hi)])


def _hard_sigmoid(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"alpha": 0.2, "beta": 0.5})
    if abs(a["alpha"] - 1 / 6) > 1e-6 or a["beta"] != 0.5:
        raise imp.unsupported(f"HardSigmoid(alpha={a['alpha']:g}, beta={a['beta']:g}): "
                              "only alpha=1/6, beta=0.5 is supported")
    emit_unary(imp, node, "hard_sigmoid")


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
        out_shape = node_out_shape(imp, node)
        layout = _binary_layout(imp, (a, b), out_shape)
        inputs = [_operand(imp, n, layout, len(out_shape)) for n in (a, b)]
        imp.bind(node.output[0], imp.emit(kind, inputs, {"act": "none"}, node.output[0], layout, out_shape))
    return convert


# ---- fully connected ----------------------------------------------------------------------

def _fully_connected(imp: Importer, node, x: Value, weights: Const, bias: Const | None, out_shape) -> None:
    """x (one row, any shape) times weights [N, K] plus bias [N] -> ONNX output `out_shape`."""
    if weights.data.ndim != 2 or weights.data.shape[1] != math.prod(x.shape):
        raise imp.malformed(f"weights of shape {weights.data.shape} do not match input of shape {x.shape}")
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
    _fully_connected(imp, node, x, w, bias, node_out_shape(imp, node))


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
    _fully_connected(imp, node, x, Const(w.data.T, _transposed_quant(w.quant)), None, node_out_shape(imp, node))


# ---- the table ----------------------------------------------------------------------------

CONVERTERS = {
    "Conv": _conv,
    "BatchNormalization": _batch_norm,
    "Relu": unary("relu"),
    "Clip": _clip,
    "HardSwish": unary("hard_swish"),
    "HardSigmoid": _hard_sigmoid,
    "Sigmoid": unary("logistic"),
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
    "Flatten": shapes.shape_only({"axis": 1}),
    "Reshape": shapes.reshape,
    "Squeeze": shapes.shape_only({}),
    "Unsqueeze": shapes.shape_only({}),
    "Pad": shapes.pad,
    "Softmax": shapes.softmax,
    "Transpose": shapes.transpose,
    "Concat": shapes.concat,
    "Constant": shapes.constant,
    "Identity": shapes.identity,
    "Dropout": shapes.identity,
    "Shape": shapes.shape,
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
