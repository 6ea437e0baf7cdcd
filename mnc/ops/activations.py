"""Standalone unary activations: relu, relu6, hard_swish, hard_sigmoid, logistic.

int8 semantics (TFLite Micro's reference kernels; where LiteRT's BUILTIN_REF differs it is noted):
  relu/relu6  TFLite's quantized ReluX: requantize (x - zp_in) by in_scale/out_scale, add zp_out,
              clamp to the quantized [0, 6]. The multiplier is derived from a double division as in
              TFLM's RELU; LiteRT divides in float32, which can differ in the last multiplier bit.
              TFLM's RELU6 does not requantize at all (it assumes shared quantization); with shared
              quantization the multiplier is exactly 1 and all three agree.
  hard_swish  reference_ops::HardSwish's 16-bit fixed-point algorithm (identical in TFLM and LiteRT).
  logistic    reference_integer_ops::Logistic (gemmlowp fixed point, output 1/256, zp -128) as TFLM
              runs it. LiteRT's int8 LOGISTIC (even BUILTIN_REF) evaluates a float lookup table
              instead, so it can differ by one step.
  hard_sigmoid mnc-only: float math on the dequantized input, rounded half away from zero.

All of them lower to one C kernel, `mnc_lut_s8`, whose 256-entry table is this module's own int8
evaluation on every possible input, so the C is bit-exact by construction.
"""

from __future__ import annotations

import math

import numpy as np

from mnc.errors import UnsupportedError
from mnc.ops import register
from mnc.ops.base import PROBABILITY, OpDef, OutputQuant
from mnc.ops.constraints import INT8_INPUT
from mnc.ops.fixedpoint import logistic as fixed_logistic
from mnc.quant import (
    multiply_by_quantized_multiplier, quantize_multiplier, round_half_away, rounding_divide_by_pot,
)



def _qparams(graph, name: str) -> tuple[float, int]:
    return graph.tensor(name).quant.single()


def _relu6_f(x: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x, np.float32(0)), np.float32(6))


class UnaryOp(OpDef):
    """Elementwise, shape-preserving, lowered to a lookup table."""

    constraints = (INT8_INPUT,)
    kernels = ("mnc_lut_mve_s8", "mnc_lut_s8")

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        return [(x.shape, x.dtype)]

    def eval_float(self, op, graph, inputs):
        return [self.float_fn(inputs[0].astype(np.float32)).astype(np.float32)]

    def float_fn(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def eval_int8(self, op, graph, inputs):
        in_q = _qparams(graph, op.inputs[0])
        out_q = _qparams(graph, op.outputs[0])
        return [self.int8_fn(inputs[0].astype(np.int64), in_q, out_q).astype(np.int8)]

    def int8_fn(self, x: np.ndarray, in_q: tuple[float, int], out_q: tuple[float, int]) -> np.ndarray:
        raise NotImplementedError

    def macs(self, op, graph):
        return 0


class ReluX(UnaryOp):
    upper: float | None = None

    def float_fn(self, x):
        y = np.maximum(x, np.float32(0))
        return y if self.upper is None else np.minimum(y, np.float32(self.upper))

    def int8_fn(self, x, in_q, out_q):
        multiplier, shift = quantize_multiplier(float(np.float64(in_q[0]) / np.float64(out_q[0])))
        lo, hi = self.quantized_range(out_q)
        y = multiply_by_quantized_multiplier(x - in_q[1], multiplier, shift) + out_q[1]
        return np.clip(y, lo, hi)

    def quantized_range(self, out_q: tuple[float, int]) -> tuple[int, int]:
        """TFLite QuantizedReluX bounds: zp + roundf(bound / scale) in float32, within int8."""
        scale = np.float32(out_q[0])
        lo = max(-128, out_q[1] + int(round_half_away(np.float32(0.0) / scale)))
        if self.upper is None:
            return lo, 127
        return lo, min(127, out_q[1] + int(round_half_away(np.float32(self.upper) / scale)))


class Relu(ReluX):
    kind = "relu"
    tflite_ops = ("RELU",)
    onnx_ops = ("Relu", "Clip")
    notes = "standalone; ONNX Clip(0, inf)"
    fuses_as_activation = "relu"
    output_quant = OutputQuant("own", input_is_exact=True)


class Relu6(ReluX):
    kind = "relu6"
    tflite_ops = ("RELU6",)
    onnx_ops = ("Clip",)
    notes = "standalone; ONNX Clip(0, 6)"
    fuses_as_activation = "relu6"
    output_quant = OutputQuant("own", input_is_exact=True)
    upper = 6.0


def _down_scale_to_int16(multiplier: int) -> int:
    """TFLite DownScaleInt32ToInt16Multiplier: round a Q31 multiplier to Q15."""
    if multiplier >= 2**31 - 1 - (1 << 15):
        return 2**15 - 1
    return (multiplier + (1 << 15)) >> 16


def _srdhm16(a, b) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int16."""
    a = np.asarray(a, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    q = np.abs(ab + nudge) >> 15
    result = np.where(ab + nudge < 0, -q, q)
    return np.where((a == -32768) & (b == -32768), 32767, result)


def _sdhm16(a, b) -> np.ndarray:
    """TFLite SaturatingDoublingHighMul on int16 (truncating, like SQDMULH)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    q = np.abs(ab) >> 15
    result = np.where(ab < 0, -q, q)
    return np.where((a == -32768) & (b == -32768), 32767, result)


def _saturating_left_shift16(x, amount: int) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64) * (1 << amount), -32768, 32767)


