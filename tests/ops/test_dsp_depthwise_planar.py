"""The planar 3x3 path of mnc_depthwise_conv2d_dsp_s8 (per-channel rings of int16 rows, SMLAD over
horizontal tap pairs, weights in registers; fast requantization and the full int8 range only) bit for
bit against the op's int8 reference on emulated Cortex-M cores: strides 1 and 2 in either direction,
every padding, odd and even output widths, the ring-width limit on both sides, channel counts not a
multiple of 4, zero points at both ends, multipliers just below 2^31 and large right shifts."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.depthwise_conv2d_dsp import _planar
from mnc.ops.depthwise_conv2d import DepthwiseConv2D
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_conv_family import ACT_NONE, _quantized_case
from tests.ops.test_dsp_kernels import _assert_same, _outputs, tools  # noqa: F401 (fixture)

KERNEL = "mnc_depthwise_conv2d_dsp_s8"

# input shape, (stride_h, stride_w), pad (top, bottom, left, right), in_zp, out_zp, planar path expected
CASES = {
    "s1_same_odd_w": ((1, 5, 13, 8), (1, 1), (1, 1, 1, 1), -128, -128, True),
    "s1_valid_even_w": ((1, 4, 16, 4), (1, 1), (0, 0, 0, 0), 127, 127, True),
    "s1_pad_tl_13ch": ((1, 6, 14, 13), (1, 1), (1, 0, 1, 0), 5, -3, True),
    "s1_pad_br": ((1, 5, 13, 12), (1, 1), (0, 1, 0, 1), -7, 100, True),
    "s21_rows_stride2": ((1, 9, 15, 4), (2, 1), (0, 1, 1, 1), 0, 0, True),
    "s2_pad_br_even": ((1, 7, 48, 4), (2, 2), (0, 1, 0, 1), -128, 127, True),
    "s2_pad_all_odd": ((1, 5, 49, 8), (2, 2), (1, 1, 1, 1), 127, -128, True),
    "s12_cols_stride2": ((1, 4, 50, 4), (1, 2), (1, 1, 0, 0), 3, 9, True),
    "s1_ring_limit": ((1, 3, 60, 4), (1, 1), (1, 1, 1, 1), 1, -1, True),
    "s1_past_ring_limit": ((1, 3, 62, 4), (1, 1), (1, 1, 1, 1), 1, -1, False),
    "s1_narrow": ((1, 4, 11, 4), (1, 1), (1, 1, 1, 1), 1, -1, False),
}


def _case(name, seed):
    x_shape, stride, pad, in_zp, out_zp, planar = CASES[name]
    g, x = _quantized_case("depthwise_conv2d", np.random.default_rng(seed), x_shape, (1, 3, 3, x_shape[3]),
                           {"stride": stride, "pad": pad, "act": ACT_NONE}, in_zp, out_zp)
    return g, x, planar


def _run(g, x, target, tmp_path, planar):
    _, want, call = _outputs(g, x, target)
    assert call.kernel == KERNEL and call.params["fast_requant"] == 1
    params = call.params
    assert _planar(_Fields(params)) == planar
    got = run_kernel_cortexm(call, x, want.shape, target, tmp_path).output.reshape(want.shape)
    _assert_same(got, want)


class _Fields:
    """A call's params (a dict) with attribute access, as _planar reads them."""

    def __init__(self, params):
        self.__dict__.update(params)


@pytest.mark.parametrize("name", sorted(CASES))
def test_planar_depthwise_bit_exact(tools, tmp_path, name):  # noqa: F811
    g, x, planar = _case(name, seed=len(name))
    _run(g, x, "cortex-m4", tmp_path, planar)


@pytest.mark.parametrize("target", ["cortex-m7", "cortex-m33"])
def test_planar_depthwise_other_cores(tools, tmp_path, target):  # noqa: F811
    g, x, planar = _case("s2_pad_all_odd", seed=21)
    _run(g, x, target, tmp_path, planar)


def test_planar_depthwise_extreme_multipliers_and_shifts(tools, tmp_path):  # noqa: F811
    g, x, planar = _case("s1_pad_tl_13ch", seed=5)
    w, b, y = g.tensor("w"), g.tensor("b"), g.tensor("y")
    in_scale, out_scale = float(g.tensor("x").quant.scale[0]), float(y.quant.scale[0])
    ks = [1, 3, 6, 9, 12, 15, 18, 20, 22, 24, 2, 4, 8]
    ratios = np.array([2.0**-k * (1 - 2.0**-22) for k in ks], np.float64)
    scales = (ratios * out_scale / in_scale).astype(np.float32)
    w.quant = type(w.quant)(scales, np.zeros(len(scales), np.int32), 3)
    b.quant = type(b.quant)((in_scale * scales).astype(np.float32), np.zeros(len(scales), np.int32))
    stage = DepthwiseConv2D().output_stage(g.op("op"), g)
    assert np.max(stage["multiplier"]) > 2**31 - 2**12 and np.min(stage["shift"]) <= -20
    _run(g, x, "cortex-m7", tmp_path, planar)
