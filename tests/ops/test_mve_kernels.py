"""Helium (MVE) kernels (mnc/kernels/conv1x1_mve.py, conv2d_mve.py, depthwise_conv2d_mve.py) for cortex-m55: each
case is lowered for the MVE target, run as a one-kernel firmware under QEMU (mps3-an547), and compared bit for bit with the
Python int8 reference and with the portable C kernel (host gcc) on random data: channel counts that
are not multiples of the vector width, pixel counts that are not multiples of four, extreme zero
points, padding, strides, both requantization directions (left and right shifts) and accumulators
near the int32 limits, and multipliers next to 2^31 with right shifts up to 24.

Run as a script (`python -m tests.ops.test_mve_kernels`) it measures the VWW layer shapes instead:
instructions per kernel on cortex-m55 for the MVE and the DSP kernels."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.select import lower_call
from mnc.ops import get_op
from mnc.kernels import packing_mve as mve
from mnc.kernels.conv1x1_mve import KERNEL as POINTWISE_MVE
from mnc.kernels.conv2d_mve import KERNEL as CONV_MVE
from mnc.kernels.depthwise_conv2d_mve import KERNEL as DEPTHWISE_MVE
from mnc.kernels.depthwise_kxk_mve import KERNEL as DEPTHWISE_KXK_MVE
from mnc.kernels.add_mve import KERNEL as ADD_MVE
from mnc.kernels.mul_mve import KERNEL as MUL_MVE
from mnc.kernels.lut_mve import KERNEL as LUT_MVE
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.c_harness import check_compiles, run_kernel_c
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case, with_left_shifts
from tests.ops.test_pool_family import _eval, _graph, _rand_int8

TARGET = "cortex-m55"
HELIUM = {"conv2d": (POINTWISE_MVE, CONV_MVE), "depthwise_conv2d": (DEPTHWISE_MVE, DEPTHWISE_KXK_MVE),
          "fully_connected": (POINTWISE_MVE,)}
BINARY_MVE = {"add": ADD_MVE, "mul": MUL_MVE}


def _helium_call(op, g, target, kinds=HELIUM):
    """The first Helium kernel's call for `op`, or None when none applies."""
    for kernel in kinds[op.kind]:
        if kernel.applies(op, g, target):
            return kernel.call(op, g)
    return None

