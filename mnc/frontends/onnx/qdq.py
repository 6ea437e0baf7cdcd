"""QDQ models: QuantizeLinear/DequantizeLinear annotate mnc tensors with int8 quantization, and
`finish_quantization` completes what a QDQ model leaves implicit."""

from __future__ import annotations

import numpy as np
import onnx

from mnc.frontends.onnx.context import Const, Importer
from mnc.frontends.onnx.nodes import node_attrs, node_input
from mnc.ir import QuantParams
from mnc.ops import get_op
from mnc.ops.base import OutputQuant
from mnc.quant import quantize_bias, set_fixed_activation, share_quant


def _qparams(imp: Importer, node: onnx.NodeProto, axis: int) -> QuantParams:
    scale = imp.const_array(node.input[1]).astype(np.float32)
    if not node_input(node, 2):
        raise imp.unsupported("a missing zero point (mnc needs int8 quantization)")
    zp_const = imp.const(node.input[2])
    if zp_const.data.dtype not in (np.int8, np.int32):
        raise imp.unsupported(f"zero point of type {zp_const.data.dtype} (only int8 is supported)")
    zp = zp_const.data.astype(np.int32)
    if scale.size > 1:
        return QuantParams(scale.reshape(-1), zp.reshape(-1), axis)
    return QuantParams(scale.reshape(-1), zp.reshape(-1))


def quantize_linear(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": 1, "saturate": 1, "block_size": 0, "output_dtype": 0, "precision": 0})
    quant = _qparams(imp, node, a["axis"])
    if quant.per_channel:
        raise imp.unsupported("per-channel quantization of an activation")
    x = imp.value(node.input[0])
    t = imp.graph.tensor(x.tensor)
    imp.quantized = True
    if t.quant is None:
        t.quant, t.dtype = quant, "int8"
        imp.bind(node.output[0], x)
        return
    if _same_quant(t.quant, quant):
        imp.bind(node.output[0], x)
        return
    requant = imp.emit("quantize", [x.tensor], {}, node.output[0], x.layout, x.shape)
    out = imp.graph.tensor(requant.tensor)
    out.quant, out.dtype = quant, "int8"
    imp.bind(node.output[0], requant)


def dequantize_linear(imp: Importer, node: onnx.NodeProto) -> None:
    a = node_attrs(imp, node, {"axis": 1, "block_size": 0, "output_dtype": 0})
    if imp.is_const(node.input[0]):
        data = imp.const(node.input[0]).data
        if data.dtype not in (np.int8, np.int32):
            raise imp.unsupported(f"quantized constant of type {data.dtype} (only int8 weights, int32 biases)")
        axis = a["axis"] % max(data.ndim, 1)
        imp.bind_const(node.output[0], Const(data, _qparams(imp, node, axis)))
        return
    x = imp.value(node.input[0])
    t = imp.graph.tensor(x.tensor)
    if t.quant is None or not _same_quant(t.quant, _qparams(imp, node, a["axis"])):
        raise imp.unsupported("DequantizeLinear whose parameters differ from its QuantizeLinear")
    imp.bind(node.output[0], x)


def _same_quant(a: QuantParams, b: QuantParams) -> bool:
    return (a.axis == b.axis and np.array_equal(a.scale, b.scale) and np.array_equal(a.zero_point, b.zero_point))


def finish_quantization(imp: Importer) -> None:
    """After a QDQ import: tensors the model left unannotated inherit or get fixed quantization."""
    graph = imp.graph
    for op in graph.ops():
        opdef = get_op(op.kind)
        if graph.tensor(op.outputs[0]).quant is None:
            _implied_quantization(imp, op, opdef.output_quant)
        if opdef.weight_channel_axis is not None:
            _check_quantized_weights(imp, op)
            if len(op.inputs) > 2 and graph.tensor(op.inputs[2]).quant is None:
                x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
                quantize_bias(graph, op.inputs[2], x.quant.single()[0], w.quant.scale)
    for name in graph.inputs:
        if graph.tensor(name).quant is None:
            raise imp.unsupported(f"QDQ model: graph input {name!r} is not quantized")


def _implied_quantization(imp: Importer, op, rule: OutputQuant) -> None:
    """An output the QDQ model left unannotated: fixed by the spec, or the input's when that is exact."""
    graph, out = imp.graph, op.outputs[0]
    if rule.rule == "fixed":
        set_fixed_activation(graph, out, rule.scale, rule.zero_point)
    elif (rule.rule == "input" or rule.input_is_exact) and graph.tensor(op.inputs[0]).quant is not None:
        share_quant(graph, op.inputs[0], out)
    else:
        raise imp.unsupported(f"QDQ model: output {out!r} of {op.meta.get('source')} is not quantized")


def _check_quantized_weights(imp: Importer, op) -> None:
    w = imp.graph.tensor(op.inputs[1])
    if w.quant is None or w.dtype != "int8":
        raise imp.unsupported(f"QDQ model: weights of {op.meta.get('source')} are not int8-quantized")
    if np.any(w.quant.zero_point != 0):
        raise imp.unsupported(f"QDQ model: weights of {op.meta.get('source')} have non-zero zero points")
