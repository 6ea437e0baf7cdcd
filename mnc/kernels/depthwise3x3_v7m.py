"""mnc_depthwise3x3_v7m_s8: 3x3 depthwise convolution (depth multiplier 1, no dilation, any stride and
padding) for ARMv7-M cores without the DSP extension; horizontally adjacent pixel pairs share one SMLAL
per tap."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_dsp import round4
from mnc.kernels.packing_v7m import REQUANT_HEADER, V7M_FEATURE, v7m_stage_params
from mnc.ops.depthwise_conv2d import depth_multiplier


@dataclass(frozen=True)
class Depthwise3x3V7mParams(Params):
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    input_zero_point: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int8_t")
    quant: object = array("int32_t")


class Depthwise3x3V7m(KernelDescriptor):
    name = "mnc_depthwise3x3_v7m_s8"
    params_type = Depthwise3x3V7mParams
    extra_sources = (REQUANT_HEADER,)
    feature = V7M_FEATURE

    def check(self, op, graph):
        return cf.all_of(lambda: _plain_3x3(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.depthwise_taps(graph, op)))

    def params(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        out = graph.tensor(op.outputs[0]).shape
        s = cf.stage(op, graph)
        taps = cf.depthwise_taps(graph, op)       # [channel][tap]: the kernel's weight order
        window = cf.window_fields(op, graph)
        return Depthwise3x3V7mParams(
            in_h=x[1], in_w=x[2], channels=x[3], out_h=out[1], out_w=out[2],
            **{k: window[k] for k in ("stride_h", "stride_w", "pad_top", "pad_left")},
            input_zero_point=-s["input_offset"], **v7m_stage_params(cf.folded_bias(op, graph, taps), taps, s),
            weights=ConstArray("weights", "int8_t", taps))


    def scratch_bytes(self, op, graph):
        """One 3x3 window of all channels, for pixels whose window reaches into the padding."""
        return round4(9 * graph.tensor(op.inputs[0]).shape[3])


def _plain_3x3(op, graph):
    w = cf.window_fields(op, graph)
    if (w["kernel_h"], w["kernel_w"]) != (3, 3):
        return no(f"{w['kernel_h']}x{w['kernel_w']} window (the kernel is 3x3 only)")
    if (w["dilation_h"], w["dilation_w"]) != (1, 1):
        return no("dilated window (the kernel reads adjacent taps)")
    multiplier = depth_multiplier(op, graph)
    return YES if multiplier == 1 else no(f"depth multiplier {multiplier} (the kernel needs 1)")


KERNEL = Depthwise3x3V7m()
