"""Row-at-a-time add and mul with the DSP extension (mnc/kernels/add_dsp.py, mul_dsp.py) on cortex-m4 and
cortex-m7 under QEMU, bit for bit against the ops' int8 reference (TFLite's Add/Mul): equal shapes,
squeeze-excite's channel vector on either side, a broadcast scalar per row (innermost stride 0), rank 2,
lengths that are not multiples of 4, zero points +-128, every requantization path (right shifts 1 to
29 with a multiplier next to 2^31, no shift, left shifts) and a fused ReLU6."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.kernels.add_dsp import KERNEL as ADD_DSP
from mnc.kernels.mul_dsp import KERNEL as MUL_DSP
from mnc.kernels.select import lower_call
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.c_harness import check_compiles
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_pool_family import _eval, _graph, _rand_int8

SHAPES = {
    "same": ((1, 3, 5, 13), (1, 3, 5, 13)),
    "se_scale": ((1, 5, 7, 19), (1, 1, 1, 19)),
    "se_scale_first": ((1, 1, 1, 6), (1, 3, 2, 6)),
    "row_scalar": ((1, 4, 5, 1), (1, 4, 5, 6)),
    "rank2": ((1, 37), (1, 37)),
    "one": ((1, 1, 1, 1), (1, 1, 1, 1)),
}
# (input 0, input 1, output) (scale, zero point).
# add: input shifts 0 (one SMMULR) and right (fast), equal scales, output right shifts 9 to 26 (TFLite's
# Add parameters never shift the output left).
# mul: right shift 1 with a multiplier next to 2^31, right shift 29 (fast), left shift 7 and no shift
# (exact path).
QUANTS = {
    "add": [((0.05, -128), (0.02, 127), (0.06, 0)), ((0.1, 3), (0.1, -3), (0.2, -5)),
            ((0.5, 0), (0.5, -1), (0.0009, 5)), ((0.001, 127), (0.3, -128), (40.0, -128))],
    "mul": [((0.25, -128), (0.5, 127), (0.2500002, 0)), ((0.01, 127), (1e-5, -128), (100.0, 3)),
            ((0.4, 3), (0.5, -7), (0.002, 100)), ((0.4, -128), (0.5, 127), (0.3, -1))],
}
KERNELS = {"add": ADD_DSP, "mul": MUL_DSP}


@pytest.fixture(scope="module")
def tools():
    for name in ("arm-none-eabi-gcc", "qemu-system-arm"):
        need_tool(name)


@pytest.mark.parametrize("kind", ["add", "mul"])
@pytest.mark.parametrize("shapes", sorted(SHAPES))
@pytest.mark.parametrize("quant", range(4))
def test_elementwise_dsp_bit_exact(tools, tmp_path, kind, shapes, quant):
    rng = np.random.default_rng(len(shapes) * 5 + quant)
    qa, qb, qo = QUANTS[kind][quant]
    g = _graph(kind, list(SHAPES[shapes]), {"act": "relu6"} if quant == 2 else {}, [qa, qb], qo)
    a, b = (_rand_int8(rng, s) for s in SHAPES[shapes])
    want = _eval(g, [a, b], "int8")
    target = "cortex-m4" if quant % 2 else "cortex-m7"
    call = lower_call(g.op("op"), g, load_target(target))
    assert call.kernel == f"mnc_{kind}_dsp_s8"
    got = run_kernel_cortexm(call, a, want.shape, target, tmp_path, second=b).output.reshape(want.shape)
    np.testing.assert_array_equal(got, want)


def test_quants_cover_every_path():
    def params(kind):
        return [KERNELS[kind].call(g.op("op"), g).params
                for g in (_graph(kind, [(1, 4), (1, 4)], {}, [qa, qb], qo) for qa, qb, qo in QUANTS[kind])]
    mul_shifts = [p["output_shift"] for p in params("mul")]
    assert -1 in mul_shifts and min(mul_shifts) <= -20 and 0 in mul_shifts and max(mul_shifts) >= 1
    assert max(p["output_multiplier"] for p in params("mul")) > 2**31 - 2**12
    adds = params("add")
    input_shifts = {p["in0_shift"] for p in adds} | {p["in1_shift"] for p in adds}
    assert 0 in input_shifts and min(input_shifts) <= -1 and min(p["output_shift"] for p in adds) <= -20


@pytest.mark.parametrize("kind", ["add", "mul"])
def test_picked_only_with_dsp(kind):
    g = _graph(kind, [(1, 4, 5, 6), (1, 1, 1, 6)], {}, [(0.1, 0), (0.1, 0)], (0.1, 0))
    assert lower_call(g.op("op"), g, load_target("cortex-m33")).kernel == f"mnc_{kind}_dsp_s8"
    assert lower_call(g.op("op"), g, load_target("cortex-m3")).kernel == f"mnc_{kind}_s8"
    assert lower_call(g.op("op"), g, load_target("host")).kernel == f"mnc_{kind}_s8"


@pytest.mark.parametrize("kind", ["add", "mul"])
@pytest.mark.parametrize("cpu", ["cortex-m4", "cortex-m7", "cortex-m33"])
def test_elementwise_dsp_compiles_strict(tools, kind, cpu):
    flags = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", f"-mcpu={cpu}", "-mthumb")
    check_compiles([f"mnc_{kind}_dsp_s8.c", f"mnc_{kind}_dsp_s8.h", "mnc_elementwise_walk_s8.h",
                    "mnc_requant_dsp_s8.h"], flags=flags)
