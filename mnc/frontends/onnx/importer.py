"""ONNX importer: float models (opset >= 13) and QDQ-quantized models -> an NHWC mnc Graph.

ONNX activations are NCHW; mnc's are NHWC. Every rank-4 activation is stored NHWC inside mnc
(layout "nhwc"); other ranks keep ONNX's element order (layout "plain"). Wherever ONNX semantics
depend on element order (Reshape, Flatten, Transpose, ...), the importer converts explicitly, so an
imported graph computes exactly what the ONNX model computes. Per-operator converters live in
`converters`, QDQ handling in `qdq`, the per-import state in `context`.

Names: an ONNX node's name becomes its op's name and ONNX value names become tensor names, as
they are (codegen derives C identifiers from them), so a model written by `mnc.frontends.onnx.exporter` imports with
the op and tensor names of the graph it came from.

QDQ models: a QuantizeLinear/DequantizeLinear pair around an activation annotates the mnc tensor
with that scale and zero point (the tensor becomes int8); DequantizeLinear of an int8/int32
initializer becomes a quantized constant keeping its integer data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper

from mnc.errors import ModelError, UnsupportedError
from mnc.frontends.onnx.context import Const, Importer, Value, layout_for_rank, mnc_shape, name_or_stand_in
from mnc.frontends.onnx.converters import convert_node
from mnc.frontends.onnx.layout import nhwc_inputs
from mnc.frontends.onnx.qdq import finish_quantization
from mnc.frontends.onnx.validate import validate_checked, validate_shapes, validate_structure
from mnc.ir import Graph, Tensor
from mnc.ops import verify_graph

MIN_OPSET = 13
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
    validate_structure(model, path.parent, path.name)
    for tensor in _all_tensors(model.graph):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            _load_external(tensor, path.parent)
    validate_checked(model, path.name)
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


# ---- the driver ---------------------------------------------------------------------------

def import_model(model: onnx.ModelProto, name: str = "model") -> Graph:
    _check_opset(model)
    model = _fix_input_dims(model)
    shapes = _infer_shapes(model)
    validate_shapes(shapes, name)
    imp = Importer(name_or_stand_in(name), shapes)
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
    verify_graph(imp.graph)
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
    """A graph input; an `nhwc` one (tf2onnx's, see .layout) is stored as it is, in ONNX order."""
    tt = inp.type.tensor_type
    if tt.elem_type not in _FLOAT_TYPES:
        raise UnsupportedError(f"graph input {inp.name!r}: element type "
                               f"{onnx.TensorProto.DataType.Name(tt.elem_type)} (only float32 is supported)")
    shape = tuple(int(d.dim_value) for d in tt.shape.dim)
    if len(shape) == 4 and shape[0] != 1:
        raise UnsupportedError(f"graph input {inp.name!r}: batch {shape[0]} (mnc compiles batch 1)")
    layout = "plain" if nhwc else layout_for_rank(len(shape))
    name = imp.graph.unique_name(name_or_stand_in(inp.name))
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
