"""Structural validation of a .tflite flatbuffer, run before the importer allocates or builds anything.

Reads only the flatbuffer's own fields (no tensor data is copied, no graph is built) and refuses, in
one line naming the operator or tensor, its index and what is wrong:

- operator code indices, tensor indices and buffer indices out of range;
- shapes with a dimension below 1, or more than MAX_TENSOR_ELEMENTS elements (the host limit: no
  tensor may need more than 64 Mi elements, 256 MiB as float32, far beyond any microcontroller);
- quantization scales that are not finite and positive, zero points outside the tensor type's range
  (an int8 zero point of -2^62 is refused, not truncated), scale/zero-point counts that differ, a
  quantized dimension outside the shape;
- float constants holding NaN or infinity;
- builtin options of the wrong table type, strides/dilations/filters below 1, unknown padding or
  activation codes, a softmax beta that is not finite;
- a graph that is not in execution order (an op reading a tensor produced by itself or a later op:
  a cycle), a tensor produced twice, graph inputs/outputs other than exactly one each.

The importer still checks everything op-specific (supported ops, shapes that agree, weights layout).
"""

from __future__ import annotations

import math

import numpy as np
import tflite

from mnc.errors import ModelError, UnsupportedError
from mnc.safetext import escape, quoted

MAX_TENSOR_ELEMENTS = 2**26
_TYPE_RANGES = {tflite.TensorType.INT8: (-128, 127), tflite.TensorType.UINT8: (0, 255),
                tflite.TensorType.INT16: (-2**15, 2**15 - 1), tflite.TensorType.INT32: (-2**31, 2**31 - 1)}
