"""The hostile-model corpus: malformed, adversarial and extreme .tflite/.onnx models, each with the outcome
mnc must give, generated from the two small base models in `models.py` (nothing binary is checked in).

    python -m tests.hostile.corpus OUT_DIR      # writes every case (+ side files) and OUT_DIR/expected.json

Each case is either refused (`mnc compile` exits 1 with one `error:` line matching `expect`, writes
nothing) or accepted (`expect == ACCEPTED`: the package builds clean under UBSan/ASan and is bit-exact
with the reference on random and extreme inputs). `tests/hostile/test_corpus.py` runs them all.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import tflite
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from tests.hostile import models

ACCEPTED = "accepted"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07"
MARKUP = "[/][bold red]:smile:"
T = tflite.TensorType


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str                               # "tflite" | "onnx"
    make: Callable[[Path], Path]           # writes the model (and side files) into a folder; returns the model
    expect: str                            # ACCEPTED, or a regex the one-line error must match
    cls: str                               # the defect class (for the counts in the note)


CASES: list[Case] = []


# ---- TFLite -------------------------------------------------------------------------------------

def _tflite_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / f"{name}.tflite"
        path.write_bytes(data)
        return path
    return make


def tfl(name: str, cls: str, expect: str, mutate: Callable | None = None) -> None:
    """A case from the base TFLite model; `mutate(writer, inputs, outputs)` edits the specs in place and
    may return (inputs, outputs) to replace the graph's."""
    writer, inputs, outputs = models.tflite_spec()
    if mutate is not None:
        replaced = mutate(writer, inputs, outputs)
        if replaced is not None:
            inputs, outputs = replaced
    CASES.append(Case(name, "tflite", _tflite_file(name, writer.finish(inputs, outputs)), expect, cls))


def tfl_bytes(name: str, cls: str, expect: str, data: bytes) -> None:
    CASES.append(Case(name, "tflite", _tflite_file(name, data), expect, cls))


def _set(obj_index: str, field: str, value):
    """mutate(): writer.<tensors|ops>[i].<field> = value."""
    kind, index = obj_index.split(":")

    def mutate(w, _i, _o):
        setattr(getattr(w, kind)[int(index)], field, value)
    return mutate


def _scale(tensor: int, value: float, count: int = 1):
    def mutate(w, _i, _o):
        w.tensors[tensor].scale = np.full(count, value, np.float32)
        w.tensors[tensor].zero_point = np.resize(w.tensors[tensor].zero_point, count)
    return mutate


def _zero_point(tensor: int, value: int):
    def mutate(w, _i, _o):
        w.tensors[tensor].zero_point = np.full_like(w.tensors[tensor].zero_point, value, dtype=np.int64)
    return mutate


def _option(op: int, field: str, value):
    def mutate(w, _i, _o):
        table, fields = w.ops[op].options
        w.ops[op].options = (table, {**fields, field: value})
    return mutate


# Tensor indices of the base model (see models.tflite_spec).
INPUT, CONV_W, CONV_B, CONV_Y, DW_W, DW_B, DW_Y, POOL, FC_W, FC_B, LOGITS, PROBS = range(12)
OPS = {"conv": 0, "dw": 1, "pool": 2, "fc": 3, "softmax": 4}


