"""Constant layouts of the Helium (MVE) kernels, computed at compile time.

Requantization in the kernels is TFLite's double-rounding MultiplyByQuantizedMultiplier, bit for bit,
for every shift TFLite produces (see templates/kernels/mnc_requant_mve_s8.h); layouts are described
in the kernel headers.
"""

from __future__ import annotations

import numpy as np

REQUANT_HEADER = "mnc_requant_mve_s8.h"
GEMM_SOURCES = ("mnc_gemm_mve_s8.h", REQUANT_HEADER)   # the GEMM core of the Helium convolutions
GEMM_PIXELS = 4        # pixels per GEMM block
GEMM_LANES = 16        # int8 products per VMLADAV: the reduction is padded to a multiple of it
DW_SOURCES = ("mnc_dw_mve_s8.h", REQUANT_HEADER)   # the depthwise kernels' shared pieces
DW_LANES = 16          # lane channels per depthwise block
DW_SET_OFFSET = [0, 2, 1, 3]   # lane j of accumulator set s holds block lane 4j + DW_SET_OFFSET[s]
DW_WEIGHT_MIN = -127   # pairs of products fit int16 only if no weight is -128 (TFLite's int8 weight range)


def quant_fields(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """[channels, 4] int64: bias, multiplier, left shift (>= 0), -right shift (<= 0)."""
    shift = np.asarray(shift, np.int64)
    return np.stack([np.asarray(bias, np.int64), np.asarray(mult, np.int64),
                     np.maximum(shift, 0), np.minimum(shift, 0)], axis=1)


def gemm_weights(w2d: np.ndarray) -> np.ndarray:
    """[out, k] int8 -> [out, k rounded up to 16], zero padded: each row is whole VMLADAV blocks."""
    padded = np.zeros((w2d.shape[0], _round_up(w2d.shape[1], GEMM_LANES)), np.int8)
    padded[:, : w2d.shape[1]] = w2d
    return padded


def gemm_reduction(k: int) -> int:
    """The bytes a GEMM row occupies: k rounded up to 16."""
    return _round_up(k, GEMM_LANES)


def depthwise_group(channels: int, stride_w: int) -> int:
    """Pixels per 16-lane block: with stride 1 the taps of adjacent pixels are contiguous, so few channels
    (a divisor of 16) fill a block with several pixels."""
    return DW_LANES // channels if stride_w == 1 and channels < DW_LANES and DW_LANES % channels == 0 else 1


def right_shift_only(shift: np.ndarray) -> bool:
    """Whether every channel shifts right by at least 1 (kernels then skip the left shift and the
    per-lane rounding fix-up test)."""
    return bool(np.all(np.asarray(shift) <= -1))


def depthwise_weights(w2d: np.ndarray) -> np.ndarray:
    """[lanes, taps] int8 -> [ceil(lanes/16)][taps][16 lanes], zero padded."""
    taps = w2d.shape[1]
    padded = np.zeros((_round_up(w2d.shape[0], DW_LANES), taps), np.int8)
    padded[: w2d.shape[0]] = w2d
    return padded.reshape(-1, DW_LANES, taps).transpose(0, 2, 1).reshape(-1)


def depthwise_filter(w2d: np.ndarray, bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per 16-lane block: its weights (16 per tap) then its quantization records (256 bytes of
    little-endian int32, the Cortex-M byte order), so one pointer walks both."""
    blocks = -(-w2d.shape[0] // DW_LANES)
    weights = depthwise_weights(w2d).reshape(blocks, -1)
    quant = depthwise_quant(bias, mult, shift).astype("<i4").view(np.int8).reshape(blocks, -1)
    return np.concatenate([weights, quant], axis=1).reshape(-1)


def depthwise_quant(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """[ceil(lanes/16)][lane set][field][4 lanes]: lane j of set s is lane 4j + DW_SET_OFFSET[s] of the
    block (the order VMULLB/T.S8 then VMOVLB/T.S16 produce); padding lanes are all-zero records."""
    fields = quant_fields(bias, mult, shift)
    padded = np.zeros((_round_up(len(fields), DW_LANES), 4), np.int64)
    padded[: len(fields)] = fields
    blocks = padded.reshape(-1, 4, 4, 4)[:, :, DW_SET_OFFSET, :]     # block, lane j, set, field
    return blocks.transpose(0, 2, 3, 1).astype(np.int32).reshape(-1)


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m
