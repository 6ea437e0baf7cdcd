"""DSP-extension kernels (chosen by lower() for targets with "dsp"): each case is lowered for a DSP
target, run as a one-kernel firmware under QEMU, and compared bit for bit with the Python int8
reference and with the portable C kernel (host gcc) on random data: odd channel counts, extreme zero
points, padding, strides, dilation, and both requantization paths (fast and exact)."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.select import lower_call
from mnc.ops import get_op
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.c_harness import check_compiles, run_kernel_c
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case

DSP_TARGETS = ["cortex-m4", "cortex-m7", "cortex-m33"]

# kind, input shape, weight shape, attrs, in_zp, out_zp, expected DSP kernel
CASES = {
    "pw_odd": ("conv2d", (1, 5, 5, 13), (7, 1, 1, 13), {"act": ACT_RELU6}, -128, 127, "mnc_conv1x1_dsp_s8"),
    "pw_stride2": ("conv2d", (1, 7, 6, 6), (5, 1, 1, 6), {"stride": (2, 2)}, 9, -3, "mnc_conv1x1_dsp_s8"),
    "pw_wide": ("conv2d", (1, 3, 3, 64), (24, 1, 1, 64), {}, 127, -128, "mnc_conv1x1_dsp_s8"),
    "conv_first": ("conv2d", (1, 9, 9, 3), (8, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1),
                   "act": ACT_RELU6}, -128, -128, "mnc_conv3x3_c3_dsp_s8"),
    "conv_dilated": ("conv2d", (1, 6, 7, 5), (3, 3, 2, 5), {"pad": (1, 1, 1, 0), "dilation": (2, 1)},
                     127, 5, "mnc_conv2d_dsp_s8"),
    "dw_pad": ("depthwise_conv2d", (1, 9, 9, 5), (1, 3, 3, 5), {"pad": (1, 1, 1, 1), "act": ACT_RELU6},
               -128, -128, "mnc_depthwise_conv2d_dsp_s8"),
    "dw_stride2": ("depthwise_conv2d", (1, 8, 8, 12), (1, 3, 3, 12), {"stride": (2, 2), "pad": (0, 1, 0, 1)},
                   127, 127, "mnc_depthwise_conv2d_dsp_s8"),
    "dw_s1_full": ("depthwise_conv2d", (1, 7, 9, 8), (1, 3, 3, 8), {"pad": (1, 1, 1, 1)}, -128, -128,
                   "mnc_depthwise_conv2d_dsp_s8"),
    "dw_s2_pad_both": ("depthwise_conv2d", (1, 9, 8, 16), (1, 3, 3, 16), {"stride": (2, 2), "pad": (1, 1, 1, 0),
                       "act": ACT_RELU6}, 3, -100, "mnc_depthwise_conv2d_dsp_s8"),
    "dw_5x5_dilated": ("depthwise_conv2d", (1, 8, 7, 7), (1, 5, 5, 7), {"pad": (2, 2, 3, 1), "dilation": (1, 2),
                       "act": ACT_RELU}, -5, -128, "mnc_depthwise_conv2d_dsp_s8"),
    "fc": ("fully_connected", (1, 1, 1, 37), (11, 37), {"act": ACT_NONE}, 127, -9, "mnc_fully_connected_dsp_s8"),
}


def _case(name, seed, exact_path=False):
    kind, x_shape, w_shape, attrs, in_zp, out_zp, kernel = CASES[name]
    g, x = _quantized_case(kind, np.random.default_rng(seed), x_shape, w_shape, attrs, in_zp, out_zp)
    if exact_path:
        # A bias near 2^29 rules out the fast requantization; keep it representable after folding.
        b = g.tensor("b")
        b.data = (np.asarray(b.data, np.int64) + (1 << 29) * np.resize([1, -1], b.data.shape)).astype(np.int32)
    return g, x, kernel


def _outputs(g, x, target):
    op = g.op("op")
    want = get_op(op.kind).eval_int8(op, g, [x] + [g.tensor(n).data for n in op.inputs[1:]])[0]
    call = lower_call(op, g, load_target(target))
    return op, want, call


@pytest.fixture(scope="module")
def tools():
    for name in ("gcc", "arm-none-eabi-gcc", "qemu-system-arm"):
        need_tool(name)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("exact_path", [False, True], ids=["fast", "exact"])
def test_dsp_kernel_bit_exact_on_cortex_m4(tools, tmp_path, name, exact_path):
    g, x, kernel = _case(name, seed=len(name), exact_path=exact_path)
    op, want, call = _outputs(g, x, "cortex-m4")
    assert call.kernel == kernel
    assert call.params["fast_requant"] == int(not exact_path)
    portable = lower_call(op, g, load_target("host"))
    assert "dsp" not in portable.kernel
    np.testing.assert_array_equal(run_kernel_c(portable, [x], want.shape), want)
    got = run_kernel_cortexm(call, x, want.shape, "cortex-m4", tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


@pytest.mark.parametrize("target", ["cortex-m7", "cortex-m33"])
@pytest.mark.parametrize("name", ["pw_odd", "conv_first", "dw_pad", "fc"])
def test_dsp_kernel_bit_exact_on_other_dsp_cores(tools, tmp_path, target, name):
    g, x, _ = _case(name, seed=100 + len(name))
    _, want, call = _outputs(g, x, target)
    got = run_kernel_cortexm(call, x, want.shape, target, tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


@pytest.mark.parametrize("target, dsp", [("cortex-m3", False), ("cortex-m0plus", False), ("host", False),
                                         ("cortex-m4", True), ("cortex-m55", True)])
def test_kernel_choice_follows_target_features(target, dsp):
    """Portable C without DSP; the DSP kernel with it, unless Helium (M55) has a kernel for the shape."""
    for name in ("pw_odd", "conv_first", "dw_pad", "fc"):
        g, x, kernel = _case(name, seed=1)
        call = _outputs(g, x, target)[2]
        helium = target == "cortex-m55" and "_mve_" in call.kernel
        assert (call.kernel == kernel or helium) == dsp, (target, call.kernel)


@pytest.mark.parametrize("name", ["pw_wide", "dw_s1_full", "conv_first"])
def test_pruned_channels_keep_fast_requantization(tools, tmp_path, name):
    """A channel with all-zero weights and a huge bias (pruned filters, as in the VWW model) has a
    constant output; it must not force the whole layer onto the exact requantization."""
    g, x, kernel = _case(name, seed=7)
    w, b = g.tensor("w"), g.tensor("b")
    axis = 3 if CASES[name][0] == "depthwise_conv2d" else 0
    weights = np.moveaxis(np.asarray(w.data, np.int8).copy(), axis, 0)
    weights[1] = 0
    weights[2] = 0
    w.data = np.moveaxis(weights, 0, axis)
    bias = np.asarray(b.data, np.int64).copy()
    bias[1], bias[2] = (1 << 30) - 5, -(1 << 30)
    b.data = bias.astype(np.int32)
    _, want, call = _outputs(g, x, "cortex-m7")
    assert call.kernel == kernel and call.params["fast_requant"] == 1
    got = run_kernel_cortexm(call, x, want.shape, "cortex-m7", tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


def test_depth_multiplier_above_one_keeps_portable_kernel():
    g, x = _quantized_case("depthwise_conv2d", np.random.default_rng(3), (1, 5, 5, 3), (1, 3, 3, 6),
                           {"depth_multiplier": 2}, 0, 0)
    assert _outputs(g, x, "cortex-m7")[2].kernel == "mnc_depthwise_conv2d_s8"


@pytest.mark.parametrize("kernel", ["mnc_conv1x1_dsp_s8", "mnc_conv2d_dsp_s8", "mnc_depthwise_conv2d_dsp_s8",
                                    "mnc_fully_connected_dsp_s8"])
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m33", "cortex-m55"])
def test_dsp_kernels_compile_strict(tools, kernel, cpu):
    shared = ["mnc_requant_dsp_s8.h", "mnc_gemm_dsp_s8.h"]
    flags = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-mcpu={cpu}", "-mthumb")
    check_compiles([f"{kernel}.c", f"{kernel}.h", *shared], flags=flags)


def _assert_same(got, want):
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{len(bad)} mismatches, first at {tuple(bad[0])}: got {got[tuple(bad[0])]}, " \
                          f"want {want[tuple(bad[0])]}"
