"""Write a float mnc Graph as an NCHW ONNX model, the way a PyTorch export would look.

Conv (+ BatchNormalization + Relu/Clip/HardSwish), GlobalAveragePool, Flatten, Gemm, Softmax:
rank-4 mnc tensors (NHWC) become NCHW ONNX tensors, weights are transposed to ONNX layouts, and
element-order-sensitive ops (reshape, fully connected on spatial data) get explicit fixes, so the
exported model computes exactly what the mnc graph computes. The batch dimension is symbolic ("N").
Each op's main node is named after the op and tensor names are kept (constants too, unless one is
exported twice), so importing the file gives back the same names (see `mnc.frontends.onnx`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mnc.errors import MncError, UnsupportedError
from mnc.ir import Graph, Op

OPSET = 17
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
_UNARY = {"relu": "Relu", "hard_swish": "HardSwish", "logistic": "Sigmoid"}


def export_onnx(graph: Graph, path: str | Path) -> onnx.ModelProto:
    """Save `graph` (float) to `path` as ONNX and return the model.

    The model is built and checked completely before the file is opened, so a graph that cannot
    be exported leaves no file behind.
    """
    model = to_onnx(graph)
    try:
        Path(path).write_bytes(model.SerializeToString())
    except OSError as exc:
        raise MncError(f"cannot write {path}: {exc.strerror or exc}") from None
    return model


def to_onnx(graph: Graph) -> onnx.ModelProto:
    """The float graph as an ONNX model; mnc op names become node names, tensor names stay."""
    quantized = [t.name for t in graph.tensors() if t.quant is not None]
    if quantized:
        raise UnsupportedError(f"ONNX export writes float graphs only; tensor {quantized[0]!r} is quantized")
    ex = _Exporter(graph)
    for op in graph.ops():
        ex.convert(op)
    inputs = [ex.value_info(name) for name in graph.inputs]
    outputs = [ex.value_info(name) for name in graph.outputs]
    onnx_graph = helper.make_graph(ex.nodes, graph.name, inputs, outputs, ex.initializers)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mnc")
    onnx.checker.check_model(model)
    return model


class _Exporter:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        # activation names are taken as they are; everything else the exporter adds gets a fresh name
        self.names: set[str] = {t.name for t in graph.tensors() if not t.is_const}
        self.node_names: set[str] = set()   # the main node of each op is named after the op

    # ---- plumbing ------------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        return _fresh(base, self.names)

    def const(self, base: str, data: np.ndarray) -> str:
        name = self.fresh(base)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(data), name))
        return name

    def node(self, op_type: str, inputs: list[str], output: str, node_name: str | None = None, **attrs) -> str:
        """Append a node; `node_name` (an mnc op name) defaults to one made from `output`."""
        name = _fresh(node_name or output, self.node_names)
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attrs))
        return output

    def rank4(self, name: str) -> bool:
        return len(self.graph.tensor(name).shape) == 4

    def onnx_shape(self, name: str) -> list:
        shape = list(self.graph.tensor(name).shape)
        if len(shape) == 4:
            shape = [shape[i] for i in NHWC_TO_NCHW]
        return ["N"] + shape[1:] if shape and shape[0] == 1 else shape

    def value_info(self, name: str) -> onnx.ValueInfoProto:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, self.onnx_shape(name))

    def activation(self, x: str, act: str, out: str, node_name: str) -> str:
        """A fused activation as its own node (as PyTorch exports it) ending in tensor `out`."""
        if act == "none":
            return self.node("Identity", [x], out, node_name)
        if act == "relu":
            return self.node("Relu", [x], out, node_name)
        if act == "relu6":
            return self.node("Clip", [x, self.const(out + "_min", np.float32(0)), self.const(out + "_max", np.float32(6))],
                             out, node_name)
        raise UnsupportedError(f"ONNX export: fused activation {act!r}")

    def with_act(self, op: Op, op_type: str, inputs: list[str], **attrs) -> None:
        out = op.outputs[0]
        act = op.attrs.get("act", "none")
        pre = self.fresh(out + "_pre") if act != "none" else out
        self.node(op_type, inputs, pre, op.name, **attrs)
        if act != "none":
            self.activation(pre, act, out, f"{op.name}_{act}")

    def operand(self, name: str, out_rank: int) -> str:
        """An input in ONNX layout: constants transposed to NCHW when they broadcast against 4-D data."""
        t = self.graph.tensor(name)
        if not t.is_const:
            return name
        data = t.data.astype(np.float32)
        if out_rank == 4:
            data = data.reshape((1,) * (4 - data.ndim) + data.shape).transpose(NHWC_TO_NCHW)
        return self.const(name, data)

    # ---- ops -----------------------------------------------------------------------------
    def convert(self, op: Op) -> None:
        handler = getattr(self, f"_op_{op.kind}", None)
        if handler is None:
            raise UnsupportedError(f"ONNX export: op kind {op.kind!r} ({op.name}) is not supported")
        handler(op)

    def _conv_attrs(self, op: Op, kernel) -> dict:
        t, b, l, r = op.attrs["pad"]
        return {"kernel_shape": list(kernel), "strides": list(op.attrs["stride"]), "pads": [t, l, b, r],
                "dilations": list(op.attrs.get("dilation", (1, 1)))}

    def _bias(self, op: Op) -> list[str]:
        if len(op.inputs) > 2 and op.inputs[2]:
            return [self.const(op.inputs[2], self.graph.tensor(op.inputs[2]).data.astype(np.float32))]
        return []

    def _op_conv2d(self, op: Op) -> None:
        w = self.graph.tensor(op.inputs[1]).data.astype(np.float32).transpose(NHWC_TO_NCHW)
        inputs = [op.inputs[0], self.const(op.inputs[1], w), *self._bias(op)]
        self.with_act(op, "Conv", inputs, group=1, **self._conv_attrs(op, w.shape[2:]))

    def _op_depthwise_conv2d(self, op: Op) -> None:
        w = self.graph.tensor(op.inputs[1]).data.astype(np.float32).transpose(3, 0, 1, 2)
        inputs = [op.inputs[0], self.const(op.inputs[1], w), *self._bias(op)]
        channels = self.graph.tensor(op.inputs[0]).shape[3]
        self.with_act(op, "Conv", inputs, group=channels, **self._conv_attrs(op, w.shape[2:]))

    def _op_fully_connected(self, op: Op) -> None:
        x, w = op.inputs[0], self.graph.tensor(op.inputs[1]).data.astype(np.float32)
        shape = self.graph.tensor(x).shape
        if len(shape) == 4:  # ONNX flattens NCHW: reorder the weight columns to match
            _, h, wd, c = shape
            w = w.reshape(-1, h, wd, c).transpose(0, 3, 1, 2).reshape(w.shape[0], -1)
        if len(shape) != 2:
            x = self.node("Flatten", [x], self.fresh(x + "_flat"), axis=1)
        inputs = [x, self.const(op.inputs[1], w), *self._bias(op)]
        self.with_act(op, "Gemm", inputs, transB=1)

    def _op_batch_norm(self, op: Op) -> None:
        params = [self.const(n, self.graph.tensor(n).data.astype(np.float32)) for n in op.inputs[1:5]]
        self.node("BatchNormalization", [op.inputs[0], *params], op.outputs[0], op.name, epsilon=float(op.attrs["eps"]))

    def _op_relu6(self, op: Op) -> None:
        self.activation(op.inputs[0], "relu6", op.outputs[0], op.name)

    def _op_hard_sigmoid(self, op: Op) -> None:
        self.node("HardSigmoid", [op.inputs[0]], op.outputs[0], op.name, alpha=1.0 / 6.0, beta=0.5)

    def _unary(self, op: Op) -> None:
        self.node(_UNARY[op.kind], [op.inputs[0]], op.outputs[0], op.name)

    _op_relu = _op_hard_swish = _op_logistic = _unary

    def _op_mean(self, op: Op) -> None:
        x, keep = op.inputs[0], bool(op.attrs.get("keepdims", True))
        axes = tuple(op.attrs["axes"])
        if self.rank4(x) and axes == (1, 2) and keep:
            self.node("GlobalAveragePool", [x], op.outputs[0], op.name)
            return
        if self.rank4(x):
            if not keep and any(self.graph.tensor(x).shape[a] != 1 for a in (1, 2) if a not in axes):
                raise UnsupportedError(f"ONNX export: mean {op.name} drops axes leaving spatial data")
            axes = tuple(sorted(NHWC_TO_NCHW.index(a) for a in axes))
        self.node("ReduceMean", [x], op.outputs[0], op.name, axes=list(axes), keepdims=int(keep))

    def _pool(self, op: Op, op_type: str, **extra) -> None:
        attrs = self._conv_attrs(op, op.attrs["kernel"])
        del attrs["dilations"]
        self.with_act(op, op_type, [op.inputs[0]], **attrs, **extra)

    def _op_avg_pool2d(self, op: Op) -> None:
        self._pool(op, "AveragePool", count_include_pad=0)

    def _op_max_pool2d(self, op: Op) -> None:
        self._pool(op, "MaxPool")

    def _binary(self, op: Op) -> None:
        rank = len(self.graph.tensor(op.outputs[0]).shape)
        inputs = [self.operand(n, rank) for n in op.inputs]
        self.with_act(op, {"add": "Add", "mul": "Mul"}[op.kind], inputs)

    _op_add = _op_mul = _binary

    def _op_softmax(self, op: Op) -> None:
        if float(op.attrs.get("beta", 1.0)) != 1.0:
            raise UnsupportedError(f"ONNX export: softmax {op.name} with beta != 1")
        self.node("Softmax", [op.inputs[0]], op.outputs[0], op.name, axis=1 if self.rank4(op.inputs[0]) else -1)

    def _op_reshape(self, op: Op) -> None:
        x, out = op.inputs[0], op.outputs[0]
        in_shape, out_shape = self.graph.tensor(x).shape, tuple(op.attrs["shape"])
        if len(in_shape) == 4 and len(out_shape) == 2 and in_shape[1] * in_shape[2] == 1:
            self.node("Flatten", [x], out, op.name, axis=1)
            return
        if len(in_shape) == 4:  # mnc reshapes NHWC element order
            x = self.node("Transpose", [x], self.fresh(x + "_nhwc"), perm=list(NCHW_TO_NHWC))
        target = self.fresh(out + "_nhwc") if len(out_shape) == 4 else out
        self.node("Reshape", [x, self.const(out + "_shape", np.array(out_shape, np.int64))], target, op.name)
        if len(out_shape) == 4:
            self.node("Transpose", [target], out, perm=list(NHWC_TO_NCHW))

    def _op_pad(self, op: Op) -> None:
        pads = [tuple(p) for p in op.attrs["pads"]]
        if len(pads) == 4:
            pads = [pads[i] for i in NHWC_TO_NCHW]
        flat = [p[0] for p in pads] + [p[1] for p in pads]
        self.node("Pad", [op.inputs[0], self.const(op.outputs[0] + "_pads", np.array(flat, np.int64))],
                  op.outputs[0], op.name, mode="constant")

    def _op_concat(self, op: Op) -> None:
        rank = len(self.graph.tensor(op.outputs[0]).shape)
        axis = int(op.attrs["axis"]) % rank
        inputs = [self.operand(n, rank) for n in op.inputs]
        self.node("Concat", inputs, op.outputs[0], op.name, axis=NHWC_TO_NCHW.index(axis) if rank == 4 else axis)

    def _op_transpose(self, op: Op) -> None:
        perm = list(op.attrs["perm"])
        if self.rank4(op.inputs[0]):  # ONNX data is NCHW on both sides of the permutation
            perm = [NHWC_TO_NCHW.index(perm[NHWC_TO_NCHW[i]]) for i in range(4)]
        self.node("Transpose", [op.inputs[0]], op.outputs[0], op.name, perm=perm)


def _fresh(base: str, taken: set[str]) -> str:
    """`base`, or `base_1`, `base_2`, ... if taken; the result is taken from then on."""
    name, i = base, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name
