"""Firmware on every emulated machine: boots, matches the host build byte for byte, counts
instructions deterministically, profiles per layer, and fails loudly on a fault."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from mnc.errors import ToolchainError
from mnc.runners import cortexm, host
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.cortexm.cases import EMULATED_TARGETS

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module", autouse=True)
def tools():
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")


@pytest.mark.parametrize("name", EMULATED_TARGETS)
def test_fake_package_matches_host_and_counts_deterministically(name, fake_package, fake_input, tmp_path):
    expected = host.run(fake_package, fake_input)
    firmware = cortexm.build(fake_package, name, fake_input, tmp_path)
    first = cortexm.run_firmware(firmware, timeout_s=60)
    second = cortexm.run_firmware(firmware, timeout_s=60)
    assert first.output.dtype == np.int8
    np.testing.assert_array_equal(first.output, expected)
    assert first.instructions == second.instructions
    assert 1_000 < first.instructions < 100_000   # two small layers: a few thousand instructions
    assert first.layer_instructions is None
    assert first.sizes.rodata >= 48 + 480 + 40 and first.sizes.bss >= 96
    assert 0 < first.stack_bytes < 4096


@pytest.mark.parametrize("name", ["cortex-m0plus", "cortex-m55"])
def test_profiled_run_reports_each_layer(name, fake_package, fake_input):
    plain = cortexm.run(fake_package, name, fake_input, timeout_s=60)
    profiled = cortexm.run(fake_package, name, fake_input, profile=True, timeout_s=60)
    np.testing.assert_array_equal(profiled.output, plain.output)
    layers = profiled.layer_instructions
    assert len(layers) == 2 and all(n > 0 for n in layers)
    assert layers[1] > layers[0]                     # 480 MACs against 48
    assert sum(layers) <= profiled.instructions      # the layers run inside the timed mnc_run()


@pytest.mark.parametrize("period_bits", [24, 12])
@pytest.mark.parametrize("name", EMULATED_TARGETS)
def test_tick_clock_matches_target_file(name, period_bits):
    """A loop of known length (2 instructions per iteration) takes the ticks the target's clock
    predicts; a 12-bit SysTick period makes it wrap several times on the way."""
    iterations = 200_000
    calibration = cortexm.calibrate(name, iterations, period_bits)
    elapsed = calibration.ticks[iterations] - calibration.ticks[0]
    expected = 2 * iterations * load_target(name).ticks_per_second / 1e9
    assert abs(elapsed - expected) <= 2


@pytest.mark.parametrize("name", EMULATED_TARGETS)
def test_fpu_and_helium_are_enabled_at_reset(name):
    """Float math (an FPU instruction on hard-float targets) and, on the M55, an MVE dot product;
    either would fault if the reset handler left CP10/CP11 disabled."""
    mve = "-122" if load_target(name).has("mve") else "none"
    assert cortexm.self_test(name) == f"-3375 {mve}"


def test_fault_ends_the_run_with_an_error(fake_package, fake_input, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(fake_package, broken, ignore=shutil.ignore_patterns("build"))
    model_c = broken / "model.c"
    model_c.write_text(model_c.read_text().replace("    MNC_LAYER_START(0);", "    __builtin_trap();\n    MNC_LAYER_START(0);", 1))
    with pytest.raises(ToolchainError, match="fault"):
        cortexm.run(broken, "cortex-m3", fake_input, timeout_s=60)
