"""`mnc ops` and docs/IR.md come from the op and kernel descriptors; the doc table is never stale,
and what the ops declare about importers matches the importers' own tables."""

from __future__ import annotations

import json

from mnc.cli import main
from mnc.frontends.onnx.converters import CONVERTERS as ONNX_CONVERTERS
from mnc.frontends.tflite.converters import CONVERTERS as TFLITE_CONVERTERS
from mnc.support import ir_doc_path, op_support, updated_ir_doc

# ONNX operators that produce no op of their own: constants, no-ops, QDQ annotations.
ONNX_STRUCTURAL = {"Constant", "Identity", "Dropout", "Shape", "DequantizeLinear"}


def test_ir_doc_op_table_is_current():
    text = ir_doc_path().read_text()
    assert updated_ir_doc(text) == text, "docs/IR.md is stale: run `python scripts/update_ir_doc.py`"


def test_declared_importer_names_match_the_converter_tables():
    support = op_support()
    assert {n for op in support for n in op["tflite"]} == set(TFLITE_CONVERTERS)
    assert {n for op in support for n in op["onnx"]} == set(ONNX_CONVERTERS) - ONNX_STRUCTURAL


def test_mnc_ops_json_lists_kernels_per_target(capsys):
    try:
        main(["ops", "--json"])
    except SystemExit as exc:
        assert exc.code == 0
    ops = {op["kind"]: op for op in json.loads(capsys.readouterr().out)}
    conv = ops["conv2d"]["kernels_per_target"]
    assert conv["host"] == ["mnc_conv1x1_s8", "mnc_conv2d_s8"]
    assert conv["cortex-m7"][0] == "mnc_conv1x1_dsp_s8"
    assert conv["cortex-m55"][0] == "mnc_conv1x1_mve_s8"
    assert ops["transpose"]["kernels"] == [{"name": "mnc_transpose_s8", "needs": None}]
    assert "batch 1 only" in ops["conv2d"]["constraints"]
