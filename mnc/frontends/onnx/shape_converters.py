"""ONNX converters of the shape and data-movement operators (Reshape, Flatten, Squeeze, Transpose,
Pad, Concat, Identity, Shape, Constant) and Softmax, whose axis handling is the same kind of work."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from mnc.frontends.onnx.context import NCHW_TO_NHWC, Const, Importer, invert, layout_for_rank
from mnc.frontends.onnx.nodes import (
    nhwc_axis, node_attrs, node_input, node_out_shape, norm_axis, only_first_output, scalar,
)


def reshape(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"allowzero": 0})
    x = imp.value(node.input[0])
    target = [int(d) for d in imp.const_array(node.input[1])]
    if a["allowzero"] and 0 in target:
        raise imp.unsupported("allowzero=1 with a zero in the target shape")
    imp.bind(node.output[0], imp.reshape(x, node_out_shape(imp, node), node.output[0]))


def shape_only(allowed: dict):
    """Ops that only change the shape (Flatten, Squeeze, Unsqueeze): ONNX inferred the result."""
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        node_attrs(imp, node, allowed)
        imp.bind(node.output[0], imp.reshape(imp.value(node.input[0]), node_out_shape(imp, node), node.output[0]))
    return convert


def transpose(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"perm": None})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    perm = list(a["perm"]) if a["perm"] is not None else list(range(rank))[::-1]
    out_shape = node_out_shape(imp, node)
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


def pad(imp: Importer, node: onnx.NodeProto) -> None:
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
        per_dim[norm_axis(imp, ax, rank)] = [pads[i], pads[i + len(axes)]]
    if x.layout == "nhwc":
        per_dim = [per_dim[i] for i in NCHW_TO_NHWC]
    attrs = {"pads": tuple(tuple(p) for p in per_dim)}
    imp.bind(node.output[0], imp.emit("pad", [x.tensor], attrs, node.output[0], x.layout, node_out_shape(imp, node)))


def softmax(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": -1})
    x = imp.value(node.input[0])
    rank = len(x.shape)
    axis = norm_axis(imp, int(a["axis"]), rank)
    if x.layout == "nhwc" and axis == 1:
        imp.bind(node.output[0], imp.emit("softmax", [x.tensor], {"beta": 1.0}, node.output[0], "nhwc", x.shape))
        return
    if x.layout == "nhwc" or any(d != 1 for d in x.shape[axis + 1:]):
        raise imp.unsupported(f"softmax over axis {a['axis']} of shape {x.shape} (only the channel/innermost axis)")
    inner = x if axis == rank - 1 else imp.reshape(x, x.shape[:axis + 1], node.output[0] + "_inner")
    soft = imp.emit("softmax", [inner.tensor], {"beta": 1.0}, node.output[0], "plain", inner.shape)
    imp.bind(node.output[0], soft if axis == rank - 1 else imp.reshape(soft, x.shape, node.output[0]))


def concat(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": None})
    out_shape = node_out_shape(imp, node)
    rank, layout = len(out_shape), layout_for_rank(len(out_shape))
    axis = norm_axis(imp, int(a["axis"]), rank)
    inputs = []
    for name in node.input:
        v = imp.materialize(imp.const(name), name, layout) if imp.is_const(name) else imp.value(name)
        inputs.append((imp.as_nhwc(v) if layout == "nhwc" else v).tensor)
    attrs = {"axis": nhwc_axis(axis) if layout == "nhwc" else axis}
    imp.bind(node.output[0], imp.emit("concat", inputs, attrs, node.output[0], layout, out_shape))


def identity(imp: Importer, node: onnx.NodeProto) -> None:
    node_attrs(imp, node, {"seed": 0} if node.op_type == "Dropout" else {})
    only_first_output(imp, node)
    if node.op_type == "Dropout" and node_input(node, 2) and scalar(imp, node.input[2]):
        raise imp.unsupported("training_mode=True")
    if imp.is_const(node.input[0]):
        imp.bind_const(node.output[0], imp.const(node.input[0]))
    else:
        imp.bind(node.output[0], imp.value(node.input[0]))


def shape(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"start": 0, "end": None})
    shape = imp.value(node.input[0]).shape
    imp.bind_const(node.output[0], Const(np.array(shape[a["start"]:a["end"]], dtype=np.int64)))


def constant(imp: Importer, node: onnx.NodeProto) -> None:
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
