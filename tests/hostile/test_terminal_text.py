"""Model-supplied strings never reach the terminal raw: tables, errors and warnings escape controls and
print markup literally; `mnc validate` without the oracle packages says what to install."""

from __future__ import annotations

import sys

import onnx
import pytest

import mnc.validate
from mnc.cli import main
from mnc.safetext import escape, terminal_line
from tests.conftest import VWW_INT8
from tests.hostile.models import onnx_model, onnx_parts, make_onnx

CLEAR_AND_TITLE = "\x1b[2J\x1b]0;pwned\x07"
HOSTILE_NAME = f"conv{CLEAR_AND_TITLE}[/][bold]x:smile:\u202e\x9b"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def assert_no_raw_controls(text: str) -> None:
    raw = [ch for ch in text if ch != "\n" and (ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 or ch == "\u202e")]
    assert not raw, f"raw control characters reached the terminal: {raw!r}"


@pytest.mark.parametrize("text, shown", [
    ("plain_name/conv:0", "plain_name/conv:0"),
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("bell\x07 nul\x00 del\x7f c1\x9b", "bell\\x07 nul\\x00 del\\x7f c1\\x9b"),
    ("rtl\u202eoverride", "rtl\\u202eoverride"),
    ("back\\slash", "back\\\\slash"),
    ("line\nbreak", "line\\x0abreak"),
])
def test_escape_makes_controls_visible(text, shown):
    assert escape(text) == shown


def test_escape_cuts_long_names():
    assert escape("n" * 1000) == "n" * 200 + "...(cut)"


def test_terminal_line_is_one_line_without_controls():
    line = terminal_line(f"op {HOSTILE_NAME!s}: bad\nsecond line\r\x1b[1A")
    assert "\n" not in line and "\r" not in line
    assert_no_raw_controls(line)


def test_info_escapes_node_names_and_prints_markup_literally(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")   # no wrapping inside the name cell
    model = onnx_model()
    model.graph.node[0].name = HOSTILE_NAME
    path = tmp_path / "evil.onnx"
    onnx.save(model, str(path))
    status, out, err = run(capsys, "info", str(path))
    assert status == 0, err
    assert_no_raw_controls(out)
    assert "conv\\x1b[2J\\x1b]0;pwned\\x07[/][bold]x:smile:\\u202e\\x9b" in out


def test_errors_escape_the_model_strings_they_quote(capsys, tmp_path):
    nodes, inits = onnx_parts()
    nodes[1].op_type = f"Relu{CLEAR_AND_TITLE}"
    path = tmp_path / "evil.onnx"
    onnx.save(make_onnx(nodes, inits), str(path))
    status, out, err = run(capsys, "compile", str(path), "-o", str(tmp_path / "pkg"))
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "internal error" not in err
    assert_no_raw_controls(err)
    assert not (tmp_path / "pkg").exists()


def test_validate_without_oracle_packages_says_what_to_install(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)   # makes `import ai_edge_litert` fail
    monkeypatch.setitem(sys.modules, "tflite_micro", None)
    monkeypatch.setattr(mnc.validate, "compile_model", lambda *a, **k: pytest.fail("compiled before checking"))
    status, out, err = run(capsys, "validate", str(VWW_INT8))
    assert status == 1 and out == ""
    assert err == ("error: validate compares with TFLite's reference interpreters; install them with "
                   "`pip install ai-edge-litert tflite-micro` (or `pip install 'mnc[test]'`)\n")