def tflite_cases() -> None:
    tfl("tfl-base", "accepted", ACCEPTED)
    # -- indices out of range (opcode, tensor, buffer)
    for i, bad in enumerate((99, 2**31 - 1)):
        tfl(f"tfl-opcode-index-{i}", "index", r"operator code index \d+ out of range", _set("ops:2", "opcode", bad))
    for i, bad in enumerate((99, -2, 2**31 - 1)):
        tfl(f"tfl-input-index-{i}", "index", r"op 1 DEPTHWISE_CONV_2D: tensor index -?\d+ out of range",
            _set("ops:1", "inputs", [CONV_Y, bad, DW_B]))
    tfl("tfl-output-index-minus1", "index", r"op 0 CONV_2D: tensor index -1 out of range",
        _set("ops:0", "outputs", [-1]))
    tfl("tfl-no-outputs", "index", r"op 0 CONV_2D: no outputs", _set("ops:0", "outputs", []))
    for i, bad in enumerate((999, 2**31 - 1)):
        tfl(f"tfl-buffer-index-{i}", "index", r"tensor 1 'conv/weights': buffer index \d+ out of range",
            _set("tensors:1", "buffer", bad))
    tfl("tfl-graph-output-index", "index", r"graph output: tensor index 77 out of range",
        lambda w, i, o: (i, [77]))
    # -- shapes: empty, negative, huge, wrapping 64 bits
    for i, shape in enumerate(((1, 0, 8, 3), (1, -1, 8, 3))):
        tfl(f"tfl-shape-empty-{i}", "shape", r"tensor 0 'input': dynamic or empty shape", _set("tensors:0", "shape", shape))
    for i, shape in enumerate(((1, 65536, 65536, 3), (2**31 - 1, 2**31 - 1, 2**31 - 1, 8), (1, 8, 8, 2**27))):
        tfl(f"tfl-shape-huge-{i}", "size", r"tensor 0 'input': shape .* elements, more than mnc's limit",
            _set("tensors:0", "shape", shape))
    tfl("tfl-shape-huge-output", "size", r"tensor 3 'conv/relu': shape .* more than mnc's limit",
        _set("tensors:3", "shape", (1, 65536, 65536, 8)))
    tfl("tfl-buffer-short", "shape", r"tensor 'conv/weights'.*buffer holds \d+ bytes",
        _set("tensors:1", "shape", (8, 3, 3, 4)))
    # -- quantization parameters
    for t, label in ((INPUT, "input"), (CONV_W, "weights"), (CONV_Y, "conv-out"), (PROBS, "probs")):
        for i, bad in enumerate((float("nan"), float("inf"), -1.0, 0.0)):
            tfl(f"tfl-scale-{label}-{i}", "scale", r"quantization scale must be finite and positive",
                _scale(t, bad, 8 if t == CONV_W else 1))
    for i, bad in enumerate((-2**62, 128, -129, 2**31)):
        tfl(f"tfl-zero-point-{i}", "zero point", r"tensor 3 'conv/relu': zero point -?\d+ outside \[-128, 127\]",
            _zero_point(CONV_Y, bad))
    tfl("tfl-bias-zero-point-huge", "zero point", r"tensor 2 'conv/bias': zero point .* outside",
        _zero_point(CONV_B, -2**40))

    def scale_count(w, _i, _o):
        w.tensors[CONV_Y].zero_point = np.zeros(2, np.int64)
    tfl("tfl-scale-zp-count", "scale", r"1 scales but 2 zero points", scale_count)
    tfl("tfl-quant-axis", "scale", r"8 scales do not match dimension 7", _set("tensors:1", "axis", 7))
    # -- numerics: parameters whose int32 arithmetic would overflow (the proof refuses them)
    for i, s in enumerate((1e-45, 1e-30, 1e-12)):
        tfl(f"tfl-tiny-output-scale-{i}", "numerics", r"layer 'conv2d_0' .*beyond int32.*output scale",
            _scale(CONV_Y, s))
    for i, s in enumerate((1e38, 1e20)):
        tfl(f"tfl-huge-input-scale-{i}", "numerics", r"layer 'conv2d_0' .*beyond int32.*input scale", _scale(INPUT, s))
    tfl("tfl-huge-weight-scale", "numerics", r"layer 'depthwise_conv2d_1' .*beyond int32",
        _scale(DW_W, 1e30, 8))
    tfl("tfl-tiny-fc-output-scale", "numerics", r"layer 'fully_connected_3' .*beyond int32", _scale(LOGITS, 1e-40))

    def huge_bias(w, _i, _o):
        w.buffers[w.tensors[CONV_B].buffer] = np.full(8, 2**31 - 1, "<i4").tobytes()
    tfl("tfl-bias-int32-max", "numerics", r"layer 'conv2d_0' .*accumulator.*beyond int32", huge_bias)
    # -- options
    tfl("tfl-options-wrong-table", "options", r"op 0 CONV_2D: options table Pool2DOptions, expected Conv2DOptions",
        _set("ops:0", "options", ("Pool2DOptions", {"StrideH": 1, "StrideW": 1, "FilterHeight": 1, "FilterWidth": 1})))
    for field, value in (("StrideH", 0), ("StrideW", -1), ("DilationHFactor", 0), ("DilationWFactor", -5)):
        tfl(f"tfl-conv-{field}-{value}", "options", rf"op 0 CONV_2D: {field} -?\d+ must be >= 1",
            _option(0, field, value))
    for field, value in (("StrideH", 0), ("StrideW", -3)):
        tfl(f"tfl-dw-{field}-{value}", "options", rf"op 1 DEPTHWISE_CONV_2D: {field} -?\d+ must be >= 1",
            _option(1, field, value))
    for field, value in (("FilterHeight", 0), ("FilterWidth", -1), ("StrideH", 0)):
        tfl(f"tfl-pool-{field}-{value}", "options", rf"op 2 AVERAGE_POOL_2D: {field} -?\d+ must be >= 1",
            _option(2, field, value))
    tfl("tfl-padding-code", "options", r"unknown padding code 7", _option(0, "Padding", 7))
    tfl("tfl-activation-code", "options", r"unknown fused activation code 99",
        _option(0, "FusedActivationFunction", 99))
    tfl("tfl-activation-tanh", "options", r"fused activation TANH is not supported",
        _option(0, "FusedActivationFunction", tflite.ActivationFunctionType.TANH))
    for i, beta in enumerate((float("nan"), float("inf"), 0.0, -1.0)):
        tfl(f"tfl-softmax-beta-{i}", "options", r"softmax beta .* must be finite and positive", _option(4, "Beta", beta))
    # -- graph structure: cycles, order, duplicates, several inputs/outputs
    tfl("tfl-op-reads-own-output", "cycle", r"op 1 reads tensor 6, its own output",
        _set("ops:1", "inputs", [DW_Y, DW_W, DW_B]))
    tfl("tfl-op-reads-later-output", "cycle", r"op 0 reads tensor 7, the output of later op 2",
        _set("ops:0", "inputs", [POOL, CONV_W, CONV_B]))

    def two_producers(w, _i, _o):
        w.ops[1].outputs = [CONV_Y]
    tfl("tfl-tensor-produced-twice", "cycle", r"op 1 DEPTHWISE_CONV_2D: tensor 3 is already produced by op 0",
        two_producers)
    tfl("tfl-two-outputs", "order", r"2 graph outputs; mnc compiles models with exactly one input and one output",
        lambda w, i, o: (i, [LOGITS, PROBS]))
    tfl("tfl-no-inputs", "order", r"0 graph inputs", lambda w, i, o: ([], o))
    # -- names: escapes, markup, huge, C comment terminators (accepted: they must stay out of C and terminal)
    tfl("tfl-name-escapes", "terminal", ACCEPTED, _set("tensors:3", "name", f"conv{ESCAPES}{MARKUP}"))
    tfl("tfl-name-c-comment", "terminal", ACCEPTED, _set("tensors:6", "name", "dw*/ int evil; /*??/\n#define"))
    tfl("tfl-name-huge", "terminal", ACCEPTED, _set("tensors:10", "name", "n" * 20000))
    tfl("tfl-names-all-equal", "terminal", ACCEPTED,
        lambda w, i, o: [setattr(t, "name", "mnc_input") for t in w.tensors] and None)
    tfl("tfl-name-escapes-refused", "terminal", r"op 0 CONV_2D tensor 'conv\\x1b\[2J.*fused activation TANH",
        lambda w, i, o: (setattr(w.tensors[CONV_Y], "name", f"conv{ESCAPES}"),
                         _option(0, "FusedActivationFunction", tflite.ActivationFunctionType.TANH)(w, i, o)) and None)
    # -- extreme but valid parameters (accepted)
    tfl("tfl-zero-points-extreme", "numerics", ACCEPTED,
        lambda w, i, o: (_zero_point(INPUT, 127)(w, i, o), _zero_point(CONV_Y, -128)(w, i, o),
                         _zero_point(DW_Y, 127)(w, i, o), _zero_point(POOL, 127)(w, i, o)) and None)
    # -- bytes: not a model, truncated, corrupted
    base = models.tflite_bytes()
    tfl_bytes("tfl-empty-file", "bytes", r"not a \.tflite file", b"")
    tfl_bytes("tfl-not-flatbuffer", "bytes", r"not a \.tflite file", b"this is not a flatbuffer at all")
    tfl_bytes("tfl-wrong-identifier", "bytes", r"not a \.tflite file", base[:4] + b"XXXX" + base[8:])
    for keep in (8, 16, 40, 100, len(base) // 2, len(base) - 16):
        tfl_bytes(f"tfl-truncated-{keep}", "bytes", r"malformed \.tflite file",
                  base[:keep])
    rng = np.random.default_rng(1400)
    for i in range(6):
        data = bytearray(base)
        for pos in rng.integers(8, 200, 4):   # the tables at the front: offsets, vtables, indices
            data[int(pos)] = int(rng.integers(0, 256))
        tfl_bytes(f"tfl-flipped-{i}", "bytes", r"malformed \.tflite file", bytes(data))
    _custom_op_cases()
    _two_subgraphs()
    _float_cases()


def _custom_op_cases() -> None:
    for name, code in (("tfl-custom-op-escapes", f"Evil{ESCAPES}{MARKUP}"), ("tfl-custom-op-utf8", "\udcff\u202eop")):
        writer, inputs, outputs = models.tflite_spec()
        writer.custom_codes = {len(writer.opcodes): code}
        writer.opcodes.append((tflite.BuiltinOperator.CUSTOM, 1))
        writer.ops[4].opcode = len(writer.opcodes) - 1
        data = _finish_with_custom(writer, inputs, outputs)
        tfl_bytes(name, "terminal", r"op 4 CUSTOM:(Evil\\x1b\[2J\\x1b\]0;pwned\\x07\[/\]|.*\\u202eop).*: custom operators are not supported",
                  data)


def _finish_with_custom(writer, inputs, outputs) -> bytes:
    """TFLiteWriter.finish with custom_code strings on the CUSTOM operator codes."""
    codes = writer.custom_codes

    def opcode(b, code, version, _index=[0]):
        index = _index[0]
        _index[0] += 1
        custom = b.CreateString(codes[index].encode("utf-8", "surrogateescape")) if index in codes else None
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, version)
        if custom is not None:
            tflite.OperatorCodeAddCustomCode(b, custom)
        return tflite.OperatorCodeEnd(b)

    writer._opcode = opcode
    return writer.finish(inputs, outputs)


