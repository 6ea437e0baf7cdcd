"""quantize (float -> int8, or int8 -> int8 requantization) and dequantize (int8 -> float).

int8 semantics, TFLite's QUANTIZE / DEQUANTIZE reference kernels:
  float -> int8   q = round_half_away(x / scale) + zp in float32 arithmetic, saturated;
  int8  -> int8   Requantize: MultiplyByQuantizedMultiplier(q - zp_in, in_scale/out_scale (double)) + zp_out;
  int8  -> float  (q - zp) * scale, computed in double and stored as float32.
In float mode both are the identity: the float graph carries real values throughout.
"""

from __future__ import annotations

import numpy as np

from mnc.ops import register
from mnc.ops.base import OpDef
from mnc.ops.constraints import INT8_INPUT
from mnc.quant import multiply_by_quantized_multiplier, quantize_multiplier, round_half_away


def _same(in_q: tuple[float, int], out_q: tuple[float, int]) -> bool:
    return np.float32(in_q[0]) == np.float32(out_q[0]) and in_q[1] == out_q[1]


def requantize_params(in_q: tuple[float, int], out_q: tuple[float, int]) -> dict[str, int]:
    """Constants of TFLite's int8 Requantize; `requantize` 0 means a plain copy."""
    if _same(in_q, out_q):
        return {"requantize": 0, "input_zp": in_q[1], "multiplier": 0, "shift": 0}
    multiplier, shift = quantize_multiplier(float(np.float32(in_q[0])) / float(np.float32(out_q[0])))
    return {"requantize": 1, "input_zp": in_q[1], "multiplier": multiplier, "shift": shift}


def requantize_int8(x: np.ndarray, in_q: tuple[float, int], out_q: tuple[float, int]) -> np.ndarray:
    p = requantize_params(in_q, out_q)
    if not p["requantize"]:
        return x.astype(np.int8)
    y = multiply_by_quantized_multiplier(x.astype(np.int64) - in_q[1], p["multiplier"], p["shift"]) + out_q[1]
    return np.clip(y, -128, 127).astype(np.int8)


def quantize_float(x: np.ndarray, out_q: tuple[float, int]) -> np.ndarray:
    ratio = x.astype(np.float32) / np.float32(out_q[0])       # float32 division, as the C++ does
    return np.clip(round_half_away(ratio) + out_q[1], -128, 127).astype(np.int8)


class Quantize(OpDef):
    kind = "quantize"
    tflite_ops = ("QUANTIZE",)
    onnx_ops = ("QuantizeLinear",)
    inputs_doc = "x (float or int8)"
    notes = "float->int8, or int8->int8 requantization; ONNX QuantizeLinear only where it requantizes"
    constraints = (INT8_INPUT,)
    kernels = ("mnc_requantize_s8", "alias")

    def infer(self, op, graph):
        return [(graph.tensor(op.inputs[0]).shape, "int8")]

    def eval_float(self, op, graph, inputs):
        return [inputs[0].astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        x = inputs[0]
        out_q = graph.tensor(op.outputs[0]).quant.single()
        if x.dtype == np.int8:
            return [requantize_int8(x, graph.tensor(op.inputs[0]).quant.single(), out_q)]
        return [quantize_float(x, out_q)]


class Dequantize(OpDef):
    kind = "dequantize"
    tflite_ops = ("DEQUANTIZE",)
    inputs_doc = "x int8"
    notes = "int8->float"
    no_kernel_reason = "dequantize is not lowered to C (the C API is int8)"

    def infer(self, op, graph):
        return [(graph.tensor(op.inputs[0]).shape, "float32")]

    def eval_float(self, op, graph, inputs):
        return [inputs[0].astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        return [graph.tensor(op.inputs[0]).quant.dequantize(inputs[0])]

    def quantize(self, op, graph, ranges):
        """The output stays float."""


register(Quantize())
register(Dequantize())
