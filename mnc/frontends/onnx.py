"""ONNX importer: float models (opset >= 13) and QDQ-quantized models -> an NHWC mnc Graph.

ONNX activations are NCHW; mnc's are NHWC. Every rank-4 activation is stored NHWC inside mnc
(layout "nhwc"); other ranks keep ONNX's element order (layout "plain"). Wherever ONNX semantics
depend on element order (Reshape, Flatten, Transpose, ...), the importer converts explicitly, so an
imported graph computes exactly what the ONNX model computes. Per-operator converters live in
`mnc.frontends.onnx_ops`.

Names: an ONNX node's name becomes its op's name and ONNX value names become tensor names, as
they are (codegen derives C identifiers from them), so a model written by `onnx_export` imports with
the op and tensor names of the graph it came from.

QDQ models: a QuantizeLinear/DequantizeLinear pair around an activation annotates the mnc tensor
with that scale and zero point (the tensor becomes int8); DequantizeLinear of an int8/int32
initializer becomes a quantized constant keeping its integer data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from mnc.errors import ModelError, UnsupportedError
from mnc.frontends.onnx_layout import nhwc_inputs
from mnc.ir import Graph, QuantParams, Tensor

MIN_OPSET = 13
NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_TO_NCHW = (0, 3, 1, 2)
_FLOAT_TYPES = {onnx.TensorProto.FLOAT}


def load_onnx(path: str | Path) -> Graph:
    """Read an .onnx file and import it (see the module docstring)."""
    path = Path(path)
    model = read_model(path)
    return import_model(model, name=path.stem)


# ---- reading ------------------------------------------------------------------------------

def read_model(path: Path) -> onnx.ModelProto:
    """Parse the protobuf, then load external data only from files inside the model's folder."""
    if not path.is_file():
        raise ModelError(f"{path}: no such ONNX file")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: not a valid ONNX protobuf ({exc})") from None
    if not model.graph.node or not model.graph.output:
        raise ModelError(f"{path}: not a valid ONNX model (empty graph)")
    for tensor in _all_tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            _load_external(tensor, path.parent)
    return model


