"""The typed context the templates format. Every number and name of the C package is decided here.

Inputs: the quantized graph, its lowered layers (op + KernelCall), and the memory plan's offsets.
Templates receive only these frozen records and strings; they compute nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace

import numpy as np

from mnc import __version__
from mnc.kernels.call import ConstArray, KernelCall
from mnc.kernels.steps import CopyStep
from mnc.codegen.naming import NameTable, c_comment, c_string, suffix
from mnc.errors import ModelError, UnsupportedError
from mnc.ir import Graph, Op, Tensor
from mnc.layout import tensor_layout

COMMON_HEADER = "mnc_common.h"
INT32_MIN, INT32_MAX, UINT32_MAX = -(2**31), 2**31 - 1, 2**32 - 1
VALUES_PER_LINE = {"int8_t": 32, "uint8_t": 32, "int16_t": 16, "int32_t": 16}
TENSOR_CTYPES = {"int8": "int8_t", "int32": "int32_t"}


@dataclass(frozen=True)
class Layer:
    """One scheduled op and the kernel call it lowered to."""

    op: Op
    call: KernelCall
    macs: int
    skipped: dict[str, str] = field(default_factory=dict)   # better kernels and why they did not apply


@dataclass(frozen=True)
class ArrayCtx:
    ident: str
    ctype: str
    length: int
    rows: tuple[str, ...]     # initializer lines, already formatted
    comment: str


@dataclass(frozen=True)
class FieldCtx:
    name: str
    value: str


@dataclass(frozen=True)
class ParamsCtx:
    ident: str
    fields: tuple[FieldCtx, ...]


@dataclass(frozen=True)
class LayerCtx:
    index: int
    comment: str              # kind + source op, safe inside /* */
    kernel: str
    params_type: str
    params_ident: str
    fields: tuple[FieldCtx, ...]
    args: tuple[str, ...]     # after &params: inputs, outputs, scratch
    name_literal: str         # C string literal for mnc_layer_names
    macs: int
    output_offset: int        # arena offset of the first output (for the -DMNC_DUMP debug hook)
    output_bytes: int
    params: tuple[ParamsCtx, ...] = ()   # the params structs emitted for this layer


@dataclass(frozen=True)
class CallCtx:
    """One statement group of mnc_run: an optional comment, hook, the call, hook."""

    comment: str
    before: str
    function: str
    args: tuple[str, ...]
    after: str


@dataclass(frozen=True)
class ModelCtx:
    version: str
    model_hash: str
    model_comment: str
    target: str
    arena_bytes: int
    input_size: int
    output_size: int
    input_hwc: tuple[int, int, int] | None   # an image input's H, W, C (the C API is NHWC)
    input_layout: str                        # the source model's layout of the input (mnc.layout)
    input_offset: int
    output_offset: int
    input_scale: str
    input_zero_point: int
    output_scale: str
    output_zero_point: int
    kernel_headers: tuple[str, ...]
    layers: tuple[LayerCtx, ...]
    arrays: tuple[ArrayCtx, ...]
    calls: tuple[CallCtx, ...] = ()


@dataclass(frozen=True)
class MemoryLayout:
    """What code generation needs from the memory plan: byte offsets inside the arena."""

    tensor_offsets: dict[str, int]     # activation tensor -> offset (aliases resolved)
    scratch_offsets: dict[str, int]    # op name -> offset of its scratch buffer
    arena_bytes: int


# ---- formatting -----------------------------------------------------------------------------

def c_int(value: int) -> str:
    """An integer constant that means `value` as int32/uint32 in C99 on every target."""
    value = int(value)
    if value == INT32_MIN:
        return "INT32_MIN"
    if INT32_MIN < value <= INT32_MAX:
        return str(value)
    if INT32_MAX < value <= UINT32_MAX:
        return f"{value}u"
    raise UnsupportedError(f"constant {value} does not fit 32 bits")


def c_float(value: float) -> str:
    """A float literal that reads back as exactly the same float32."""
    text = repr(float(np.float32(value)))
    return text + "f" if ("." in text or "e" in text) else text + ".0f"


def array_rows(data: np.ndarray, ctype: str) -> tuple[str, ...]:
    arr = np.asarray(data).reshape(-1)
    # 8/16-bit integers never need c_int's special spellings; `str` is the same text, much faster
    # (weights are millions of values)
    fmt = str if arr.dtype.kind in "iu" and arr.dtype.itemsize <= 2 else c_int
    flat = arr.tolist()
    per_line = VALUES_PER_LINE[ctype]
    rows = []
    for start in range(0, len(flat), per_line):
        rows.append(", ".join(map(fmt, flat[start:start + per_line])) + ",")
    return tuple(rows)


def model_hash(graph: Graph) -> str:
    """sha256 over everything that determines the generated code (names, structure, quantization, data)."""
    h = hashlib.sha256()
    h.update(json.dumps({"inputs": graph.inputs, "outputs": graph.outputs}).encode())
    for t in graph.tensors():
        _hash_tensor(h, t)
    for op in graph.ops():
        record = {"name": op.name, "kind": op.kind, "inputs": op.inputs, "outputs": op.outputs}
        h.update(json.dumps(record, sort_keys=True).encode())
        _hash_value(h, op.attrs)
    return h.hexdigest()


def _hash_value(h, value) -> None:
    """Feed attrs in a canonical form (numpy arrays by their bytes, never by a summarized repr)."""
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            h.update(repr(key).encode())
            _hash_value(h, value[key])
    elif isinstance(value, (list, tuple)):
        h.update(f"[{len(value)}".encode())
        for item in value:
            _hash_value(h, item)
    elif isinstance(value, np.ndarray):
        h.update(f"{value.dtype.str}{value.shape}".encode() + np.ascontiguousarray(value).tobytes())
    else:
        h.update(repr(value).encode())


def _hash_tensor(h, t: Tensor) -> None:
    h.update(json.dumps({"name": t.name, "shape": list(t.shape), "dtype": t.dtype}).encode())
    if t.quant is not None:
        h.update(t.quant.scale.astype("<f4").tobytes() + t.quant.zero_point.astype("<i4").tobytes())
        h.update(repr(t.quant.axis).encode())
    if t.data is not None:
        h.update(np.ascontiguousarray(t.data).astype(t.data.dtype.newbyteorder("<")).tobytes())


# ---- context ----------------------------------------------------------------------------------

def build_context(graph: Graph, layers: list[Layer], layout: MemoryLayout, target: str,
                  program: list | None = None) -> ModelCtx:
    """`program` (mnc.memory.program) orders the calls when some layers run as bands; None: one
    call per layer on whole tensors."""
    names = NameTable()
    for layer in layers:   # kernels and their types are taken before any layer picks a name
        names.reserve(layer.call.kernel)
        names.reserve(layer.call.params_type)
    arrays: list[ArrayCtx] = []
    layer_ctxs = [_layer_ctx(i, layer, graph, layout, names, arrays) for i, layer in enumerate(layers)]
    if program is None:
        calls = tuple(_plain_call(l) for l in layer_ctxs)
        layer_ctxs = [replace(l, params=(ParamsCtx(l.params_ident, l.fields),)) for l in layer_ctxs]
    else:
        calls, layer_ctxs = _program_calls(program, layers, layer_ctxs, layout, names, arrays)
    layer_ctxs = tuple(layer_ctxs)
    x, y = _single_io(graph)
    in_scale, in_zp = x.quant.single()
    out_scale, out_zp = y.quant.single()
    return ModelCtx(
        version=__version__,
        model_hash=model_hash(graph),
        model_comment=c_comment(graph.name),
        target=c_comment(target),
        arena_bytes=layout.arena_bytes,
        input_size=x.size,
        output_size=y.size,
        input_hwc=tuple(int(d) for d in x.shape[1:]) if len(x.shape) == 4 else None,
        input_layout=tensor_layout(x),
        input_offset=layout.tensor_offsets[x.name],
        output_offset=layout.tensor_offsets[y.name],
        input_scale=c_float(in_scale),
        input_zero_point=in_zp,
        output_scale=c_float(out_scale),
        output_zero_point=out_zp,
        kernel_headers=kernel_headers(layers),
        layers=layer_ctxs,
        arrays=tuple(arrays),
        calls=calls,
    )


def _plain_call(l: LayerCtx) -> CallCtx:
    return CallCtx(l.comment, f"MNC_LAYER_START({l.index})", l.kernel, (f"&{l.params_ident}", *l.args),
                   f"MNC_LAYER_END({l.index})")


def _program_calls(program: list, layers: list[Layer], layer_ctxs: list[LayerCtx], layout: MemoryLayout,
                   names: NameTable, arrays: list[ArrayCtx]) -> tuple[tuple[CallCtx, ...], list[LayerCtx]]:
    """Calls of a banded program; each layer keeps only the params structs its calls use."""
    structs: dict[int, dict[tuple, ParamsCtx]] = {i: {} for i in range(len(layers))}
    calls = []
    for step in program:
        if isinstance(step, CopyStep):
            calls.append(CallCtx("", "", "memmove", (f"MNC_ARENA + {step.dst}", f"MNC_ARENA + {step.src}",
                                                      f"{step.nbytes}u"), ""))
            continue
        l = layer_ctxs[step.layer]
        ident = _struct_for(step, l, layers[step.layer], structs[step.layer], names, arrays)
        args = [_arena_arg(off, n, l) for n, off in enumerate(step.inputs)]
        args += [f"MNC_ARENA + {off}" for off in step.outputs]
        args += l.args[len(step.inputs) + len(step.outputs):]   # scratch
        after = f"MNC_LAYER_END({l.index})" if step.last else f"MNC_PROFILE_END({l.index})"
        calls.append(CallCtx(l.comment if step.first else "", f"MNC_PROFILE_START({l.index})", l.kernel,
                             (f"&{ident}", *args), after))
    banded = {s.layer for s in program if not isinstance(s, CopyStep) and s.params is not None}
    new_layers = []
    for i, l in enumerate(layer_ctxs):
        params = tuple(structs[i].values()) or (ParamsCtx(l.params_ident, l.fields),)
        dump = (l.output_offset, l.output_bytes) if i not in banded or _whole(program, i) else (0, 0)
        new_layers.append(replace(l, params=params, output_offset=dump[0], output_bytes=dump[1]))
    return tuple(calls), new_layers


def _whole(program: list, layer: int) -> bool:
    return any(getattr(s, "layer", None) == layer and s.whole_output for s in program)


def _arena_arg(offset: int | None, n: int, l: LayerCtx) -> str:
    return l.args[n] if offset is None else f"MNC_ARENA + {offset}"


def _struct_for(step, l: LayerCtx, layer: Layer, structs: dict, names: NameTable, arrays: list[ArrayCtx]) -> str:
    """The params struct of one call: the layer's own, or a band's (deduplicated; arrays shared)."""
    if step.params is None:
        key = ("whole",)
        if key not in structs:
            structs[key] = ParamsCtx(l.params_ident, l.fields)
        return structs[key].ident
    fields = tuple(FieldCtx(k, v.value if isinstance(step.params[k], ConstArray) else c_int(int(step.params[k])))
                   for k, v in zip(layer.call.params, l.fields))
    if fields not in structs:
        ident = l.params_ident if not structs else names.claim(f"{l.params_ident}_band")
        structs[fields] = ParamsCtx(ident, fields)
    return structs[fields].ident


def kernel_headers(layers: list[Layer]) -> tuple[str, ...]:
    return tuple(sorted({s for layer in layers for s in layer.call.sources if s.endswith(".h")}))


def kernel_files(layers: list[Layer]) -> tuple[str, ...]:
    return tuple(sorted({COMMON_HEADER, *(s for layer in layers for s in layer.call.sources)}))


def _single_io(graph: Graph) -> tuple[Tensor, Tensor]:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise UnsupportedError(f"code generation needs one input and one output, model has "
                               f"{len(graph.inputs)} and {len(graph.outputs)}")
    x, y = graph.tensor(graph.inputs[0]), graph.tensor(graph.outputs[0])
    for role, t in (("input", x), ("output", y)):
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            raise UnsupportedError(f"model {role} {t.name!r} must be per-tensor quantized int8, is {t.dtype}")
    return x, y


def _layer_ctx(index: int, layer: Layer, graph: Graph, layout: MemoryLayout, names: NameTable,
               arrays: list[ArrayCtx]) -> LayerCtx:
    op, call = layer.op, layer.call
    base = names.identifier(op.name)
    params_ident = names.claim(f"{base}_params")
    source = op.meta.get("source", op.name)
    comment = c_comment(f"{index}: {op.kind} {op.name}" + ("" if source == op.name else f" <- {source}"))
    fields = tuple(FieldCtx(k, _field_value(v, base, names, arrays, comment)) for k, v in call.params.items())
    args = [_tensor_arg(graph, name, layout, base, names, arrays, comment) for name in call.inputs]
    args += [_tensor_arg(graph, name, layout, base, names, arrays, comment) for name in call.outputs]
    if call.scratch_bytes > 0:
        if op.name not in layout.scratch_offsets:
            raise ModelError(f"memory plan has no scratch buffer for op {op.name!r}")
        args.append(f"MNC_ARENA + {layout.scratch_offsets[op.name]}")
    out_offset, out_bytes = _output_extent(graph, call.outputs[0], layout)
    return LayerCtx(index=index, comment=comment, kernel=call.kernel, params_type=call.params_type,
                    params_ident=params_ident, fields=fields, args=tuple(args),
                    name_literal=c_string(op.name), macs=layer.macs,
                    output_offset=out_offset, output_bytes=out_bytes)


def _output_extent(graph: Graph, name: str, layout: MemoryLayout) -> tuple[int, int]:
    """(arena offset, bytes) of a layer's output tensor, which the debug dump hook copies out."""
    if name not in layout.tensor_offsets:
        raise ModelError(f"memory plan has no buffer for tensor {name!r}")
    t = graph.tensor(name)
    return layout.tensor_offsets[name], t.nbytes