def _two_subgraphs() -> None:
    writer, inputs, outputs = models.tflite_spec()
    tfl_bytes("tfl-two-subgraphs", "order", r"2 subgraphs", writer.finish(inputs, outputs, num_subgraphs=2))


def _float_cases() -> None:
    """A float FULLY_CONNECTED model (calibrated by mnc): NaN/inf weights are refused, sane ones accepted."""
    from mnc.frontends.tflite.exporter import TFLiteWriter

    for name, fill, expect in (("tfl-float-fc", 0.5, ACCEPTED),
                               ("tfl-float-nan-weights", float("nan"), r"tensor 1 'w': constant holds NaN"),
                               ("tfl-float-inf-weights", float("inf"), r"tensor 1 'w': constant holds NaN")):
        w = TFLiteWriter()
        x = w.add_tensor("x", (1, 16), T.FLOAT32)
        weights = np.random.default_rng(5).normal(0, 0.3, (4, 16)).astype(np.float32)
        weights[1, 3] = fill if fill != 0.5 else weights[1, 3]
        wt = w.add_tensor("w", (4, 16), T.FLOAT32, weights)
        b = w.add_tensor("b", (4,), T.FLOAT32, np.zeros(4, np.float32))
        y = w.add_tensor("y", (1, 4), T.FLOAT32)
        w.add_operator("FULLY_CONNECTED", [x, wt, b], [y], ("FullyConnectedOptions", {}))
        tfl_bytes(name, "scale" if expect != ACCEPTED else "accepted", expect, w.finish([x], [y]))


