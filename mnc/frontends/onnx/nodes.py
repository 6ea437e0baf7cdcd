"""Helpers the ONNX converters share: attributes with defaults, optional inputs, shapes, window
padding and axes in mnc's NHWC order."""

from __future__ import annotations

import math

import onnx
from onnx import helper

from mnc.frontends.onnx.context import NCHW_TO_NHWC, Importer, Value


def node_attrs(imp: Importer, node: onnx.NodeProto, allowed: dict) -> dict:
    """Node attributes with defaults; an attribute not in `allowed` is rejected by name."""
    out = dict(allowed)
    for attr in node.attribute:
        if attr.name not in allowed:
            raise imp.unsupported(f"attribute {attr.name!r} is not supported")
        value = helper.get_attribute_value(attr)
        out[attr.name] = value.decode() if isinstance(value, bytes) else value
    return out


def node_input(node: onnx.NodeProto, i: int) -> str:
    return node.input[i] if len(node.input) > i else ""



def only_first_output(imp: Importer, node: onnx.NodeProto) -> None:
    if any(name for name in node.output[1:]):
        raise imp.unsupported("only the first output is supported")


def node_out_shape(imp: Importer, node: onnx.NodeProto) -> tuple[int, ...]:
    name = node.output[0]
    if name not in imp.inferred:
        raise imp.malformed(f"shape of {name!r} could not be inferred")
    return imp.inferred[name]


def pair(values, default: int) -> tuple[int, int]:
    if values is None:
        return (default, default)
    if len(values) != 2:
        raise ValueError(values)
    return (int(values[0]), int(values[1]))


def scalar(imp: Importer, name: str) -> float:
    data = imp.const_array(name)
    if data.size != 1:
        raise imp.unsupported(f"input {name!r} must be a scalar, got shape {data.shape}")
    return float(data.reshape(-1)[0])


def spatial(imp: Importer, v: Value) -> tuple[int, int]:
    if len(v.shape) != 4:
        raise imp.unsupported(f"only 4-D NCHW inputs are supported, got shape {v.shape}")
    return v.shape[2], v.shape[3]


def window_pads(imp: Importer, a: dict, size, kernel, stride) -> list[list[int]]:
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


def mnc_pad(pads: list[list[int]]) -> tuple[int, int, int, int]:
    (t, b), (l, r) = pads
    return (t, b, l, r)


def no_dilation(imp: Importer, a: dict) -> None:
    if a.get("dilations") is not None and any(int(d) != 1 for d in a["dilations"]):
        raise imp.unsupported(f"dilations {list(a['dilations'])} (only 1 is supported)")


def nhwc_axis(axis: int) -> int:
    """Position of ONNX (NCHW) axis `axis` in the NHWC tensor."""
    return NCHW_TO_NHWC.index(axis)


def norm_axis(imp: Importer, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise imp.malformed(f"axis {axis} out of range for rank {rank}")
    return axis % rank


def emit_unary(imp: Importer, node: onnx.NodeProto, kind: str) -> None:
    x = imp.value(node.input[0])
    imp.bind(node.output[0], imp.emit(kind, [x.tensor], {}, node.output[0], x.layout, x.shape))


def unary(kind: str):
    def convert(imp: Importer, node: onnx.NodeProto) -> None:
        node_attrs(imp, node, {})
        emit_unary(imp, node, kind)
    return convert
