"""The state of one ONNX import (`Importer`): the graph being built, what each ONNX name maps to, and
the NCHW <-> NHWC layout bookkeeping; shared by the converters and the QDQ handling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.errors import ModelError, UnsupportedError
from mnc.ir import Graph, QuantParams, Tensor
from mnc.ops import get_op

NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)


# ---- values -------------------------------------------------------------------------------

@dataclass
class Value:
    """An ONNX activation: the mnc tensor holding it and how its elements are ordered there."""

    tensor: str
    layout: str  # "nhwc" (rank 4, stored NHWC) or "plain" (ONNX order and shape)
    shape: tuple[int, ...]  # the ONNX shape


@dataclass
class Const:
    """An ONNX constant (initializer, Constant node, folded value) in ONNX layout.

    `quant` is set for integer data coming from a QDQ model's DequantizeLinear.
    """

    data: np.ndarray
    quant: QuantParams | None = None

    def as_float(self) -> np.ndarray:
        if self.quant is None:
            return self.data.astype(np.float32)
        return self.quant.dequantize(self.data)


def mnc_shape(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    return tuple(shape[i] for i in NCHW_TO_NHWC) if layout == "nhwc" else tuple(shape)


def layout_for_rank(rank: int) -> str:
    return "nhwc" if rank == 4 else "plain"


def invert(perm) -> tuple[int, ...]:
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _moves_data(shape: tuple[int, ...], perm) -> bool:
    """Whether transposing `shape` by `perm` changes element order (axes of size 1 do not count)."""
    order = [p for p in perm if shape[p] != 1]
    return order != sorted(order)


# ---- the importer -------------------------------------------------------------------------

class Importer:
    """State of one import: the graph being built and what each ONNX name maps to."""

    def __init__(self, name: str, inferred: dict[str, tuple[int, ...]]) -> None:
        self.graph = Graph(name)
        self.values: dict[str, Value] = {}
        self.consts: dict[str, Const] = {}
        self.inferred = inferred
        self.node_label = ""
        self.node_name = ""  # the ONNX node being converted: its ops are named after it
        # mnc tensor -> (nhwc source tensor, (C, H, W)): the tensor holds that source's data in NCHW order
        self.nchw_of: dict[str, tuple[str, tuple[int, int, int]]] = {}
        self.quantized = False

    # errors name the node
    def unsupported(self, why: str) -> UnsupportedError:
        return UnsupportedError(f"{self.node_label}: {why}")

    def malformed(self, why: str) -> ModelError:
        return ModelError(f"{self.node_label}: {why}")

    # lookups
    def is_const(self, name: str) -> bool:
        return name in self.consts

    def const(self, name: str) -> Const:
        if name not in self.consts:
            raise self.unsupported(f"input {name!r} must be a constant")
        return self.consts[name]

    def const_array(self, name: str) -> np.ndarray:
        return self.const(name).as_float() if self.const(name).quant is not None else self.const(name).data

    def value(self, name: str) -> Value:
        if name in self.values:
            return self.values[name]
        if name in self.consts:
            return self.materialize(self.consts[name], name)
        raise self.malformed(f"input {name!r} is not produced by any node")

    # adding tensors and ops
    def add_const_tensor(self, const: Const, base: str, perm=None, shape=None, dtype=None) -> str:
        """A constant mnc tensor from `const`, transposed by `perm` and/or reshaped (quant axis follows)."""
        data, quant = const.data, const.quant
        if quant is None:
            data = data.astype(dtype or "float32")
        if perm is not None:
            data = np.transpose(data, perm)
            if quant is not None and quant.axis is not None:
                quant = QuantParams(quant.scale, quant.zero_point, list(perm).index(quant.axis))
        if shape is not None:
            data = data.reshape(shape)
        name = self.graph.unique_name(name_or_stand_in(base))
        self.graph.add_tensor(Tensor(name, data.shape, str(data.dtype), np.ascontiguousarray(data), quant))
        return name

    def materialize(self, const: Const, base: str, layout: str | None = None) -> Value:
        """A constant used where an activation is expected, stored in `layout`."""
        layout = layout or layout_for_rank(const.data.ndim)
        perm = NCHW_TO_NHWC if layout == "nhwc" else None
        return Value(self.add_const_tensor(const, base, perm), layout, tuple(const.data.shape))

    def emit(self, kind: str, inputs: list[str], attrs: dict, out: str, layout: str,
             onnx_shape: tuple[int, ...]) -> Value:
        """Add one mnc op producing ONNX value `out`; its shape comes from the op's own inference.

        The op takes the ONNX node's name (or `out` for a nameless node), so names survive an
        mnc -> ONNX -> mnc round trip; a second op of the same node gets a numbered suffix.
        """
        name = self.graph.unique_name(name_or_stand_in(out))
        tensor = self.graph.add_tensor(Tensor(name, ()))
        op = self.graph.add_op(kind, inputs, [name], attrs, name=name_or_stand_in(self.node_name or out),
                               meta={"source": self.node_label})
        shape, dtype = get_op(kind).infer(op, self.graph)[0]
        tensor.shape, tensor.dtype = tuple(int(d) for d in shape), dtype
        expected = mnc_shape(tuple(onnx_shape), layout)
        if tensor.shape != expected:
            raise self.malformed(f"{kind} output shape {tensor.shape} != expected {expected}")
        return Value(name, layout, tuple(onnx_shape))

    def bind(self, out: str, value: Value) -> None:
        if out in self.values or out in self.consts:
            raise self.malformed(f"value {out!r} is produced twice")
        self.values[out] = value

    def bind_const(self, out: str, const: Const) -> None:
        self.consts[out] = const

    # layout conversions
    def permute(self, src: Value, perm, out: str, layout: str, onnx_shape) -> Value:
        """mnc tensor `src.tensor` transposed by `perm`: an alias, a reshape, or a transpose op."""
        shape = self.graph.tensor(src.tensor).shape
        new_shape = tuple(shape[p] for p in perm)
        if list(perm) == sorted(perm):
            return Value(src.tensor, layout, tuple(onnx_shape))
        if not _moves_data(shape, perm):
            return self.emit("reshape", [src.tensor], {"shape": new_shape}, out, layout, onnx_shape)
        return self.emit("transpose", [src.tensor], {"perm": tuple(perm)}, out, layout, onnx_shape)

    def as_plain(self, v: Value) -> Value:
        """The value with its elements in ONNX order (NHWC data is transposed to NCHW when it matters)."""
        if v.layout == "plain":
            return v
        plain = self.permute(v, NHWC_TO_NCHW, v.tensor + "_nchw", "plain", v.shape)
        if plain.tensor != v.tensor and self.graph.producer(plain.tensor).kind == "transpose":
            _, c, h, w = v.shape
            self.nchw_of[plain.tensor] = (v.tensor, (c, h, w))
        return plain

    def as_nhwc(self, v: Value) -> Value:
        """A rank-4 value stored NHWC."""
        if v.layout == "nhwc":
            return v
        if len(v.shape) != 4:
            raise self.unsupported(f"expected a 4-D (NCHW) input, got shape {v.shape}")
        return self.permute(v, NCHW_TO_NHWC, v.tensor + "_nhwc", "nhwc", v.shape)

    def reshape(self, v: Value, onnx_shape: tuple[int, ...], out: str) -> Value:
        """ONNX Reshape semantics (element order preserved in ONNX order) to `onnx_shape`."""
        onnx_shape = tuple(int(d) for d in onnx_shape)
        src = v.tensor
        if v.layout == "nhwc" and _moves_data(self.graph.tensor(src).shape, NHWC_TO_NCHW):
            src = self.as_plain(v).tensor
        layout = layout_for_rank(len(onnx_shape))
        if layout == "nhwc" and _moves_data(onnx_shape, NCHW_TO_NHWC):
            flat = self._reshape_to(src, onnx_shape, out + "_nchw")
            return self.as_nhwc(Value(flat, "plain", onnx_shape))
        return Value(self._reshape_to(src, mnc_shape(onnx_shape, layout), out), layout, onnx_shape)

    def _reshape_to(self, src: str, shape: tuple[int, ...], out: str) -> str:
        """A reshape of mnc tensor `src` to `shape` (none when it already has it)."""
        if self.graph.tensor(src).shape == shape:
            return src
        name = self.emit("reshape", [src], {"shape": shape}, out, "plain", shape).tensor
        if src in self.nchw_of:
            self.nchw_of[name] = self.nchw_of[src]
        return name


def name_or_stand_in(name: str) -> str:
    """ONNX names are kept as they are (codegen makes C identifiers of them); only "" needs a stand-in."""
    return name or "t"
