"""Property tests (hypothesis) of the int8 arithmetic and the kernels' parameters: the overflow proof is
sound, multipliers are TFLite's, and the portable conv/depthwise kernels equal the Python reference
(under UBSan) for random geometry, zero points and extreme inputs."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnc import quant
from mnc.errors import UnsupportedError
from mnc.ir import Op
from mnc.numerics import accumulator_bounds, check_output_stage
from tests.conftest import need_tool

FAST = settings(max_examples=200, deadline=None)
INT8 = st.integers(-128, 127)


@st.composite
def weight_matrices(draw):
    channels, taps = draw(st.integers(1, 4)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(-128, 128, (channels, taps))


@FAST
@given(w=weight_matrices(), zero_point=INT8, seed=st.integers(0, 2**32 - 1))
def test_accumulator_bounds_hold_every_partial_sum_and_are_reached(w, zero_point, seed):
    lo, hi = accumulator_bounds(w, -zero_point)
    rng = np.random.default_rng(seed)
    inputs = [rng.integers(-128, 128, w.shape[1]), np.full(w.shape[1], -128), np.full(w.shape[1], 127)]
    for x in inputs:
        terms = (x - zero_point) * w
        order = rng.permutation(w.shape[1])
        partial = np.cumsum(terms[:, order], axis=1)
        assert np.all(partial.min(axis=1) >= np.minimum(lo, 0)) and np.all(partial.max(axis=1) <= np.maximum(hi, 0))
    # The bound is tight: the input at the bound's corner reaches it.
    best = np.where(w[0] > 0, 127, -128)
    assert int(((best - zero_point) * w[0]).sum()) == hi[0]


def _op() -> Op:
    return Op(name="layer", kind="conv2d", inputs=["x"], outputs=["y"], attrs={}, meta={})


@FAST
@given(lo=st.integers(-2**40, 2**40), width=st.integers(0, 2**40), real=st.floats(1e-12, 1e12),
       zp=INT8, seed=st.integers(0, 2**32 - 1))
def test_output_stage_check_is_sound(lo, width, real, zp, seed):
    """Whenever the check passes, every accumulator in the interval requantizes without a wrapped shift
    and the zero-point addition stays in int32 (computed exactly here, in Python integers)."""
    hi = lo + width
    multiplier, shift = quant.quantize_multiplier(real)
    try:
        check_output_stage(_op(), lo, hi, multiplier, shift, zp, "test scales")
    except UnsupportedError as exc:
        assert "layer 'layer'" in str(exc) and "\n" not in str(exc)
        return
    rng = np.random.default_rng(seed)
    for acc in [lo, hi, *rng.integers(lo, hi + 1, 8, dtype=np.int64)]:
        acc = int(acc)
        assert quant.INT32_MIN <= acc << max(shift, 0) <= quant.INT32_MAX
        y = int(quant.multiply_by_quantized_multiplier(np.int64(acc), multiplier, shift)) + zp
        assert quant.INT32_MIN <= y <= quant.INT32_MAX


@FAST
@given(real=st.floats(2**-30, 2**29))   # shifts -29..30: no clamping
def test_quantize_multiplier_is_the_nearest_q31_value(real):
    q, shift = quant.quantize_multiplier(real)
    assert 2**30 <= q < 2**31
    error = abs(Fraction(q) * Fraction(2) ** (shift - 31) - Fraction(real))
    assert error <= Fraction(2) ** (shift - 32)   # at most half a unit in the last place


@FAST
@given(x=st.integers(quant.INT32_MIN, quant.INT32_MAX), real=st.floats(1e-6, 0.999))
def test_requantization_is_within_one_of_the_real_product(x, real):
    q, shift = quant.quantize_multiplier(real)
    y = int(quant.multiply_by_quantized_multiplier(np.int64(x), q, shift))
    exact = Fraction(x) * Fraction(q) * Fraction(2) ** (shift - 31)
    assert abs(Fraction(y) - exact) <= 1


# ---- kernels: random geometry against the Python reference, in C under UBSan -----------------------

@st.composite
def conv_geometries(draw):
    kind = draw(st.sampled_from(["conv2d", "depthwise_conv2d"]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    pad = tuple(draw(st.integers(0, 2)) for _ in range(4))
    h = draw(st.integers((kh - 1) * dh + 1, 9))
    w = draw(st.integers((kw - 1) * dw + 1, 9))
    c = draw(st.integers(1, 6))
    if kind == "conv2d":
        w_shape = (draw(st.integers(1, 5)), kh, kw, c)
        attrs = {}
    else:
        mult = draw(st.integers(1, 2))
        w_shape = (1, kh, kw, c * mult)
        attrs = {"depth_multiplier": mult}
    attrs.update(stride=(sh, sw), pad=pad, dilation=(dh, dw))
    fill = draw(st.sampled_from(["random", "min", "max"]))
    return kind, (1, h, w, c), w_shape, attrs, draw(INT8), draw(INT8), fill, draw(st.integers(0, 2**32 - 1))


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=conv_geometries())
def test_portable_conv_kernels_match_reference_for_any_geometry(case):
    from mnc.kernels.select import lower_call
    from mnc.ops import get_op
    from tests.ops.c_harness import run_kernel_c
    from tests.ops.test_conv_family import _quantized_case

    need_tool("gcc")
    kind, x_shape, w_shape, attrs, in_zp, out_zp, fill, seed = case
    g, x = _quantized_case(kind, np.random.default_rng(seed), x_shape, w_shape, attrs, in_zp, out_zp)
    if fill != "random":
        x = np.full(x_shape, -128 if fill == "min" else 127, np.int8)
    op = g.op("op")
    want = get_op(kind).eval_int8(op, g, [x, g.tensor("w").data, g.tensor("b").data])[0]
    call = lower_call(op, g, None)
    np.testing.assert_array_equal(run_kernel_c(call, [x], want.shape), want)


def test_output_stage_refuses_each_overflowing_stage_by_name():
    """One case per stage, each just over its int32 edge, next to one just inside it."""
    near_one = (2**31 - 1, 0)   # the largest multiplier below one: y = acc - 1 near the top
    sixteen = quant.quantize_multiplier(16.0)
    with pytest.raises(UnsupportedError, match="its int32 accumulator can reach"):
        check_output_stage(_op(), 0, 2**31, *near_one, 0, "s")
    with pytest.raises(UnsupportedError, match="the left shift of its requantization"):
        check_output_stage(_op(), -2**27, 2**27, *sixteen, 0, "s")
    check_output_stage(_op(), -2**26, 2**26 - 1, *sixteen, 0, "s")
    with pytest.raises(UnsupportedError, match="adding the output zero point"):
        check_output_stage(_op(), 0, 2**31 - 60, *near_one, 127, "s")
    check_output_stage(_op(), 0, 2**31 - 60, *near_one, -128, "s")