# kind, input shape, weight shape, attrs, in_zp, out_zp
CASES = {
    "pw_odd": ("conv2d", (1, 5, 5, 13), (7, 1, 1, 13), {"act": ACT_RELU6}, -128, 127),
    "pw_stride2": ("conv2d", (1, 7, 6, 6), (5, 1, 1, 6), {"stride": (2, 2)}, 9, -3),
    "pw_wide": ("conv2d", (1, 3, 3, 70), (24, 1, 1, 70), {}, 127, -128),
    "pw_exact16": ("conv2d", (1, 4, 2, 32), (9, 1, 1, 32), {"act": ACT_RELU}, -7, 0),
    "dw_pad": ("depthwise_conv2d", (1, 9, 9, 5), (1, 3, 3, 5), {"pad": (1, 1, 1, 1), "act": ACT_RELU6}, -128, -128),
    "dw_stride2": ("depthwise_conv2d", (1, 8, 8, 16), (1, 3, 3, 16), {"stride": (2, 2), "pad": (0, 1, 0, 1)},
                   127, 127),
    "dw_wide_tail": ("depthwise_conv2d", (1, 5, 6, 21), (1, 3, 3, 21), {"pad": (2, 0, 1, 1), "act": ACT_RELU},
                     -5, -128),
    "dw_valid": ("depthwise_conv2d", (1, 6, 5, 8), (1, 3, 3, 8), {}, 3, 10),
    "dw_group8": ("depthwise_conv2d", (1, 7, 9, 8), (1, 3, 3, 8), {"pad": (1, 1, 1, 1), "act": ACT_RELU6}, -128, 5),
    "dw_group4_odd_w": ("depthwise_conv2d", (1, 6, 8, 4), (1, 3, 3, 4), {"pad": (1, 1, 2, 1)}, 50, -20),
    "dw_wide_s2": ("depthwise_conv2d", (1, 7, 7, 40), (1, 3, 3, 40), {"stride": (2, 2), "pad": (1, 1, 1, 1)},
                   -128, -128),
    "fc": ("fully_connected", (1, 1, 1, 37), (11, 37), {"act": ACT_NONE}, 127, -9),
    # mnc_conv2d_mve_s8 (im2col + GEMM); k = kernel_h * kernel_w * in_c
    "cv_first": ("conv2d", (1, 12, 10, 3), (8, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1), "act": ACT_RELU6},
                 -128, -128),                                             # TFLite SAME, k = 27
    "cv_chunks": ("conv2d", (1, 25, 21, 3), (16, 3, 3, 3), {"stride": (2, 2), "pad": (1, 1, 1, 1)}, 127, 3),
    "cv_pad_s1": ("conv2d", (1, 7, 6, 3), (5, 3, 3, 3), {"pad": (1, 1, 1, 1), "act": ACT_RELU}, -7, -128),
    "cv_wide_k": ("conv2d", (1, 6, 7, 20), (7, 3, 3, 20), {"pad": (2, 0, 1, 1)}, 5, 127),    # k = 180
    "cv_1x1_padded": ("conv2d", (1, 5, 5, 5), (3, 1, 1, 5), {"pad": (1, 0, 0, 1)}, -128, 0),
    "cv_dilated": ("conv2d", (1, 9, 9, 4), (6, 3, 3, 4), {"dilation": (2, 2), "pad": (2, 2, 2, 2)}, 100, -50),
    "cv_5x5_s12": ("conv2d", (1, 11, 12, 2), (9, 5, 5, 2), {"stride": (1, 2), "pad": (2, 1, 0, 2)}, -1, 1),
    "cv_k16": ("conv2d", (1, 6, 6, 4), (10, 2, 2, 4), {"stride": (2, 1)}, 0, 0),   # k = 16, no padding
    # mnc_depthwise_kxk_mve_s8 (any window)
    "kxk_5x5_s2": ("depthwise_conv2d", (1, 9, 10, 40), (1, 5, 5, 40), {"stride": (2, 2), "pad": (1, 2, 1, 2),
                   "act": ACT_RELU6}, -128, -128),                       # TFLite SAME on even input
    "kxk_5x5_s1": ("depthwise_conv2d", (1, 7, 6, 16), (1, 5, 5, 16), {"pad": (2, 2, 2, 2)}, 127, 3),
    "kxk_7x7_tail": ("depthwise_conv2d", (1, 8, 9, 21), (1, 7, 7, 21), {"stride": (1, 2), "pad": (3, 2, 0, 3),
                     "act": ACT_RELU}, 5, -128),
    "kxk_dilated": ("depthwise_conv2d", (1, 9, 9, 7), (1, 3, 3, 7), {"dilation": (2, 2), "pad": (2, 2, 2, 2)},
                    -60, 60),
    "kxk_2x4": ("depthwise_conv2d", (1, 5, 9, 32), (1, 2, 4, 32), {"stride": (2, 1)}, 0, -1),   # 8 taps, valid
}


def _case(name, seed, variant="plain"):
    kind, x_shape, w_shape, attrs, in_zp, out_zp = CASES[name]
    rng = np.random.default_rng(seed)
    g, x = _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp)
    if variant == "big_bias":
        # Accumulators near +-2^30: saturation-free but far outside any fast-path bound.
        b = g.tensor("b")
        b.data = (np.asarray(b.data, np.int64) + (1 << 30) * np.resize([1, -1], b.data.shape)).astype(np.int32)
    elif variant == "left_shift":
        # Multipliers up to 6 (TFLite shifts left first) on small sums, so outputs stay mostly in range.
        x = with_left_shifts(g, x, rng, in_zp, out_zp)
    elif variant == "extreme":
        _extreme_multipliers(g, rng)
    if kind == "fully_connected":
        x = x.reshape(1, -1)
    return g, x


