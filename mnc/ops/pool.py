"""avg_pool2d and max_pool2d (NHWC, batch 1).

int8 semantics: reference_integer_ops::AveragePool / MaxPool. The output shares the input's
quantization; avg_pool sums raw int8 values over the in-bounds part of the window and divides by
that element count, rounding half away from zero; the fused activation is a clamp.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import SAME_AS_INPUT, OpDef
from mnc.ops.constraints import INT8_INPUT
from mnc.quant import activation_range


def pool_geometry(op, graph) -> dict[str, int]:
    _, in_h, in_w, channels = graph.tensor(op.inputs[0]).shape
    kh, kw = op.attrs["kernel"]
    sh, sw = op.attrs.get("stride", (1, 1))
    top, bottom, left, right = op.attrs.get("pad", (0, 0, 0, 0))
    out_h = (in_h + top + bottom - kh) // sh + 1
    out_w = (in_w + left + right - kw) // sw + 1
    if out_h <= 0 or out_w <= 0:
        raise ModelError(f"{op.name}: pooling window larger than the padded input")
    return {"in_h": in_h, "in_w": in_w, "channels": channels, "out_h": out_h, "out_w": out_w,
            "kernel_h": kh, "kernel_w": kw, "stride_h": sh, "stride_w": sw, "pad_top": top, "pad_left": left}


def _windows(g: dict[str, int]):
    """Yield (oy, ox, y0, y1, x0, x1): each output position and its in-bounds input window."""
    for oy in range(g["out_h"]):
        y_origin = oy * g["stride_h"] - g["pad_top"]
        y0, y1 = max(0, y_origin), min(g["in_h"], y_origin + g["kernel_h"])
        for ox in range(g["out_w"]):
            x_origin = ox * g["stride_w"] - g["pad_left"]
            x0, x1 = max(0, x_origin), min(g["in_w"], x_origin + g["kernel_w"])
            if y1 <= y0 or x1 <= x0:
                raise ModelError("pooling window lies entirely in the padding")
            yield oy, ox, y0, y1, x0, x1


def _float_act(x: np.ndarray, act: str) -> np.ndarray:
    if act == "relu":
        return np.maximum(x, np.float32(0))
    if act == "relu6":
        return np.clip(x, np.float32(0), np.float32(6))
    return x


class Pool2D(OpDef):
    attrs_doc = "kernel (kh, kw), stride, pad, act"
    notes = "int8 output shares input quant"
    constraints = (INT8_INPUT,)
    accepts_fused_activation = True
    output_quant = SAME_AS_INPUT
    preserves_sign = True

    def infer(self, op, graph):
        g = pool_geometry(op, graph)
        x = graph.tensor(op.inputs[0])
        return [((1, g["out_h"], g["out_w"], g["channels"]), x.dtype)]

    def eval_float(self, op, graph, inputs):
        out = self._pool(op, graph, inputs[0][0].astype(np.float32), np.float32, self.reduce_float)
        return [_float_act(out, op.attrs.get("act", "none"))]

    def eval_int8(self, op, graph, inputs):
        lo, hi = self.act_range(op, graph)
        out = self._pool(op, graph, inputs[0][0].astype(np.int64), np.int64, self.reduce_int8)
        return [np.clip(out, lo, hi).astype(np.int8)]

    def _pool(self, op, graph, x: np.ndarray, dtype, reduce) -> np.ndarray:
        g = pool_geometry(op, graph)
        out = np.zeros((1, g["out_h"], g["out_w"], g["channels"]), dtype=dtype)
        for oy, ox, y0, y1, x0, x1 in _windows(g):
            out[0, oy, ox] = reduce(x[y0:y1, x0:x1].reshape(-1, g["channels"]))
        return out

    def act_range(self, op, graph) -> tuple[int, int]:
        scale, zp = graph.tensor(op.outputs[0]).quant.single()
        return activation_range(op.attrs.get("act", "none"), scale, zp)

    def macs(self, op, graph):
        g = pool_geometry(op, graph)
        return g["out_h"] * g["out_w"] * g["channels"] * g["kernel_h"] * g["kernel_w"]



class AvgPool2D(Pool2D):
    kind = "avg_pool2d"
    tflite_ops = ("AVERAGE_POOL_2D",)
    onnx_ops = ("AveragePool",)
    kernels = ("mnc_avg_pool_s8",)

    @staticmethod
    def reduce_float(window: np.ndarray) -> np.ndarray:
        return window.sum(axis=0, dtype=np.float32) / np.float32(window.shape[0])

    @staticmethod
    def reduce_int8(window: np.ndarray) -> np.ndarray:
        acc, count = window.sum(axis=0), window.shape[0]
        magnitude = (np.abs(acc) + count // 2) // count          # C truncating division of |acc| +- count/2
        return np.where(acc > 0, magnitude, -magnitude)


class MaxPool2D(Pool2D):
    kind = "max_pool2d"
    tflite_ops = ("MAX_POOL_2D",)
    onnx_ops = ("MaxPool",)
    absorbs_zero_pad = "non_negative_input"
    kernels = ("mnc_max_pool_s8",)

    @staticmethod
    def reduce_float(window: np.ndarray) -> np.ndarray:
        return window.max(axis=0)

    @staticmethod
    def reduce_int8(window: np.ndarray) -> np.ndarray:
        return window.max(axis=0)


register(AvgPool2D())
register(MaxPool2D())
