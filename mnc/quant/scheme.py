"""The int8 quantization scheme: parameters from float ranges, weights, biases.

Scheme (TFLite's): activations per-tensor asymmetric int8 with the range nudged to include 0;
weights per-channel symmetric int8 in [-127, 127] along the output-channel axis; biases int32
with scale input_scale * weight_scale[c] and zero point 0.
"""

from __future__ import annotations

import numpy as np

from mnc.ir import Graph, QuantParams
from mnc.quant.arithmetic import round_half_away


def activation_qparams(lo: float, hi: float) -> QuantParams:
    """Per-tensor asymmetric int8 covering [lo, hi] and 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-8:
        hi = lo + 1e-8
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(round_half_away(-128.0 - lo / float(scale)), -128, 127))
    return QuantParams.per_tensor(float(scale), zp)


def quantize_activation(graph: Graph, name: str, rng: tuple[float, float]) -> None:
    t = graph.tensor(name)
    t.quant = activation_qparams(*rng)
    t.dtype = "int8"


def set_fixed_activation(graph: Graph, name: str, scale: float, zero_point: int) -> None:
    """For ops whose int8 output range is fixed by the spec (logistic, softmax: 1/256, -128)."""
    t = graph.tensor(name)
    t.quant = QuantParams.per_tensor(scale, zero_point)
    t.dtype = "int8"


def share_quant(graph: Graph, src: str, dst: str) -> None:
    """Give `dst` exactly `src`'s quantization (pools, reshape, pad, max: no requantization)."""
    s, d = graph.tensor(src), graph.tensor(dst)
    d.quant = QuantParams(s.quant.scale.copy(), s.quant.zero_point.copy(), s.quant.axis)
    d.dtype = s.dtype


def quantize_weights_per_channel(graph: Graph, name: str, axis: int) -> None:
    """Symmetric int8 per output channel along `axis`, in place."""
    t = graph.tensor(name)
    w = t.data.astype(np.float32)
    reduce_axes = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=reduce_axes)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(round_half_away(w / scale.reshape(shape).astype(np.float64)), -127, 127)
    t.data, t.dtype = q.astype(np.int8), "int8"
    t.quant = QuantParams(scale, np.zeros_like(scale, dtype=np.int32), axis)


def quantize_bias(graph: Graph, name: str, input_scale: float, weight_scale: np.ndarray) -> None:
    """int32 bias with scale input_scale * weight_scale[c], as TFLite expects."""
    t = graph.tensor(name)
    scale = (np.float32(input_scale) * weight_scale.astype(np.float32)).astype(np.float32)
    q = np.clip(round_half_away(t.data.astype(np.float64) / scale.astype(np.float64)), -(2**31), 2**31 - 1)
    t.data, t.dtype = q.astype(np.int32), "int32"
    t.quant = QuantParams(scale, np.zeros_like(scale, dtype=np.int32), 0 if scale.size > 1 else None)
