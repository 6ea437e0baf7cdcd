"""Plain-C ARMv7-M kernels (mnc/kernels/*_v7m.py, feature "v7m") for cores without DSP (cortex-m3): each
case is lowered for cortex-m3 by mnc.kernels.select and compared bit for bit with the Python int8 reference, on the host (gcc with
UBSan) and under QEMU on cortex-m3 (all cases in one firmware): odd pixel and channel counts, narrow
(8) and wide (256) inputs, every padding TFLite produces and more, strides 1 and 2 (also mixed), zero
points at both ends, fused ReLU/ReLU6, multipliers above one (left shifts: the exact requantization)
and accumulators near 2^30 (far outside the short requantization's bound)."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.packing_v7m import pack_channel_pairs
from mnc.kernels.select import lower_call, lower_op
from mnc.ops import get_op
from mnc.runners import cortexm
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.batch_harness import Case, write_batch
from tests.ops.c_harness import run_kernel_c
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case, with_left_shifts

TARGET = "cortex-m3"

# kind, input shape, weight shape, attrs, in_zp, out_zp
CASES = {
    "pw_odd": ("conv2d", (1, 5, 5, 13), (7, 1, 1, 13), {"act": ACT_RELU6}, -128, 127),
    "pw_narrow": ("conv2d", (1, 6, 7, 8), (16, 1, 1, 8), {"act": ACT_RELU6}, -128, -128),
    "pw_wide": ("conv2d", (1, 3, 3, 256), (9, 1, 1, 256), {}, 127, -128),
    "pw_one_pixel": ("conv2d", (1, 1, 1, 5), (3, 1, 1, 5), {"act": ACT_RELU}, 9, -3),
    "conv_first_s2": ("conv2d", (1, 9, 9, 3), (8, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1), "act": ACT_RELU6}, -128, -128),
    "conv_pad1_odd": ("conv2d", (1, 6, 7, 5), (5, 3, 3, 5), {"pad": (1, 1, 1, 1)}, 127, 127),
    "conv_dilated": ("conv2d", (1, 9, 8, 4), (6, 3, 2, 4), {"dilation": (2, 1), "pad": (2, 1, 0, 1)}, 3, -7),
    "conv1x1_stride2": ("conv2d", (1, 7, 6, 6), (5, 1, 1, 6), {"stride": (2, 2)}, 9, -3),
    "dw_pad1": ("depthwise_conv2d", (1, 9, 9, 8), (1, 3, 3, 8), {"pad": (1, 1, 1, 1), "act": ACT_RELU6}, -128, -128),
    "dw_s2_same": ("depthwise_conv2d", (1, 8, 8, 16), (1, 3, 3, 16), {"stride": (2, 2), "pad": (0, 1, 0, 1)}, 127, 127),
    "dw_odd_c": ("depthwise_conv2d", (1, 5, 6, 21), (1, 3, 3, 21), {"pad": (2, 0, 1, 1), "act": ACT_RELU}, -5, -128),
    "dw_valid": ("depthwise_conv2d", (1, 6, 5, 1), (1, 3, 3, 1), {}, 3, 10),
    "dw_mixed_stride": ("depthwise_conv2d", (1, 7, 9, 4), (1, 3, 3, 4), {"stride": (1, 2), "pad": (1, 1, 2, 2)}, 50, -20),
    "dw_tiny": ("depthwise_conv2d", (1, 1, 2, 3), (1, 3, 3, 3), {"pad": (1, 1, 1, 1)}, -128, 0),
}
VARIANTS = ("plain", "big_bias", "left_shift")


def _case(name, variant):
    kind, x_shape, w_shape, attrs, in_zp, out_zp = CASES[name]
    rng = np.random.default_rng(len(name) * 3 + len(variant))
    g, x = _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp)
    if variant == "big_bias":
        b = g.tensor("b")
        b.data = (np.asarray(b.data, np.int64) + (1 << 30) * np.resize([1, -1], b.data.shape)).astype(np.int32)
    elif variant == "left_shift":
        x = with_left_shifts(g, x, rng, in_zp, out_zp)
    return g, x


def _reference(g, x):
    op = g.op("op")
    return op, get_op(op.kind).eval_int8(op, g, [x] + [g.tensor(n).data for n in op.inputs[1:]])[0]


def _lowered(name, variant):
    g, x = _case(name, variant)
    op, want = _reference(g, x)
    call = lower_call(op, g, load_target(TARGET))
    assert "_v7m_" in call.kernel, name
    assert ("conv1x1" in call.kernel) == name.startswith("pw_"), name
    return call, x, want


def _all():
    return [(f"{n}-{v}", *_lowered(n, v)) for n in sorted(CASES) for v in VARIANTS]


def test_fast_and_exact_requantization_both_covered():
    flags = {name: call.params["fast_requant"] for name, call, _, _ in _all()}
    assert any(flags.values()) and not all(flags.values())
    assert not flags["pw_wide-big_bias"] and flags["pw_narrow-plain"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_v7m_kernel_bit_exact_on_host(name):
    need_tool("gcc")
    for variant in VARIANTS:
        call, x, want = _lowered(name, variant)
        np.testing.assert_array_equal(run_kernel_c(call, [x], want.shape), want, err_msg=f"{name}-{variant}")


@pytest.mark.qemu
def test_v7m_kernels_bit_exact_on_cortex_m3(tmp_path):
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    named = _all()
    cases = [Case(call, [x], want.shape) for _, call, x, want in named]
    batch = write_batch(cases, tmp_path / "pkg", load_target(TARGET))
    outputs = batch.split(cortexm.run(batch.out_dir, TARGET, batch.x).output, cases)
    bad = [name for (name, _, _, want), got in zip(named, outputs) if not np.array_equal(got, want)]
    assert not bad, f"mismatches in {bad}"


def _skip_reason(g, target, kernel):
    lowering = lower_op(g.op("op"), g, load_target(target) if target else None)
    assert "_v7m_" not in lowering.kernel, lowering.kernel
    return lowering.skipped.get(kernel)


def test_unhandled_shapes_and_numbers_fall_back_with_a_reason():
    g, _ = _quantized_case("conv2d", np.random.default_rng(1), (1, 3, 3, 600), (3, 1, 1, 600), {}, 0, 0)
    g.tensor("w").data = np.full((3, 1, 1, 600), 127, np.int8)
    assert "pack two channels" in _skip_reason(g, TARGET, "mnc_conv2d_v7m_s8")          # low field could carry
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 5, 5, 3), (1, 3, 3, 6),
                           {"depth_multiplier": 2}, 0, 0)
    assert "depth multiplier 2" in _skip_reason(g, TARGET, "mnc_depthwise3x3_v7m_s8")
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 3, 3, 4),
                           {"dilation": (2, 2)}, 0, 0)
    assert "dilated" in _skip_reason(g, TARGET, "mnc_depthwise3x3_v7m_s8")
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 5, 5, 4), {}, 0, 0)
    assert "5x5 window" in _skip_reason(g, TARGET, "mnc_depthwise3x3_v7m_s8")
    g, _ = _case("pw_odd", "plain")
    for other in ("cortex-m0plus", "host", None):                                   # no SMLAL: portable C
        assert _skip_reason(g, other, "mnc_conv1x1_v7m_s8") == "target is not ARMv7-M or later (no v7m feature)"
    for other in ("cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"):            # DSP/MVE kernels first
        assert _skip_reason(g, other, "mnc_conv1x1_v7m_s8") is None


def test_weight_packing_refuses_what_would_carry_or_overflow():
    w = np.array([[1, -2, 3], [4, 5, -6], [7, 8, 9]], np.int8)
    words = pack_channel_pairs(w).reshape(2, 3).astype(np.int64)
    assert words[0].tolist() == [1 + 4 * 2**24, -2 + 5 * 2**24, 3 - 6 * 2**24]
    assert words[1].tolist() == [7, 8, 9]                                  # odd channel count: zero partner
    assert pack_channel_pairs(np.array([[-1], [-128]], np.int8)) is None       # below int32
    assert pack_channel_pairs(np.full((2, 520), 127, np.int8)) is None         # 128 * 66,040 >= 2^23
    assert pack_channel_pairs(np.full((2, 500), 127, np.int8)) is not None


def test_v7m_kernels_give_way_where_their_weights_would_not_fit_flash():
    """Two channels per int32 word doubles a convolution's weight bytes: where that would exceed the
    flash budget the portable kernels fit in, the compiler lowers without the v7m kernels."""
    from dataclasses import replace

    from mnc import compiler
    from mnc.options import CompileOptions

    g, _ = _quantized_case("conv2d", np.random.default_rng(4), (1, 4, 4, 64), (64, 1, 1, 64), {}, 0, 0)
    m3 = load_target(TARGET)
    options = CompileOptions(target=TARGET)
    portable = compiler.constant_bytes(compiler.lower(g, replace(m3, features=frozenset())))
    packed = compiler.constant_bytes(compiler.lower(g, m3))
    assert packed > portable
    assert compiler.lower_within_flash(g, m3, options)[0].call.kernel == "mnc_conv1x1_v7m_s8"
    tight = replace(m3, flash_bytes=(portable + packed) // 2)
    assert compiler.lower_within_flash(g, tight, options)[0].call.kernel == "mnc_conv1x1_s8"
