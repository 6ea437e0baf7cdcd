"""add and mul with numpy broadcasting (up to 4D; [1,H,W,C] op [1,1,1,C] for squeeze-excite).

int8 semantics:
  add  reference_integer_ops::Add: left_shift 20; both inputs rescaled to twice the larger input
       scale with multipliers < 1, summed, rescaled to the output (all derived in double, which
       TFLM and LiteRT agree on).
  mul  reference_integer_ops::Mul: (a - zp_a) * (b - zp_b) requantized by s_a * s_b / s_out.
       The multiplier is derived as TFLM does, in double; LiteRT's mul.cc multiplies and divides
       the float32 scales in float32, which can differ in the last multiplier bit.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError, UnsupportedError
from mnc.ops import register
from mnc.ops.base import OpDef
from mnc.ops.constraints import INT8_OUTPUT, OUTPUT_RANK_4
from mnc.quant import (
    activation_qparams, activation_range, multiply_by_quantized_multiplier, quantize_activation, quantize_multiplier,
)

ADD_LEFT_SHIFT = 20
MAX_RANK = 4


def _scale(graph, name: str) -> float:
    return float(np.float32(graph.tensor(name).quant.single()[0]))


def _zp(graph, name: str) -> int:
    return graph.tensor(name).quant.single()[1]


def _float_act(x: np.ndarray, act: str) -> np.ndarray:
    if act == "relu":
        return np.maximum(x, np.float32(0))
    if act == "relu6":
        return np.clip(x, np.float32(0), np.float32(6))
    return x


def broadcast_strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` read as `out_shape` (both padded to 4D); 0 along broadcast axes."""
    padded = (1,) * (MAX_RANK - len(shape)) + tuple(shape)
    strides, step = [0] * MAX_RANK, 1
    for axis in range(MAX_RANK - 1, -1, -1):
        strides[axis] = step if padded[axis] != 1 else 0
        step *= padded[axis]
    return strides


def smaller_than_one_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplierSmallerThanOneExp (requires 0 < real < 1)."""
    if not 0.0 < real < 1.0:
        raise UnsupportedError(f"add: rescale factor {real:g} outside (0, 1), unsupported by TFLite's int8 ADD")
    return quantize_multiplier(real)


def add_params(s_a: float, s_b: float, s_out: float) -> dict[str, int]:
    twice_max = 2.0 * max(s_a, s_b)
    m_a, sh_a = smaller_than_one_multiplier(s_a / twice_max)
    m_b, sh_b = smaller_than_one_multiplier(s_b / twice_max)
    m_out, sh_out = smaller_than_one_multiplier(twice_max / ((1 << ADD_LEFT_SHIFT) * s_out))
    return {"left_shift": ADD_LEFT_SHIFT, "in0_multiplier": m_a, "in0_shift": sh_a,
            "in1_multiplier": m_b, "in1_shift": sh_b, "output_multiplier": m_out, "output_shift": sh_out}


def quantize_constant_operand(graph, name: str) -> None:
    """A float constant operand as int8 with a per-tensor scale covering its values (and 0)."""
    t = graph.tensor(name)
    data = t.data.astype(np.float32)
    t.quant = activation_qparams(float(data.min()), float(data.max()))
    t.data, t.dtype = t.quant.quantize(data), "int8"


class Binary(OpDef):
    inputs_doc = "a, b"
    attrs_doc = "act"
    constraints = (INT8_OUTPUT, OUTPUT_RANK_4)
    accepts_fused_activation = True

    def infer(self, op, graph):
        a, b = (graph.tensor(n) for n in op.inputs)
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ModelError(f"{op.name}: shapes {a.shape} and {b.shape} do not broadcast") from None
        return [(tuple(shape), a.dtype)]

    def eval_float(self, op, graph, inputs):
        a, b = (x.astype(np.float32) for x in inputs)
        return [_float_act(self.float_fn(a, b), op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        a, b = (x.astype(np.int64) for x in inputs)
        lo, hi = self.act_range(op, graph)
        return [np.clip(self.int8_fn(op, graph, a, b), lo, hi).astype(np.int8)]

    def quantize(self, op, graph, ranges):
        """The output from its calibrated range; a constant operand (a bias or scale the exporter
        wrote as its own Add/Mul, x + 3 in a hard-swish) per-tensor from its own values."""
        for name in op.inputs:
            t = graph.tensor(name)
            if t.is_const and t.dtype == "float32":
                quantize_constant_operand(graph, name)
        quantize_activation(graph, op.outputs[0], ranges[op.outputs[0]])

    def act_range(self, op, graph) -> tuple[int, int]:
        scale, zp = graph.tensor(op.outputs[0]).quant.single()
        return activation_range(op.attrs.get("act", "none"), scale, zp)

    def macs(self, op, graph):
        return graph.tensor(op.outputs[0]).size


class Add(Binary):
    kind = "add"
    tflite_ops = ("ADD",)
    onnx_ops = ("Add", "Sub")
    notes = "numpy broadcasting; ONNX Sub adds the negated constant"
    kernels = ("mnc_add_mve_s8", "mnc_add_dsp_s8", "mnc_add_s8")

    @staticmethod
    def float_fn(a, b):
        return a + b

    def requant_params(self, op, graph) -> dict[str, int]:
        return add_params(*(_scale(graph, n) for n in (*op.inputs, op.outputs[0])))

    def int8_fn(self, op, graph, a, b):
        p = self.requant_params(op, graph)
        shifted_a = (a - _zp(graph, op.inputs[0])) * (1 << p["left_shift"])
        shifted_b = (b - _zp(graph, op.inputs[1])) * (1 << p["left_shift"])
        scaled_a = multiply_by_quantized_multiplier(shifted_a, p["in0_multiplier"], p["in0_shift"])
        scaled_b = multiply_by_quantized_multiplier(shifted_b, p["in1_multiplier"], p["in1_shift"])
        raw = multiply_by_quantized_multiplier(scaled_a + scaled_b, p["output_multiplier"], p["output_shift"])
        return raw + _zp(graph, op.outputs[0])


class Mul(Binary):
    kind = "mul"
    tflite_ops = ("MUL",)
    onnx_ops = ("Mul", "Div")
    notes = "numpy broadcasting ([1,H,W,C] * [1,1,1,C] for SE); ONNX Div multiplies by the reciprocal constant"
    kernels = ("mnc_mul_mve_s8", "mnc_mul_dsp_s8", "mnc_mul_s8")

    @staticmethod
    def float_fn(a, b):
        return a * b

    def requant_params(self, op, graph) -> dict[str, int]:
        s_a, s_b, s_out = (_scale(graph, n) for n in (*op.inputs, op.outputs[0]))
        multiplier, shift = quantize_multiplier(s_a * s_b / s_out)
        return {"output_multiplier": multiplier, "output_shift": shift}

    def int8_fn(self, op, graph, a, b):
        p = self.requant_params(op, graph)
        prod = (a - _zp(graph, op.inputs[0])) * (b - _zp(graph, op.inputs[1]))
        return multiply_by_quantized_multiplier(prod, p["output_multiplier"], p["output_shift"]) \
            + _zp(graph, op.outputs[0])


register(Add())
register(Mul())
