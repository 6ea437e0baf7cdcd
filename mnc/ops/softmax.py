"""softmax over the last axis.

int8 semantics: reference_ops::Softmax's int8 path as TFLite Micro runs it (input_beta_multiplier,
input_left_shift, diff_min, gemmlowp exp_on_negative_values in Q5, sum in Q12, GetReciprocal), output
fixed at scale 1/256, zero point -128.

LiteRT differs: its SOFTMAX kernel has no reference variant for int8 (BUILTIN_REF uses the same
code as the optimized resolver), and that code is optimized_ops::Softmax with a float exp lookup
table (or SoftmaxInt8LUT when built with TFLITE_SOFTMAX_USE_UINT16_LUT). Its results can differ
from TFLM's fixed-point path by one step; mnc follows TFLM.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import UnsupportedError
from mnc.ops import register
from mnc.ops.activations import calculate_input_radius
from mnc.ops.base import PROBABILITY, OpDef
from mnc.ops.fixedpoint import exp_on_negative_values, mul, reciprocal, rescale, wrap32
from mnc.quant import quantize_multiplier, rounding_divide_by_pot, saturating_rounding_doubling_high_mul

SCALED_DIFF_INTEGER_BITS = 5
ACCUMULATION_INTEGER_BITS = 12


def softmax_params(beta: float, in_scale: float) -> dict[str, int]:
    """TFLite PreprocessSoftmaxScaling + CalculateInputRadius (double-rounding build)."""
    real = min(float(beta) * float(np.float32(in_scale)) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               float(2**31 - 1))
    multiplier, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        raise UnsupportedError("softmax: input scale * beta too small for TFLite's int8 kernel")
    diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, left_shift)
    return {"input_multiplier": multiplier, "input_left_shift": left_shift, "diff_min": diff_min}


def softmax_int8(x: np.ndarray, p: dict[str, int]) -> np.ndarray:
    """reference_ops::Softmax, int8 in and out, rows along the last axis."""
    rows = x.reshape(-1, x.shape[-1]).astype(np.int64)
    diff = rows - rows.max(axis=1, keepdims=True)
    valid = diff >= p["diff_min"]
    safe = np.where(valid, diff, 0)
    rescaled = saturating_rounding_doubling_high_mul(safe * (1 << p["input_left_shift"]), p["input_multiplier"])
    exps = exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)                     # Q0
    terms = np.where(valid, rescale(exps, 0, ACCUMULATION_INTEGER_BITS), 0)
    sum_of_exps = _wrapping_row_sum(terms)                                                 # Q12
    scale, bits_over_unit = reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS)
    unsat = rounding_divide_by_pot(mul(scale, exps), bits_over_unit + 31 - 8)
    out = np.clip(unsat - 128, -128, 127)
    return np.where(valid, out, -128).astype(np.int8).reshape(x.shape)


def _wrapping_row_sum(terms: np.ndarray) -> np.ndarray:
    """Row sums with int32 wrap-around after every add, as the C accumulation does."""
    total = np.zeros((terms.shape[0], 1), dtype=np.int64)
    for c in range(terms.shape[1]):
        total = wrap32(total + terms[:, c:c + 1])
    return total


class Softmax(OpDef):
    kind = "softmax"
    tflite_ops = ("SOFTMAX",)
    onnx_ops = ("Softmax",)
    attrs_doc = "beta (1.0)"
    notes = "last axis; int8 output fixed 1/256, zp -128"
    output_quant = PROBABILITY
    kernels = ("mnc_softmax_s8",)

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        return [(x.shape, x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = inputs[0].astype(np.float64) * float(op.attrs.get("beta", 1.0))
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return [(e / e.sum(axis=-1, keepdims=True)).astype(np.float32)]

    def constants(self, op, graph) -> dict[str, int]:
        """input_multiplier, input_left_shift, diff_min: what the int8 reference and the kernel share."""
        in_scale, _ = graph.tensor(op.inputs[0]).quant.single()
        return softmax_params(op.attrs.get("beta", 1.0), in_scale)

    def eval_int8(self, op, graph, inputs):
        return [softmax_int8(inputs[0], self.constants(op, graph))]

    def macs(self, op, graph):
        return graph.tensor(op.inputs[0]).size



register(Softmax())
