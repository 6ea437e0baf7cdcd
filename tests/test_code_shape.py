"""The code-shape limits of the project: median function length <= 8 lines, no file in mnc/ over 400."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "code_shape.py"


def _code_shape():
    spec = importlib.util.spec_from_file_location("code_shape", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_median_function_length_and_file_size():
    shape = _code_shape()
    figures = shape.measure()
    assert figures["median_function_lines"] <= shape.MAX_MEDIAN_FUNCTION_LINES, figures
    assert figures["files_over_limit"] == [], figures


def test_the_measure_counts_what_it_should(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("def f():\n    return 1\n\n\n@staticmethod\ndef g():\n    x = 1\n    return x\n")
    shape = _code_shape()
    assert sorted(shape.function_lengths(package)) == [2, 4]
    assert shape.file_lengths(package) == {"pkg/a.py": 8}
