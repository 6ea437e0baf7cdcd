"""The int8 output stage of conv2d, depthwise_conv2d and fully_connected, as TFLite computes it:
per-channel multipliers from the scales, int32 accumulation, bias, requantization and clamp.

Integer accumulation: products (x - zp) * w are at most 255 * 127 in magnitude, so a dot product of
K terms is exact in float64 for any K < 2**53 / 32385; we run the big sums through float64 BLAS and
convert back exactly. The result is then wrapped to int32 like TFLite's int32 accumulator (which
only overflows for K > 66,000 terms, far beyond any MobileNet layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnc import quant
from mnc.errors import ModelError, UnsupportedError
from mnc.ir import QuantParams

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


def qparams(graph: Graph, name: str) -> QuantParams:
    q = graph.tensor(name).quant
    if q is None:
        raise ModelError(f"tensor {name!r} has no quantization parameters")
    return q


def per_tensor(graph: Graph, name: str) -> tuple[float, int]:
    q = qparams(graph, name)
    if q.scale.size != 1:
        raise UnsupportedError(f"tensor {name!r}: per-channel activation quantization is not supported")
    return q.single()


def check_symmetric_weights(graph: Graph, name: str) -> np.ndarray:
    """Weight scales; TFLite int8 requires weight zero points of 0."""
    q = qparams(graph, name)
    if np.any(q.zero_point != 0):
        raise UnsupportedError(f"weights {name!r}: non-zero weight zero point is not supported")
    return q.scale


def conv_multipliers(in_scale: float, w_scales: np.ndarray, out_scale: float, channels: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift) exactly as TFLite derives them for conv/depthwise, and for
    fully_connected with per-channel weights (PopulateConvolutionQuantizationParams):
    double(input_scale) * double(filter_scale[c]) / double(output_scale), a per-tensor filter scale
    broadcast over channels."""
    scales = np.broadcast_to(np.asarray(w_scales, np.float32), (channels,))
    reals = [float(np.float32(in_scale)) * float(s) / float(np.float32(out_scale)) for s in scales]
    return _quantize_all(reals)


def fc_per_tensor_multiplier(in_scale: float, w_scale: float, out_scale: float, channels: int
                             ) -> tuple[np.ndarray, np.ndarray]:
    """fully_connected with one weight scale (GetQuantizedConvolutionMultipler): the
    input*filter product is taken in float32, then divided in double; broadcast over channels."""
    product = float(np.float32(in_scale) * np.float32(w_scale))
    real = product / float(np.float32(out_scale))
    return _quantize_all([real] * channels)


def _quantize_all(reals: list[float]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [quant.quantize_multiplier(r) for r in reals]
    return (np.array([p[0] for p in pairs], np.int32), np.array([p[1] for p in pairs], np.int32))


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """Two's-complement int32 wrap-around, held in int64."""
    return (np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31


def accumulate_to_int32(acc: np.ndarray) -> np.ndarray:
    """Exact float64/int64 sums -> int64 holding the int32 value TFLite's accumulator would hold."""
    return wrap_int32(np.rint(acc).astype(np.int64) if acc.dtype.kind == "f" else acc)


def requantize(acc: np.ndarray, bias: np.ndarray | None, mult: np.ndarray, shift: np.ndarray,
               out_zp: int, act_range: tuple[int, int]) -> np.ndarray:
    """TFLite's per-channel output stage over the last axis: + bias, scale, + zero point, clamp."""
    acc = accumulate_to_int32(acc)
    if bias is not None:
        acc = wrap_int32(acc + bias.astype(np.int64))
    scaled = quant.multiply_by_quantized_multiplier(acc, mult.astype(np.int64), shift.astype(np.int64))
    lo, hi = act_range
    return np.clip(scaled + out_zp, lo, hi).astype(np.int8)


def output_stage(graph: Graph, op: Op, channels: int, per_channel_rule: bool = True
                 ) -> dict:
    """Everything the int8 output stage needs, computed once for eval_int8 and lower alike."""
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    in_scale, in_zp = per_tensor(graph, x)
    out_scale, out_zp = per_tensor(graph, out)
    w_scales = check_symmetric_weights(graph, w)
    if per_channel_rule or w_scales.size > 1:
        mult, shift = conv_multipliers(in_scale, w_scales, out_scale, channels)
    else:
        mult, shift = fc_per_tensor_multiplier(in_scale, float(w_scales[0]), out_scale, channels)
    act = op.attrs.get("act", "none")
    return {
        "input_offset": -in_zp,
        "output_offset": out_zp,
        "multiplier": mult,
        "shift": shift,
        "act_range": quant.activation_range(act, out_scale, out_zp),
        "bias": bias_int32(graph, op, channels),
    }


def bias_int32(graph: Graph, op: Op, channels: int) -> np.ndarray:
    """The op's int32 bias, or zeros when it has none."""
    name = op.inputs[2] if len(op.inputs) > 2 else ""
    if not name:
        return np.zeros(channels, np.int32)
    t = graph.tensor(name)
    if t.dtype != "int32":
        raise ModelError(f"bias {name!r} of quantized op {op.name!r} must be int32, got {t.dtype}")
    return np.asarray(t.data, np.int32).reshape(channels)


def int32_array(values: np.ndarray) -> bool:
    """True when every value fits int32."""
    v = np.asarray(values, np.int64)
    return bool(v.size == 0 or (v.min() >= quant.INT32_MIN and v.max() <= quant.INT32_MAX))


def fold_input_offset(bias: np.ndarray, w2d: np.ndarray, input_offset: int) -> np.ndarray | None:
    """bias + input_offset * sum(w[o]) (so kernels can skip the per-MAC offset add), None if it would
    not fit int32. Equal to TFLite's sum of w * (x + offset) + bias."""
    folded = bias.astype(np.int64) + input_offset * w2d.astype(np.int64).sum(axis=1)
    return folded.astype(np.int32) if int32_array(folded) else None
