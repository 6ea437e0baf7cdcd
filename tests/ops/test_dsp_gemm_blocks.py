"""The assembly channel-pair loops of the DSP GEMM core (mnc_gemm_dsp_s8.h: fast requantization, full
int8 range or a clamped activation range) bit for bit against the int8 reference, through the
pointwise kernel on an emulated Cortex-M4: odd and even reduction group counts (including one), odd
and even channel counts, odd pixel counts, activation ranges that clamp at the bottom, the top or
both, and zero points at both ends."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case
from tests.ops.test_dsp_kernels import _assert_same, _outputs, tools  # noqa: F401 (fixture)

# input shape (odd pixel counts), out channels, act, in_zp, out_zp
CASES = {
    "groups1_relu": ((1, 3, 5, 4), 6, ACT_RELU, -128, -20),
    "groups3_relu6": ((1, 5, 3, 9), 8, ACT_RELU6, 7, -128),
    "groups2_odd_out_relu6": ((1, 1, 7, 8), 9, ACT_RELU6, -5, -60),
    "groups4_relu_top": ((1, 3, 3, 16), 10, ACT_RELU, 127, 100),
    "groups5_full": ((1, 3, 3, 20), 11, ACT_NONE, 0, 127),
    "groups32_relu6": ((1, 1, 3, 128), 16, ACT_RELU6, -128, -128),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gemm_pairs_bit_exact(tools, tmp_path, name):  # noqa: F811
    x_shape, out_c, act, in_zp, out_zp = CASES[name]
    g, x = _quantized_case("conv2d", np.random.default_rng(len(name)), x_shape, (out_c, 1, 1, x_shape[3]),
                           {"act": act}, in_zp, out_zp)
    _, want, call = _outputs(g, x, "cortex-m4")
    assert call.kernel == "mnc_conv1x1_dsp_s8" and call.params["fast_requant"] == 1
    clamped = (call.params["act_min"], call.params["act_max"]) != (-128, 127)
    assert clamped == (act != ACT_NONE)
    got = run_kernel_cortexm(call, x, want.shape, "cortex-m4", tmp_path).output.reshape(want.shape)
    _assert_same(got, want)