def _all_tensors(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR:
                yield attr.t
            if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise UnsupportedError(f"ONNX node {node.name!r} ({node.op_type}): subgraphs are not supported")


def _load_external(tensor: onnx.TensorProto, folder: Path) -> None:
    info = {e.key: e.value for e in tensor.external_data}
    location = info.get("location", "")
    base = folder.resolve()
    target = (base / location).resolve()
    if not location or Path(location).is_absolute() or not target.is_relative_to(base):
        raise ModelError(f"tensor {tensor.name!r}: external data path {location!r} is outside the model's folder")
    if not target.is_file():
        raise ModelError(f"tensor {tensor.name!r}: external data file {location!r} not found")
    offset, length = int(info.get("offset", 0)), info.get("length")
    with open(target, "rb") as f:
        f.seek(offset)
        raw = f.read(int(length)) if length is not None else f.read()
    if length is not None and len(raw) != int(length):
        raise ModelError(f"tensor {tensor.name!r}: external data file {location!r} is truncated")
    tensor.raw_data = raw
    del tensor.external_data[:]
    tensor.data_location = onnx.TensorProto.DEFAULT


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
        name = self.graph.unique_name(_name(base))
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
        name = self.graph.unique_name(_name(out))
        tensor = self.graph.add_tensor(Tensor(name, ()))
        op = self.graph.add_op(kind, inputs, [name], attrs, name=_name(self.node_name or out),
                               meta={"source": self.node_label})
        from mnc.ops import get_op

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


def _name(name: str) -> str:
    """ONNX names are kept as they are (codegen makes C identifiers of them); only "" needs a stand-in."""
    return name or "t"


# ---- the driver ---------------------------------------------------------------------------

def import_model(model: onnx.ModelProto, name: str = "model") -> Graph:
    from mnc.frontends.onnx_ops import convert_node, finish_quantization

    _check_opset(model)
    model = _fix_input_dims(model)
    imp = Importer(_name(name), _infer_shapes(model))
    for init in model.graph.initializer:
        imp.bind_const(init.name, Const(_to_array(init)))
    nhwc = nhwc_inputs(model)
    for inp in model.graph.input:
        if inp.name not in imp.consts:
            _add_graph_input(imp, inp, inp.name in nhwc)
    for index, node in enumerate(model.graph.node):
        imp.node_label = f"ONNX node {index} {node.op_type} {node.name or node.output[0]!r}"
        imp.node_name = node.name
        convert_node(imp, node)
    imp.node_label, imp.node_name = "graph outputs", ""
    _set_outputs(imp, model.graph.output)
    _remove_dead_ops(imp.graph)
    if imp.quantized:
        finish_quantization(imp)
    imp.graph.meta["source_format"] = "onnx"
    imp.graph.verify()
    return imp.graph


def _check_opset(model: onnx.ModelProto) -> None:
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version < MIN_OPSET:
            raise UnsupportedError(f"ONNX opset {opset.version} is too old; mnc needs opset >= {MIN_OPSET}")
        if opset.domain not in ("", "ai.onnx", "ai.onnx.ml"):
            raise UnsupportedError(f"ONNX operator domain {opset.domain!r} is not supported")


def _fix_input_dims(model: onnx.ModelProto) -> onnx.ModelProto:
    """Fix a dynamic leading (batch) dim of each graph input to 1; any other dynamic dim is an error."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    inits = {i.name for i in model.graph.initializer}
    for inp in model.graph.input:
        if inp.name in inits:
            continue
        if not inp.type.HasField("tensor_type"):
            raise UnsupportedError(f"graph input {inp.name!r}: only tensor inputs are supported")
        if not inp.type.tensor_type.HasField("shape"):
            raise UnsupportedError(f"graph input {inp.name!r}: unknown rank")
        for i, dim in enumerate(inp.type.tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                continue
            if i == 0:
                dim.Clear()
                dim.dim_value = 1
            else:
                raise UnsupportedError(f"graph input {inp.name!r}: dynamic dimension {i} cannot be fixed")
    return model


def _infer_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=True)
    except Exception as exc:  # noqa: BLE001 - onnx raises several unrelated types here
        raise ModelError(f"ONNX shape inference failed: {str(exc).splitlines()[0]}") from None
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = tuple(int(d.dim_value) for d in tt.shape.dim)
    return shapes


def _to_array(tensor: onnx.TensorProto) -> np.ndarray:
    try:
        return numpy_helper.to_array(tensor)
    except Exception as exc:  # noqa: BLE001 - malformed payloads raise assorted errors
        raise ModelError(f"tensor {tensor.name!r}: unreadable data ({exc})") from None


def _add_graph_input(imp: Importer, inp: onnx.ValueInfoProto, nhwc: bool) -> None:
    """A graph input; an `nhwc` one (tf2onnx's, see onnx_layout) is stored as it is, in ONNX order."""
    tt = inp.type.tensor_type
    if tt.elem_type not in _FLOAT_TYPES:
        raise UnsupportedError(f"graph input {inp.name!r}: element type "
                               f"{onnx.TensorProto.DataType.Name(tt.elem_type)} (only float32 is supported)")
    shape = tuple(int(d.dim_value) for d in tt.shape.dim)
    if len(shape) == 4 and shape[0] != 1:
        raise UnsupportedError(f"graph input {inp.name!r}: batch {shape[0]} (mnc compiles batch 1)")
    layout = "plain" if nhwc else layout_for_rank(len(shape))
    name = imp.graph.unique_name(_name(inp.name))
    meta = {"onnx_name": inp.name, "onnx_layout": "NCHW" if layout == "nhwc" else "plain",
            "layout": "NHWC" if nhwc else "NCHW" if layout == "nhwc" else "plain"}
    imp.graph.add_tensor(Tensor(name, mnc_shape(shape, layout), meta=meta))
    imp.graph.inputs.append(name)
    imp.bind(inp.name, Value(name, layout, shape))


def _set_outputs(imp: Importer, outputs) -> None:
    for out in outputs:
        if out.name in imp.consts and out.name not in imp.values:
            raise UnsupportedError(f"graph output {out.name!r} is a constant")
        v = imp.value(out.name)
        if v.tensor in imp.graph.inputs:
            v = imp.emit("reshape", [v.tensor], {"shape": imp.graph.tensor(v.tensor).shape}, out.name, v.layout, v.shape)
        t = imp.graph.tensor(v.tensor)
        t.meta["onnx_name"] = out.name
        t.meta["onnx_layout"] = "NCHW" if v.layout == "nhwc" else "plain"
        imp.graph.outputs.append(v.tensor)


def _remove_dead_ops(graph: Graph) -> None:
    """Drop ops nothing reads (e.g. layout fixes made redundant by folding them into weights)."""
    changed = True
    while changed:
        changed = False
        for op in reversed(graph.ops()):
            if all(not graph.consumers(t) and t not in graph.outputs for t in op.outputs):
                graph.remove_op(op)
                changed = True
    graph.remove_unused_tensors()