def _wrap16(x) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) + 2**15) % 2**16 - 2**15


def hard_swish_params(in_scale: float, out_scale: float) -> dict[str, int]:
    """HardSwishPrepare: scales combined in float32, then quantized in double."""
    hires_input_scale = np.float32(1.0 / 128.0) * np.float32(in_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    out_mult, out_exp = quantize_multiplier(float(hires_input_scale / np.float32(out_scale)))
    relu_mult, relu_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    if out_exp > 0:
        raise UnsupportedError("hard_swish: output scale too small for TFLite's int8 kernel")
    return {"output_multiplier": _down_scale_to_int16(out_mult), "output_exponent": out_exp,
            "reluish_multiplier": _down_scale_to_int16(relu_mult), "reluish_exponent": relu_exp}


class HardSwish(UnaryOp):
    kind = "hard_swish"
    tflite_ops = ("HARD_SWISH",)
    onnx_ops = ("HardSwish",)
    notes = "x * relu6(x + 3) / 6"

    def float_fn(self, x):
        return x * _relu6_f(x + np.float32(3)) / np.float32(6)

    def int8_fn(self, x, in_q, out_q):
        p = hard_swish_params(in_q[0], out_q[0])
        hires = _wrap16((x - in_q[1]) * 128)
        preshift_output = _srdhm16(hires, p["output_multiplier"])
        reluish = hires
        if p["reluish_exponent"] > 0:
            reluish = _saturating_left_shift16(reluish, p["reluish_exponent"] - 1)
        reluish = _srdhm16(reluish, p["reluish_multiplier"])
        if p["reluish_exponent"] > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if p["reluish_exponent"] < 0:
            reluish = rounding_divide_by_pot(reluish, -p["reluish_exponent"])
        reluish = _wrap16((reluish + (1 << 15)) >> 1)   # [-1, 1] -> [0, 1] in Q15
        out = rounding_divide_by_pot(_sdhm16(reluish, preshift_output), -p["output_exponent"])
        return np.clip(_wrap16(out + out_q[1]), -128, 127)


class HardSigmoid(UnaryOp):
    """mnc-only kind; int8 output quantization fixed at 1/256, zp -128 (its range is [0, 1])."""

    kind = "hard_sigmoid"
    onnx_ops = ("HardSigmoid",)
    notes = "relu6(x + 3) / 6 (mnc-only kind; int8 via LUT from float, output fixed 1/256, zp -128)"
    output_quant = PROBABILITY

    def float_fn(self, x):
        return _relu6_f(x + np.float32(3)) / np.float32(6)

    def int8_fn(self, x, in_q, out_q):
        real = ((x - in_q[1]) * np.float64(np.float32(in_q[0]))).astype(np.float32)
        y = self.float_fn(real).astype(np.float64)
        return np.clip(round_half_away(y / np.float64(np.float32(out_q[0]))) + out_q[1], -128, 127)



LOGISTIC_INPUT_INTEGER_BITS = 4


def logistic_params(in_scale: float) -> dict[str, int]:
    """TFLM CalculateArithmeticOpDataLogistic for int8."""
    real = float(np.float32(in_scale)) * float(1 << (31 - LOGISTIC_INPUT_INTEGER_BITS))
    q, left_shift = math.frexp(real)
    multiplier = int(round_half_away(q * (1 << 31)))
    radius = calculate_input_radius(LOGISTIC_INPUT_INTEGER_BITS, left_shift)
    return {"multiplier": multiplier, "left_shift": left_shift, "radius": radius}


def calculate_input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite CalculateInputRadius: the largest |input| the fixed-point path can represent."""
    max_input_rescaled = (1.0 * ((1 << input_integer_bits) - 1) * float(1 << (total_signed_bits - input_integer_bits))
                          / float(1 << input_left_shift))
    return int(math.floor(max_input_rescaled))


class Logistic(UnaryOp):
    kind = "logistic"
    tflite_ops = ("LOGISTIC",)
    onnx_ops = ("Sigmoid",)
    notes = "int8 output fixed 1/256, zp -128"
    output_quant = PROBABILITY

    def float_fn(self, x):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)

    def int8_fn(self, x, in_q, out_q):
        p = logistic_params(in_q[0])
        centered = x - in_q[1]
        safe = np.clip(centered, -p["radius"] + 1, p["radius"] - 1)   # keeps the shift in int32 range
        in_q4 = multiply_by_quantized_multiplier(safe, p["multiplier"], p["left_shift"])
        out_q0 = fixed_logistic(in_q4, LOGISTIC_INPUT_INTEGER_BITS)
        y = np.clip(rounding_divide_by_pot(out_q0, 31 - 8) - 128, -128, 127)
        y = np.where(centered <= -p["radius"], -128, y)
        return np.where(centered >= p["radius"], 127, y)



for _cls in (Relu, Relu6, HardSwish, HardSigmoid, Logistic):
    register(_cls())