# ---- ONNX ---------------------------------------------------------------------------------------

def _onnx_file(name: str, model: onnx.ModelProto, side: Callable[[Path], None] | None = None
               ) -> Callable[[Path], Path]:
    data = model.SerializeToString()

    def make(folder: Path) -> Path:
        path = folder / f"{name}.onnx"
        path.write_bytes(data)
        if side is not None:
            side(folder)
        return path
    return make


def onx(name: str, cls: str, expect: str, mutate: Callable | None = None, base=models.onnx_model,
        side: Callable[[Path], None] | None = None) -> None:
    model = base()
    if mutate is not None:
        replaced = mutate(model)
        if replaced is not None:
            model = replaced
    CASES.append(Case(name, "onnx", _onnx_file(name, model, side), expect, cls))


def onx_bytes(name: str, cls: str, expect: str, data: bytes) -> None:
    def make(folder: Path) -> Path:
        path = folder / f"{name}.onnx"
        path.write_bytes(data)
        return path
    CASES.append(Case(name, "onnx", make, expect, cls))


def _attr(node: int, name: str, value, kind=None):
    def mutate(m):
        n = m.graph.node[node]
        keep = [a for a in n.attribute if a.name != name]
        del n.attribute[:]
        n.attribute.extend(keep)
        attr = h.make_attribute(name, value) if kind is None else kind(name, value)
        n.attribute.append(attr)
    return mutate


def _float_attr(name, value):
    return h.make_attribute(name, float(value))


def _tensor_attr(name, value):
    return h.make_attribute(name, nh.from_array(np.asarray(value, np.int64)))


