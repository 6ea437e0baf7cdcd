"""Every case of the hostile corpus (tests/hostile/corpus.py) gives exactly its expected outcome through
`mnc compile`: a one-line refusal matching its pattern with nothing written, or an accepted package that
is clean under UBSan/ASan and bit-exact with the reference on random and extreme inputs."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from mnc.cli import main
from mnc.codegen.emit import MANIFEST
from tests.conftest import need_tool
from tests.hostile.corpus import ACCEPTED, all_cases
from tests.hostile.sanitized import build_sanitized, extreme_inputs, run_sanitized
from tests.hostile.test_terminal_text import assert_no_raw_controls

CASES = all_cases()
REFUSED = [c for c in CASES if c.expect != ACCEPTED]
ACCEPTED_CASES = [c for c in CASES if c.expect == ACCEPTED]


def compile_case(case, folder, capsys):
    model = case.make(folder)
    out = folder / "pkg"
    argv = ["compile", str(model), "-o", str(out)]
    if case.fmt == "onnx" or "float" in case.name:
        # in the model's own layout: the corpus' ONNX models take NCHW [1, 3, 8, 8], as exported
        shape = (4, 3, 8, 8) if case.fmt == "onnx" else (4, 16)
        calibration = folder / "calibration.npy"
        np.save(calibration, np.random.default_rng(0).uniform(0, 1, shape).astype(np.float32))
        argv += ["--calibration", str(calibration)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err, out


def test_corpus_is_large_and_covers_both_importers():
    assert len(CASES) >= 120
    assert {c.fmt for c in REFUSED} == {"tflite", "onnx"} and {c.fmt for c in ACCEPTED_CASES} == {"tflite", "onnx"}
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_refused_with_one_clean_line(case, tmp_path, capsys):
    status, out, err, pkg = compile_case(case, tmp_path, capsys)
    assert status == 1, f"expected a refusal, got exit {status}: {out[-500:]}{err[-500:]}"
    assert out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, f"not one line: {err!r}"
    assert "internal error" not in err and "Traceback" not in err, err
    assert_no_raw_controls(err)
    assert re.search(case.expect, err), f"{err!r} does not match {case.expect!r}"
    assert not pkg.exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", ACCEPTED_CASES, ids=[c.name for c in ACCEPTED_CASES])
def test_accepted_and_clean_under_sanitizers(case, tmp_path, capsys):
    need_tool("gcc")
    status, out, err, pkg = compile_case(case, tmp_path, capsys)
    assert status == 0, err
    assert_no_raw_controls(out + err)
    manifest = json.loads((pkg / MANIFEST).read_text())
    exe = build_sanitized(pkg)
    reference = _reference(case, tmp_path, pkg)
    for label, x in extreme_inputs(manifest["input"]["shape"]).items():
        got = run_sanitized(exe, x, tmp_path)
        np.testing.assert_array_equal(got, reference(x).reshape(-1), err_msg=f"{case.name}: {label} input")


def _reference(case, folder, pkg):
    """LiteRT's reference kernels for int8 .tflite cases; mnc's int8 interpreter on the compiled graph
    otherwise (float and QDQ models have no int8 oracle of their own)."""
    from mnc.compiler import compile_model
    from mnc.interpreter import run_single
    from mnc.options import CompileOptions
    from mnc.oracles import run_litert

    model = next(folder.glob(f"{case.name}.*"))
    if case.fmt == "tflite" and "float" not in case.name:
        return lambda x: run_litert(model, x)
    calibration = folder / "calibration.npy"
    graph = compile_model(model, CompileOptions(out_dir=folder / "again", calibration=calibration)).graph
    return lambda x: run_single(graph, x, mode="int8")
