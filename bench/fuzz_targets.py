"""atheris fuzz targets for mnc's importers and its compile-to-C path (run through bench/fuzz.py).

    python bench/fuzz_targets.py TARGET FINDINGS.jsonl [libFuzzer flags, e.g. -runs=100000]

Targets (coverage-guided; mnc's modules are instrumented):
  tflite   structure-aware: the fuzz input is a *recipe* of edits (FuzzedDataProvider) applied to the
           base int8 model of tests/hostile/models.py through TFLiteWriter -- tensor shapes, types,
           buffers, scales, zero points, op codes, operand indices, option fields, graph inputs and
           outputs, names -- plus raw byte flips/truncation of the serialized flatbuffer.
  onnx     structure-aware: the fuzz input is an ONNX protobuf; a custom mutator parses it and applies
           one edit (attributes: type, length, values; initializers: dims, data, NaN; node inputs:
           cycles, undefined names; op types; graph inputs/outputs; opsets; external-data entries),
           falling back to libFuzzer's byte mutation when it does not parse. Seeded with the base
           float, QDQ and batch-norm models and a built-in MobileNet exported to ONNX.
  compile  the tflite recipe, then the whole compile-to-C path (passes, proof, lowering, memory plan,
           emission into a temporary folder; no C compiler run).

A *finding* is any exception other than mnc's own MncError, an MncError whose message spans several
lines or says "internal error", or an input that takes longer than SLOW_S. Findings are appended to
FINDINGS.jsonl (one per distinct exception type and location) and fuzzing continues.
"""

from __future__ import annotations

import copy
import json
import math
import os
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

with atheris.instrument_imports(include=["mnc"]):
    import mnc.compiler
    import mnc.frontends.onnx
    import mnc.frontends.tflite
    import mnc.numerics  # noqa: F401

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import tflite  # noqa: E402
from onnx import helper as h  # noqa: E402
from onnx import numpy_helper as nh  # noqa: E402

from mnc.errors import MncError  # noqa: E402
from tests.hostile import models  # noqa: E402

SLOW_S = 10.0
INTERESTING_INTS = [0, 1, -1, 2, 3, 7, 8, 127, 128, -128, -129, 255, 256, 65535, 65536, 2**31 - 1, -2**31,
                    2**31, 2**32, 2**62, -2**62]
INTERESTING_FLOATS = [0.0, -0.0, 1.0, -1.0, 1e-45, 1e-38, 1e-30, 1e-12, 1e12, 1e30, 1e38, 3.4e38, math.inf,
                      -math.inf, math.nan, 0.5, 1 / 255, 1 / 256]
_FINDINGS: dict[str, dict] = {}
_OUT: Path | None = None


# ---- findings -----------------------------------------------------------------------------------

def record(kind: str, exc: BaseException | None, detail: str, data: bytes) -> None:
    where = ""
    if exc is not None:
        tb = traceback.extract_tb(exc.__traceback__)
        frame = next((f for f in reversed(tb) if "/mnc/" in f.filename), tb[-1] if tb else None)
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else ""
    key = f"{kind}|{type(exc).__name__ if exc else ''}|{where}"
    if key in _FINDINGS:
        _FINDINGS[key]["count"] += 1
        return
    _FINDINGS[key] = {"kind": kind, "exception": type(exc).__name__ if exc else None, "where": where,
                      "detail": detail[:500], "input_hex": data[:4096].hex(), "count": 1}
    with open(_OUT, "a") as f:
        f.write(json.dumps(_FINDINGS[key]) + "\n")


def guarded(run, data: bytes) -> None:
    """Call run(); classify anything that is not a clean one-line MncError as a finding."""
    start = time.monotonic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            run()
    except MncError as exc:
        text = str(exc)
        if "\n" in text or "internal error" in text or not text:
            record("bad message", exc, text, data)
    except RecursionError as exc:
        record("crash", exc, "recursion", data)
    except Exception as exc:  # noqa: BLE001 - every other exception is exactly what we are looking for
        record("crash", exc, f"{type(exc).__name__}: {exc}", data)
    if time.monotonic() - start > SLOW_S:
        record("slow", None, f"{time.monotonic() - start:.1f} s", data)


# ---- tflite: recipes of edits on the base model ------------------------------------------------------

def _int(fdp: atheris.FuzzedDataProvider) -> int:
    if fdp.ConsumeBool():
        return fdp.PickValueInList(INTERESTING_INTS)
    return fdp.ConsumeIntInRange(-300, 300)


