"""mnc_depthwise_conv2d_dsp_s8: depthwise convolution, depth multiplier 1, SIMD across 4 channels with
the input offset folded into the bias (3x3 windows use a ring of unpacked rows)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.ops.depthwise_conv2d import depth_multiplier
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_dsp import constant_channels, dsp_fast_requant, dsp_quant_arrays, folded_acc_bound
from mnc.ops.geometry import window_attrs


@dataclass(frozen=True)
class DepthwiseDspParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int
    pad_value: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int8_t")
    quant: object = array("int32_t")
    shift: object = array("int8_t")


class DepthwiseConv2DDsp(KernelDescriptor):
    name = "mnc_depthwise_conv2d_dsp_s8"
    params_type = DepthwiseDspParams
    extra_sources = ("mnc_requant_dsp_s8.h",)
    feature = "dsp"

    def check(self, op, graph):
        return cf.all_of(lambda: _multiplier_one(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.depthwise_taps(graph, op)))

    def params(self, op, graph):
        s = cf.stage(op, graph)
        w2d = cf.depthwise_taps(graph, op)
        bias, mult, shift = constant_channels(cf.folded_bias(op, graph, w2d), w2d, s)
        return DepthwiseDspParams(
            **cf.depthwise_shapes(op, graph), **cf.window_fields(op, graph),
            pad_value=-s["input_offset"], **cf.clamp_fields(s),
            fast_requant=int(dsp_fast_requant(folded_acc_bound(bias, w2d), shift)),
            weights=ConstArray("weights", "int8_t", cf.weights(graph, op)),
            **dsp_quant_arrays(bias, mult, shift, 4))

    def scratch_bytes(self, op, graph):
        """Three unpacked rows of the padded width for the 3x3 path, or the planar rings when the
        planar 3x3 path runs (mnc_depthwise_conv2d_dsp_s8.h)."""
        stride, _, _ = window_attrs(op)
        out_w = graph.tensor(op.outputs[0]).shape[2]
        rows = 24 * ((out_w - 1) * stride[1] + 3)
        return max(rows, DW3_RING_BYTES) if _planar(self.params(op, graph)) else rows


# The planar 3x3 path of the C source (mnc_dw3_applies and its caller): 4 channels x 6 ring slots x
# 128-byte rows of int16 columns.
DW3_RING_BYTES = 4 * 6 * 128
DW3_COLS = 64


def _planar(p: DepthwiseDspParams) -> bool:
    cols = (p.out_w - 1) * p.stride_w + 4
    cols += cols & 1
    return ((p.kernel_h, p.kernel_w, p.dilation_h, p.dilation_w) == (3, 3, 1, 1) and p.in_c >= 4
            and bool(p.fast_requant) and (p.act_min, p.act_max) == (-128, 127)
            and ((p.stride_w == 1 and p.out_w >= 12) or (p.stride_w == 2 and p.out_w >= 24)) and cols <= DW3_COLS)


def _multiplier_one(op, graph):
    multiplier = depth_multiplier(op, graph)
    return YES if multiplier == 1 else no(f"depth multiplier {multiplier} (the kernel needs 1)")


KERNEL = DepthwiseConv2DDsp()