def _init_values(name: str, fn):
    def mutate(m):
        for i, t in enumerate(m.graph.initializer):
            if t.name == name:
                arr = nh.to_array(t).copy()
                fn(arr)
                m.graph.initializer[i].CopyFrom(nh.from_array(arr, name))
    return mutate


def onnx_cases() -> None:
    onx("onnx-base", "accepted", ACCEPTED)
    onx("onnx-qdq-base", "accepted", ACCEPTED, base=models.qdq_model)
    # -- attribute types and lengths (node 0: Conv 'conv', node 2: depthwise Conv 'dw')
    onx("onnx-strides-string", "attribute", r"ONNX node 0 Conv 'conv': attribute strides must be INTS, got STRING",
        _attr(0, "strides", "ab"))
    onx("onnx-strides-len1", "attribute", r"attribute strides has 1 values; a 2-D window needs 2", _attr(0, "strides", [1]))
    onx("onnx-strides-len3", "attribute", r"attribute strides has 3 values", _attr(0, "strides", [1, 1, 1]))
    onx("onnx-pads-len2", "attribute", r"attribute pads has 2 values", _attr(0, "pads", [1, 1]))
    onx("onnx-pads-tensor", "attribute", r"pads.*(INTS|TENSOR)", _attr(0, "pads", [1, 1, 1, 1], _tensor_attr))
    onx("onnx-group-float", "attribute", r"ONNX node 2 Conv 'dw': attribute group must be INT, got FLOAT", _attr(2, "group", 4.5, _float_attr))
    onx("onnx-group-zero", "attribute", r"attribute group \[0\] must be >= 1", _attr(2, "group", 0))
    onx("onnx-group-3", "attribute", r"ONNX node 2 Conv 'dw'.*(group|channel|shape)", _attr(2, "group", 3))
    onx("onnx-dilations-zero", "attribute", r"attribute dilations \[0, 1\] must be >= 1", _attr(0, "dilations", [0, 1]))
    onx("onnx-strides-negative", "attribute", r"attribute strides \[-1, 1\] must be >= 1", _attr(0, "strides", [-1, 1]))
    onx("onnx-strides-zero", "attribute", r"attribute strides \[1, 0\] must be >= 1", _attr(2, "strides", [1, 0]))
    onx("onnx-pads-negative", "attribute", r"attribute pads \[-1, 1, 1, 1\] must be >= 0", _attr(0, "pads", [-1, 1, 1, 1]))
    onx("onnx-auto-pad-bogus", "attribute", r"unknown auto_pad 'BOGUS'", _attr(0, "auto_pad", "BOGUS"))
    onx("onnx-kernel-shape-mismatch", "attribute", r"ONNX node 0 Conv 'conv'.*(kernel|shape)",
        _attr(0, "kernel_shape", [5, 5]))
    onx("onnx-flatten-axis-string", "attribute", r"ONNX node 5 Flatten 'flatten'.*axis", _attr(5, "axis", "one"))
    onx("onnx-gemm-alpha-nan", "attribute", r"attribute alpha nan is not finite", _attr(6, "alpha", float("nan"), _float_attr))
    onx("onnx-gemm-beta-inf", "attribute", r"attribute beta inf is not finite", _attr(6, "beta", float("inf"), _float_attr))
    onx("onnx-unknown-attribute", "attribute", r"Unrecognized attribute: frobnicate for operator Conv", _attr(0, "frobnicate", 3))
    # -- sizes that would reach a numpy allocation
    for i, pads in enumerate(([1, 1, 100000, 100000], [2**30, 2**30, 2**30, 2**30])):
        onx(f"onnx-pads-huge-{i}", "size", r"elements, more than mnc's limit", _attr(0, "pads", pads))

    def huge_input(m):
        dims = m.graph.input[0].type.tensor_type.shape.dim
        dims[2].dim_value, dims[3].dim_value = 65536, 65536
    onx("onnx-input-huge", "size", r"graph input 'x': shape .* more than mnc's limit", huge_input)

    def wrap_input(m):
        dims = m.graph.input[0].type.tensor_type.shape.dim
        dims[1].dim_value, dims[2].dim_value, dims[3].dim_value = 2**31, 2**31, 2**31
    onx("onnx-input-wraps-64-bits", "size", r"graph input 'x': shape .* more than mnc's limit", wrap_input)

    def huge_init_dims(m):
        t = m.graph.initializer[0]
        del t.dims[:]
        t.dims.extend([65536, 65536, 3, 3])
    onx("onnx-initializer-huge-dims", "size", r"tensor 'conv_w': shape .* more than mnc's limit", huge_init_dims)

    def negative_init_dims(m):
        m.graph.initializer[1].dims[0] = -8
    onx("onnx-initializer-negative-dim", "size", r"tensor 'conv_b': negative dimension", negative_init_dims)

    def short_raw(m):
        m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:10]
    onx("onnx-initializer-short-data", "size", r"tensor 'conv_w'.*(unreadable|size|shape|elements|raw)", short_raw)

    def huge_reshape(m):
        nodes, inits = models.onnx_parts()
        inits.append(nh.from_array(np.array([1, 2**20, 2**20], np.int64), "shape"))
        nodes[5] = h.make_node("Reshape", ["g", "shape"], ["flat"], name="reshape")
        return models.make_onnx(nodes, inits)
    onx("onnx-reshape-huge", "size", r"reshape|shape|elements", huge_reshape)
    # -- non-finite data and QDQ parameters
    onx("onnx-nan-weights", "scale", r"tensor 'conv_w' holds NaN or infinite values",
        _init_values("conv_w", lambda a: a.fill(np.nan)))
    onx("onnx-inf-bias", "scale", r"tensor 'dw_b' holds NaN or infinite values",
        _init_values("dw_b", lambda a: a.__setitem__(0, np.inf)))
    onx("onnx-huge-weights", "numerics", ACCEPTED, _init_values("fc_w", lambda a: a.__setitem__(0, 3e38)))
    for i, bad in enumerate((np.nan, np.inf, 0.0, -0.5)):
        onx(f"onnx-qdq-scale-{i}", "scale", r"ONNX node 0 QuantizeLinear 'x_q': scale 'x_s' must be finite and positive",
            _init_values("x_s", lambda a, bad=bad: a.fill(bad)), base=models.qdq_model)
    onx("onnx-qdq-weight-scale-nan", "scale", r"ONNX node 2 DequantizeLinear 'w_dq': scale 'w_s' must be finite",
        _init_values("w_s", lambda a: a.__setitem__(3, np.nan)), base=models.qdq_model)

    def zp_int64(m):
        for i, t in enumerate(m.graph.initializer):
            if t.name == "y_z":
                m.graph.initializer[i].CopyFrom(nh.from_array(np.array(-2**62, np.int64), "y_z"))
    onx("onnx-qdq-zero-point-2e62", "zero point", r"(zero point 'y_z' of type INT64|Type Error|type)", zp_int64,
        base=models.qdq_model)

    def zp_out_of_range(m):
        for t in m.graph.initializer:
            if t.name == "x_z":
                t.ClearField("raw_data")
                del t.int32_data[:]
                t.int32_data.append(300)
    onx("onnx-qdq-zero-point-300", "zero point", r"zero point 'x_z' holds values outside \[-128, 127\]", zp_out_of_range,
        base=models.qdq_model)

    def zp_float(m):
        for i, t in enumerate(m.graph.initializer):
            if t.name == "y_z":
                m.graph.initializer[i].CopyFrom(nh.from_array(np.array(5.0, np.float32), "y_z"))
    onx("onnx-qdq-zero-point-float", "zero point", r"zero point 'y_z' of type FLOAT|type", zp_float, base=models.qdq_model)
    onx("onnx-qdq-tiny-output-scale", "numerics", r"layer .*conv.* beyond int32.*output scale",
        _init_values("y_s", lambda a: a.fill(1e-40)), base=models.qdq_model)
    onx("onnx-qdq-zero-points-extreme", "numerics", ACCEPTED,
        lambda m: (_init_values("x_z", lambda a: a.fill(127))(m), _init_values("y_z", lambda a: a.fill(-128))(m)) and None,
        base=models.qdq_model)
    # -- graph structure
    def self_loop(m):
        m.graph.node[1].input[0] = "r1"
    onx("onnx-node-reads-own-output", "cycle", r"ONNX node 1 Relu 'relu': reads 'r1' before any node produces it",
        self_loop)

    def two_cycle(m):
        m.graph.node[0].input[0] = "r1"
    onx("onnx-two-node-cycle", "cycle", r"ONNX node 0 Conv 'conv': reads 'r1' before any node produces it", two_cycle)

    def undefined(m):
        m.graph.node[3].input[0] = "nowhere"
    onx("onnx-undefined-input", "cycle", r"reads 'nowhere' before any node produces it", undefined)

    def reversed_nodes(m):
        nodes = list(m.graph.node)[::-1]
        del m.graph.node[:]
        m.graph.node.extend(nodes)
    onx("onnx-nodes-reversed", "cycle", r"reads .* before any node produces it", reversed_nodes)

    def two_outputs(m):
        m.graph.output.append(h.make_tensor_value_info("r2", TP.FLOAT, [1, 8, 4, 4]))
    onx("onnx-two-outputs", "order", r"1 graph inputs and 2 outputs; mnc compiles models with exactly one", two_outputs)

    def two_inputs(m):
        m.graph.input.append(h.make_tensor_value_info("x2", TP.FLOAT, [1, 3, 8, 8]))
    onx("onnx-two-inputs", "order", r"2 graph inputs and 1 outputs", two_inputs)

    def subgraph(m):
        branch = h.make_graph([h.make_node("Identity", ["r1"], ["o"])], "b", [],
                              [h.make_tensor_value_info("o", TP.FLOAT, None)])
        m.graph.node[1].attribute.append(h.make_attribute("then_branch", branch))
    onx("onnx-subgraph-attribute", "attribute", r"subgraph|then_branch|attribute", subgraph)
    onx("onnx-opset-old", "order", r"opset 9 is too old", lambda m: m.opset_import[0].__setattr__("version", 9))

    def bad_domain(m):
        m.opset_import.append(h.make_opsetid("com.evil" + ESCAPES, 1))
    onx("onnx-unknown-domain", "terminal", r"operator domain 'com\.evil\\x1b", bad_domain)
    # -- names and op types with escapes/markup (refused lines stay escaped; accepted ones compile)
    def evil_op(m):
        m.graph.node[1].op_type = f"Relu{ESCAPES}"
        m.graph.node[1].name = f"relu{MARKUP}{ESCAPES}"
    onx("onnx-op-type-escapes", "terminal", r"Relu\\x1b\[2J\\x1b\]0;pwned\\x07", evil_op)

    def evil_names(m):
        for n in m.graph.node:
            n.name = f"{n.name}{ESCAPES}{MARKUP}\u202e*/ #include"
    onx("onnx-node-names-escapes", "terminal", ACCEPTED, evil_names)

    def same_names(m):
        for n in m.graph.node:
            n.name = "mnc_run"
    onx("onnx-node-names-equal", "terminal", ACCEPTED, same_names)
    # -- BatchNormalization / Softmax / Clip attributes
    onx("onnx-bn-epsilon-nan", "attribute", r"attribute epsilon nan is not finite", base=_bn_model(float("nan")))
    onx("onnx-bn-epsilon-negative", "attribute", r"attribute epsilon -1.0 must be >= 0", base=_bn_model(-1.0))
    onx("onnx-bn-variance-nan", "scale", r"tensor 'bn_var' holds NaN", base=_bn_model(1e-5, var=np.nan))
    onx("onnx-bn-variance-negative", "scale", r"variance 'bn_var' holds negative values", base=_bn_model(1e-5, var=-4.0))
    onx("onnx-bn", "accepted", ACCEPTED, base=_bn_model(1e-3))
    onx("onnx-softmax-axis-9", "attribute", r"ONNX node 7 Softmax 'softmax'.*axis", base=_softmax_model(9))
    onx("onnx-clip-nan", "scale", r"Clip|NaN|finite|clip", base=_clip_model(np.nan))
    def invalid_utf8_name(folder: Path) -> Path:
        model = models.onnx_model()
        model.graph.node[1].name = "QQQQ"
        path = folder / "onnx-name-invalid-utf8.onnx"
        path.write_bytes(model.SerializeToString().replace(b"QQQQ", b"Q\x92\x91Q"))
        return path
    CASES.append(Case("onnx-name-invalid-utf8", "onnx", invalid_utf8_name,
                      r"ONNX node 1: a name or type is not valid UTF-8", "terminal"))
    # -- bytes
    base = models.onnx_model().SerializeToString()
    onx_bytes("onnx-empty-file", "bytes", r"not a valid ONNX", b"")
    onx_bytes("onnx-not-protobuf", "bytes", r"not a valid ONNX protobuf", b"\xff\xff\xff\xff garbage")
    for keep in (10, len(base) // 3, len(base) - 7):
        onx_bytes(f"onnx-truncated-{keep}", "bytes", r"not a valid ONNX|empty graph|node|tensor", base[:keep])
    _external_cases()


def _bn_model(eps: float, var: float = 1.0):
    def make():
        nodes, inits = models.onnx_parts()
        c = models.C_MID
        inits += [nh.from_array(np.full(c, v, np.float32), n) for n, v in
                  (("bn_scale", 1.0), ("bn_bias", 0.1), ("bn_mean", 0.0), ("bn_var", var))]
        bn = h.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["b1"],
                         name="bn", epsilon=eps)
        nodes[1].input[0] = "b1"
        return models.make_onnx(nodes[:1] + [bn] + nodes[1:], inits)
    return make