def _float(fdp: atheris.FuzzedDataProvider) -> float:
    return fdp.PickValueInList(INTERESTING_FLOATS) if fdp.ConsumeBool() else fdp.ConsumeFloat()


_OPTION_FIELDS = ["StrideH", "StrideW", "DilationHFactor", "DilationWFactor", "Padding", "FusedActivationFunction",
                  "DepthMultiplier", "FilterHeight", "FilterWidth", "Beta"]


def _edit_tflite(fdp, w, inputs, outputs):
    """One structural edit of the writer's specs; returns (inputs, outputs)."""
    choice = fdp.ConsumeIntInRange(0, 13)
    t = w.tensors[fdp.ConsumeIntInRange(0, len(w.tensors) - 1)]
    op = w.ops[fdp.ConsumeIntInRange(0, len(w.ops) - 1)]
    if choice == 0:
        t.shape = tuple(_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 5)))
    elif choice == 1:
        t.ttype = fdp.ConsumeIntInRange(0, 17)
    elif choice == 2:
        t.buffer = _int(fdp) % (2**32)
    elif choice == 3:
        n = fdp.ConsumeIntInRange(0, 9)
        with np.errstate(over="ignore"):   # doubles beyond float32 become inf: one more hostile value
            t.scale = np.array([_float(fdp) for _ in range(n)], np.float32)
        t.zero_point = np.array([_int(fdp) for _ in range(fdp.PickValueInList([n, n, 0, 1]))], np.int64)
    elif choice == 4:
        t.zero_point = np.array([_int(fdp) for _ in range(max(1, len(t.zero_point)))], np.int64)
    elif choice == 5:
        t.axis = _int(fdp)
    elif choice == 6:
        op.opcode = _int(fdp) % (2**32)
    elif choice == 7:
        op.inputs = [_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    elif choice == 8:
        op.outputs = [_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 2))]
    elif choice == 9 and op.options is not None:
        field = fdp.PickValueInList(_OPTION_FIELDS)
        table, fields = op.options
        if not hasattr(getattr(tflite, table), f"{table}Add{field}"):
            return inputs, outputs
        op.options = (table, {**fields, field: _float(fdp) if field == "Beta" else _int(fdp)})
    elif choice == 10:
        inputs = [_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 2))]
    elif choice == 11:
        outputs = [_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 2))]
    elif choice == 12:
        t.name = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 40))
    elif choice == 13 and t.buffer and t.buffer < len(w.buffers):
        raw = bytearray(w.buffers[t.buffer])
        if raw:
            raw[fdp.ConsumeIntInRange(0, len(raw) - 1)] = fdp.ConsumeIntInRange(0, 255)
        w.buffers[t.buffer] = bytes(raw[:fdp.ConsumeIntInRange(0, len(raw))]) if fdp.ConsumeBool() else bytes(raw)
    return inputs, outputs


def _fits_writer(w, inputs, outputs) -> bool:
    """Values the flatbuffer builder itself cannot store (it would raise before mnc sees anything)."""
    ok32 = all(-2**31 <= v < 2**31 for t in w.tensors for v in t.shape) and \
        all(-2**31 <= v < 2**31 for op in w.ops for v in (*op.inputs, *op.outputs)) and \
        all(-2**31 <= v < 2**31 for v in (*inputs, *outputs))
    ok_other = all(0 <= t.buffer < 2**32 and -2**31 <= t.axis < 2**31 for t in w.tensors) and \
        all(0 <= op.opcode < 2**32 for op in w.ops) and all(0 <= t.ttype < 128 for t in w.tensors) and \
        all(-2**63 <= z < 2**63 for t in w.tensors if t.zero_point is not None for z in t.zero_point)
    options_ok = all(all(-2**31 <= v < 2**31 for k, v in op.options[1].items() if k != "Beta")
                     for op in w.ops if op.options) and \
        all(0 <= op.options[1].get(k, 0) < 128 for op in w.ops if op.options
            for k in ("Padding", "FusedActivationFunction"))
    return ok32 and ok_other and options_ok


_BASE_SPEC = models.tflite_spec()


