"""The transfer-learning example's compile-and-evaluate half, on its committed model: the C that mnc
generates for the fine-tuned int8 .tflite gives LiteRT's reference outputs byte for byte on every
held-out digit, and the accuracy recorded in the example's results_mnc.json."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO, need_tool

EXAMPLE = REPO / "examples" / "transfer_learning"
CORE_IMAGES = 4     # the full held-out split under QEMU is the example's own run (see its README)

pytestmark = [pytest.mark.slow, pytest.mark.qemu]


def _example_module(name: str):
    """The example's script as a module (it adds its own folder to sys.path for data.py)."""
    spec = importlib.util.spec_from_file_location(f"transfer_learning_{name}", EXAMPLE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_model_compiles_and_matches_its_recorded_accuracy(tmp_path):
    need_tool("gcc")
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    evaluate = _example_module("evaluate")
    results = evaluate.evaluate(tmp_path, core_images=CORE_IMAGES)
    recorded = json.loads((EXAMPLE / "results_mnc.json").read_text())
    assert results["outputs_differing_from_litert_or_host"] == 0
    assert results["held_out_images"] == recorded["held_out_images"] > 300
    assert results["mnc_host_c_accuracy"] == recorded["mnc_host_c_accuracy"]
    assert recorded["mnc_core_images"] == recorded["held_out_images"]        # the note covers every image
    assert recorded["mnc_core_accuracy"] == recorded["mnc_host_c_accuracy"]  # same C, same outputs
