"""mean over H, W of an NHWC tensor (global average pooling), keepdims true or false.

int8 semantics: reference_ops::QuantizedMeanOrSum in its integer form, which both oracles
(LiteRT BUILTIN_REF and the tflite-micro package) were measured to follow for every
quantization, equal input/output quantization included (tests/frontends/test_tflite.py,
case mean_same_quant): multiplier/shift of in_scale/out_scale (double), with 1/count folded in:
        s = min(floor(log2(count)), 32, 31 + shift); multiplier = (multiplier << s) // count;
        shift -= s; out = MBQM(sum - in_zp * count, multiplier, shift) + out_zp, saturated.

Where LiteRT (ai-edge-litert, kernels/reduce.cc, kReference) differs:
  * keepdims true on a 4D input over axes (1, 2), whatever the quantization, it calls
    reference_integer_ops::Mean (older TFLM did too): acc = sum(x - in_zp);
    acc = MBQM(acc, multiplier, shift); acc = round-half-away(acc / count); + out_zp; clamp.
    Implemented below as `mean_int8_integer_ops` for comparison against that oracle.
  * keepdims false with differing quantization: LiteRT's reference_ops::QuantizedMeanOrSum may
    still be the older float version (float mean * in/out scale + bias, TfLiteRound).
"""

from __future__ import annotations

import numpy as np

from mnc.ops import register
from mnc.ops.base import Constraint, OpDef
from mnc.quant import multiply_by_quantized_multiplier, quantize_multiplier

HW_AXES = (1, 2)


def mean_axes(op, ndim: int) -> tuple[int, ...]:
    return tuple(sorted(a % ndim for a in op.attrs["axes"]))


def _over_hw(op, graph) -> bool:
    x = graph.tensor(op.inputs[0]).shape
    return len(x) == 4 and mean_axes(op, 4) == HW_AXES and x[0] == 1


def mean_params(in_q: tuple[float, int], out_q: tuple[float, int], count: int) -> dict[str, int]:
    """Requantization constants of QuantizedMeanOrSum with 1/count folded in."""
    multiplier, shift = quantize_multiplier(float(np.float32(in_q[0])) / float(np.float32(out_q[0])))
    s = min(int(count).bit_length() - 1, 32, 31 + shift)
    return {"multiplier": (multiplier << s) // count, "shift": shift - s}


def mean_int8_tflm(sums: np.ndarray, count: int, in_q, out_q) -> np.ndarray:
    """TFLM's MEAN from per-channel sums of raw int8 values."""
    p = mean_params(in_q, out_q, count)
    shifted = sums - in_q[1] * count
    out = multiply_by_quantized_multiplier(shifted, p["multiplier"], p["shift"]) + out_q[1]
    return np.clip(out, -128, 127).astype(np.int8)


def mean_int8_integer_ops(x: np.ndarray, in_q, out_q) -> np.ndarray:
    """reference_integer_ops::Mean over axes (1, 2), keepdims (LiteRT's kReference 4D path)."""
    count = x.shape[1] * x.shape[2]
    multiplier, shift = quantize_multiplier(float(np.float32(in_q[0])) / float(np.float32(out_q[0])))
    acc = (x.astype(np.int64) - in_q[1]).sum(axis=(1, 2), keepdims=True)
    acc = multiply_by_quantized_multiplier(acc, multiplier, shift)
    magnitude = (np.abs(acc) + count // 2) // count
    acc = np.where(acc > 0, magnitude, -magnitude) + out_q[1]
    return np.clip(acc, -128, 127).astype(np.int8)


class Mean(OpDef):
    kind = "mean"
    tflite_ops = ("MEAN",)
    onnx_ops = ("ReduceMean", "GlobalAveragePool")
    attrs_doc = "axes (tuple), keepdims"
    notes = "global average over H, W"
    constraints = (Constraint("over H and W of a [1, H, W, C] tensor only", lambda op, graph: _over_hw(op, graph)),)
    kernels = ("mnc_mean_s8",)

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        axes = mean_axes(op, len(x.shape))
        if op.attrs.get("keepdims", False):
            shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        else:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return [(shape, x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = inputs[0].astype(np.float32)
        axes = mean_axes(op, x.ndim)
        return [x.mean(axis=axes, keepdims=bool(op.attrs.get("keepdims", False)), dtype=np.float32)]

    def eval_int8(self, op, graph, inputs):
        x = inputs[0]
        axes = mean_axes(op, x.ndim)
        count = int(np.prod([x.shape[a] for a in axes]))
        sums = x.astype(np.int64).sum(axis=axes, keepdims=bool(op.attrs.get("keepdims", False)))
        in_q = graph.tensor(op.inputs[0]).quant.single()
        out_q = graph.tensor(op.outputs[0]).quant.single()
        return [mean_int8_tflm(sums, count, in_q, out_q)]

    def macs(self, op, graph):
        return graph.tensor(op.inputs[0]).size


register(Mean())
