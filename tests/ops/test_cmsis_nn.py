"""CMSIS-NN as a kernel family (mnc/cmsis_nn): Arm's int8 kernels, called through mnc's glue, equal the
int8 reference (and so mnc's own kernels) byte for byte on every code path CMSIS-NN has: plain C (host
gcc, and cortex-m3), DSP (cortex-m7) and Helium (cortex-m55). All cases of a target run in one package
(tests/ops/batch_harness.py): odd sizes, every padding style TFLite produces, strides 1 and 2, dilation,
depth multiplier, channel counts off every vector width, zero points at both ends, fused ReLU/ReLU6,
multipliers above one (left shifts).

The scratch sizes mnc plans come from a Python transcription of CMSIS-NN's `*_get_buffer_size`
formulas; `test_scratch_sizes_equal_arm_functions` compiles Arm's own functions on the host and
compares them for every case and core path.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from mnc.cmsis_nn import buffers
from mnc.cmsis_nn import kernels as ck
from mnc.cmsis_nn.sources import locate
from mnc.kernels.select import lower_op
from mnc.ops import get_op
from mnc.runners import cortexm, host
from mnc.targets import load_target
from tests.conftest import need_tool
from tests.ops.batch_harness import Case, write_batch
from tests.ops.test_conv_family import ACT_NONE, ACT_RELU, ACT_RELU6, _quantized_case, with_left_shifts
from tests.ops.test_pool_family import _graph, _rand_int8

# kind, input shape, weight shape, attrs, in_zp, out_zp
CONV_CASES = {
    "first_conv_s2_same": ("conv2d", (1, 9, 9, 3), (5, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1), "act": ACT_RELU6}, -128, -128),
    "conv3x3_pad1_odd": ("conv2d", (1, 6, 7, 5), (3, 3, 3, 5), {"pad": (1, 1, 1, 1)}, 127, 127),
    "conv_dilated_valid": ("conv2d", (1, 9, 8, 4), (6, 3, 2, 4), {"dilation": (2, 1)}, 3, -7),
    "conv1x1_odd": ("conv2d", (1, 5, 5, 13), (7, 1, 1, 13), {"act": ACT_RELU}, -128, 127),
    "conv1x1_stride2": ("conv2d", (1, 7, 6, 6), (5, 1, 1, 6), {"stride": (2, 2)}, 9, -3),
    "conv1x1_wide": ("conv2d", (1, 3, 3, 70), (24, 1, 1, 70), {"act": ACT_RELU6}, 127, -128),
    "conv_stride2x1_pad_h": ("conv2d", (1, 7, 6, 5), (4, 3, 3, 5), {"stride": (2, 1), "pad": (1, 1, 0, 0)}, -60, 30),
    "conv_1xn": ("conv2d", (1, 1, 11, 8), (4, 1, 3, 8), {"pad": (0, 0, 1, 1)}, -20, 5),
    "dw3x3_pad1": ("depthwise_conv2d", (1, 9, 9, 8), (1, 3, 3, 8), {"pad": (1, 1, 1, 1), "act": ACT_RELU6}, -128, -128),
    "dw3x3_s2_same": ("depthwise_conv2d", (1, 8, 8, 16), (1, 3, 3, 16), {"stride": (2, 2), "pad": (0, 1, 0, 1)}, 127, 127),
    "dw3x3_odd_c": ("depthwise_conv2d", (1, 5, 6, 21), (1, 3, 3, 21), {"pad": (1, 1, 1, 1), "act": ACT_RELU}, -5, -128),
    "dw3x3_valid": ("depthwise_conv2d", (1, 6, 5, 3), (1, 3, 3, 3), {}, 3, 10),
    "dw3x3_1x2_pad_w": ("depthwise_conv2d", (1, 7, 8, 12), (1, 3, 3, 12), {"stride": (1, 2), "pad": (0, 0, 1, 1)}, 1, 2),
    "dw5x5_pad2": ("depthwise_conv2d", (1, 7, 7, 7), (1, 5, 5, 7), {"pad": (2, 2, 2, 2)}, -128, 0),
    "dw_multiplier2": ("depthwise_conv2d", (1, 5, 5, 3), (1, 3, 3, 6), {"depth_multiplier": 2, "pad": (1, 1, 1, 1)}, 10, -10),
    "dw_dilated": ("depthwise_conv2d", (1, 8, 8, 4), (1, 3, 3, 4), {"dilation": (2, 2)}, 0, 0),
    "fc_per_tensor": ("fully_connected", (1, 37), (11, 37), {"act": ACT_NONE}, 127, -9),
    "fc_wide": ("fully_connected", (1, 256), (2, 256), {}, -128, 3),
}
VARIANTS = ("plain", "left_shift")
PATH_TARGETS = {"c": "cortex-m3", "dsp": "cortex-m7", "mve": "cortex-m55"}


def _conv_case(name: str, variant: str):
    kind, x_shape, w_shape, attrs, in_zp, out_zp = CONV_CASES[name]
    rng = np.random.default_rng(len(name) * 7 + len(variant))
    g, x = _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp,
                           per_tensor_w=kind == "fully_connected" and name == "fc_per_tensor")
    if variant == "left_shift":
        x = with_left_shifts(g, x, rng, in_zp, out_zp)
    return g, x


def _other_cases():
    rng = np.random.default_rng(5)
    cases = {
        "avgpool_global": (_graph("avg_pool2d", [(1, 3, 3, 19)], {"kernel": (3, 3)}, [(0.1, -3)], (0.1, -3)),),
        "avgpool_s2_same": (_graph("avg_pool2d", [(1, 7, 7, 6)], {"kernel": (2, 2), "stride": (2, 2), "pad": (0, 1, 0, 1),
                                                                  "act": ACT_RELU6}, [(0.05, 20)], (0.05, 20)),),
        "softmax_2": (_graph("softmax", [(1, 2)], {}, [(0.1, 3)], (1 / 256, -128)),),
        "softmax_rows": (_graph("softmax", [(3, 10)], {"beta": 0.7}, [(0.05, -128)], (1 / 256, -128)),),
        "add_relu": (_graph("add", [(1, 5, 3, 7), (1, 5, 3, 7)], {"act": ACT_RELU}, [(0.05, -3), (0.11, 12)], (0.09, -128)),),
        "add_plain": (_graph("add", [(1, 4, 4, 8), (1, 4, 4, 8)], {}, [(0.2, 127), (0.02, -128)], (0.15, 1)),),
    }
    return {name: (g, [_rand_int8(rng, g.tensor(n).shape) for n in g.inputs]) for name, (g,) in cases.items()}


def _all_cases():
    """name -> (graph, inputs) for every case."""
    cases = {f"{n}-{v}": _conv_case(n, v) for n in CONV_CASES for v in VARIANTS}
    cases = {k: (g, [x]) for k, (g, x) in cases.items()}
    cases.update(_other_cases())
    return cases


def _reference(g, xs):
    op = g.op("op")
    consts = [g.tensor(n).data for n in op.inputs[len(xs):]]
    return get_op(op.kind).eval_int8(op, g, [*xs, *consts])[0]


def _lowered(target_name: str):
    target = load_target(target_name)
    names, cases, wants = [], [], []
    for name, (g, xs) in sorted(_all_cases().items()):
        op = g.op("op")
        lowering = lower_op(op, g, target, ck.family(target))
        assert lowering.kernel.startswith("mnc_cmsis_") and lowering.skipped == {}, name
        call = lowering.call
        want = _reference(g, xs)
        names.append(name)
        cases.append(Case(call, xs, want.shape))
        wants.append(want)
    return names, cases, wants


def _check(names, cases, wants, flat, batch):
    bad = []
    for name, got, want in zip(names, batch.split(flat, cases), wants):
        if not np.array_equal(got, want.reshape(got.shape)):
            diff = np.argwhere(got != want.reshape(got.shape))
            bad.append(f"{name}: {len(diff)} mismatches, first at {tuple(diff[0])}")
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def cmsis():
    return locate(None)


def test_cmsis_nn_bit_exact_on_host(cmsis, tmp_path):
    need_tool("gcc")
    names, cases, wants = _lowered("host")
    batch = write_batch(cases, tmp_path / "pkg", load_target("host"), cmsis)
    _check(names, cases, wants, host.run(batch.out_dir, batch.x), batch)


@pytest.mark.qemu
@pytest.mark.parametrize("path", ["c", "dsp", "mve"])
def test_cmsis_nn_bit_exact_under_qemu(cmsis, tmp_path, path):
    need_tool("arm-none-eabi-gcc")
    need_tool("qemu-system-arm")
    target = PATH_TARGETS[path]
    assert ck.core(load_target(target)) == path
    names, cases, wants = _lowered(target)
    batch = write_batch(cases, tmp_path / "pkg", load_target(target), cmsis)
    _check(names, cases, wants, cortexm.run(batch.out_dir, target, batch.x).output, batch)


# ---- scratch sizes -----------------------------------------------------------------------------

_SIZES_MAIN = r"""
#include <stdio.h>
#include <stdlib.h>
#include "arm_nnfunctions.h"
/* argv: kind (c|d), n h w c of input, kernel h w, out c, out h w, stride h w, pad h w, dilation h w */
int main(int argc, char **argv)
{
    int32_t v[16];
    if (argc != 17) return 2;
    for (int i = 0; i < 15; i++) v[i] = atoi(argv[i + 2]);
    const cmsis_nn_dims in = {v[0], v[1], v[2], v[3]};
    const cmsis_nn_dims out = {1, v[7], v[8], v[6]};
    if (argv[1][0] == 'c') {
        const cmsis_nn_conv_params p = {0, 0, {v[10], v[9]}, {v[12], v[11]}, {v[14], v[13]}, {-128, 127}};
        const cmsis_nn_dims f = {v[6], v[4], v[5], v[3]};
        printf("%ld %ld %ld\n", (long)arm_convolve_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
               (long)arm_convolve_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
               (long)arm_convolve_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
    } else {
        const cmsis_nn_dw_conv_params p = {0, 0, v[6] / v[3], {v[10], v[9]}, {v[12], v[11]}, {v[14], v[13]}, {-128, 127}};
        const cmsis_nn_dims f = {1, v[4], v[5], v[6]};
        printf("%ld %ld %ld\n", (long)arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &in, &f, &out),
               (long)arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(&p, &in, &f, &out),
               (long)arm_depthwise_conv_wrapper_s8_get_buffer_size_mve(&p, &in, &f, &out));
    }
    return 0;
}
"""


def test_scratch_sizes_equal_arm_functions(cmsis, tmp_path):
    """Arm's get_buffer_size functions, compiled for the host: the plain-C one and the explicit _dsp and
    _mve variants, against mnc's formulas for each path."""
    need_tool("gcc")
    src_dir = cmsis.source_dir / "ConvolutionFunctions"
    (tmp_path / "main.c").write_text(_SIZES_MAIN)
    exe = tmp_path / "sizes"
    cmd = ["gcc", "-std=c99", "-O1", f"-I{cmsis.include_dir}", str(tmp_path / "main.c"),
           str(src_dir / "arm_convolve_get_buffer_sizes_s8.c"), str(src_dir / "arm_depthwise_conv_get_buffer_sizes_s8.c"),
           "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True)
    for name in CONV_CASES:
        g, _ = _conv_case(name, "plain")
        op = g.op("op")
        if op.kind == "fully_connected":
            continue
        x, w, y = (g.tensor(n).shape for n in ("x", "w", "y"))
        kh, kw = (w[1], w[2])
        geometry = ck.conv_geometry(op, g)
        args = [str(v) for v in (*x, kh, kw, y[3], y[1], y[2], geometry["stride_h"], geometry["stride_w"],
                                 geometry["pad_top"], geometry["pad_left"], geometry["dilation_h"], geometry["dilation_w"])]
        arm = [int(s) for s in subprocess.run([str(exe), "c" if op.kind == "conv2d" else "d", *args], check=True,
                                              capture_output=True, text=True).stdout.split()]
        if op.kind == "conv2d":
            ours = [buffers.conv_scratch_bytes(geometry, p) for p in ck.PATHS]
        else:
            ours = [buffers.depthwise_scratch_bytes(geometry, y[3] // x[3], p) for p in ck.PATHS]
        assert ours == arm, name


@pytest.mark.parametrize("op_graph, reason", [
    (lambda: _graph("mul", [(1, 4), (1, 4)], {}, [(0.1, 0), (0.1, 0)], (0.02, 0)),
     {"cmsis-nn": "CMSIS-NN has no kernel for mul", "mnc_mul_mve_s8": "target has no MVE extension"}),
    (lambda: _graph("add", [(1, 4, 4, 8), (1, 1, 1, 8)], {}, [(0.1, 0), (0.1, 0)], (0.2, 0)),
     {"mnc_cmsis_add_s8": "broadcasting or a constant operand (arm_elementwise_add_s8 adds two equal-shaped tensors)",
      "mnc_add_mve_s8": "target has no MVE extension"}),
    (lambda: _graph("avg_pool2d", [(1, 4, 4, 8)], {"kernel": (2, 2)}, [(0.1, 0)], (0.2, 0)),
     {"mnc_cmsis_avg_pool_s8": "output quantization differs from the input's (arm_avgpool_s8 does not requantize)"}),
], ids=["mul", "broadcasting_add", "requantizing_pool"])
def test_ops_without_cmsis_nn_kernel_keep_mnc_kernels_and_say_why(op_graph, reason):
    g = op_graph()
    m7 = load_target("cortex-m7")
    lowering = lower_op(g.op("op"), g, m7, ck.family(m7))
    assert lowering.kernel == lower_op(g.op("op"), g, m7).kernel and lowering.skipped == reason


def test_asymmetric_padding_falls_back_with_a_reason():
    g, _ = _quantized_case("conv2d", np.random.default_rng(0), (1, 6, 6, 4), (4, 3, 3, 4), {"pad": (2, 0, 1, 1)}, 0, 0)
    m3 = load_target("cortex-m3")
    lowering = lower_op(g.op("op"), g, m3, ck.family(m3))
    assert lowering.kernel == "mnc_conv2d_v7m_s8"
    assert "padding CMSIS-NN cannot express" in lowering.skipped["mnc_cmsis_conv_s8"]


# ---- end to end --------------------------------------------------------------------------------

def test_vww_with_cmsis_nn_equals_mnc_kernels_on_host(shared_models, tmp_path, capsys):
    """`mnc compile --kernels cmsis-nn` through the CLI: the package carries the glue and exactly the Arm
    sources it calls, builds under the strict flags, and computes mnc's bytes."""
    from mnc.cli import main

    need_tool("gcc")
    model = str(shared_models / "vww_96_int8.tflite")
    for name, extra in (("mnc", []), ("cmsis", ["--kernels", "cmsis-nn"])):
        with pytest.raises(SystemExit) as exc:
            main(["compile", model, "-o", str(tmp_path / name), *extra])
        assert exc.value.code in (0, None)
    kernels = sorted(p.name for p in (tmp_path / "cmsis" / "kernels").iterdir())
    assert "LICENSE" in kernels and "arm_convolve_wrapper_s8.c" in kernels and "mnc_cmsis_conv_s8.c" in kernels
    assert "arm_convolve_s16.c" not in kernels and "mnc_conv1x1_s8.c" not in kernels
    x = np.random.default_rng(3).integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
    np.testing.assert_array_equal(host.run(tmp_path / "cmsis", x), host.run(tmp_path / "mnc", x))


@pytest.mark.parametrize("argv", [["--kernels", "cmsis-nn", "--cmsis-nn", "no/such/dir"],
                                  ["--cmsis-nn", "no/such/dir"]])
def test_bad_cmsis_nn_options_give_one_line(tmp_path, capsys, argv):
    from mnc.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["compile", "--variant", "v1-0.25", "-o", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 1 and err[-1].startswith("error: ") and "cmsis" in err[-1].lower()
    assert not (tmp_path / "out").exists()


def test_info_shows_the_cmsis_nn_kernel_per_layer_and_why_one_was_skipped(capsys):
    """`mnc info --target T --kernels cmsis-nn`: the kernel each layer gets and, for ops CMSIS-NN has no
    kernel for (the squeeze-excite MEAN, MUL and the LUT activations of V3), the reason."""
    import json

    from mnc.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["info", "--variant", "v3s-0.75", "--resolution", "96", "--target", "cortex-m7", "--kernels", "cmsis-nn",
              "--json"])
    assert exc.value.code in (0, None)
    layers = json.loads(capsys.readouterr().out)["layers"]
    by_kind = {}
    for layer in layers:
        by_kind.setdefault(layer["kind"], set()).add(layer["kernel"])
    assert by_kind["conv2d"] == {"mnc_cmsis_conv_s8"} and by_kind["depthwise_conv2d"] == {"mnc_cmsis_depthwise_s8"}
    mean = next(layer for layer in layers if layer["kind"] == "mean")
    assert mean["kernel"] == "mnc_mean_s8" and mean["skipped"] == {"cmsis-nn": "CMSIS-NN has no kernel for mean"}


def test_info_kernels_needs_a_target(capsys):
    from mnc.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["info", "--variant", "v1-0.25", "--kernels", "cmsis-nn"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exc.value.code == 1 and err[-1] == "error: --kernels chooses kernels for a --target; give one"
