"""Import a .tflite flatbuffer (one subgraph, full-integer int8 or float32) into an mnc Graph.

Parsing uses the maintained `tflite` schema package. Int8 models keep their own quantization
(weights are normalized to per-channel along the output-channel axis, which is how TFLite's int8
kernels compute them anyway). Each operator is converted by the table in `converters`.

meta written here:
  graph.meta["source"]            -- "tflite <file name>"
  op.meta["source"]               -- "tflite op <index> <OPERATOR> <output tensor name>"
  tensor.meta["source"]           -- "tflite tensor <index> <tensor name>"
  tensor.meta["tflite_index"]     -- the tensor's index in the subgraph (to fetch LiteRT intermediates)
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import tflite

from mnc.errors import MncError, ModelError, UnsupportedError
from mnc.frontends.tflite.context import OpContext
from mnc.frontends.tflite.converters import CONVERTERS
from mnc.frontends.tflite.validate import validate_tflite
from mnc.ir import Graph, QuantParams, Tensor
from mnc.ops import verify_graph

# TensorType values mnc accepts, and the numpy dtype each is stored as (little endian on disk).
_DTYPES = {
    tflite.TensorType.FLOAT32: "float32",
    tflite.TensorType.INT8: "int8",
    tflite.TensorType.INT32: "int32",
}
# Types that only ever appear as constant shape/axis/padding operands.
_INDEX_DTYPES = {tflite.TensorType.INT32: "<i4", tflite.TensorType.INT64: "<i8"}
_TYPE_NAMES = {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}
_MAX_NAME = 64


def load_tflite(path: str | Path) -> Graph:
    """Parse `path` and return the equivalent mnc Graph; raises ModelError/UnsupportedError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror}") from None
    return load_tflite_bytes(data, path.name)


def load_tflite_bytes(data: bytes, name: str = "model.tflite") -> Graph:
    model = _root(data, name)
    try:
        validate_tflite(model, data, name)
        return TFLiteImporter(model, data, name).run()
    except MncError:
        raise
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, TypeError) as exc:
        # Offsets pointing outside the buffer, or values the flatbuffers reader cannot represent
        # (TypeError "bad number ... for type uint32"): the file is truncated or corrupt.
        raise ModelError(f"{name}: malformed .tflite file ({type(exc).__name__}: {exc})") from None


def _root(data: bytes, name: str) -> tflite.Model:
    if len(data) < 8 or not tflite.Model.ModelBufferHasIdentifier(data, 0):
        raise ModelError(f"{name}: not a .tflite file (missing TFL3 identifier)")
    try:
        return tflite.Model.GetRootAs(data, 0)
    except (struct.error, IndexError) as exc:
        raise ModelError(f"{name}: malformed .tflite file ({exc})") from None


def operator_name(model: tflite.Model, op: tflite.Operator) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    if builtin == tflite.BuiltinOperator.CUSTOM:
        return f"CUSTOM:{(code.CustomCode() or b'?').decode()}"
    return tflite.opcode2name(builtin) if builtin in tflite.BUILTIN_OPCODE2NAME else f"OPCODE_{builtin}"


SHAPE_ARITHMETIC = ("SHAPE", "STRIDED_SLICE", "PACK")


def shape_arithmetic_ops(model: tflite.Model, sg) -> set[int]:
    """Operators that only compute a RESHAPE's `new_shape` operand.

    A model converted with a dynamic batch (Keras' default) computes the shape of a Flatten or
    Reshape at run time: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE input 1. mnc compiles batch 1
    and RESHAPE takes its static output shape, so these operators need no code; any other reader
    of their results (or a graph output among them) keeps them, and they are then refused by name.
    """
    readers: dict[int, list[tuple[int, int]]] = {}
    ops = [sg.Operators(i) for i in range(sg.OperatorsLength())]
    for index, op in enumerate(ops):
        for position in range(op.InputsLength()):
            readers.setdefault(int(op.Inputs(position)), []).append((index, position))
    outputs = {int(sg.Outputs(j)) for j in range(sg.OutputsLength())}
    names = [operator_name(model, op) for op in ops]
    found: set[int] = set()
    for index in reversed(range(len(ops))):   # readers come after their producers
        if names[index] not in SHAPE_ARITHMETIC:
            continue
        results = [int(ops[index].Outputs(j)) for j in range(ops[index].OutputsLength())]
        if all(t not in outputs and all(r in found or (names[r] == "RESHAPE" and p == 1)
                                        for r, p in readers.get(t, [])) for t in results):
            found.add(index)
    return found


