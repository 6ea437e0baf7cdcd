"""The real thing: the MLPerf Tiny VWW model compiled for each instruction-set family, run under
QEMU on a real image, byte-identical to the host build (portable kernels) of the same model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mnc.compiler import compile_model
from mnc.options import CompileOptions
from mnc.runners import cortexm, host
from tests.conftest import SHARED_MODELS, need_tool

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

# Every QEMU-backed target: ARMv6-M, ARMv7-M, ARMv7E-M with DSP (M4, M7), ARMv8-M (M33), ARMv8.1-M (M55).
FAMILIES = ["cortex-m0plus", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]


def person_image(manifest: dict) -> np.ndarray:
    """person.bmp (96x96 grayscale) replicated to RGB and quantized with the model's input parameters."""
    q = manifest["input"]
    gray = np.asarray(Image.open(SHARED_MODELS / "person.bmp").convert("L"), dtype=np.float64) / 255.0
    x = np.clip(np.round(gray / q["scale"]) + q["zero_point"], -128, 127).astype(np.int8)
    return np.repeat(x[:, :, None], 3, axis=2).reshape(q["shape"])


@pytest.mark.parametrize("name", FAMILIES)
def test_vww_matches_host_build(name, shared_models, tmp_path):
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    model = shared_models / "vww_96_int8.tflite"
    result = compile_model(model, CompileOptions(target=name, out_dir=tmp_path / "vww", build_sizes=False))
    host_package = compile_model(model, CompileOptions(target="host", out_dir=tmp_path / "vww-host")).out_dir
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    x = person_image(manifest)
    firmware = cortexm.build(result.out_dir, name, x, tmp_path / "fw")
    first = cortexm.run_firmware(firmware)
    np.testing.assert_array_equal(first.output, host.run(host_package, x))
    assert first.instructions > result.macs // 16  # Helium's VMLADAV, the widest, does 16 int8 MACs
    assert first.sizes.rodata >= 200_000           # the weights went into the firmware
    if name == "cortex-m7":
        assert cortexm.run_firmware(firmware).instructions == first.instructions