def _field_value(value, base: str, names: NameTable, arrays: list[ArrayCtx], comment: str) -> str:
    if isinstance(value, ConstArray):
        return _add_array(value.name, value.ctype, value.data, base, names, arrays, comment)
    if isinstance(value, (bool, int, np.integer)):
        return c_int(int(value))
    raise UnsupportedError(f"kernel parameter of type {type(value).__name__} cannot be emitted")


def _tensor_arg(graph: Graph, name: str, layout: MemoryLayout, base: str, names: NameTable,
                arrays: list[ArrayCtx], comment: str) -> str:
    t = graph.tensor(name)
    if t.is_const:   # a constant operand (e.g. of add) is read straight from flash
        if t.dtype not in TENSOR_CTYPES:
            raise UnsupportedError(f"constant operand {name!r} has dtype {t.dtype}")
        return _add_array(f"const_{name}", TENSOR_CTYPES[t.dtype], t.data, base, names, arrays, comment)
    if name not in layout.tensor_offsets:
        raise ModelError(f"memory plan has no buffer for tensor {name!r}")
    return f"MNC_ARENA + {layout.tensor_offsets[name]}"


def _add_array(role: str, ctype: str, data: np.ndarray, base: str, names: NameTable,
               arrays: list[ArrayCtx], comment: str) -> str:
    arr = ConstArray(role, ctype, data)
    if arr.data.size == 0:   # C99 has no empty arrays; the kernel gets a null pointer it never reads
        return "0"
    ident = names.claim(f"{base}_{suffix(role)}")
    arrays.append(ArrayCtx(ident=ident, ctype=ctype, length=int(arr.data.size), rows=array_rows(arr.data, ctype),
                           comment=comment))
    return ident
