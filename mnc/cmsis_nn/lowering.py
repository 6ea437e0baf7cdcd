"""The CMSIS-NN kernel family: ops lowered to calls of Arm's `arm_*_s8` functions.

`lower(op, graph, target, lib)` returns a KernelCall of a small mnc glue function
(templates/cmsis_nn/mnc_cmsis_<op>_s8.c) that builds CMSIS-NN's `cmsis_nn_*` parameter structs from
compile-time constants and calls Arm's function, or None when CMSIS-NN has no int8 kernel for the op
(MEAN, MUL, LUT activations, ...) or its constraints do not hold; the op's own mnc kernel is used then,
as TFLite Micro falls back to its reference kernels.

The numbers are the ones mnc's own kernels use (rq.output_stage, add_params, softmax_params):
CMSIS-NN follows TFLite's double-rounding reference arithmetic in its default build, so the outputs are
expected to equal mnc's byte for byte, and the tests check they do.

Scratch: each call's `scratch_bytes` param is what CMSIS-NN's `*_get_buffer_size` returns on the
target core (a Python transcription of the formulas for the core's feature set: plain C, DSP, MVE; a
test compares it with Arm's own functions). The planner places it in the arena; a size of 0 is passed
to CMSIS-NN as a NULL buffer, as TFLite Micro does (some kernels take a non-NULL buffer as permission to
use it). The KernelCall asks for at least 4 bytes so every glue has the same signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnc.kernels.call import ConstArray, KernelCall
from mnc.ops import geometry
from mnc.ops import requantization as rq
from mnc.ops import get_op
from mnc.ops.pool import pool_geometry
from mnc.ops.softmax import softmax_params

if TYPE_CHECKING:
    from mnc.cmsis_nn.sources import CmsisNN
    from mnc.ir import Graph, Op
    from mnc.targets import Target

GLUE_PREFIX = "mnc_cmsis_"
CH_IN_BLOCK_MVE = 124                  # arm_nnsupportfunctions.h
ONE_IN_CH_TO_CONV_THRESHOLD_MVE = 8    # CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD (GCC)
MIN_SCRATCH = 4


def core(target: Target) -> str:
    """The CMSIS-NN code path the target compiles: 'mve' (ARM_MATH_MVEI), 'dsp' (ARM_MATH_DSP) or 'c'."""
    if target.has("mve"):
        return "mve"
    return "dsp" if target.has("dsp") else "c"


def lower(op: Op, graph: Graph, target: Target) -> KernelCall | None:
    lowering = _LOWERINGS.get(op.kind)
    x = graph.tensor(op.inputs[0])
    if lowering is None or x.dtype != "int8" or (len(x.shape) == 4 and x.shape[0] != 1):
        return None   # the glue passes batch 1 to the NHWC kernels
    return lowering(op, graph, core(target))


ARM_FUNCTIONS = {
    "conv": {"arm_convolve_wrapper_s8"},
    "depthwise": {"arm_depthwise_conv_wrapper_s8"},
    "fully_connected": {"arm_fully_connected_s8", "arm_fully_connected_per_channel_s8"},
    "avg_pool": {"arm_avgpool_s8"},
    "softmax": {"arm_softmax_s8"},
    "add": {"arm_elementwise_add_s8"},
}


def arm_functions(calls: list[KernelCall]) -> set[str]:
    """The CMSIS-NN functions a list of calls needs (for sources.needed_sources)."""
    names = {c.kernel[len(GLUE_PREFIX):-len("_s8")] for c in calls if c.kernel.startswith(GLUE_PREFIX)}
    return set().union(*(ARM_FUNCTIONS[n] for n in names)) if names else set()


# ---- convolutions -------------------------------------------------------------------------------

def _conv_geometry(op: Op, graph: Graph, kh: int, kw: int) -> dict | None:
    stride, pad, dilation = geometry.window_attrs(op)
    x, out = graph.tensor(op.inputs[0]).shape, graph.tensor(op.outputs[0]).shape
    # CMSIS-NN takes one pad per axis (top, left); bottom/right follow from the output size and may
    # only be what TFLite's SAME padding gives: at most one more than top/left, never less than 0.
    if not (0 <= pad[1] - pad[0] <= stride[0] and 0 <= pad[3] - pad[2] <= stride[1]):
        return None
    return {"in_h": x[1], "in_w": x[2], "in_c": x[3], "out_h": out[1], "out_w": out[2], "out_c": out[3],
            "kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
            "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1]}


def _stage_fields(stage: dict, weights: np.ndarray) -> dict:
    return {"input_offset": stage["input_offset"], "output_offset": stage["output_offset"],
            "act_min": stage["act_range"][0], "act_max": stage["act_range"][1]}


def _stage_arrays(stage: dict, weights: np.ndarray) -> dict:
    return {"weights": ConstArray("weights", "int8_t", np.asarray(weights, np.int8)),
            "bias": ConstArray("bias", "int32_t", stage["bias"]),
            "multiplier": ConstArray("multiplier", "int32_t", stage["multiplier"]),
            "shift": ConstArray("shift", "int32_t", stage["shift"])}


def lower_conv2d(op: Op, graph: Graph, path: str) -> KernelCall | None:
    w = graph.tensor(op.inputs[1])
    o, kh, kw, i = w.shape
    g = _conv_geometry(op, graph, kh, kw)
    if g is None:
        return None
    stage = rq.output_stage(graph, op, o)
    scratch = conv_scratch_bytes(g, path)
    params = {**g, **_stage_fields(stage, w.data), "scratch_bytes": scratch, **_stage_arrays(stage, w.data)}
    return _call("conv", params, op, scratch)


def conv_scratch_bytes(g: dict, path: str) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size on a core taking `path` (GCC build)."""
    one_by_one = (g["kernel_h"], g["kernel_w"], g["pad_top"], g["pad_left"], g["dilation_h"], g["dilation_w"]) \
        == (1, 1, 0, 0, 1, 1)
    if one_by_one:
        return 0   # arm_convolve_1x1_s8(_fast): no buffer with GCC on any core
    one_by_n = g["in_h"] == 1 and g["dilation_w"] == 1 and g["kernel_h"] == 1 and (g["stride_w"] * g["in_c"]) % 4 == 0
    if one_by_n and path == "mve":
        return _conv_1_x_n_scratch_mve(g)
    return _im2col_scratch(g, path)


