"""mnc_depthwise_kxk_dsp_s8: depthwise convolution with any KxK window but 3x3 (5x5 in MobileNetV3),
depth multiplier 1, no dilation, any stride, padding and channel count, SIMD across 4 channels with the
DSP extension."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.kxk_window import ring_bytes, supported_window
from mnc.kernels.packing_dsp import constant_channels, dsp_fast_requant, dsp_quant_arrays, folded_acc_bound

GROUP = 4              # channels per pair of unpacked words


@dataclass(frozen=True)
class DepthwiseKxKDspParams(Params):
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
    pad_value: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")
    shift: object = array("int8_t")


class DepthwiseKxKDsp(KernelDescriptor):
    name = "mnc_depthwise_kxk_dsp_s8"
    params_type = DepthwiseKxKDspParams
    extra_sources = ("mnc_requant_dsp_s8.h",)
    feature = "dsp"

    def check(self, op, graph):
        return cf.all_of(lambda: _not_3x3(op, graph), lambda: supported_window(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.depthwise_taps(graph, op)))

    def params(self, op, graph):
        window = cf.window_fields(op, graph)
        del window["dilation_h"], window["dilation_w"]
        s = cf.stage(op, graph)
        w2d = cf.depthwise_taps(graph, op)
        bias, mult, shift = constant_channels(cf.folded_bias(op, graph, w2d), w2d, s)
        fast = dsp_fast_requant(folded_acc_bound(bias, w2d), shift)
        scale = 2 if fast else 1   # the fast path accumulates 2 * acc (mnc_dsp_output's `doubled`)
        return DepthwiseKxKDspParams(
            **cf.depthwise_shapes(op, graph), **window,
            pad_value=-s["input_offset"], **cf.clamp_fields(s), fast_requant=int(fast),
            weights=ConstArray("weights", "int32_t", unpacked_weights(w2d, scale)),
            **dsp_quant_arrays(bias * scale, mult, shift, GROUP))

    def scratch_bytes(self, op, graph):
        """The ring of kernel_h padded rows, two words per column (mnc_depthwise_kxk_dsp_s8.h)."""
        return ring_bytes(op, graph, 8)


def _not_3x3(op, graph):
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    if (kh, kw) == (3, 3):
        return no("3x3 window (mnc_depthwise_conv2d_dsp_s8 has a path for it)")
    return YES


def unpacked_weights(w2d: np.ndarray, scale: int) -> np.ndarray:
    """[channels, taps] int8 -> int32 words [ceil(channels / 4)][taps][2]: int16 lanes [w0, w2] and
    [w1, w3] (low half first) of each group's weights times `scale`, zero padded; what SXTB16 of the
    group's weight word would give, done at compile time."""
    channels, taps = w2d.shape
    padded = np.zeros((-(-channels // GROUP) * GROUP, taps), np.int64)
    padded[:channels] = np.asarray(w2d, np.int64) * scale
    lanes = padded.reshape(-1, GROUP, taps).transpose(0, 2, 1)           # group, tap, channel
    halves = lanes[:, :, [0, 2, 1, 3]].astype("<i2")                    # [w0, w2], [w1, w3]
    return np.ascontiguousarray(halves).view("<i4").reshape(-1).astype(np.int64)


KERNEL = DepthwiseKxKDsp()
