"""mnc_conv3x3_c3_dsp_s8 (3x3 convolution of a 3-channel input, DSP extension) bit for bit against the
op's int8 reference on emulated Cortex-M cores: odd sizes, every padding, strides 1 and 2, odd output
channel counts, zero points at both ends, multipliers just below 2^31, large right shifts, left shifts
and huge biases (the exact requantization path)."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.conv3x3_c3_dsp import C3_SLOT_TAPS
from mnc.kernels.select import lower_op
from mnc.ops.conv2d import Conv2D
from mnc.targets import load_target
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU6, _quantized_case, with_left_shifts
from tests.ops.test_dsp_kernels import _assert_same, _outputs, tools  # noqa: F401 (fixture)
from tests.ops.c_harness import check_compiles
from tests.ops.dsp_harness import run_kernel_cortexm

KERNEL = "mnc_conv3x3_c3_dsp_s8"

# input shape, (stride_h, stride_w), pad (top, bottom, left, right), out channels, in_zp, out_zp, act
CASES = {
    "s2_pad_br": ((1, 11, 9, 3), (2, 2), (0, 1, 0, 1), 8, -128, -128, ACT_RELU6),
    "s2_pad_all": ((1, 10, 13, 3), (2, 2), (1, 1, 1, 1), 7, 127, 5, ACT_NONE),
    "s1_same": ((1, 7, 6, 3), (1, 1), (1, 1, 1, 1), 5, -3, 127, ACT_NONE),
    "s1_valid": ((1, 5, 8, 3), (1, 1), (0, 0, 0, 0), 3, 127, -128, ACT_RELU6),
    "s12_pad_tl": ((1, 9, 7, 3), (1, 2), (2, 0, 1, 0), 9, 0, -100, ACT_NONE),
    "one_pixel": ((1, 3, 3, 3), (2, 2), (0, 0, 0, 0), 4, 9, 0, ACT_NONE),
}


def _case(name, seed):
    x_shape, stride, pad, out_c, in_zp, out_zp, act = CASES[name]
    return _quantized_case("conv2d", np.random.default_rng(seed), x_shape, (out_c, 3, 3, 3),
                           {"stride": stride, "pad": pad, "act": act}, in_zp, out_zp)


def _run(g, x, target, tmp_path, fast):
    _, want, call = _outputs(g, x, target)
    assert call.kernel == KERNEL
    assert call.params["fast_requant"] == int(fast)
    got = run_kernel_cortexm(call, x, want.shape, target, tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_conv_bit_exact(tools, tmp_path, name):  # noqa: F811
    g, x = _case(name, seed=len(name))
    _run(g, x, "cortex-m4", tmp_path, fast=True)


@pytest.mark.parametrize("target", ["cortex-m7", "cortex-m33"])
def test_first_conv_bit_exact_other_cores(tools, tmp_path, target):  # noqa: F811
    g, x = _case("s2_pad_all", seed=11)
    _run(g, x, target, tmp_path, fast=True)


def test_first_conv_extreme_multipliers_and_shifts(tools, tmp_path):  # noqa: F811
    """Per channel: multipliers just below 2^31 (scale ratios just below a power of two) and right
    shifts up to 24, on the fast path."""
    g, x = _case("s2_pad_all", seed=5)
    w, b, y = g.tensor("w"), g.tensor("b"), g.tensor("y")
    in_scale, out_scale = float(g.tensor("x").quant.scale[0]), float(y.quant.scale[0])
    ratios = np.array([2.0**-k * (1 - 2.0**-22) for k in (1, 4, 8, 12, 16, 20, 24)], np.float64)
    scales = (ratios * out_scale / in_scale).astype(np.float32)
    w.quant = type(w.quant)(scales, np.zeros(len(scales), np.int32), 0)
    b.quant = type(b.quant)((in_scale * scales).astype(np.float32), np.zeros(len(scales), np.int32))
    stage = Conv2D().output_stage(g.op("op"), g)
    assert np.max(stage["multiplier"]) > 2**31 - 2**12 and np.min(stage["shift"]) <= -20
    _run(g, x, "cortex-m7", tmp_path, fast=True)


def test_first_conv_exact_path_left_shifts(tools, tmp_path):  # noqa: F811
    g, x = _case("s1_same", seed=3)
    x = with_left_shifts(g, x, np.random.default_rng(4), -3, 127)
    _run(g, x, "cortex-m4", tmp_path, fast=False)


def test_first_conv_exact_path_huge_bias(tools, tmp_path):  # noqa: F811
    g, x = _case("s2_pad_br", seed=8)
    b = g.tensor("b")
    b.data = (np.asarray(b.data, np.int64) + (1 << 29) * np.resize([1, -1], b.data.shape)).astype(np.int32)
    _run(g, x, "cortex-m7", tmp_path, fast=False)


@pytest.mark.parametrize("w_shape, attrs, reason", [
    ((4, 3, 3, 4), {}, "3x3 window over 4 input channels"),
    ((4, 5, 5, 3), {}, "5x5 window"),
    ((4, 3, 3, 3), {"dilation": (2, 2)}, "dilation"),
])
def test_first_conv_applies_only_to_3x3_over_3_channels(w_shape, attrs, reason):
    x_shape = (1, 9, 9, w_shape[3])
    g, x = _quantized_case("conv2d", np.random.default_rng(0), x_shape, w_shape, attrs, 0, 0)
    lowering = lower_op(g.op("op"), g, load_target("cortex-m7"))
    assert lowering.kernel == "mnc_conv2d_dsp_s8"
    assert reason in lowering.skipped[KERNEL]


def test_slot_order_covers_every_tap_once():
    taps = [t for t in C3_SLOT_TAPS if t >= 0]
    assert sorted(taps) == list(range(27)) and len(C3_SLOT_TAPS) == 28


@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m33", "cortex-m55"])
def test_first_conv_compiles_strict(tools, cpu):  # noqa: F811
    flags = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-mcpu={cpu}", "-mthumb")
    check_compiles([f"{KERNEL}.c", f"{KERNEL}.h", "mnc_requant_dsp_s8.h", "mnc_gemm_dsp_s8.h"], flags=flags)
