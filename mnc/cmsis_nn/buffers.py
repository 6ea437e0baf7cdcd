"""Scratch sizes of CMSIS-NN's kernels: Python transcriptions of Arm's `*_get_buffer_size` functions
(GCC build) for each core path: plain C ('c'), DSP ('dsp', ARM_MATH_DSP) and Helium ('mve',
ARM_MATH_MVEI). tests/ops/test_cmsis_nn.py compiles Arm's own functions and compares them case by case.

`g` is a conv geometry: in_h, in_w, in_c, out_h, out_w, out_c, kernel_h/w, stride_h/w, pad_top/left,
dilation_h/w (the fields of the glue's params struct).
"""

from __future__ import annotations

CH_IN_BLOCK_MVE = 124                  # arm_nnsupportfunctions.h


def conv_scratch_bytes(g: dict, path: str) -> int:
    """arm_convolve_wrapper_s8_get_buffer_size on a core taking `path`."""
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


def avgpool_scratch_bytes(channels: int, path: str) -> int:
    """arm_avgpool_s8_get_buffer_size: an int32 sum per channel on DSP cores only."""
    return channels * 4 if path == "dsp" else 0
