"""The fixed-point helpers against hand-computed TFLite values, and the C twins against Python."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from mnc import quant
from tests.conftest import REPO, need_tool


@pytest.mark.parametrize("real, expected", [
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.25, (1 << 30, -1)),
    (0.0, (0, 0)),
    (1e-12, (0, 0)),          # shift below -31 flushes to zero
    (0.75, (1610612736, 0)),
])
def test_quantize_multiplier(real, expected):
    assert quant.quantize_multiplier(real) == expected


def test_quantize_multiplier_rounds_mantissa_up_to_next_power():
    # frexp mantissa just below 1 rounds to 2**31: TFLite halves it and bumps the shift.
    q, shift = quant.quantize_multiplier(np.nextafter(1.0, 0.0))
    assert (q, shift) == (1 << 30, 1)


def test_round_half_away_from_zero():
    assert quant.round_half_away([0.5, 1.5, 2.5, -0.5, -2.5]).tolist() == [1, 2, 3, -1, -3]


def test_rounding_divide_by_pot_rounds_half_away():
    x = np.array([5, -5, 4, -4, 6, -6, 7, -7])
    assert quant.rounding_divide_by_pot(x, 1).tolist() == [3, -3, 2, -2, 3, -3, 4, -4]


def test_srdhm_saturates_only_min_times_min():
    assert int(quant.saturating_rounding_doubling_high_mul(quant.INT32_MIN, quant.INT32_MIN)) == quant.INT32_MAX
    assert int(quant.saturating_rounding_doubling_high_mul(1 << 30, 1 << 30)) == 1 << 29


def test_multiply_by_quantized_multiplier_tracks_real_product():
    rng = np.random.default_rng(0)
    x = rng.integers(-100000, 100000, 1000)
    for real in (0.0013, 0.37, 0.9999, 1.7, 3.2):
        q, shift = quant.quantize_multiplier(real)
        got = quant.multiply_by_quantized_multiplier(x, q, shift)
        assert np.max(np.abs(got - x * real)) <= 1.0


def test_activation_range():
    assert quant.activation_range("none", 0.1, 3) == (-128, 127)
    assert quant.activation_range("relu", 0.1, -128) == (-128, 127)
    assert quant.activation_range("relu6", 6.0 / 255, -128) == (-128, 127)
    assert quant.activation_range("relu6", 0.05, -10) == (-10, 110)


def _c_common_program(tmp_path, values, multipliers, shifts):
    src = tmp_path / "t.c"
    src.write_text(
        '#include <stdio.h>\n#include "mnc_common.h"\n'
        "int main(void) {\n"
        "  long long x, m, s;\n"
        '  while (scanf("%lld %lld %lld", &x, &m, &s) == 3) {\n'
        '    printf("%ld\\n", (long)mnc_requantize((int32_t)x, (int32_t)m, (int32_t)s));\n'
        "  }\n  return 0;\n}\n")
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-I", str(REPO / "templates" / "kernels"),
                    str(src), "-o", str(exe)], check=True)
    stdin = "".join(f"{x} {m} {s}\n" for x, m, s in zip(values, multipliers, shifts))
    out = subprocess.run([str(exe)], input=stdin, capture_output=True, text=True, check=True).stdout
    return np.array([int(v) for v in out.split()])


def test_c_requantize_equals_python(tmp_path):
    need_tool("gcc")
    rng = np.random.default_rng(1)
    n = 5000
    x = rng.integers(-(2**24), 2**24, n)
    reals = np.exp(rng.uniform(np.log(1e-6), np.log(4.0), n))
    qs = [quant.quantize_multiplier(float(r)) for r in reals]
    mult = np.array([q for q, _ in qs])
    shift = np.array([s for _, s in qs])
    expected = quant.multiply_by_quantized_multiplier(x, mult, shift)
    assert np.array_equal(_c_common_program(tmp_path, x, mult, shift), expected)


@pytest.mark.parametrize("real, expected", [
    ((2**30 + 0.5) / 2**31, (2**30 + 1, 0)),          # a tie on an even q: away from zero gives q + 1
    ((2**30 + 2.5) / 2**31, (2**30 + 3, 0)),
    ((2**30 + 0.5) / 2**31 * 2**-7, (2**30 + 1, -7)),
    ((2**31 - 0.5) / 2**31, (2**30, 1)),              # rounds up to 2^31: renormalized
])
def test_quantize_multiplier_rounds_ties_away_from_zero(real, expected):
    """TFLite uses std::round; a tie-to-even rounding would give q (not q + 1) on these exact ties."""
    assert quant.quantize_multiplier(real) == expected