# The builtin options table each operator must carry (or none, meaning all defaults).
_OPTIONS = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions", "SOFTMAX": "SoftmaxOptions", "ADD": "AddOptions",
    "MUL": "MulOptions", "RESHAPE": "ReshapeOptions", "CONCATENATION": "ConcatenationOptions",
    "MEAN": "ReducerOptions", "PAD": "PadOptions",
}
_WINDOW_FIELDS = {  # options fields that must be >= 1
    "Conv2DOptions": ("StrideH", "StrideW", "DilationHFactor", "DilationWFactor"),
    "DepthwiseConv2DOptions": ("StrideH", "StrideW", "DilationHFactor", "DilationWFactor"),
    "Pool2DOptions": ("StrideH", "StrideW", "FilterHeight", "FilterWidth"),
}
_PADDINGS = (tflite.Padding.SAME, tflite.Padding.VALID)
_ACTIVATIONS = frozenset(v for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_"))
_OPTION_TYPES = {v: k for k, v in vars(tflite.BuiltinOptions).items() if not k.startswith("_")}


def validate_tflite(model: tflite.Model, data: bytes, file: str) -> None:
    """Raise ModelError/UnsupportedError for the first structural defect of `model` (see module doc)."""
    if model.SubgraphsLength() != 1:
        raise UnsupportedError(f"{file}: {model.SubgraphsLength()} subgraphs; mnc supports exactly 1")
    sg = model.Subgraphs(0)
    v = _Validator(model, sg, data, file)
    v.operators()
    v.io()
    for index in sorted(v.referenced):
        v.tensor(index)


class _Validator:
    def __init__(self, model: tflite.Model, sg: tflite.SubGraph, data: bytes, file: str) -> None:
        self.model, self.sg, self.data, self.file = model, sg, data, file
        self.num_tensors = sg.TensorsLength()
        self.referenced: set[int] = set()

    # ---- naming ------------------------------------------------------------------------------
    def tensor_label(self, index: int) -> str:
        name = (self.sg.Tensors(index).Name() or b"").decode("utf-8", "replace")
        return f"{self.file}: tensor {index} {quoted(name)}"

    def op_label(self, index: int, opname: str) -> str:
        return f"{self.file}: op {index} {escape(opname)}"

    # ---- operators ---------------------------------------------------------------------------
    def operators(self) -> None:
        produced_by: dict[int, int] = {}
        for index in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(index)
            opname = self.opname(index, op)
            where = self.op_label(index, opname)
            if opname.startswith("CUSTOM:"):
                raise UnsupportedError(f"{where}: custom operators are not supported by mnc")
            inputs = list(op.InputsAsNumpy()) if op.InputsLength() else []
            outputs = list(op.OutputsAsNumpy()) if op.OutputsLength() else []
            if not outputs:
                raise ModelError(f"{where}: no outputs")
            for t in inputs:
                self.check_tensor_index(int(t), where, optional=True)
            for t in outputs:
                self.check_tensor_index(int(t), where, optional=False)
            for t in outputs:
                if int(t) in produced_by:
                    raise ModelError(f"{where}: tensor {int(t)} is already produced by op {produced_by[int(t)]}")
                produced_by[int(t)] = index
            self.options(op, opname, where)
        self.check_order(produced_by)

    def opname(self, index: int, op: tflite.Operator) -> str:
        code_index = op.OpcodeIndex()
        if not 0 <= code_index < self.model.OperatorCodesLength():
            raise ModelError(f"{self.file}: op {index}: operator code index {code_index} out of range "
                             f"(the model has {self.model.OperatorCodesLength()} operator codes)")
        code = self.model.OperatorCodes(code_index)
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == tflite.BuiltinOperator.CUSTOM:
            return f"CUSTOM:{(code.CustomCode() or b'?').decode('utf-8', 'replace')}"
        return tflite.opcode2name(builtin) if builtin in tflite.BUILTIN_OPCODE2NAME else f"OPCODE_{builtin}"

    def check_tensor_index(self, t: int, where: str, optional: bool) -> None:
        if optional and t == -1:
            return
        if not 0 <= t < self.num_tensors:
            raise ModelError(f"{where}: tensor index {t} out of range (the subgraph has {self.num_tensors} tensors)")
        self.referenced.add(t)

    def check_order(self, produced_by: dict[int, int]) -> None:
        """TFLite runs operators in stored order: every input must exist before its reader runs."""
        for index in range(self.sg.OperatorsLength()):
            op = self.sg.Operators(index)
            for t in (op.InputsAsNumpy() if op.InputsLength() else []):
                producer = produced_by.get(int(t))
                if producer is not None and producer >= index:
                    what = "its own output" if producer == index else f"the output of later op {producer}"
                    raise ModelError(f"{self.file}: op {index} reads tensor {int(t)}, {what} "
                                     f"(a cycle, or operators out of execution order)")

    def options(self, op: tflite.Operator, opname: str, where: str) -> None:
        expected = _OPTIONS.get(opname)
        kind = op.BuiltinOptionsType()
        if expected is None or kind == tflite.BuiltinOptions.NONE:
            return
        if _OPTION_TYPES.get(kind) != expected:
            raise ModelError(f"{where}: options table {_OPTION_TYPES.get(kind, kind)}, expected {expected}")
        table = op.BuiltinOptions()
        if table is None:
            return
        opts = getattr(tflite, expected)()
        opts.Init(table.Bytes, table.Pos)
        for field in _WINDOW_FIELDS.get(expected, ()):
            value = getattr(opts, field)()
            if value < 1:
                raise ModelError(f"{where}: {field} {value} must be >= 1")
        if hasattr(opts, "Padding") and opts.Padding() not in _PADDINGS:
            raise ModelError(f"{where}: unknown padding code {opts.Padding()}")
        if hasattr(opts, "FusedActivationFunction") and opts.FusedActivationFunction() not in _ACTIVATIONS:
            raise ModelError(f"{where}: unknown fused activation code {opts.FusedActivationFunction()}")
        if expected == "SoftmaxOptions" and not (math.isfinite(opts.Beta()) and opts.Beta() > 0):
            raise ModelError(f"{where}: softmax beta {opts.Beta()} must be finite and positive")

    # ---- graph inputs and outputs ---------------------------------------------------------
    def io(self) -> None:
        for what, length, item in (("input", self.sg.InputsLength, self.sg.Inputs),
                                   ("output", self.sg.OutputsLength, self.sg.Outputs)):
            indices = [int(item(j)) for j in range(length())]
            if len(indices) != 1:
                raise UnsupportedError(f"{self.file}: {len(indices)} graph {what}s; mnc compiles models with "
                                       f"exactly one input and one output")
            self.check_tensor_index(indices[0], f"{self.file}: graph {what}", optional=False)

    # ---- tensors -----------------------------------------------------------------------------
    def tensor(self, index: int) -> None:
        fb = self.sg.Tensors(index)
        where = self.tensor_label(index)
        shape = [int(d) for d in fb.ShapeAsNumpy()] if fb.ShapeLength() else []
        if any(d < 1 for d in shape):
            raise UnsupportedError(f"{where}: dynamic or empty shape {tuple(shape)}")
        elements = math.prod(shape)
        if elements > MAX_TENSOR_ELEMENTS:
            raise ModelError(f"{where}: shape {tuple(shape)} has {elements:,} elements, more than mnc's limit of "
                             f"{MAX_TENSOR_ELEMENTS:,} per tensor")
        data = self.buffer(fb, where)
        self.quantization(fb, shape, where)
        if data is not None and fb.Type() == tflite.TensorType.FLOAT32:
            self.finite_floats(data, elements, where)

    def buffer(self, fb: tflite.Tensor, where: str) -> memoryview | np.ndarray | None:
        index = fb.Buffer()
        if index == 0:
            return None
        if not 0 < index < self.model.BuffersLength():
            raise ModelError(f"{where}: buffer index {index} out of range")
        buf = self.model.Buffers(index)
        if buf.Offset() > 1:
            start, size = int(buf.Offset()), int(buf.Size())
            if start + size > len(self.data):
                raise ModelError(f"{where}: buffer data lies beyond the end of the file (truncated?)")
            return memoryview(self.data)[start:start + size]
        if buf.DataLength() == 0:
            return None
        return buf.DataAsNumpy()   # a view into the file's bytes, not a copy

    def finite_floats(self, data, elements: int, where: str) -> None:
        raw = memoryview(data).cast("B")
        if len(raw) != 4 * elements:
            return   # the importer reports the size mismatch with both numbers
        values = np.frombuffer(raw, "<f4")
        if not np.all(np.isfinite(values)):
            raise ModelError(f"{where}: constant holds NaN or infinite values")

    def quantization(self, fb: tflite.Tensor, shape: list[int], where: str) -> None:
        q = fb.Quantization()
        if q is None or q.ScaleLength() == 0:
            return
        scales = q.ScaleAsNumpy()
        if not np.all(np.isfinite(scales)) or np.any(scales <= 0):
            raise ModelError(f"{where}: quantization scale must be finite and positive, got "
                             f"{_first_bad(scales, lambda s: not (math.isfinite(s) and s > 0))}")
        zps = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros(0, np.int64)
        if zps.size not in (0, scales.size):
            raise ModelError(f"{where}: {scales.size} scales but {zps.size} zero points")
        lo, hi = _TYPE_RANGES.get(fb.Type(), (-2**31, 2**31 - 1))
        if zps.size and (zps.min() < lo or zps.max() > hi):
            raise ModelError(f"{where}: zero point {_first_bad(zps, lambda z: not lo <= z <= hi)} outside "
                             f"[{lo}, {hi}]")
        axis = int(q.QuantizedDimension())
        if scales.size > 1 and not (0 <= axis < len(shape) and shape[axis] == scales.size):
            raise ModelError(f"{where}: {scales.size} scales do not match dimension {axis} of shape {tuple(shape)}")


def _first_bad(values: np.ndarray, bad) -> object:
    return next((v.item() for v in values if bad(v.item())), values[0].item())