def tflite_from_recipe(data: bytes) -> bytes | None:
    fdp = atheris.FuzzedDataProvider(data)
    w, inputs, outputs = copy.deepcopy(_BASE_SPEC)   # building it afresh each time costs more than mnc's import
    for _ in range(fdp.ConsumeIntInRange(0, 4)):
        inputs, outputs = _edit_tflite(fdp, w, inputs, outputs)
    if not _fits_writer(w, inputs, outputs):
        return None
    try:
        model = bytearray(w.finish(inputs, outputs))
    except Exception:  # noqa: BLE001 - values the flatbuffers builder refuses never reach mnc
        return None
    for _ in range(fdp.ConsumeIntInRange(0, 2) if fdp.ConsumeProbability() < 0.2 else 0):
        model[fdp.ConsumeIntInRange(0, len(model) - 1)] = fdp.ConsumeIntInRange(0, 255)
    if fdp.ConsumeProbability() < 0.05:
        model = model[:fdp.ConsumeIntInRange(0, len(model))]
    return bytes(model)


def tflite_target(data: bytes) -> None:
    model = tflite_from_recipe(data)
    if model is not None:
        guarded(lambda: mnc.frontends.tflite.load_tflite_bytes(model, "fuzz.tflite"), data)


def compile_target(data: bytes) -> None:
    model = tflite_from_recipe(data)
    if model is None:
        return

    def run():
        with tempfile.TemporaryDirectory(prefix="mnc-fuzz-") as tmp:
            path = Path(tmp) / "fuzz.tflite"
            path.write_bytes(model)
            options = mnc.compiler.CompileOptions(target="host", out_dir=Path(tmp) / "pkg", build_sizes=False)
            mnc.compiler.compile_model(path, options)
    guarded(run, data)


# ---- onnx: protobuf-aware mutator ------------------------------------------------------------------

def _onnx_seeds(real: bool) -> list[bytes]:
    """The hostile corpus's base models (float, QDQ, batch norm, softmax, clip) and, with `real`, a
    built-in MobileNet as PyTorch would export it (about 900 KB: it slows every iteration ~5x)."""
    from tests.hostile.corpus import _bn_model, _clip_model, _softmax_model

    seeds = [models.onnx_model(), models.qdq_model(), _bn_model(1e-3)(), _softmax_model(1)(), _clip_model(0.0)()]
    if real:
        from mnc.frontends.builtin import build_variant
        from mnc.frontends.onnx.exporter import to_onnx

        seeds.append(to_onnx(build_variant("v1-0.25", resolution=32, calibrate_weights=False)))
    return [m.SerializeToString() for m in seeds]


def _edit_attribute(rng, node) -> None:
    if not node.attribute or rng.random() < 0.2:
        name = rng.choice(["strides", "pads", "dilations", "group", "kernel_shape", "auto_pad", "axis", "epsilon",
                           "alpha", "beta", "transB", "ceil_mode", "perm", "value"])
        node.attribute.append(h.make_attribute(name, int(rng.choice(INTERESTING_INTS[:12]))))
        return
    attr = node.attribute[rng.randrange(len(node.attribute))]
    choice = rng.randrange(6)
    name = attr.name
    if choice == 0:
        new = h.make_attribute(name, [int(rng.choice(INTERESTING_INTS)) for _ in range(rng.randrange(1, 6))])
    elif choice == 1:
        new = h.make_attribute(name, float(rng.choice(INTERESTING_FLOATS)))
    elif choice == 2:
        new = h.make_attribute(name, rng.choice(["", "VALID", "SAME_UPPER", "\x1b[2J", "x" * 300]))
    elif choice == 3:
        new = h.make_attribute(name, nh.from_array(np.array([rng.choice(INTERESTING_INTS[:12])] * 4, np.int64)))
    elif choice == 4:
        new = h.make_attribute(name, int(rng.choice(INTERESTING_INTS)))
    else:
        new = h.make_attribute(name, [float(rng.choice(INTERESTING_FLOATS)) for _ in range(rng.randrange(1, 5))])
    attr.CopyFrom(new)


def _edit_initializer(rng, model) -> None:
    if not model.graph.initializer:
        return
    t = model.graph.initializer[rng.randrange(len(model.graph.initializer))]
    choice = rng.randrange(5)
    if choice == 0 and t.dims:
        t.dims[rng.randrange(len(t.dims))] = int(rng.choice(INTERESTING_INTS))
    elif choice == 1:
        try:
            arr = nh.to_array(t).copy()
        except Exception:  # noqa: BLE001 - an earlier edit broke it; edit something else
            return
        if arr.size and arr.dtype.kind == "f":
            arr.reshape(-1)[rng.randrange(arr.size)] = rng.choice(INTERESTING_FLOATS)
        elif arr.size:
            info = np.iinfo(arr.dtype)
            arr.reshape(-1)[rng.randrange(arr.size)] = int(np.clip(rng.choice(INTERESTING_INTS), info.min, info.max))
        t.CopyFrom(nh.from_array(arr, t.name))
    elif choice == 2:
        t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data) + 1)]
    elif choice == 3:
        t.data_type = rng.randrange(0, 17)
    else:
        t.ClearField("raw_data")
        t.data_location = onnx.TensorProto.EXTERNAL
        for key in rng.sample(["location", "offset", "length", "checksum", "evil"], rng.randrange(1, 4)):
            t.external_data.add(key=key, value=rng.choice(["w.bin", "../x", "/dev/zero", "-1", "9" * 30, "\x00",
                                                           "0", "16", "abc", "fifo"]))


