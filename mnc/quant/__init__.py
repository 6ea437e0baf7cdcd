"""Quantization, the leaf every layer above the IR may use: TFLite's fixed-point arithmetic
(`arithmetic`) and the int8 scheme that turns float ranges and weights into quantized tensors (`scheme`)."""

from mnc.quant.arithmetic import (
    INT32_MAX, INT32_MIN, activation_range, multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one, quantize_multiplier, quantize_multiplier_smaller_than_one,
    round_half_away, rounding_divide_by_pot, saturate, saturating_rounding_doubling_high_mul,
)
from mnc.quant.scheme import (
    activation_qparams, quantize_activation, quantize_bias, quantize_weights_per_channel, set_fixed_activation,
    share_quant,
)

__all__ = [
    "INT32_MAX", "INT32_MIN", "activation_qparams", "activation_range", "multiply_by_quantized_multiplier",
    "multiply_by_quantized_multiplier_smaller_than_one", "quantize_activation", "quantize_bias",
    "quantize_multiplier", "quantize_multiplier_smaller_than_one", "quantize_weights_per_channel",
    "round_half_away", "rounding_divide_by_pot", "saturate", "saturating_rounding_doubling_high_mul",
    "set_fixed_activation", "share_quant",
]
