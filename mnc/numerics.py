"""Proof, per layer, that the generated C's int32 arithmetic cannot overflow for any int8 input.

TFLite's int8 kernels (and mnc's C, which follows them) compute in int32: the accumulator of a
convolution, the bias added to it, `MultiplyByQuantizedMultiplier` (whose left shift wraps), and the
output zero point added to the requantized value. With sane quantization none of these comes near
2^31; with hostile parameters (an output scale of 1e-45 gives a multiplier of 2^30 << 30, a zero
point of -128 added to a saturated -2^31 + 1) they overflow, which is undefined behaviour in C and
garbage in TFLite.

For each layer the input of the final requantization is bounded by interval arithmetic over every
int8 input (and, for convolutions, every partial sum in any order: each term's range contains 0, so
every partial sum lies within the interval of the full sum), then pushed through the requantization,
which is monotonic while its left shift does not wrap. A layer whose bound leaves int32 is refused,
naming the layer, the stage that overflows and the scales behind it. Refusing changes nothing for
models that pass: their packages stay byte-identical.

Covered: conv2d, depthwise_conv2d, fully_connected, mul, mean, quantize. The other int8 kernels
cannot overflow by construction: add's multipliers are all below one (refused otherwise, by
`mnc.ops.elementwise`), pools sum at most one window of int8 values, LUT activations and softmax
read tables.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from mnc import quant
from mnc.errors import UnsupportedError
from mnc.ir import Graph, Op
from mnc.safetext import escape, quoted

INT8_MIN, INT8_MAX = -128, 127


def prove_graph(graph: Graph) -> None:
    """Raise UnsupportedError for the first layer whose int32 arithmetic can overflow."""
    for op in graph.ops():
        prover = PROVERS.get(op.kind)
        if prover is not None and graph.tensor(op.outputs[0]).dtype == "int8":
            prover(op, graph)


# ---- the shared output stage ------------------------------------------------------------------------

def check_output_stage(op: Op, lo, hi, multiplier, shift, output_zp: int, scales: str) -> None:
    """`lo`/`hi` (per channel) bound the int32 value entering MultiplyByQuantizedMultiplier with
    (`multiplier`, `shift`); the result plus `output_zp` must stay within int32 too."""
    lo, hi = np.asarray(lo, np.int64).reshape(-1), np.asarray(hi, np.int64).reshape(-1)
    mult = np.broadcast_to(np.asarray(multiplier, np.int64), lo.shape)
    shift = np.broadcast_to(np.asarray(shift, np.int64), lo.shape)
    _within_int32(op, lo, hi, "its int32 accumulator", scales)
    left = np.maximum(shift, 0)
    _within_int32(op, lo << left, hi << left, "the left shift of its requantization", scales)
    low = quant.multiply_by_quantized_multiplier(lo, mult, shift) + output_zp
    high = quant.multiply_by_quantized_multiplier(hi, mult, shift) + output_zp
    _within_int32(op, low, high, "adding the output zero point after requantization", scales)


def _within_int32(op: Op, lo: np.ndarray, hi: np.ndarray, stage: str, scales: str) -> None:
    bad = np.flatnonzero((lo < quant.INT32_MIN) | (hi > quant.INT32_MAX))
    if bad.size:
        c = int(bad[0])
        raise UnsupportedError(
            f"layer {quoted(op.name)} ({op.kind}, {escape(op.meta.get('source', op.name))}): {stage} can reach "
            f"[{int(lo[c])}, {int(hi[c])}] (channel {c}), beyond int32, with {scales}; the int8 result would "
            f"be undefined, so the model is refused (requantize it with sane scales)")


def _scale_text(graph: Graph, op: Op, with_weights: bool = False) -> str:
    in_scale = float(graph.tensor(op.inputs[0]).quant.scale.reshape(-1)[0])
    out_scale = float(graph.tensor(op.outputs[0]).quant.scale.reshape(-1)[0])
    parts = [f"input scale {in_scale:g}"]
    if with_weights:
        w = graph.tensor(op.inputs[1]).quant.scale
        parts.append(f"weight scales {float(np.min(w)):g}..{float(np.max(w)):g}")
    return ", ".join(parts) + f", output scale {out_scale:g}"


# ---- per kind -----------------------------------------------------------------------------------

def _weights_by_channel(op: Op, graph: Graph) -> np.ndarray:
    """[output channels, taps] int64 weights of a conv-family op (IR layouts OHWI, 1HWC, OI)."""
    w = np.asarray(graph.tensor(op.inputs[1]).data, np.int64)
    if op.kind == "depthwise_conv2d":
        return w.reshape(-1, w.shape[-1]).T
    return w.reshape(w.shape[0], -1)


def accumulator_bounds(w2d: np.ndarray, input_offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Per channel, the exact (lo, hi) of sum_k (x_k + input_offset) * w[c, k] over int8 inputs x. Every
    term's range contains 0 (input_offset is minus an int8 zero point), so every partial sum, in any
    order and with any taps skipped (padding), lies within the same bounds."""
    w = np.asarray(w2d, np.int64)
    x_lo, x_hi = INT8_MIN + input_offset, INT8_MAX + input_offset
    return np.minimum(w * x_lo, w * x_hi).sum(axis=1), np.maximum(w * x_lo, w * x_hi).sum(axis=1)