def _extreme_multipliers(g, rng):
    """Per-channel weight scales that make each channel's real multiplier (1 - 2^-24) * 2^-e, e in 0..24:
    quantized multipliers next to 2^31 (or exactly 2^30 after rounding up), right shifts up to 24."""
    w, x, y = g.tensor("w"), g.tensor("x"), g.tensor("y")
    channels = len(w.quant.scale)
    exponents = rng.integers(0, 25, channels)
    real = (1.0 - 2.0 ** -24) * np.exp2(-exponents.astype(np.float64))
    scales = (real * float(y.quant.scale[0]) / float(x.quant.scale[0])).astype(np.float32)
    w.quant = type(w.quant)(scales, np.zeros(channels, np.int32), w.quant.axis)
    g.tensor("b").quant = type(w.quant)(scales * x.quant.scale[0], np.zeros(channels, np.int32))


def _reference(g, x):
    op = g.op("op")
    return op, get_op(op.kind).eval_int8(op, g, [x] + [g.tensor(n).data for n in op.inputs[1:]])[0]


def _assert_same(got, want):
    bad = np.argwhere(got != want)
    assert bad.size == 0, f"{len(bad)} mismatches, first at {tuple(bad[0])}: got {got[tuple(bad[0])]}, " \
                          f"want {want[tuple(bad[0])]}"


@pytest.fixture(scope="module")
def tools():
    for name in ("gcc", "arm-none-eabi-gcc", "qemu-system-arm"):
        need_tool(name)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("variant", ["plain", "big_bias", "left_shift", "extreme"])
