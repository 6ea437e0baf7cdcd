"""Write an mnc Graph (int8 or float32) as a .tflite flatbuffer, so TFLite's own interpreters
(LiteRT, TFLite Micro) can act as oracles for graphs that never came from a .tflite file:
the built-in MobileNet V2/V3 definitions and small synthetic graphs in tests.

Two layers: `TFLiteWriter` assembles tensors/operators/buffers with the `tflite` schema's builder
functions; `export_tflite` maps each mnc op kind to a TFLite builtin (table `_EXPORTERS`).
Explicit pads that TFLite's SAME/VALID cannot express become a PAD op before the convolution
(int8 PAD fills with the zero point, which is exactly what a padded int8 convolution sees).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

import flatbuffers
import numpy as np
import tflite

from mnc.errors import UnsupportedError
from mnc.ir import Graph, Op, Tensor

_TYPES = {"float32": tflite.TensorType.FLOAT32, "int8": tflite.TensorType.INT8, "int32": tflite.TensorType.INT32}
_ACT = {"none": tflite.ActivationFunctionType.NONE, "relu": tflite.ActivationFunctionType.RELU,
        "relu6": tflite.ActivationFunctionType.RELU6}
_BUFFER_ALIGN = 16
# Operator versions TFLite's converter writes for int8 graphs (the op resolvers accept them for float too).
_VERSIONS = {"CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4, "AVERAGE_POOL_2D": 2,
             "MAX_POOL_2D": 2, "MEAN": 2, "ADD": 2, "MUL": 2, "SOFTMAX": 2, "PAD": 2, "LOGISTIC": 2,
             "RELU": 2, "RELU6": 2, "CONCATENATION": 2, "DEQUANTIZE": 2, "QUANTIZE": 2}


@dataclass
class _TensorSpec:
    name: str
    shape: tuple[int, ...]
    ttype: int
    buffer: int
    scale: np.ndarray | None
    zero_point: np.ndarray | None
    axis: int


@dataclass
class _OpSpec:
    opcode: int
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, dict] | None


@dataclass
class TFLiteWriter:
    """Assembles one-subgraph .tflite files. Tests also use it directly to craft invalid models."""

    tensors: list[_TensorSpec] = field(default_factory=list)
    ops: list[_OpSpec] = field(default_factory=list)
    opcodes: list[tuple[int, int]] = field(default_factory=list)  # (builtin code, version)
    buffers: list[bytes] = field(default_factory=lambda: [b""])  # buffer 0: the empty sentinel

    def add_tensor(self, name: str, shape, ttype: int, data: np.ndarray | None = None,
                   scale=None, zero_point=None, axis: int = 0) -> int:
        buffer = 0
        if data is not None:
            self.buffers.append(np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes())
            buffer = len(self.buffers) - 1
        scale = None if scale is None else np.atleast_1d(np.asarray(scale, np.float32))
        zp = None if zero_point is None else np.atleast_1d(np.asarray(zero_point, np.int64))
        self.tensors.append(_TensorSpec(name, tuple(int(d) for d in shape), ttype, buffer, scale, zp, axis))
        return len(self.tensors) - 1

    def add_operator(self, opname: str, inputs: list[int], outputs: list[int],
                     options: tuple[str, dict] | None = None, version: int | None = None) -> None:
        """`options` is (options table name, {field: scalar}), e.g. ("Pool2DOptions", {"StrideW": 2})."""
        code = getattr(tflite.BuiltinOperator, opname)
        key = (code, version or _VERSIONS.get(opname, 1))
        if key not in self.opcodes:
            self.opcodes.append(key)
        self.ops.append(_OpSpec(self.opcodes.index(key), list(inputs), list(outputs), options))

    def finish(self, inputs: list[int], outputs: list[int], num_subgraphs: int = 1) -> bytes:
        """Serialize. `num_subgraphs` > 1 repeats the subgraph (only to test importers' rejection)."""
        b = flatbuffers.Builder(1024)
        buffers = [self._buffer(b, data) for data in self.buffers]
        subgraph = self._subgraph(b, inputs, outputs)
        opcodes = [self._opcode(b, code, version) for code, version in self.opcodes]
        desc = b.CreateString("mnc export")
        vectors = [_offsets(b, opcodes), _offsets(b, [subgraph] * num_subgraphs), _offsets(b, buffers)]
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, vectors[0])
        tflite.ModelAddSubgraphs(b, vectors[1])
        tflite.ModelAddBuffers(b, vectors[2])
        tflite.ModelAddDescription(b, desc)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    # ---- flatbuffer pieces (children before parents, as flatbuffers requires) -------------
    @staticmethod
    def _buffer(b: flatbuffers.Builder, data: bytes) -> int:
        vec = None
        if data:
            b.Prep(_BUFFER_ALIGN, len(data))  # kernels read weights in place: keep them aligned
            vec = b.CreateByteVector(data)
        tflite.BufferStart(b)
        if vec is not None:
            tflite.BufferAddData(b, vec)
        return tflite.BufferEnd(b)

    def _subgraph(self, b: flatbuffers.Builder, inputs: list[int], outputs: list[int]) -> int:
        tensors = _offsets(b, [self._tensor(b, t) for t in self.tensors])
        ops = _offsets(b, [self._operator(b, op) for op in self.ops])
        ins, outs = _ints(b, inputs), _ints(b, outputs)
        name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tensors)
        tflite.SubGraphAddInputs(b, ins)
        tflite.SubGraphAddOutputs(b, outs)
        tflite.SubGraphAddOperators(b, ops)
        tflite.SubGraphAddName(b, name)
        return tflite.SubGraphEnd(b)

    @staticmethod
    def _tensor(b: flatbuffers.Builder, t: _TensorSpec) -> int:
        name, shape = b.CreateString(t.name), _ints(b, t.shape)
        quant = None
        if t.scale is not None:
            scale, zp = b.CreateNumpyVector(t.scale), b.CreateNumpyVector(t.zero_point.astype(np.int64))
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, scale)
            tflite.QuantizationParametersAddZeroPoint(b, zp)
            tflite.QuantizationParametersAddQuantizedDimension(b, t.axis)
            quant = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, t.ttype)
        tflite.TensorAddBuffer(b, t.buffer)
        tflite.TensorAddName(b, name)
        if quant is not None:
            tflite.TensorAddQuantization(b, quant)
        return tflite.TensorEnd(b)

    @staticmethod
    def _operator(b: flatbuffers.Builder, op: _OpSpec) -> int:
        ins, outs = _ints(b, op.inputs), _ints(b, op.outputs)
        options = _options_table(b, *op.options) if op.options else None
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, op.opcode)
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if options is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions, op.options[0]))
            tflite.OperatorAddBuiltinOptions(b, options)
        return tflite.OperatorEnd(b)

    @staticmethod
    def _opcode(b: flatbuffers.Builder, code: int, version: int) -> int:
        tflite.OperatorCodeStart(b)
        # Codes above 127 live only in builtin_code; the deprecated int8 field holds the placeholder.
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, tflite.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, version)
        return tflite.OperatorCodeEnd(b)


