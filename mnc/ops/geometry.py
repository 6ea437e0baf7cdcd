"""Window geometry of conv2d, depthwise_conv2d and the pools: the IR's stride/pad/dilation attributes,
output sizes, and the per-tap views the float and int8 references sum over."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from mnc.errors import ModelError

if TYPE_CHECKING:
    from mnc.ir import Op

Shape = tuple[int, ...]


def window_attrs(op: Op) -> tuple[tuple[int, int], tuple[int, int, int, int], tuple[int, int]]:
    """(stride, pad (top, bottom, left, right), dilation) with IR defaults."""
    stride = tuple(int(s) for s in op.attrs.get("stride", (1, 1)))
    pad = tuple(int(p) for p in op.attrs.get("pad", (0, 0, 0, 0)))
    dilation = tuple(int(d) for d in op.attrs.get("dilation", (1, 1)))
    if len(stride) != 2 or len(pad) != 4 or len(dilation) != 2:
        raise ModelError(f"op {op.name!r}: stride/dilation need 2 values and pad 4")
    if min(stride) < 1 or min(dilation) < 1 or min(pad) < 0:
        raise ModelError(f"op {op.name!r}: stride and dilation must be >= 1, pads >= 0")
    return stride, pad, dilation


def out_size(size: int, kernel: int, stride: int, dilation: int, pad_lo: int, pad_hi: int) -> int:
    """Output length along one spatial axis for explicit pads."""
    effective = (kernel - 1) * dilation + 1
    n = (size + pad_lo + pad_hi - effective) // stride + 1
    if n < 1:
        raise ModelError(f"window of {effective} does not fit input of {size} with pads {pad_lo}+{pad_hi}")
    return n


def out_hw(op: Op, in_shape: Shape, kh: int, kw: int) -> tuple[int, int]:
    stride, pad, dilation = window_attrs(op)
    oh = out_size(in_shape[1], kh, stride[0], dilation[0], pad[0], pad[1])
    ow = out_size(in_shape[2], kw, stride[1], dilation[1], pad[2], pad[3])
    return oh, ow


def taps(xp: np.ndarray, kh: int, kw: int, stride, dilation, oh: int, ow: int
         ) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each kernel tap (i, j): the [N, OH, OW, C] view of the padded input `xp` it multiplies."""
    sh, sw = stride
    dh, dw = dilation
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            yield i, j, xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]


def pad_spatial(x: np.ndarray, pad, value=0) -> np.ndarray:
    top, bottom, left, right = pad
    if not any(pad):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)