def _im2col_scratch(g: dict, path: str) -> int:
    cols = g["in_c"] * g["kernel_h"] * g["kernel_w"]
    if path == "mve":
        return 4 * ((cols + 15) // 16) * 16
    return 2 * (-(-cols // 4) * 4) * 2


def _conv_1_x_n_scratch_mve(g: dict) -> int:
    pad, stride, c = g["pad_left"], g["stride_w"], g["in_c"]
    total_pad = (g["out_w"] - 1) * stride + g["kernel_w"] - g["in_w"]
    asym = total_pad % 2
    right = max(1, (pad + asym + stride - 1) // stride) if pad + asym != 0 else 0
    left = max(1, (pad + stride - 1) // stride) if pad != 0 else 0
    middle = max(g["out_w"] - (right + left), 0)
    if right + middle + left != g["out_w"]:
        return _im2col_scratch(g, "mve")
    pad_left_size = pad * c
    pad_right_size = right * c if asym else pad_left_size
    elems_left = g["kernel_w"] * c
    return max(elems_left + pad_left_size, elems_left - c + pad_right_size)


def lower_depthwise(op: Op, graph: Graph, path: str) -> KernelCall | None:
    w = graph.tensor(op.inputs[1])
    _, kh, kw, oc = w.shape
    g = _conv_geometry(op, graph, kh, kw)
    if g is None or oc % g["in_c"] != 0:
        return None
    multiplier = oc // g["in_c"]
    if path == "mve" and g["in_c"] == 1 and oc > ONE_IN_CH_TO_CONV_THRESHOLD_MVE:
        return None   # CMSIS-NN turns it into a convolution with a transposed copy of the weights
    stage = rq.output_stage(graph, op, oc)
    scratch = depthwise_scratch_bytes(g, multiplier, path)
    params = {**g, "depth_multiplier": multiplier, **_stage_fields(stage, w.data), "scratch_bytes": scratch,
              **_stage_arrays(stage, w.data)}
    return _call("depthwise", params, op, scratch)


def depthwise_scratch_bytes(g: dict, multiplier: int, path: str) -> int:
    """arm_depthwise_conv_wrapper_s8_get_buffer_size on a core taking `path`."""
    if multiplier != 1 or (g["dilation_h"], g["dilation_w"]) != (1, 1):
        return 0
    taps = g["kernel_h"] * g["kernel_w"]
    if path == "mve":
        return 4 * CH_IN_BLOCK_MVE * taps
    if (g["kernel_h"], g["kernel_w"]) == (3, 3) and g["pad_top"] <= 1 and g["pad_left"] <= 1:
        return 0
    return g["in_c"] * taps * 2 if path == "dsp" else 0


# ---- the rest ---------------------------------------------------------------------------------

def lower_fully_connected(op: Op, graph: Graph, path: str) -> KernelCall | None:
    w = graph.tensor(op.inputs[1])
    o, n = w.shape
    stage = rq.output_stage(graph, op, o, per_channel_rule=False)
    weights = np.asarray(w.data, np.int8)
    per_channel = int(rq.qparams(graph, op.inputs[1]).scale.size > 1)
    params = {"in_size": n, "out_size": o, **_stage_fields(stage, weights), "per_channel": per_channel,
              **_stage_arrays(stage, weights)}
    if path == "mve":
        kernel_sum = rq.fold_input_offset(stage["bias"], weights, stage["input_offset"])
        if kernel_sum is None:
            return None
        params["kernel_sum"] = ConstArray("kernel_sum", "int32_t", kernel_sum)
    else:
        params["kernel_sum"] = 0
    return _call("fully_connected", params, op, 0)


def lower_avg_pool(op: Op, graph: Graph, path: str) -> KernelCall | None:
    x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if x.quant is None or y.quant is None or x.quant.single() != y.quant.single():
        return None
    g = pool_geometry(op, graph)
    lo, hi = get_op(op.kind).act_range(op, graph)
    scratch = g["channels"] * 4 if path == "dsp" else 0
    params = {**g, "act_min": lo, "act_max": hi, "scratch_bytes": scratch}
    return _call("avg_pool", params, op, scratch)


def lower_softmax(op: Op, graph: Graph, path: str) -> KernelCall | None:
    x = graph.tensor(op.inputs[0])
    depth = x.shape[-1]
    p = softmax_params(op.attrs.get("beta", 1.0), x.quant.single()[0])
    params = {"rows": x.size // depth, "depth": depth, **p}
    return _call("softmax", params, op, 0)


def lower_add(op: Op, graph: Graph, path: str) -> KernelCall | None:
    a, b, y = (graph.tensor(n) for n in (*op.inputs, op.outputs[0]))
    if a.shape != y.shape or b.shape != y.shape or a.is_const or b.is_const:
        return None   # arm_elementwise_add_s8 has no broadcasting
    opdef = get_op(op.kind)
    lo, hi = opdef.act_range(op, graph)
    p = opdef.requant_params(op, graph)
    params = {"size": y.size, "in0_offset": -a.quant.single()[1], "in0_multiplier": p["in0_multiplier"],
              "in0_shift": p["in0_shift"], "in1_offset": -b.quant.single()[1],
              "in1_multiplier": p["in1_multiplier"], "in1_shift": p["in1_shift"], "left_shift": p["left_shift"],
              "output_offset": y.quant.single()[1], "output_multiplier": p["output_multiplier"],
              "output_shift": p["output_shift"], "act_min": lo, "act_max": hi}
    return KernelCall(f"{GLUE_PREFIX}add_s8", [f"{GLUE_PREFIX}add_s8.c", f"{GLUE_PREFIX}add_s8.h"],
                      f"{GLUE_PREFIX}add_params_t", params=params, inputs=list(op.inputs), outputs=[op.outputs[0]])


def _call(name: str, params: dict, op: Op, scratch: int) -> KernelCall:
    kernel = f"{GLUE_PREFIX}{name}_s8"
    takes_scratch = "scratch_bytes" in params
    return KernelCall(kernel, [f"{kernel}.c", f"{kernel}.h"], f"{GLUE_PREFIX}{name}_params_t", params=params,
                      inputs=[op.inputs[0]], outputs=[op.outputs[0]],
                      scratch_bytes=max(scratch, MIN_SCRATCH) if takes_scratch else 0)


_LOWERINGS = {
    "conv2d": lower_conv2d,
    "depthwise_conv2d": lower_depthwise,
    "fully_connected": lower_fully_connected,
    "avg_pool2d": lower_avg_pool,
    "softmax": lower_softmax,
    "add": lower_add,
}