def _conv_family(op: Op, graph: Graph) -> None:
    from mnc.ops import get_op

    w2d = _weights_by_channel(op, graph)
    stage = get_op(op.kind).output_stage(op, graph)   # the same stage the kernels are built from
    terms_lo, terms_hi = accumulator_bounds(w2d, stage["input_offset"])
    bias = np.asarray(stage["bias"], np.int64)
    scales = _scale_text(graph, op, with_weights=True)
    _within_int32(op, terms_lo, terms_hi, "its int32 accumulator", scales)   # partial sums before the bias
    check_output_stage(op, terms_lo + bias, terms_hi + bias, stage["multiplier"], stage["shift"],
                       stage["output_offset"], scales)


def _mul(op: Op, graph: Graph) -> None:
    from mnc.ops.elementwise import Mul

    a_zp, b_zp = (graph.tensor(n).quant.single()[1] for n in op.inputs)
    corners = [(a - a_zp) * (b - b_zp) for a in (INT8_MIN, INT8_MAX) for b in (INT8_MIN, INT8_MAX)]
    params = Mul().requant_params(op, graph)
    scales = (f"input scales {graph.tensor(op.inputs[0]).quant.single()[0]:g} and "
              f"{graph.tensor(op.inputs[1]).quant.single()[0]:g}, output scale "
              f"{graph.tensor(op.outputs[0]).quant.single()[0]:g}")
    check_output_stage(op, min(corners), max(corners), params["output_multiplier"], params["output_shift"],
                       graph.tensor(op.outputs[0]).quant.single()[1], scales)


def _mean(op: Op, graph: Graph) -> None:
    from mnc.ops.mean import mean_params

    x = graph.tensor(op.inputs[0])
    if len(x.shape) != 4:
        return   # refused by the lowering
    count = x.shape[1] * x.shape[2]
    in_q, out_q = x.quant.single(), graph.tensor(op.outputs[0]).quant.single()
    scales = _scale_text(graph, op)
    _within_int32(op, np.array([INT8_MIN * count]), np.array([INT8_MAX * count]), "its int32 sum", scales)
    _within_int32(op, np.array([-abs(in_q[1]) * count]), np.array([abs(in_q[1]) * count]),
                  "its zero-point correction", scales)
    p = mean_params(in_q, out_q, count)
    check_output_stage(op, (INT8_MIN - in_q[1]) * count, (INT8_MAX - in_q[1]) * count,
                       p["multiplier"], p["shift"], out_q[1], scales)


def _quantize(op: Op, graph: Graph) -> None:
    from mnc.ops.quantize_ops import requantize_params

    x = graph.tensor(op.inputs[0])
    if x.dtype != "int8":
        return   # float -> int8 quantization happens on the host, not in the C
    in_q, out_q = x.quant.single(), graph.tensor(op.outputs[0]).quant.single()
    p = requantize_params(in_q, out_q)
    check_output_stage(op, INT8_MIN - in_q[1], INT8_MAX - in_q[1], p["multiplier"], p["shift"], out_q[1],
                       _scale_text(graph, op))


PROVERS: dict[str, Callable[[Op, Graph], None]] = {
    "conv2d": _conv_family,
    "depthwise_conv2d": _conv_family,
    "fully_connected": _conv_family,
    "mul": _mul,
    "mean": _mean,
    "quantize": _quantize,
}
