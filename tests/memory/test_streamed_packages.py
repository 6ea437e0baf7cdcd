"""Streamed packages compute the same bytes as plain ones: V1, V2 and V3 variants, compiled with
schedule "auto" (row-streamed segments, band calls, windows, outputs over consumed input rows), built
and run on the host and on emulated Cortex-M4 (DSP), M7 (DSP) and M55 (Helium), each compared with
the plain host package on the same input. The plain kernels are themselves checked bit-exact against
TFLite elsewhere (tests/cortexm/test_vww.py, tests/ops)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnc.compiler import compile_model
from mnc.options import CompileOptions
from mnc.runners import cortexm, host
from tests.conftest import need_tool

pytestmark = [pytest.mark.slow]

VARIANTS = ["v1-0.25-64", "v2-0.35-64", "v3s-0.75-64"]
CORES = ["cortex-m4", "cortex-m7", "cortex-m55"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Per variant: (input, plain host output)."""
    root = tmp_path_factory.mktemp("plain")
    result = {}
    for variant in VARIANTS:
        package = compile_model(variant, CompileOptions(target="host", out_dir=root / variant))
        manifest = json.loads((package.out_dir / "manifest.json").read_text())
        x = np.random.default_rng(7).integers(-128, 128, size=manifest["input"]["shape"], dtype=np.int8)
        result[variant] = (x, host.run(package.out_dir, x), package.arena_bytes)
    return result


def streamed(variant: str, target: str, out_dir):
    result = compile_model(variant, CompileOptions(target=target, out_dir=out_dir, schedule="auto",
                                                   build_sizes=False))
    assert result.plan.segments, f"{variant} on {target}: nothing was streamed"
    return result


@pytest.mark.parametrize("variant", VARIANTS)
def test_streamed_host_package_equals_plain(variant, reference, tmp_path):
    x, expected, plain_arena = reference[variant]
    result = streamed(variant, "host", tmp_path / "pkg")
    assert result.arena_bytes < plain_arena
    np.testing.assert_array_equal(host.run(result.out_dir, x), expected)


@pytest.mark.qemu
@pytest.mark.parametrize("core", CORES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_streamed_package_on_the_core_equals_plain(variant, core, reference, tmp_path):
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    x, expected, _ = reference[variant]
    result = streamed(variant, core, tmp_path / "pkg")
    run = cortexm.run_firmware(cortexm.build(result.out_dir, core, x, tmp_path / "fw"))
    np.testing.assert_array_equal(run.output, expected)
