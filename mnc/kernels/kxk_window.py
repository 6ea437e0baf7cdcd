"""The windows the ring-based KxK depthwise kernel (depthwise_kxk_dsp.py) takes and the size of its ring
of padded input rows."""

from __future__ import annotations

from mnc.kernels.base import YES, Verdict, no
from mnc.ops.depthwise_conv2d import depth_multiplier
from mnc.ops.geometry import window_attrs

MAX_KERNEL_H = 16      # MNC_DWK_DSP_MAX_KERNEL_H: ring slots the kernel keeps on its stack


def supported_window(op, graph) -> Verdict:
    """Depth multiplier 1, no dilation, a window at most MAX_KERNEL_H tall."""
    _, kh, _, _ = graph.tensor(op.inputs[1]).shape
    _, _, dilation = window_attrs(op)
    multiplier = depth_multiplier(op, graph)
    if multiplier != 1:
        return no(f"depth multiplier {multiplier} (the kernel needs 1)")
    if dilation != (1, 1):
        return no("dilated window")
    if kh > MAX_KERNEL_H:
        return no(f"window {kh} rows tall (the kernel takes at most {MAX_KERNEL_H})")
    return YES


def ring_bytes(op, graph, column_bytes: int) -> int:
    """kernel_h rows of (out_w - 1) * stride_w + kernel_w columns of `column_bytes` each."""
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    stride, _, _ = window_attrs(op)
    out_w = graph.tensor(op.outputs[0]).shape[2]
    return kh * ((out_w - 1) * stride[1] + kw) * column_bytes
