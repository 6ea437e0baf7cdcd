"""Validation of an ONNX model, run before the importer reads external data, allocates tensors or builds
the graph. Every failure is one line naming the node or tensor, its index and what is wrong.

`validate_structure` (on the parsed protobuf, external data not yet read):
- exactly one graph input (besides initializers) and one output, refused before any calibration;
- external-data entries: only known keys, a relative location without NUL, control characters or
  `..`, decimal offset/length, a region inside a regular file in the model's folder;
- initializer and graph-input dimensions non-negative and at most MAX_TENSOR_ELEMENTS elements (the
  host limit shared with the TFLite importer);
- attributes of the ops mnc converts: types and lengths as the operator schema says (a 2-D Conv's
  `strides` is 2 ints, `pads` 4), strides/dilations/group >= 1, pads >= 0, known `auto_pad`, finite
  float attributes (epsilon, alpha, beta);

`validate_checked` (after external data is loaded): onnx's node checker (schemas, attribute types),
values produced before they are read (so no cycles), finite float initializers, QDQ constants.

`validate_shapes` (after shape inference): every inferred shape within the element limit, so huge
dimensions or pads never reach a numpy allocation.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from mnc.errors import ModelError, UnsupportedError
from mnc.safetext import escape, quoted

MAX_TENSOR_ELEMENTS = 2**26
EXTERNAL_KEYS = frozenset({"location", "offset", "length", "checksum", "basepath"})
_AUTO_PADS = frozenset({"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"})
_A = onnx.AttributeProto
# Window attributes: name -> (attribute type, length for 2-D windows, minimum value)
_WINDOW = {"kernel_shape": (_A.INTS, 2, 1), "strides": (_A.INTS, 2, 1), "dilations": (_A.INTS, 2, 1),
           "pads": (_A.INTS, 4, 0), "group": (_A.INT, None, 1), "ceil_mode": (_A.INT, None, 0),
           "count_include_pad": (_A.INT, None, 0), "auto_pad": (_A.STRING, None, None)}
_WINDOW_OPS = frozenset({"Conv", "AveragePool", "MaxPool"})
_FLOAT_ATTRS = frozenset({"epsilon", "alpha", "beta", "momentum"})
_QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear"})
_ZERO_POINT_RANGES = {onnx.TensorProto.INT8: (-128, 127), onnx.TensorProto.UINT8: (0, 255),
                      onnx.TensorProto.INT32: (-2**31, 2**31 - 1)}


# ---- before external data ------------------------------------------------------------------------

def validate_structure(model: onnx.ModelProto, folder: Path, file: str) -> None:
    graph = model.graph
    _utf8_names(graph, file)
    _one_input_one_output(graph, file)
    for tensor in _initializers(graph):
        _dims(tensor.dims, f"{file}: tensor {quoted(tensor.name)}")
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            _external_entry(tensor, folder, file)
    for inp in graph.input:
        if inp.type.HasField("tensor_type") and inp.type.tensor_type.HasField("shape"):
            dims = [d.dim_value for d in inp.type.tensor_type.shape.dim if d.HasField("dim_value")]
            _dims(dims, f"{file}: graph input {quoted(inp.name)}")
    for index, node in enumerate(graph.node):
        where = f"{file}: ONNX node {index} {escape(node.op_type)} {quoted(node.name or _first(node.output))}"
        _attributes(node, where)


def _utf8_names(graph: onnx.GraphProto, file: str) -> None:
    """protobuf hands a string field that is not valid UTF-8 back as bytes; onnx's C++ checker then
    fails to decode its own message. Refuse such names first."""
    for index, node in enumerate(graph.node):
        fields = [node.name, node.op_type, node.domain, *node.input, *node.output, *(a.name for a in node.attribute)]
        if any(isinstance(f, bytes) for f in fields):
            raise ModelError(f"{file}: ONNX node {index}: a name or type is not valid UTF-8")
    for what, items in (("initializer", graph.initializer), ("graph input", graph.input),
                        ("graph output", graph.output)):
        if any(isinstance(item.name, bytes) for item in items):
            raise ModelError(f"{file}: a {what} name is not valid UTF-8")


def _initializers(graph: onnx.GraphProto):
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == _A.TENSOR:
                yield attr.t


def _first(names) -> str:
    return names[0] if len(names) else ""


def _one_input_one_output(graph: onnx.GraphProto, file: str) -> None:
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise UnsupportedError(f"{file}: {len(inputs)} graph inputs and {len(graph.output)} outputs; mnc compiles "
                               f"models with exactly one input and one output")


def _dims(dims, where: str) -> None:
    dims = [int(d) for d in dims]
    if any(d < 0 for d in dims):
        raise ModelError(f"{where}: negative dimension in {tuple(dims)}")
    if math.prod(dims) > MAX_TENSOR_ELEMENTS:
        raise ModelError(f"{where}: shape {tuple(dims)} has {math.prod(dims):,} elements, more than mnc's limit of "
                         f"{MAX_TENSOR_ELEMENTS:,} per tensor")


def _external_entry(tensor: onnx.TensorProto, folder: Path, file: str) -> None:
    where = f"{file}: tensor {quoted(tensor.name)}: external data"
    info = {}
    for entry in tensor.external_data:
        if entry.key not in EXTERNAL_KEYS:
            raise ModelError(f"{where} has unknown key {quoted(entry.key)}")
        info[entry.key] = entry.value
    location = info.get("location", "")
    if not location or any(ord(ch) < 32 or ch == "\x7f" for ch in location):
        raise ModelError(f"{where} location {quoted(location)} is empty or holds control characters")
    parts = Path(location).parts
    if Path(location).is_absolute() or ".." in parts:
        raise ModelError(f"{where} path {quoted(location)} is outside the model's folder")
    offset, length = (_decimal(info.get(key), key, where) for key in ("offset", "length"))
    base = folder.resolve()
    target = (base / location).resolve()
    if not target.is_relative_to(base):
        raise ModelError(f"{where} path {quoted(location)} is outside the model's folder")
    try:
        st = os.stat(target)
    except OSError:
        raise ModelError(f"{where} file {quoted(location)} not found") from None
    if not stat.S_ISREG(st.st_mode):
        raise ModelError(f"{where} file {quoted(location)} is not a regular file")
    start = offset or 0
    if start > st.st_size or (length is not None and start + length > st.st_size):
        raise ModelError(f"{where} region (offset {start}, length {length}) lies beyond the end of "
                         f"{quoted(location)} ({st.st_size} bytes)")
    if length is not None and length > 8 * MAX_TENSOR_ELEMENTS:
        raise ModelError(f"{where} length {length} exceeds mnc's tensor limit")


def _decimal(value: str | None, key: str, where: str) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise ModelError(f"{where} {key} {quoted(value)} is not a non-negative decimal number")
    return int(value)


def _attributes(node: onnx.NodeProto, where: str) -> None:
    for attr in node.attribute:
        if node.op_type in _WINDOW_OPS and attr.name in _WINDOW:
            _window_attribute(attr, where)
        elif attr.name in _FLOAT_ATTRS and attr.type == _A.FLOAT and not math.isfinite(attr.f):
            raise ModelError(f"{where}: attribute {attr.name} {attr.f} is not finite")
        elif attr.name == "epsilon" and attr.type == _A.FLOAT and attr.f < 0:
            raise ModelError(f"{where}: attribute epsilon {attr.f} must be >= 0")


def _window_attribute(attr: onnx.AttributeProto, where: str) -> None:
    kind, length, minimum = _WINDOW[attr.name]
    if attr.type != kind:
        raise ModelError(f"{where}: attribute {attr.name} must be {_A.AttributeType.Name(kind)}, "
                         f"got {_A.AttributeType.Name(attr.type)}")
    if kind == _A.STRING:
        if attr.s.decode("utf-8", "replace") not in _AUTO_PADS:
            raise ModelError(f"{where}: unknown auto_pad {quoted(attr.s.decode('utf-8', 'replace'))}")
        return
    values = list(attr.ints) if kind == _A.INTS else [attr.i]
    if length is not None and len(values) != length:
        raise UnsupportedError(f"{where}: attribute {attr.name} has {len(values)} values; a 2-D window needs "
                               f"{length}")
    if any(v < minimum for v in values):
        raise ModelError(f"{where}: attribute {attr.name} {values} must be >= {minimum}")


# ---- after external data -------------------------------------------------------------------------

def validate_checked(model: onnx.ModelProto, file: str) -> None:
    """Each node against its operator schema (onnx's checker: attribute types, input/output counts),
    values used only after they are produced (no cycles, nothing undefined), finite float data and
    sane QDQ constants. The graph-level checker is not used: it also demands shapes on graph outputs,
    which onnxruntime and mnc do not need."""
    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = model.ir_version or onnx.IR_VERSION
    ctx.opset_imports = {o.domain: o.version for o in model.opset_import}
    consts = {t.name: t for t in model.graph.initializer}
    available = set(consts) | {i.name for i in model.graph.input} | {""}
    for index, node in enumerate(model.graph.node):
        where = f"{file}: ONNX node {index} {escape(node.op_type)} {quoted(node.name or _first(node.output))}"
        _check_node(node, ctx, where)
        missing = [name for name in node.input if name not in available]
        if missing:
            raise ModelError(f"{where}: reads {quoted(missing[0])} before any node produces it "
                             f"(a cycle, an undefined value, or nodes out of order)")
        available.update(node.output)
        if node.op_type in _QDQ_OPS:
            _qdq_constants(node, consts, where)
        if node.op_type == "BatchNormalization" and len(node.input) > 4 and node.input[4] in consts:
            if np.any(_array(consts[node.input[4]], file) < 0):
                raise ModelError(f"{where}: variance {quoted(node.input[4])} holds negative values")
    for tensor in model.graph.initializer:
        if tensor.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16):
            if not np.all(np.isfinite(_array(tensor, file))):
                raise ModelError(f"{file}: tensor {quoted(tensor.name)} holds NaN or infinite values")


def _check_node(node: onnx.NodeProto, ctx, where: str) -> None:
    try:
        onnx.checker.check_node(node, ctx)
    except (onnx.checker.ValidationError, UnicodeDecodeError) as exc:
        text = str(exc) if isinstance(exc, onnx.checker.ValidationError) else "a string is not valid UTF-8"
        first = text.strip().splitlines()[0] if text.strip() else "invalid node"
        raise ModelError(f"{where}: {escape(first, 300)}") from None


def _array(tensor: onnx.TensorProto, where: str) -> np.ndarray:
    try:
        return numpy_helper.to_array(tensor)
    except Exception as exc:  # noqa: BLE001 - malformed payloads raise assorted errors
        raise ModelError(f"{where}: tensor {quoted(tensor.name)}: unreadable data ({escape(exc)})") from None


def _qdq_constants(node: onnx.NodeProto, consts: dict, where: str) -> None:
    scale = consts.get(node.input[1]) if len(node.input) > 1 else None
    if scale is not None:
        values = _array(scale, where)
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ModelError(f"{where}: scale {quoted(scale.name)} must be finite and positive")
    zero = consts.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if zero is None:
        return
    limits = _ZERO_POINT_RANGES.get(zero.data_type)
    if limits is None:
        raise UnsupportedError(f"{where}: zero point {quoted(zero.name)} of type "
                               f"{onnx.TensorProto.DataType.Name(zero.data_type)} (int8, uint8 or int32 expected)")
    stored = np.asarray(list(zero.int32_data), np.int64) if zero.int32_data else _array(zero, where)
    if stored.size and (stored.min() < limits[0] or stored.max() > limits[1]):
        raise ModelError(f"{where}: zero point {quoted(zero.name)} holds values outside {list(limits)}")


# ---- after shape inference -----------------------------------------------------------------------

def validate_shapes(shapes: dict[str, tuple[int, ...]], file: str) -> None:
    for name, shape in shapes.items():
        _dims(shape, f"{file}: value {quoted(name)}")
