"""Kernel selection: the first candidate that applies wins, the better ones say why they did not,
and the manifest records both."""

from __future__ import annotations

import numpy as np
import pytest

from mnc import compiler
from mnc.errors import UnsupportedError
from mnc.kernels.select import lower_op
from mnc.targets import load_target
from tests.ops.test_conv_family import _quantized_case

POINTWISE = ((1, 5, 5, 8), (4, 1, 1, 8), {})
THREE_BY_THREE = ((1, 5, 5, 8), (4, 3, 3, 8), {"pad": (1, 1, 1, 1)})


def _conv(shapes, seed=0):
    x_shape, w_shape, attrs = shapes
    g, _ = _quantized_case("conv2d", np.random.default_rng(seed), x_shape, w_shape, attrs, -3, 5)
    return g


@pytest.mark.parametrize("target,shapes,kernel,skipped", [
    ("cortex-m55", POINTWISE, "mnc_conv1x1_mve_s8", []),
    ("cortex-m7", POINTWISE, "mnc_conv1x1_dsp_s8", ["mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8"]),
    ("cortex-m3", POINTWISE, "mnc_conv1x1_v7m_s8", ["mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8", "mnc_conv1x1_dsp_s8",
                                                    "mnc_conv3x3_c3_dsp_s8", "mnc_conv2d_dsp_s8"]),
    ("host", POINTWISE, "mnc_conv1x1_s8", ["mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8", "mnc_conv1x1_dsp_s8",
                                           "mnc_conv3x3_c3_dsp_s8", "mnc_conv2d_dsp_s8", "mnc_conv1x1_v7m_s8",
                                           "mnc_conv2d_v7m_s8"]),
    ("cortex-m55", THREE_BY_THREE, "mnc_conv2d_mve_s8", ["mnc_conv1x1_mve_s8"]),
    ("cortex-m3", THREE_BY_THREE, "mnc_conv2d_v7m_s8",
     ["mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8", "mnc_conv1x1_dsp_s8", "mnc_conv3x3_c3_dsp_s8", "mnc_conv2d_dsp_s8",
      "mnc_conv1x1_v7m_s8"]),
    ("host", THREE_BY_THREE, "mnc_conv2d_s8",
     ["mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8", "mnc_conv1x1_dsp_s8", "mnc_conv3x3_c3_dsp_s8", "mnc_conv2d_dsp_s8",
      "mnc_conv1x1_v7m_s8", "mnc_conv2d_v7m_s8", "mnc_conv1x1_s8"]),
])
def test_first_applicable_candidate_wins(target, shapes, kernel, skipped):
    g = _conv(shapes)
    lowering = lower_op(g.op("op"), g, load_target(target))
    assert (lowering.kernel, list(lowering.skipped)) == (kernel, skipped)
    assert lowering.call.kernel == kernel
    assert all(lowering.skipped.values())   # every skip has a reason


def test_skip_reasons_name_the_missing_feature_and_the_shape():
    g = _conv(THREE_BY_THREE)
    skipped = lower_op(g.op("op"), g, load_target("cortex-m7")).skipped
    assert skipped["mnc_conv1x1_mve_s8"] == "target has no MVE extension"
    assert skipped["mnc_conv1x1_dsp_s8"] == "3x3 window (the kernel is 1x1 only)"


def test_a_failed_op_constraint_names_the_op_and_the_rule():
    g = _conv(((2, 5, 5, 8), (4, 3, 3, 8), {}))
    with pytest.raises(UnsupportedError, match=r"op 'op' \(conv2d\): batch 1 only"):
        lower_op(g.op("op"), g, load_target("host"))


def test_manifest_records_kernel_and_skipped(tmp_path):
    g = _conv(POINTWISE)
    target = load_target("cortex-m7")
    layers = compiler.lower(g, target)
    manifest = compiler.emit(tmp_path / "pkg", g, layers, compiler.plan_arena(g, layers), target)
    layer = manifest["layers"][0]
    assert layer["kernel"] == "mnc_conv1x1_dsp_s8"
    assert layer["skipped"] == {"mnc_conv1x1_mve_s8": "target has no MVE extension",
                                "mnc_conv2d_mve_s8": "target has no MVE extension"}
