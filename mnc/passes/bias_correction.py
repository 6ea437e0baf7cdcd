"""Empirical bias correction after post-training quantization (the empirical variant in Nagel et
al., "Data-Free Quantization Through Weight Equalization and Bias Correction", ICCV 2019).

Rounding weights and activations to int8 does not only add noise, it also shifts means: a
depthwise channel whose rounded taps sum to a little more than the float taps moves every output
of that channel the same way, a clipped activation range pulls its tail in, and the next layers
carry the shift on. This pass measures the shift on the calibration samples and moves each
weighted op's int32 bias to cancel it, so that per output channel the mean of the int8
accumulator (bias included, before the fused activation) equals the mean of the float model's
pre-activation output. It costs nothing at run time and the C stays bit-exact to the int8
reference: only the bias values change.

The int8 side is run op by op with every earlier correction already in place, so each op also
corrects the shift it inherits. A channel's measured shift is shrunk towards 0 by its own
sampling noise (positive-part James-Stein, per-sample means as the observations): after global
pooling a channel has one value per sample, and a mean of a few noisy values is worse than none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from mnc.interpreter import op_args
from mnc.ir import Graph, Op
from mnc.ops import get_op


def correct_biases(float_graph: Graph, int8_graph: Graph, samples: np.ndarray) -> None:
    """Adjust, in place, the int32 biases of `int8_graph` (quantized from `float_graph`, same op
    names) over `samples` ([N, *input_shape], float, the calibration inputs)."""
    walk = _PairedWalk(float_graph, int8_graph, samples)
    for op in int8_graph.ops():
        if get_op(op.kind).weight_channel_axis is not None:   # conv, depthwise, fully connected:
            # quantize_graph gave each of them an int32 bias
            float_pre = [_pre_activation(float_graph.op(op.name), float_graph, args) for args in walk.float_args(op)]
            int8_pre = [_pre_activation(op, int8_graph, _dequantized(int8_graph, op, args))
                        for args in walk.int8_args(op)]
            _shift_bias(int8_graph, op, _mean_shift(float_pre, int8_pre))
        walk.step(op)


def _pre_activation(op: Op, graph: Graph, args: list) -> np.ndarray:
    """The op's float output before its fused activation."""
    linear = replace(op, attrs={**op.attrs, "act": "none"})
    return np.asarray(get_op(op.kind).eval_float(linear, graph, args)[0], np.float64)


def _dequantized(graph: Graph, op: Op, args: list) -> list:
    """int8 input, int8 weights and int32 bias as the reals they stand for: the float op on them
    is the int8 kernel's accumulator times its scale, padding included (zero point = real 0)."""
    x, w, b = (graph.tensor(name) for name in op.inputs[:3])
    return [x.quant.dequantize(args[0]), w.quant.dequantize(w.data),
            b.data.astype(np.float64) * b.quant.scale.astype(np.float64)]


def _mean_shift(float_pre: list[np.ndarray], int8_pre: list[np.ndarray]) -> np.ndarray:
    """Per output channel (last axis): the mean of float - int8 over the samples, shrunk by its
    standard error."""
    per_sample = np.stack([(f - q).reshape(-1, f.shape[-1]).mean(axis=0) for f, q in zip(float_pre, int8_pre)])
    mean = per_sample.mean(axis=0)
    if len(per_sample) < 2:
        return np.zeros_like(mean)
    variance_of_mean = per_sample.var(axis=0, ddof=1) / len(per_sample)
    keep = np.maximum(0.0, 1.0 - variance_of_mean / np.maximum(mean * mean, 1e-30))
    return mean * keep


def _shift_bias(graph: Graph, op: Op, shift: np.ndarray) -> None:
    bias = graph.tensor(op.inputs[2])
    steps = np.round(shift / bias.quant.scale.astype(np.float64))
    bias.data = np.clip(bias.data.astype(np.int64) + steps.astype(np.int64), -(2**31), 2**31 - 1).astype(np.int32)


class _PairedWalk:
    """The float graph and the int8 graph run side by side over the samples, one op at a time,
    each value kept until its last consumer has run."""

    def __init__(self, float_graph: Graph, int8_graph: Graph, samples: np.ndarray) -> None:
        self.float_graph, self.int8_graph = float_graph, int8_graph
        name = int8_graph.inputs[0]
        x_quant = int8_graph.tensor(name).quant
        self.float_values = [{name: np.asarray(s, np.float32)} for s in samples]   # one dict per sample
        self.int8_values = [{name: x_quant.quantize(s)} for s in samples]
        self.uses_left = Counter(name for op in int8_graph.ops() for name in op.inputs)

    def float_args(self, op: Op) -> list[list]:
        float_op = self.float_graph.op(op.name)
        return [op_args(self.float_graph, float_op, values) for values in self.float_values]

    def int8_args(self, op: Op) -> list[list]:
        return [op_args(self.int8_graph, op, values) for values in self.int8_values]

    def step(self, op: Op) -> None:
        """Run `op` on every sample in both graphs; forget inputs no later op reads."""
        float_op, opdef = self.float_graph.op(op.name), get_op(op.kind)
        for values, args in zip(self.float_values, self.float_args(op)):
            values.update(zip(op.outputs, opdef.eval_float(float_op, self.float_graph, args)))
        for values, args in zip(self.int8_values, self.int8_args(op)):
            values.update(zip(op.outputs, opdef.eval_int8(op, self.int8_graph, args)))
        for name in op.inputs:
            self.uses_left[name] -= 1
            if self.uses_left[name] == 0 and name in self.int8_values[0] and name not in self.int8_graph.outputs:
                for values in (*self.float_values, *self.int8_values):
                    del values[name]