class TFLiteImporter:
    def __init__(self, model: tflite.Model, data: bytes, name: str) -> None:
        self.model = model
        self.data = data
        self.file = name
        if model.SubgraphsLength() != 1:
            raise UnsupportedError(f"{name}: {model.SubgraphsLength()} subgraphs; mnc supports exactly 1")
        self.sg = model.Subgraphs(0)
        self.graph = Graph(Path(name).stem)
        self.graph.meta["source"] = f"tflite {name}"
        self.names: dict[int, str] = {}

    def run(self) -> Graph:
        shape_arithmetic = shape_arithmetic_ops(self.model, self.sg)
        for index in range(self.sg.OperatorsLength()):
            if index in shape_arithmetic:
                continue
            op = self.sg.Operators(index)
            ctx = OpContext(self, index, op, operator_name(self.model, op))
            convert = CONVERTERS.get(ctx.name)
            if convert is None:
                raise ctx.unsupported("operator not supported by mnc")
            convert(ctx)
        # After the ops, so that a bad input tensor is reported with the first op reading it.
        self.graph.inputs = [self.tensor(i, None).name for i in self._io(self.sg.InputsLength, self.sg.Inputs, "input")]
        self.graph.outputs = [self.tensor(i, None).name for i in self._io(self.sg.OutputsLength, self.sg.Outputs, "output")]
        self.graph.remove_unused_tensors()
        verify_graph(self.graph)
        return self.graph

    def _io(self, length, item, what: str) -> list[int]:
        idx = [int(item(j)) for j in range(length())]
        if not idx:
            raise ModelError(f"{self.file}: subgraph has no {what}s")
        return idx

    # ---- tensors ---------------------------------------------------------------------------
    def raw_name(self, index: int) -> str:
        if not 0 <= index < self.sg.TensorsLength():
            return f"#{index}"
        return (self.sg.Tensors(index).Name() or b"").decode("utf-8", "replace")

    def _check_index(self, index: int, ctx: OpContext | None) -> None:
        if not 0 <= index < self.sg.TensorsLength():
            where = ctx.where(None) if ctx else self.file
            raise ModelError(f"{where}: tensor index {index} out of range")

    def tensor(self, index: int, ctx: OpContext | None) -> Tensor:
        if index == -1 and ctx is not None:
            raise ctx.malformed("a required input is missing")
        self._check_index(index, ctx)
        if index not in self.names:
            self.names[index] = self.graph.add_tensor(self._make_tensor(index, ctx)).name
        return self.graph.tensor(self.names[index])

    def _make_tensor(self, index: int, ctx: OpContext | None) -> Tensor:
        fb = self.sg.Tensors(index)
        raw = self.raw_name(index)
        where = ctx.where(index) if ctx else f"{self.file} tensor {raw!r}"
        ttype = fb.Type()
        if ttype not in _DTYPES:
            kind = "activations" if ttype == tflite.TensorType.INT16 else "tensors"
            raise UnsupportedError(f"{where}: {_TYPE_NAMES.get(ttype, ttype)} {kind} are not supported "
                                   f"(mnc handles int8 and float32 models)")
        if fb.IsVariable() or fb.Sparsity() is not None:
            raise UnsupportedError(f"{where}: variable or sparse tensors are not supported")
        shape = self._shape(fb, where)
        dtype = _DTYPES[ttype]
        data = self._buffer(fb, np.dtype(dtype).newbyteorder("<"), shape, where)
        return Tensor(self._unique_name(raw, index), shape, dtype,
                      data=None if data is None else data.astype(dtype),
                      quant=self._quant(fb, dtype, shape, where),
                      meta={"source": f"tflite tensor {index} {raw}", "tflite_index": index})

    def _unique_name(self, raw: str, index: int) -> str:
        # TFLite names join every fused TF op with ';' -- keep the first, which names the layer.
        short = raw.split(";")[0][:_MAX_NAME] or f"t{index}"
        return self.graph.unique_name(short)

    @staticmethod
    def _shape(fb: tflite.Tensor, where: str) -> tuple[int, ...]:
        shape = tuple(int(d) for d in fb.ShapeAsNumpy()) if fb.ShapeLength() else ()
        if any(d < 1 for d in shape):
            raise UnsupportedError(f"{where}: dynamic or empty shape {shape}")
        return shape

    def _buffer(self, fb: tflite.Tensor, dtype: np.dtype, shape: tuple[int, ...], where: str) -> np.ndarray | None:
        raw = self._buffer_bytes(fb.Buffer(), where)
        if raw is None:
            return None
        count = int(np.prod(shape, dtype=np.int64))
        if len(raw) != count * dtype.itemsize:
            raise ModelError(f"{where}: buffer holds {len(raw)} bytes, shape {shape} needs {count * dtype.itemsize}")
        return np.frombuffer(raw, dtype=dtype).reshape(shape)

    def _buffer_bytes(self, index: int, where: str) -> bytes | None:
        if index == 0:  # buffer 0 is the empty sentinel: not a constant
            return None
        if not 0 < index < self.model.BuffersLength():
            raise ModelError(f"{where}: buffer index {index} out of range")
        buf = self.model.Buffers(index)
        if buf.Offset() > 1:  # models over 2 GB keep data after the flatbuffer
            start, size = int(buf.Offset()), int(buf.Size())
            if start + size > len(self.data):
                raise ModelError(f"{where}: buffer data lies beyond the end of the file (truncated?)")
            return self.data[start:start + size]
        if buf.DataLength() == 0:
            return None
        return buf.DataAsNumpy().tobytes()

    @staticmethod
    def _quant(fb: tflite.Tensor, dtype: str, shape: tuple[int, ...], where: str) -> QuantParams | None:
        q = fb.Quantization()
        has_scale = q is not None and q.ScaleLength() > 0
        if q is not None and q.DetailsType() != tflite.QuantizationDetails.NONE:
            raise UnsupportedError(f"{where}: custom quantization is not supported")
        if dtype == "float32":
            return None
        if not has_scale:
            if dtype == "int8":
                raise ModelError(f"{where}: int8 tensor without quantization parameters")
            return None
        scale = q.ScaleAsNumpy().astype(np.float32)
        zp = q.ZeroPointAsNumpy().astype(np.int32) if q.ZeroPointLength() else np.zeros_like(scale, np.int32)
        if zp.size != scale.size:
            raise ModelError(f"{where}: {scale.size} scales but {zp.size} zero points")
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
            raise ModelError(f"{where}: non-positive or non-finite quantization scale")
        if scale.size == 1:
            return QuantParams(scale, zp)
        axis = int(q.QuantizedDimension())
        if not 0 <= axis < len(shape) or shape[axis] != scale.size:
            raise ModelError(f"{where}: {scale.size} scales do not match dimension {axis} of shape {shape}")
        return QuantParams(scale, zp, axis)

    def index_const(self, index: int, ctx: OpContext) -> np.ndarray:
        """A constant int32/int64 operand read as int64 (shapes, axes, paddings)."""
        if index == -1:
            raise ctx.malformed("a required constant input is missing")
        self._check_index(index, ctx)
        fb = self.sg.Tensors(index)
        dtype = _INDEX_DTYPES.get(fb.Type())
        if dtype is None:
            raise ctx.unsupported(f"constant operand of type {_TYPE_NAMES.get(fb.Type(), fb.Type())}", index)
        data = self._buffer(fb, np.dtype(dtype), self._shape(fb, ctx.where(index)), ctx.where(index))
        if data is None:
            raise ctx.unsupported("operand must be a constant", index)
        return data.astype(np.int64)


