"""The CMSIS-NN kernel family: one descriptor per glue function (templates/cmsis_nn/mnc_cmsis_<op>_s8.c),
each of which builds CMSIS-NN's `cmsis_nn_*` parameter structs from compile-time constants and calls
Arm's `arm_*_s8` function. `family(target)` hands them to mnc.kernels.select.lower_op, which tries them
before the op's own kernels; ops CMSIS-NN has no int8 kernel for (MEAN, MUL, LUT activations, ...), or
whose parameters it cannot express, keep mnc's kernel and the layer says why, as TFLite Micro falls back
to its reference kernels.

The numbers are the ones mnc's own kernels use (the op's output stage, add and softmax parameters):
CMSIS-NN follows TFLite's double-rounding reference arithmetic in its default build, so the outputs are
expected to equal mnc's byte for byte, and tests/ops/test_cmsis_nn.py checks they do.

Each descriptor is bound to the CMSIS-NN code path the target compiles (`core`): the path decides
scratch sizes (Arm's `*_get_buffer_size` formulas, mnc.cmsis_nn.buffers) and a few applicability rules.
The glue's `scratch_bytes` field is Arm's size, possibly 0 (passed to CMSIS-NN as a NULL buffer, as
TFLite Micro does: some kernels take a non-NULL buffer as permission to use it); the call asks the
planner for at least MIN_SCRATCH bytes so every glue has the same signature. `arm_functions` names the
Arm entry points a glue calls, from which mnc.cmsis_nn.sources collects the package's Arm sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mnc.cmsis_nn import buffers
from mnc.kernels import conv_fields as cf
from mnc.kernels.base import NULL, YES, KernelDescriptor, Params, Verdict, array, no
from mnc.kernels.call import ConstArray, KernelCall
from mnc.kernels.pool_fields import PoolParams, pool_fields
from mnc.kernels.select import KernelFamily
from mnc.ops import geometry, get_op
from mnc.ops import requantization as rq
from mnc.ops.pool import pool_geometry
from mnc.ops.softmax import softmax_params
from mnc.targets import Target

GLUE_PREFIX = "mnc_cmsis_"
ONE_IN_CH_TO_CONV_THRESHOLD_MVE = 8    # CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD (GCC)
MIN_SCRATCH = 4
PATHS = ("c", "dsp", "mve")


def core(target: Target) -> str:
    """The CMSIS-NN code path the target compiles: 'mve' (ARM_MATH_MVEI), 'dsp' (ARM_MATH_DSP) or 'c'."""
    if target.has("mve"):
        return "mve"
    return "dsp" if target.has("dsp") else "c"


class CmsisKernel(KernelDescriptor):
    """A glue function for one CMSIS-NN entry point, bound to a core path. Subclasses implement
    `check_cmsis`, `params` and, when the glue takes a buffer, `arm_buffer_bytes`."""

    arm_functions: ClassVar[frozenset[str]] = frozenset()
    takes_buffer: ClassVar[bool] = False

    def __init__(self, path: str) -> None:
        self.path = path

    def check(self, op, graph) -> Verdict:
        x = graph.tensor(op.inputs[0])
        if x.dtype != "int8" or (len(x.shape) == 4 and x.shape[0] != 1):
            return no("CMSIS-NN glue takes int8 tensors of batch 1")
        return self.check_cmsis(op, graph)

    def check_cmsis(self, op, graph) -> Verdict:
        return YES

    def arm_buffer_bytes(self, op, graph) -> int:
        """What Arm's *_get_buffer_size returns on this path (the glue's `scratch_bytes` field)."""
        return 0

    def scratch_bytes(self, op, graph) -> int:
        return max(self.arm_buffer_bytes(op, graph), MIN_SCRATCH) if self.takes_buffer else 0


# ---- convolutions -------------------------------------------------------------------------------

def conv_geometry(op, graph) -> dict | None:
    """The glue's geometry fields, or None when the padding is not one CMSIS-NN can express: it takes
    one pad per axis (top, left); bottom/right follow from the output size and may only be what
    TFLite's SAME padding gives, at most one stride more than top/left, never less."""
    stride, pad, _ = geometry.window_attrs(op)
    if not (0 <= pad[1] - pad[0] <= stride[0] and 0 <= pad[3] - pad[2] <= stride[1]):
        return None
    out_c = graph.tensor(op.outputs[0]).shape[3]
    return {**cf.depthwise_shapes(op, graph), "out_c": out_c, **cf.window_fields(op, graph)}