def test_mve_kernel_bit_exact_on_cortex_m55(tools, tmp_path, name, variant):
    g, x = _case(name, seed=len(name) + len(variant), variant=variant)
    op, want = _reference(g, x)
    call = _helium_call(op, g, load_target(TARGET))
    assert call is not None and call.kernel == _expected_kernel(name)
    portable = lower_call(op, g, load_target("host"))
    np.testing.assert_array_equal(run_kernel_c(portable, [x], want.shape), want)
    got = run_kernel_cortexm(call, x, want.shape, TARGET, tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


def _expected_kernel(name):
    kind = CASES[name][0]
    if kind == "depthwise_conv2d":
        return "mnc_depthwise_kxk_mve_s8" if name.startswith("kxk_") else "mnc_depthwise_conv2d_mve_s8"
    return "mnc_conv2d_mve_s8" if name.startswith("cv_") else "mnc_conv1x1_mve_s8"


def test_extreme_variant_reaches_the_extremes():
    g, _ = _case("cv_first", seed=1, variant="extreme")
    op = g.op("op")
    s = get_op(op.kind).output_stage(op, g)
    assert np.all(s["multiplier"] >= 2**31 - 2**8) or np.any(s["multiplier"] == 2**30)
    assert s["shift"].min() <= -20 and s["shift"].max() >= -1


# ---- add, mul (mnc_add_mve_s8, mnc_mul_mve_s8) ----------------------------------------------------

# shapes of the two inputs; quantization (scale, zero point) of a, b, out
BINARY_SHAPES = {"same": ((1, 5, 3, 21), (1, 5, 3, 21)), "se": ((1, 4, 3, 37), (1, 1, 1, 37)),
                 "scalar_row": ((1, 3, 4, 1), (1, 3, 4, 1)), "left_broadcast": ((1, 1, 1, 6), (1, 3, 2, 6)),
                 "flat": ((1, 45), (1, 45))}
BINARY_QUANTS = {"mixed": ((0.05, -128), (0.02, 127), (0.06, 0)), "equal": ((0.1, 3), (0.1, 3), (0.2, -5)),
                 "wide": ((0.01, 127), (0.3, -128), (0.25, -128)), "tiny_out": ((0.5, 0), (0.4, -1), (0.003, 0))}


@pytest.mark.parametrize("kind", ["add", "mul"])
@pytest.mark.parametrize("shapes", sorted(BINARY_SHAPES))
@pytest.mark.parametrize("quants", sorted(BINARY_QUANTS))
def test_binary_mve_bit_exact_on_cortex_m55(tools, tmp_path, kind, shapes, quants):
    rng = np.random.default_rng(len(kind) * 7 + len(shapes) + len(quants))
    a_shape, b_shape = BINARY_SHAPES[shapes]
    (qa, qb, qo), act = BINARY_QUANTS[quants], "relu" if quants == "equal" else "none"
    if kind == "add" and quants == "tiny_out":
        qo = (0.3, 0)                               # ADD needs input scales below twice the output's
    g = _graph(kind, [a_shape, b_shape], {"act": act}, [qa, qb], qo)
    a, b = _rand_int8(rng, a_shape), _rand_int8(rng, b_shape)
    want = _eval(g, [a, b], "int8")
    call = _helium_call(g.op("op"), g, load_target(TARGET), {kind: (BINARY_MVE[kind],)})
    assert call is not None and call.kernel == f"mnc_{kind}_mve_s8"
    got = run_kernel_cortexm(call, a, want.shape, TARGET, tmp_path, second=b).output.reshape(want.shape)
    _assert_same(got, want)


@pytest.mark.parametrize("kind,quants", [("hard_swish", ((0.05, -10), (0.03, -128))),
                                         ("logistic", ((0.1, 127), (1 / 256, -128))),
                                         ("relu6", ((0.02, -128), (0.03, -128)))])
@pytest.mark.parametrize("shape", [(1, 1), (1, 15), (1, 2, 2, 4), (1, 3, 5, 13)])
def test_lut_mve_bit_exact_on_cortex_m55(tools, tmp_path, kind, quants, shape):
    g = _graph(kind, [shape], {}, [quants[0]], quants[1])
    x = _rand_int8(np.random.default_rng(len(kind) + len(shape)), shape)
    x.reshape(-1)[: min(x.size, 2)] = [-128, 127][: min(x.size, 2)]     # both ends of the table
    want = _eval(g, [x], "int8")
    call = _helium_call(g.op("op"), g, load_target(TARGET), {kind: (LUT_MVE,)})
    assert call is not None and call.kernel == "mnc_lut_mve_s8"
    _assert_same(run_kernel_cortexm(call, x, want.shape, TARGET, tmp_path).output.reshape(want.shape), want)


def test_binary_mve_needs_helium():
    g = _graph("add", [(1, 4, 5, 1), (1, 4, 5, 6)], {}, [(0.05, 0), (0.05, 0)], (0.1, 0))
    assert BINARY_MVE["add"].applies(g.op("op"), g, load_target(TARGET))
    assert not BINARY_MVE["add"].applies(g.op("op"), g, load_target("cortex-m7"))


def test_unhandled_shapes_fall_back():
    m55, m7 = load_target(TARGET), load_target("cortex-m7")
    pointwise_only = {"conv2d": (POINTWISE_MVE,)}
    g, _ = _quantized_case("conv2d", np.random.default_rng(1), (1, 6, 6, 5), (3, 3, 3, 5), {"pad": (1, 1, 1, 1)}, 0, 0)
    assert _helium_call(g.op("op"), g, m55, pointwise_only) is None     # 3x3 conv
    assert _helium_call(g.op("op"), g, m55).kernel == "mnc_conv2d_mve_s8"
    g, _ = _quantized_case("conv2d", np.random.default_rng(1), (1, 6, 6, 5), (3, 1, 1, 5), {"pad": (1, 0, 0, 0)}, 0, 0)
    assert _helium_call(g.op("op"), g, m55, pointwise_only) is None     # padded 1x1
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 5, 5, 3), (1, 3, 3, 6),
                           {"depth_multiplier": 2}, 0, 0)
    assert _helium_call(g.op("op"), g, m55) is None                  # depth multiplier 2
    three_by_three = {"depthwise_conv2d": (DEPTHWISE_MVE,)}
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 5, 5, 4), {}, 0, 0)
    assert _helium_call(g.op("op"), g, m55, three_by_three) is None  # 5x5
    assert _helium_call(g.op("op"), g, m55).kernel == "mnc_depthwise_kxk_mve_s8"
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 3, 3, 4),
                           {"dilation": (2, 2)}, 0, 0)
    assert _helium_call(g.op("op"), g, m55, three_by_three) is None  # dilated
    assert _helium_call(g.op("op"), g, m55).kernel == "mnc_depthwise_kxk_mve_s8"
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 12, 12, 4), (1, 9, 9, 4), {}, 0, 0)
    assert _helium_call(g.op("op"), g, m55) is None                  # 81 taps
    g, _ = _quantized_case("depthwise_conv2d", np.random.default_rng(2), (1, 8, 8, 4), (1, 3, 3, 4), {}, 0, 0)
    w = g.tensor("w")
    w.data = np.where(w.data == w.data.min(), -128, w.data).astype(np.int8)
    assert _helium_call(g.op("op"), g, m55) is None                  # -128 weight: int16 pairs overflow
    for name in ("pw_odd", "cv_first"):
        g, _ = _case(name, seed=3)
        assert _helium_call(g.op("op"), g, m7) is None                  # no Helium
        assert _helium_call(g.op("op"), g, None) is None