def _edit_graph(rng, model) -> None:
    g = model.graph
    choice = rng.randrange(7)
    node = g.node[rng.randrange(len(g.node))] if g.node else None
    names = [o for n in g.node for o in n.output] + [i.name for i in g.input] + ["", "nowhere"]
    if choice == 0 and node is not None and node.input:
        node.input[rng.randrange(len(node.input))] = rng.choice(names)
    elif choice == 1 and node is not None:
        node.op_type = rng.choice(["Conv", "Relu", "Gemm", "Pad", "Reshape", "Softmax", "MaxPool", "AveragePool",
                                   "Clip", "Add", "Mul", "Concat", "Transpose", "Flatten", "Erf", "If",
                                   "BatchNormalization", "QuantizeLinear", "DequantizeLinear", "Identity"])
    elif choice == 2 and len(g.node) > 1:
        i, j = rng.randrange(len(g.node)), rng.randrange(len(g.node))
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(g.node[i])
        b.CopyFrom(g.node[j])
        g.node[i].CopyFrom(b)
        g.node[j].CopyFrom(a)
    elif choice == 3 and g.input:
        dims = g.input[0].type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = int(abs(rng.choice(INTERESTING_INTS)))
    elif choice == 4:
        g.output.append(h.make_tensor_value_info(rng.choice(names) or "o", onnx.TensorProto.FLOAT, None))
    elif choice == 5:
        model.opset_import[0].version = rng.choice([1, 9, 12, 13, 17, 21, 99])
    elif node is not None:
        node.name = rng.choice(["", "\x1b]0;t\x07", "[/]", "n" * 1000, "mnc_run", "*/"])


def onnx_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    try:
        model = onnx.ModelProto.FromString(data)
    except Exception:  # noqa: BLE001 - not a protobuf: let libFuzzer mutate the bytes
        return atheris.Mutate(data, max_size)
    if rng.random() < 0.1 or not model.graph.node:
        return atheris.Mutate(data, max_size)
    try:
        for _ in range(rng.randrange(1, 3)):
            pick = rng.random()
            if pick < 0.4 and model.graph.node:
                _edit_attribute(rng, model.graph.node[rng.randrange(len(model.graph.node))])
            elif pick < 0.7:
                _edit_initializer(rng, model)
            else:
                _edit_graph(rng, model)
        out = model.SerializeToString()
    except Exception:  # noqa: BLE001 - an edit onnx's helpers cannot express: mutate bytes instead
        return atheris.Mutate(data, max_size)
    return out if len(out) <= max_size else data


_ONNX_DIR: Path | None = None


def onnx_target(data: bytes) -> None:
    path = _ONNX_DIR / "fuzz.onnx"
    path.write_bytes(data)
    guarded(lambda: mnc.frontends.onnx.load_onnx(path), data)


# ---- entry point ----------------------------------------------------------------------------------

def main() -> None:
    global _OUT, _ONNX_DIR
    target, findings, *flags = sys.argv[1:]
    _OUT = Path(findings)
    seeds_dir = Path(tempfile.mkdtemp(prefix=f"mnc-fuzz-{target}-seeds-"))
    if target == "onnx":
        _ONNX_DIR = Path(tempfile.mkdtemp(prefix="mnc-fuzz-onnx-"))
        (_ONNX_DIR / "w.bin").write_bytes(bytes(range(256)) * 4)
        for i, seed in enumerate(_onnx_seeds(real=os.environ.get("MNC_FUZZ_REAL_SEEDS") == "1")):
            (seeds_dir / f"seed{i}.onnx").write_bytes(seed)
        atheris.Setup([sys.argv[0], *flags, str(seeds_dir)], onnx_target, custom_mutator=onnx_mutator)
    else:
        (seeds_dir / "empty").write_bytes(b"")
        (seeds_dir / "edits").write_bytes(bytes(range(64)))
        atheris.Setup([sys.argv[0], *flags, str(seeds_dir)], tflite_target if target == "tflite" else compile_target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