def _expressible_padding(op, graph) -> Verdict:
    if conv_geometry(op, graph) is None:
        return no("padding CMSIS-NN cannot express (bottom/right must be top/left or up to one stride more)")
    return YES


@dataclass(frozen=True)
class CmsisConvParams(cf.ConvGeometry):
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    scratch_bytes: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class CmsisConv(CmsisKernel):
    name = "mnc_cmsis_conv_s8"
    params_type = CmsisConvParams
    arm_functions = frozenset({"arm_convolve_wrapper_s8"})
    takes_buffer = True

    def check_cmsis(self, op, graph):
        return _expressible_padding(op, graph)

    def params(self, op, graph):
        w = graph.tensor(op.inputs[1])
        stage = rq.output_stage(graph, op, w.shape[0])
        return CmsisConvParams(**conv_geometry(op, graph), scratch_bytes=self.arm_buffer_bytes(op, graph),
                               **cf.portable_stage_fields(stage, w.data))

    def arm_buffer_bytes(self, op, graph):
        return buffers.conv_scratch_bytes(conv_geometry(op, graph), self.path)


@dataclass(frozen=True)
class CmsisDepthwiseParams(cf.ConvGeometry):
    depth_multiplier: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    scratch_bytes: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class CmsisDepthwise(CmsisKernel):
    name = "mnc_cmsis_depthwise_s8"
    params_type = CmsisDepthwiseParams
    arm_functions = frozenset({"arm_depthwise_conv_wrapper_s8"})
    takes_buffer = True

    def check_cmsis(self, op, graph):
        g = conv_geometry(op, graph)
        if g is None:
            return _expressible_padding(op, graph)
        if g["out_c"] % g["in_c"] != 0:
            return no(f"{g['out_c']} output channels are not a multiple of {g['in_c']} input channels")
        if self.path == "mve" and g["in_c"] == 1 and g["out_c"] > ONE_IN_CH_TO_CONV_THRESHOLD_MVE:
            # CMSIS-NN's wrapper turns it into a convolution with a transposed copy of the weights
            return no("one input channel with more than 8 outputs (CMSIS-NN's Helium path rewrites it as a convolution)")
        return YES

    def params(self, op, graph):
        g = conv_geometry(op, graph)
        stage = rq.output_stage(graph, op, g["out_c"])
        return CmsisDepthwiseParams(**g, depth_multiplier=g["out_c"] // g["in_c"],
                                    scratch_bytes=self.arm_buffer_bytes(op, graph),
                                    **cf.portable_stage_fields(stage, graph.tensor(op.inputs[1]).data))

    def arm_buffer_bytes(self, op, graph):
        g = conv_geometry(op, graph)
        return buffers.depthwise_scratch_bytes(g, g["out_c"] // g["in_c"], self.path)


# ---- the rest ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CmsisFullyConnectedParams(Params):
    in_size: int
    out_size: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    per_channel: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")
    kernel_sum: object = array("int32_t", nullable=True)


class CmsisFullyConnected(CmsisKernel):
    name = "mnc_cmsis_fully_connected_s8"
    params_type = CmsisFullyConnectedParams
    arm_functions = frozenset({"arm_fully_connected_s8", "arm_fully_connected_per_channel_s8"})

    def check_cmsis(self, op, graph):
        if self.path == "mve" and self._kernel_sum(op, graph) is None:
            return no("bias + input offset * sum(weights) does not fit int32 (CMSIS-NN's Helium kernel sum)")
        return YES

    def params(self, op, graph):
        o, n = graph.tensor(op.inputs[1]).shape
        stage = self._stage(op, graph)
        weights = np.asarray(graph.tensor(op.inputs[1]).data, np.int8)
        per_channel = int(rq.qparams(graph, op.inputs[1]).scale.size > 1)
        kernel_sum = self._kernel_sum(op, graph)
        return CmsisFullyConnectedParams(
            in_size=n, out_size=o, per_channel=per_channel, **cf.portable_stage_fields(stage, weights),
            kernel_sum=NULL if kernel_sum is None else ConstArray("kernel_sum", "int32_t", kernel_sum))

    def _stage(self, op, graph):
        return rq.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[0], per_channel_rule=False)

    def _kernel_sum(self, op, graph):
        """Helium only: the per-output sums CMSIS-NN's MVE kernel adds (bias + input offset * sum w)."""
        if self.path != "mve":
            return None
        stage = self._stage(op, graph)
        return rq.fold_input_offset(stage["bias"], np.asarray(graph.tensor(op.inputs[1]).data, np.int8),
                                    stage["input_offset"])