@pytest.mark.parametrize("name", ["pw_odd", "cv_first"])
def test_gemm_kernels_fall_back_when_folded_bias_overflows(name):
    g, _ = _case(name, seed=4)
    b = g.tensor("b")
    b.data = np.full(b.data.shape, 2**31 - 1, np.int32)
    g.tensor("x").quant = type(g.tensor("x").quant).per_tensor(0.03, -128)   # input_offset +128
    assert _helium_call(g.op("op"), g, load_target(TARGET)) is None


def test_depthwise_layouts_follow_lane_order():
    c = 19
    w2d = np.arange(c * 9, dtype=np.int64).reshape(c, 9).astype(np.int8)
    laid = mve.depthwise_weights(w2d).reshape(2, 9, 16)
    assert laid[1, 4, 2] == w2d[18, 4] and laid[0, 8, 15] == w2d[15, 8] and laid[1, 0, 3] == 0
    bias = np.arange(c) * 10
    quant = mve.depthwise_quant(bias, np.arange(c) + 100, -(np.arange(c) % 5)).reshape(2, 4, 4, 4)
    assert quant[0, 0, 0].tolist() == [0, 40, 80, 120]         # set 0: lanes 0, 4, 8, 12
    assert quant[0, 1, 0].tolist() == [20, 60, 100, 140]       # set 1: lanes 2, 6, 10, 14
    assert quant[1, 2, 0].tolist() == [170, 0, 0, 0]           # block 1, set 2: channels 17, (21), ...
    assert quant[0, 3, 1].tolist() == [103, 107, 111, 115]     # multipliers of set 3: lanes 3, 7, 11, 15
    assert quant[0, 2, 3].tolist() == [-1, 0, -4, -3]          # -right shifts of set 2: lanes 1, 5, 9, 13


def test_depthwise_groups_pixels_only_when_taps_are_contiguous():
    assert [mve.depthwise_group(c, 1) for c in (1, 3, 4, 8, 12, 16, 32)] == [16, 1, 4, 2, 1, 1, 1]
    assert mve.depthwise_group(8, 2) == 1


@pytest.mark.parametrize("kernel", [POINTWISE_MVE, CONV_MVE, DEPTHWISE_MVE, DEPTHWISE_KXK_MVE, ADD_MVE, MUL_MVE, LUT_MVE],
                         ids=lambda k: k.name)
