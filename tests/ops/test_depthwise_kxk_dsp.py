"""mnc_depthwise_kxk_dsp_s8 (mnc/kernels/depthwise_kxk_dsp.py), depthwise convolution for KxK windows
other than 3x3 with the DSP extension: each case runs as a one-kernel firmware under QEMU (cortex-m4
and cortex-m7) and is compared bit for bit with the op's int8 reference: 5x5 (MobileNetV3), 7x7, 3x5 and
1x1 windows, odd sizes, every padding, strides 1 and 2, channel counts that are not multiples of 4, zero
points +-128, both requantization paths (fast and exact), weights of -128, accumulators near 2^30 and
multipliers above one (left shifts)."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.depthwise_kxk_dsp import KERNEL as KXK_DSP, unpacked_weights
from mnc.kernels.select import lower_call
from mnc.ops import get_op
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.c_harness import check_compiles
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_dsp_kernels import _assert_same
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case, with_left_shifts

# input shape, window (kh, kw), attrs, in_zp, out_zp
CASES = {
    "5x5_same_s1": ((1, 7, 9, 13), (5, 5), {"pad": (2, 2, 2, 2), "act": ACT_RELU6}, -128, -128),
    "5x5_same_s2": ((1, 9, 8, 24), (5, 5), {"stride": (2, 2), "pad": (1, 2, 1, 2), "act": ACT_RELU}, 127, 5),
    "5x5_valid_s1": ((1, 6, 11, 6), (5, 5), {}, 3, -100),
    "5x5_lopsided_s2": ((1, 11, 10, 9), (5, 5), {"stride": (2, 2), "pad": (0, 3, 4, 1)}, -7, 127),
    "5x5_small_input": ((1, 3, 3, 18), (5, 5), {"pad": (2, 2, 2, 2), "act": ACT_NONE}, -128, 0),
    "5x5_stride_hw": ((1, 8, 9, 7), (5, 5), {"stride": (1, 2), "pad": (2, 2, 2, 2)}, 50, -20),
    "7x7_s1": ((1, 8, 10, 5), (7, 7), {"pad": (3, 3, 3, 3), "act": ACT_RELU6}, -1, -128),
    "3x5_s2": ((1, 7, 12, 11), (3, 5), {"stride": (2, 2), "pad": (1, 1, 2, 2)}, 100, 20),
    "1x1_s1": ((1, 4, 5, 2), (1, 1), {}, 0, 0),
}


def _case(name, seed, variant):
    x_shape, (kh, kw), attrs, in_zp, out_zp = CASES[name]
    rng = np.random.default_rng(seed)
    g, x = _quantized_case("depthwise_conv2d", rng, x_shape, (1, kh, kw, x_shape[3]), attrs, in_zp, out_zp)
    w = g.tensor("w")
    if variant == "exact":
        # A bias near 2^29 rules out the fast requantization; it stays representable after folding.
        b = g.tensor("b")
        b.data = (np.asarray(b.data, np.int64) + (1 << 29) * np.resize([1, -1], b.data.shape)).astype(np.int32)
    elif variant == "big_bias":
        # Accumulators near +-2^30, and -128 weights.
        b = g.tensor("b")
        b.data = (np.asarray(b.data, np.int64) + (1 << 30) * np.resize([1, -1], b.data.shape)).astype(np.int32)
        w.data = np.where(rng.random(w.shape) < 0.2, -128, w.data).astype(np.int8)
    elif variant == "left_shift":
        x = with_left_shifts(g, x, rng, in_zp, out_zp)
    return g, x


def _reference(g, x):
    op = g.op("op")
    return op, get_op(op.kind).eval_int8(op, g, [x] + [g.tensor(n).data for n in op.inputs[1:]])[0]


@pytest.fixture(scope="module")
def tools():
    for name in ("arm-none-eabi-gcc", "qemu-system-arm"):
        need_tool(name)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("variant", ["plain", "exact", "big_bias", "left_shift"])
def test_kxk_dsp_bit_exact(tools, tmp_path, name, variant):
    g, x = _case(name, seed=len(name) * 5 + len(variant), variant=variant)
    op, want = _reference(g, x)
    target = "cortex-m7" if len(name) % 2 else "cortex-m4"
    call = lower_call(op, g, load_target(target))
    assert call.kernel == "mnc_depthwise_kxk_dsp_s8"
    assert call.params["fast_requant"] == int(variant == "plain")
    got = run_kernel_cortexm(call, x, want.shape, target, tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


def test_kxk_dsp_is_picked_only_where_it_applies():
    g, _ = _case("5x5_same_s1", seed=1, variant="plain")
    op = g.op("op")
    assert lower_call(op, g, load_target("cortex-m33")).kernel == "mnc_depthwise_kxk_dsp_s8"
    assert lower_call(op, g, load_target("cortex-m3")).kernel == "mnc_depthwise_conv2d_s8"
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 3, 3, 4), {}, 0, 0)
    assert "3x3" in KXK_DSP.check(g.op("op"), g).reason
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 3), (1, 5, 5, 6),
                           {"depth_multiplier": 2}, 0, 0)
    assert "depth multiplier 2" in KXK_DSP.check(g.op("op"), g).reason
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 12, 12, 4), (1, 5, 5, 4),
                           {"dilation": (2, 2)}, 0, 0)
    assert "dilated" in KXK_DSP.check(g.op("op"), g).reason
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 20, 4, 4), (1, 17, 1, 4), {}, 0, 0)
    assert "17 rows" in KXK_DSP.check(g.op("op"), g).reason


def test_unpacked_weight_layout():
    words = unpacked_weights(np.array([[1, -2], [3, 4], [-5, 6], [7, -128], [9, 10]], np.int8), 2)
    halves = words.astype("<u4").view("<i2").reshape(2, 2, 2, 2)       # group, tap, word, half
    assert halves[0, 0].tolist() == [[2, -10], [6, 14]] and halves[0, 1, 1].tolist() == [8, -256]
    assert halves[1, 1].tolist() == [[20, 0], [0, 0]]


@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_kxk_dsp_compiles_strict(tools, cpu):
    flags = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-mcpu={cpu}", "-mthumb")
    check_compiles(["mnc_depthwise_kxk_dsp_s8.c", "mnc_depthwise_kxk_dsp_s8.h", "mnc_requant_dsp_s8.h"], flags=flags)