def _softmax_model(axis: int):
    def make():
        nodes, inits = models.onnx_parts()
        nodes[-1].output[0] = "logits"
        nodes.append(h.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=axis))
        return models.make_onnx(nodes, inits)
    return make


def _clip_model(low: float):
    def make():
        nodes, inits = models.onnx_parts()
        inits += [nh.from_array(np.array(low, np.float32), "lo"), nh.from_array(np.array(6.0, np.float32), "hi")]
        nodes[1] = h.make_node("Clip", ["c1", "lo", "hi"], ["r1"], name="clip")
        return models.make_onnx(nodes, inits)
    return make


def _external(location: str, offset: str | None = "0", length: str | None = None, extra: dict | None = None):
    """The base model with conv_w stored externally at `location` (written by the side function)."""
    def mutate(m):
        t = m.graph.initializer[0]
        t.ClearField("raw_data")
        del t.float_data[:]
        for key, value in (("location", location), ("offset", offset), ("length", length), *(extra or {}).items()):
            if value is not None:
                t.external_data.add(key=key, value=value)
        t.data_location = TP.EXTERNAL
    return mutate


def _weights_file(name: str = "w.bin"):
    raw = nh.to_array(models.onnx_model().graph.initializer[0]).tobytes()

    def side(folder: Path) -> None:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(raw)
    return side, str(len(raw))