@pytest.mark.parametrize("abi", ["hard", "softfp"])
def test_mve_kernels_compile_strict(tools, kernel, abi):
    flags = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-mcpu=cortex-m55", "-mthumb", f"-mfloat-abi={abi}")
    check_compiles(kernel.sources, flags=flags)


def test_gemm_weights_pad_rows_to_whole_vectors():
    w2d = np.arange(2 * 27, dtype=np.int64).reshape(2, 27).astype(np.int8)
    laid = mve.gemm_weights(w2d)
    assert laid.shape == (2, 32) and laid[1, 26] == w2d[1, 26] and not laid[:, 27:].any()
    assert mve.gemm_weights(np.ones((3, 32), np.int8)).shape == (3, 32)


# ---- micro-benchmark (run as a script) ------------------------------------------------------------

# The VWW model's (MobileNetV1 0.25, 96x96) pointwise and depthwise shapes: (h, w, c_in, c_out or stride).
VWW_POINTWISE = [(48, 48, 8, 16), (24, 24, 16, 32), (24, 24, 32, 32), (12, 12, 32, 64), (12, 12, 64, 64),
                 (6, 6, 64, 128), (6, 6, 128, 128), (3, 3, 128, 256), (3, 3, 256, 256)]
VWW_DEPTHWISE = [(48, 48, 8, 1), (48, 48, 16, 2), (24, 24, 32, 1), (24, 24, 32, 2), (12, 12, 64, 1),
                 (12, 12, 64, 2), (6, 6, 128, 1), (6, 6, 128, 2), (3, 3, 256, 1)]


def _vww_case(kind, shape):
    h, w, c, k = shape
    rng = np.random.default_rng(0)
    if kind == "conv2d":
        return _quantized_case(kind, rng, (1, h, w, c), (k, 1, 1, c), {"act": ACT_RELU6}, -128, -128)
    pad = (1, 1, 1, 1) if k == 1 else (0, 1, 0, 1)   # TFLite SAME
    return _quantized_case(kind, rng, (1, h, w, c), (1, 3, 3, c), {"stride": (k, k), "pad": pad, "act": ACT_RELU6},
                           -128, -128)


def benchmark(work_dir) -> list[dict]:
    """Instructions of one kernel call on cortex-m55, MVE vs DSP kernels, for the VWW layer shapes."""
    from dataclasses import replace
    from pathlib import Path

    m55 = load_target(TARGET)
    m55_dsp = replace(m55, features=m55.features - {"mve"})   # the same core with the DSP kernels
    rows = []
    for kind, shapes in (("conv2d", VWW_POINTWISE), ("depthwise_conv2d", VWW_DEPTHWISE)):
        for shape in shapes:
            g, x = _vww_case(kind, shape)
            op, want = _reference(g, x)
            macs = get_op(kind).macs(op, g)
            row = {"kind": kind, "shape": shape, "macs": macs}
            for label, call in (("mve", _helium_call(op, g, m55)), ("dsp", lower_call(op, g, m55_dsp))):
                res = run_kernel_cortexm(call, x, want.shape, TARGET, Path(work_dir) / f"{kind}{shape}{label}")
                _assert_same(res.output.reshape(want.shape), want)
                row[label] = res.instructions
            rows.append(row)
    return rows


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = benchmark(tmp)
    print("| layer | shape (h, w, c, c_out/stride) | MACs | MVE instr | MVE MAC/instr | DSP instr | DSP MAC/instr |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in table:
        print(f"| {r['kind']} | {r['shape']} | {r['macs']:,} | {r['mve']:,} | {r['macs'] / r['mve']:.2f} | "
              f"{r['dsp']:,} | {r['macs'] / r['dsp']:.2f} |")
    for kind in ("conv2d", "depthwise_conv2d"):
        sel = [r for r in table if r["kind"] == kind]
        macs, mv, ds = (sum(r[k] for r in sel) for k in ("macs", "mve", "dsp"))
        print(f"| {kind} total | | {macs:,} | {mv:,} | {macs / mv:.2f} | {ds:,} | {macs / ds:.2f} |")