def _options_table(b: flatbuffers.Builder, table: str, fields: dict) -> int:
    module = importlib.import_module(f"tflite.{table}")
    getattr(module, f"{table}Start")(b)
    for name, value in fields.items():
        getattr(module, f"{table}Add{name}")(b, value)
    return getattr(module, f"{table}End")(b)


def _offsets(b: flatbuffers.Builder, offsets: list[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _ints(b: flatbuffers.Builder, values) -> int:
    return b.CreateNumpyVector(np.asarray(list(values), dtype=np.int32))


# ---- mnc Graph -> TFLite ------------------------------------------------------------------------

class _GraphExporter:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.w = TFLiteWriter()
        self.index: dict[str, int] = {}

    def run(self) -> bytes:
        inputs = [self.tensor(n) for n in self.graph.inputs]
        for op in self.graph.ops():
            exporter = _EXPORTERS.get(op.kind)
            if exporter is None:
                raise UnsupportedError(f"op {op.name!r}: {op.kind} has no TFLite equivalent to export")
            exporter(self, op)
        return self.w.finish(inputs, [self.tensor(n) for n in self.graph.outputs])

    def tensor(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = self._add(self.graph.tensor(name))
        return self.index[name]

    def _add(self, t: Tensor) -> int:
        q = t.quant
        scale = zp = None
        axis = 0
        if q is not None and t.dtype != "float32":
            scale, zp, axis = q.scale, q.zero_point, q.axis or 0
            if q.per_channel and np.all(scale == scale[0]) and np.all(zp == zp[0]):
                scale, zp, axis = scale[:1], zp[:1], 0  # per-tensor where it is: every kernel takes it
        return self.w.add_tensor(t.name, t.shape, _TYPES[t.dtype], t.data, scale, zp, axis)

    def new(self, name: str, like: Tensor, shape: tuple[int, ...]) -> int:
        """An intermediate activation with `like`'s type and quantization."""
        q = like.quant
        return self.w.add_tensor(self.graph.unique_name(name), shape, _TYPES[like.dtype], None,
                                 None if q is None else q.scale, None if q is None else q.zero_point)

    def const_int32(self, name: str, values) -> int:
        arr = np.asarray(values, np.int32)
        return self.w.add_tensor(self.graph.unique_name(name), arr.shape, tflite.TensorType.INT32, arr)

    def io(self, op: Op) -> tuple[list[int], list[int]]:
        return [self.tensor(n) if n else -1 for n in op.inputs], [self.tensor(n) for n in op.outputs]


def _padding_mode(size: int, k: int, s: int, before: int, after: int, out: int) -> int | None:
    """The TFLite Padding that yields exactly these pads along one axis, or None."""
    same_total = max((-(-size // s) - 1) * s + k - size, 0)
    if (before, after) == (same_total // 2, same_total - same_total // 2) and out == -(-size // s):
        return tflite.Padding.SAME
    if before == after == 0:
        return tflite.Padding.VALID
    return None


def _window_padding(ex: _GraphExporter, op: Op, kernel: tuple[int, int], allow_pad_op: bool) -> tuple[int, int]:
    """(input tensor index, Padding) for a windowed op, inserting a PAD op when needed and allowed."""
    x, y = ex.graph.tensor(op.inputs[0]), ex.graph.tensor(op.outputs[0])
    stride, (top, bottom, left, right) = op.attrs["stride"], op.attrs.get("pad", (0, 0, 0, 0))
    modes = {_padding_mode(x.shape[1], kernel[0], stride[0], top, bottom, y.shape[1]),
             _padding_mode(x.shape[2], kernel[1], stride[1], left, right, y.shape[2])}
    if len(modes) == 1 and None not in modes:
        return ex.tensor(x.name), modes.pop()
    if not allow_pad_op:
        raise UnsupportedError(f"op {op.name!r}: pads {op.attrs['pad']} are neither SAME nor VALID in TFLite terms")
    padded_shape = (1, x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3])
    padded = ex.new(f"{x.name}_padded", x, padded_shape)
    paddings = ex.const_int32(f"{x.name}_paddings", [[0, 0], [top, bottom], [left, right], [0, 0]])
    ex.w.add_operator("PAD", [ex.tensor(x.name), paddings], [padded])
    return padded, tflite.Padding.VALID


def _check_dilation(op: Op) -> None:
    if tuple(op.attrs.get("dilation", (1, 1))) != (1, 1):
        raise UnsupportedError(f"op {op.name!r}: dilation export is not implemented")


def _conv(ex: _GraphExporter, op: Op) -> None:
    _check_dilation(op)
    w = ex.graph.tensor(op.inputs[1])
    x_index, padding = _window_padding(ex, op, w.shape[1:3], allow_pad_op=True)
    ins, outs = ex.io(op)
    fields = {"Padding": padding, "StrideH": op.attrs["stride"][0], "StrideW": op.attrs["stride"][1],
              "FusedActivationFunction": _ACT[op.attrs.get("act", "none")]}
    if op.kind == "conv2d":
        ex.w.add_operator("CONV_2D", [x_index, *ins[1:]], outs, ("Conv2DOptions", fields))
    else:
        fields["DepthMultiplier"] = op.attrs.get("depth_multiplier", 1)
        ex.w.add_operator("DEPTHWISE_CONV_2D", [x_index, *ins[1:]], outs, ("DepthwiseConv2DOptions", fields))


def _pool(opname: str):
    def export(ex: _GraphExporter, op: Op) -> None:
        kernel = tuple(op.attrs["kernel"])
        x_index, padding = _window_padding(ex, op, kernel, allow_pad_op=False)
        fields = {"Padding": padding, "StrideH": op.attrs["stride"][0], "StrideW": op.attrs["stride"][1],
                  "FilterHeight": kernel[0], "FilterWidth": kernel[1],
                  "FusedActivationFunction": _ACT[op.attrs.get("act", "none")]}
        ex.w.add_operator(opname, [x_index], ex.io(op)[1], ("Pool2DOptions", fields))

    return export


def _fully_connected(ex: _GraphExporter, op: Op) -> None:
    ins, outs = ex.io(op)
    fields = {"FusedActivationFunction": _ACT[op.attrs.get("act", "none")]}
    ex.w.add_operator("FULLY_CONNECTED", ins, outs, ("FullyConnectedOptions", fields))


def _binary(opname: str, table: str):
    def export(ex: _GraphExporter, op: Op) -> None:
        ins, outs = ex.io(op)
        ex.w.add_operator(opname, ins, outs, (table, {"FusedActivationFunction": _ACT[op.attrs.get("act", "none")]}))

    return export


def _plain(opname: str):
    def export(ex: _GraphExporter, op: Op) -> None:
        ex.w.add_operator(opname, *ex.io(op))

    return export


def _mean(ex: _GraphExporter, op: Op) -> None:
    ins, outs = ex.io(op)
    axes = ex.const_int32(f"{op.name}_axes", list(op.attrs["axes"]))
    ex.w.add_operator("MEAN", [ins[0], axes], outs, ("ReducerOptions", {"KeepDims": bool(op.attrs.get("keepdims"))}))


def _softmax(ex: _GraphExporter, op: Op) -> None:
    ex.w.add_operator("SOFTMAX", *ex.io(op), ("SoftmaxOptions", {"Beta": float(op.attrs.get("beta", 1.0))}))


def _pad(ex: _GraphExporter, op: Op) -> None:
    ins, outs = ex.io(op)
    ex.w.add_operator("PAD", [ins[0], ex.const_int32(f"{op.name}_paddings", op.attrs["pads"])], outs)


def _reshape(ex: _GraphExporter, op: Op) -> None:
    ins, outs = ex.io(op)
    ex.w.add_operator("RESHAPE", [ins[0], ex.const_int32(f"{op.name}_shape", list(op.attrs["shape"]))], outs)


def _concat(ex: _GraphExporter, op: Op) -> None:
    """TFLite's int8 CONCATENATION needs every input in the output's quantization: requantize first."""
    ins, outs = ex.io(op)
    y = ex.graph.tensor(op.outputs[0])
    for i, name in enumerate(op.inputs):
        x = ex.graph.tensor(name)
        if y.quant is not None and x.quant.single() != y.quant.single():
            ins[i] = ex.new(f"{name}_requantized", y, x.shape)
            ex.w.add_operator("QUANTIZE", [ex.tensor(name)], [ins[i]])
    ex.w.add_operator("CONCATENATION", ins, outs, ("ConcatenationOptions", {"Axis": op.attrs["axis"]}))


_EXPORTERS = {
    "conv2d": _conv,
    "depthwise_conv2d": _conv,
    "fully_connected": _fully_connected,
    "avg_pool2d": _pool("AVERAGE_POOL_2D"),
    "max_pool2d": _pool("MAX_POOL_2D"),
    "mean": _mean,
    "add": _binary("ADD", "AddOptions"),
    "mul": _binary("MUL", "MulOptions"),
    "relu": _plain("RELU"),
    "relu6": _plain("RELU6"),
    "hard_swish": _plain("HARD_SWISH"),
    "logistic": _plain("LOGISTIC"),
    "softmax": _softmax,
    "pad": _pad,
    "reshape": _reshape,
    "concat": _concat,
    "quantize": _plain("QUANTIZE"),
    "dequantize": _plain("DEQUANTIZE"),
}


def export_tflite(graph: Graph) -> bytes:
    """The .tflite bytes of `graph` (one subgraph; ops without a TFLite builtin are rejected)."""
    return _GraphExporter(graph).run()


def write_tflite(graph: Graph, path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(export_tflite(graph))
    return path
