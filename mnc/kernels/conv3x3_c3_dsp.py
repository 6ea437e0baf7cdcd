"""mnc_conv3x3_c3_dsp_s8: 3x3 convolution of a 3-channel input (an image network's first layer), the
window rows read straight from the input into the DSP-extension GEMM (no im2col row)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.packing_dsp import DSP_GEMM_SOURCES, dsp_gemm_params, round4
from mnc.ops.geometry import window_attrs

# Where each of the 28 reduction slots of mnc_conv3x3_c3_dsp_s8.c reads its weight from the 27 taps of
# the IR's [ky][kx][c] order (-1: no tap, weight 0). Window row r is taps 9r..9r+8; groups 2r and
# 2r + 1 take its first 8 bytes, group 6 takes the three 9th bytes as [row 0, row 2, row 1, none].
C3_SLOT_TAPS = (*range(0, 8), *range(9, 17), *range(18, 26), 8, 26, 17, -1)


def c3_weight_matrix(w2d: np.ndarray) -> np.ndarray:
    """[O, 27] int8 in tap order -> [O, 28] in the kernel's reduction order."""
    taps = np.asarray(C3_SLOT_TAPS)
    out = np.zeros((w2d.shape[0], len(taps)), np.int8)
    out[:, taps >= 0] = w2d[:, taps[taps >= 0]]
    return out


@dataclass(frozen=True)
class Conv3x3C3DspParams(Params):
    in_h: int
    in_w: int
    out_h: int
    out_w: int
    out_c: int
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


class Conv3x3C3Dsp(KernelDescriptor):
    name = "mnc_conv3x3_c3_dsp_s8"
    params_type = Conv3x3C3DspParams
    extra_sources = DSP_GEMM_SOURCES
    feature = "dsp"

    def check(self, op, graph):
        return cf.all_of(lambda: _three_by_three_of_three(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op)))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        s = cf.stage(op, graph)
        gemm = dsp_gemm_params(cf.folded_bias(op, graph, w2d), c3_weight_matrix(w2d), s)
        del gemm["groups"]   # always 7 (MNC_C3_GROUPS)
        shapes = cf.conv_shapes(op, graph)
        window = cf.window_fields(op, graph)
        return Conv3x3C3DspParams(
            in_h=shapes["in_h"], in_w=shapes["in_w"], out_h=shapes["out_h"], out_w=shapes["out_w"],
            out_c=shapes["out_c"], stride_h=window["stride_h"], stride_w=window["stride_w"],
            pad_top=window["pad_top"], pad_left=window["pad_left"], pad_value=-s["input_offset"], **gemm)

    def scratch_bytes(self, op, graph):
        """The two-pixel column buffer (112 bytes), a 27-byte window (32) and out_c bytes (the C source)."""
        return round4(144 + graph.tensor(op.inputs[1]).shape[0])


def _three_by_three_of_three(op, graph):
    _, kh, kw, c = graph.tensor(op.inputs[1]).shape
    if (kh, kw, c) != (3, 3, 3):
        return no(f"{kh}x{kw} window over {c} input channels (the kernel is 3x3 over 3 channels)")
    _, _, dilation = window_attrs(op)
    return YES if tuple(dilation) == (1, 1) else no(f"dilation {tuple(dilation)} (the kernel needs 1)")


KERNEL = Conv3x3C3Dsp()