def _external_cases() -> None:
    side, n = _weights_file()
    onx("onnx-external-ok", "external", ACCEPTED, _external("w.bin", "0", n), side=side)
    cases = [
        ("nul", "w\x00.bin", "0", n, r"location 'w\\x00\.bin' is empty or holds control characters"),
        ("empty", "", "0", n, r"location '' is empty"),
        ("absolute", "/etc/passwd", "0", n, r"path '/etc/passwd' is outside the model's folder"),
        ("dotdot", "../w.bin", "0", n, r"path '\.\./w\.bin' is outside the model's folder"),
        ("dotdot-deep", "sub/../../w.bin", "0", n, r"outside the model's folder"),
        ("offset-text", "w.bin", "zero", n, r"offset 'zero' is not a non-negative decimal number"),
        ("offset-negative", "w.bin", "-16", n, r"offset '-16' is not a non-negative decimal number"),
        ("offset-unicode-digits", "w.bin", "\u0661\u0662", n, r"offset .* is not a non-negative decimal number"),
        ("length-huge", "w.bin", "0", "99999999999999", r"region .* lies beyond the end"),
        ("length-overflow", "w.bin", "0", "9" * 40, r"length '9+' is not a non-negative decimal number"),
        ("offset-past-end", "w.bin", "100000", "16", r"region .* lies beyond the end"),
        ("missing", "nothere.bin", "0", n, r"file 'nothere\.bin' not found"),
        ("escapes", f"w{ESCAPES}.bin", "0", n, r"control characters"),
    ]
    for label, location, offset, length, expect in cases:
        onx(f"onnx-external-{label}", "external", expect, _external(location, offset, length), side=side)
    onx("onnx-external-unknown-key", "external", r"unknown key 'evil'", _external("w.bin", "0", n, {"evil": "1"}),
        side=side)
    onx("onnx-external-directory", "external", r"'sub' is not a regular file", _external("sub", "0", n),
        side=lambda folder: (folder / "sub").mkdir())
    onx("onnx-external-fifo", "external", r"'fifo' is not a regular file", _external("fifo", "0", n),
        side=lambda folder: os.mkfifo(folder / "fifo"))
    onx("onnx-external-symlink-out", "external", r"outside the model's folder", _external("link", "0", n),
        side=lambda folder: os.symlink("/etc/hostname", folder / "link"))
    onx("onnx-external-symlink-device", "external", r"outside the model's folder|not a regular file",
        _external("zero", "0", n), side=lambda folder: os.symlink("/dev/zero", folder / "zero"))


# ---- the corpus ---------------------------------------------------------------------------------

def all_cases() -> list[Case]:
    if not CASES:
        tflite_cases()
        onnx_cases()
    return CASES


def main(out: str) -> None:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for case in all_cases():
        case_dir = folder / case.name
        case_dir.mkdir(exist_ok=True)
        path = case.make(case_dir)
        expected[case.name] = {"model": str(path.relative_to(folder)), "class": case.cls, "expect": case.expect}
    (folder / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=True))
    print(f"wrote {len(expected)} cases to {folder}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