@dataclass(frozen=True)
class CmsisAvgPoolParams(PoolParams):
    scratch_bytes: int


class CmsisAvgPool(CmsisKernel):
    name = "mnc_cmsis_avg_pool_s8"
    params_type = CmsisAvgPoolParams
    arm_functions = frozenset({"arm_avgpool_s8"})
    takes_buffer = True

    def check_cmsis(self, op, graph):
        x, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
        if x.quant is None or y.quant is None or x.quant.single() != y.quant.single():
            return no("output quantization differs from the input's (arm_avgpool_s8 does not requantize)")
        return YES

    def params(self, op, graph):
        return CmsisAvgPoolParams(**pool_fields(op, graph), scratch_bytes=self.arm_buffer_bytes(op, graph))

    def arm_buffer_bytes(self, op, graph):
        return buffers.avgpool_scratch_bytes(pool_geometry(op, graph)["channels"], self.path)


@dataclass(frozen=True)
class CmsisSoftmaxParams(Params):
    rows: int
    depth: int
    input_multiplier: int
    input_left_shift: int
    diff_min: int


class CmsisSoftmax(CmsisKernel):
    name = "mnc_cmsis_softmax_s8"
    params_type = CmsisSoftmaxParams
    arm_functions = frozenset({"arm_softmax_s8"})

    def params(self, op, graph):
        x = graph.tensor(op.inputs[0])
        depth = x.shape[-1]
        return CmsisSoftmaxParams(rows=x.size // depth, depth=depth,
                                  **softmax_params(op.attrs.get("beta", 1.0), x.quant.single()[0]))


@dataclass(frozen=True)
class CmsisAddParams(Params):
    size: int
    in0_offset: int
    in0_multiplier: int
    in0_shift: int
    in1_offset: int
    in1_multiplier: int
    in1_shift: int
    left_shift: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


class CmsisAdd(CmsisKernel):
    name = "mnc_cmsis_add_s8"
    params_type = CmsisAddParams
    arm_functions = frozenset({"arm_elementwise_add_s8"})

    def check_cmsis(self, op, graph):
        a, b, y = (graph.tensor(n) for n in (*op.inputs, op.outputs[0]))
        if a.shape != y.shape or b.shape != y.shape or a.is_const or b.is_const:
            return no("broadcasting or a constant operand (arm_elementwise_add_s8 adds two equal-shaped tensors)")
        return YES

    def params(self, op, graph):
        a, b, y = (graph.tensor(n) for n in (*op.inputs, op.outputs[0]))
        opdef = get_op(op.kind)
        lo, hi = opdef.act_range(op, graph)
        p = opdef.requant_params(op, graph)
        return CmsisAddParams(
            size=y.size, in0_offset=-a.quant.single()[1], in0_multiplier=p["in0_multiplier"],
            in0_shift=p["in0_shift"], in1_offset=-b.quant.single()[1], in1_multiplier=p["in1_multiplier"],
            in1_shift=p["in1_shift"], left_shift=p["left_shift"], output_offset=y.quant.single()[1],
            output_multiplier=p["output_multiplier"], output_shift=p["output_shift"], act_min=lo, act_max=hi)

    def inputs(self, op):
        return list(op.inputs)


# ---- the family -------------------------------------------------------------------------------

FAMILY_NAME = "cmsis-nn"
KERNELS_BY_KIND = {
    "conv2d": CmsisConv,
    "depthwise_conv2d": CmsisDepthwise,
    "fully_connected": CmsisFullyConnected,
    "avg_pool2d": CmsisAvgPool,
    "softmax": CmsisSoftmax,
    "add": CmsisAdd,
}


def family_for_path(path: str) -> KernelFamily:
    return KernelFamily(FAMILY_NAME, "CMSIS-NN", {kind: (kernel(path),) for kind, kernel in KERNELS_BY_KIND.items()})


def family(target: Target) -> KernelFamily:
    """The CMSIS-NN descriptors for the code path `target` compiles, per op kind."""
    return family_for_path(core(target))


def arm_functions(calls: list[KernelCall]) -> set[str]:
    """The CMSIS-NN functions a list of calls needs (for sources.needed_sources)."""
    by_name = {kernel.name: kernel for kernel in KERNELS_BY_KIND.values()}
    return set().union(*(by_name[c.kernel].arm_functions for c in calls if c.kernel in by_name))
