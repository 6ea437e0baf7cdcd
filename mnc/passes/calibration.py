"""Calibration statistics for post-training quantization: per-tensor float ranges by min/max,
percentile or MSE-optimal clipping, over inputs from mnc.data."""

from __future__ import annotations

import numpy as np

from mnc.errors import MncError
from mnc.interpreter import run
from mnc.ir import Graph
from mnc.ops import get_op
from mnc.quant import activation_qparams

METHODS = ("minmax", "percentile", "mse")
HISTOGRAM_BINS = 2048
DEFAULT_PERCENTILE = 99.99   # the one default of the percentile method (compile, pipeline and this module)
MSE_CANDIDATES = 128
MSE_ROUNDS = 2
CACHE_BYTES = 256 * 2**20   # float activations kept between the two calibration sweeps


_SHRINK = np.linspace(1.0, 1.0 / MSE_CANDIDATES, MSE_CANDIDATES)


# ---- statistics -------------------------------------------------------------------------------
def collect_ranges(graph: Graph, samples: np.ndarray, method: str = "minmax",
                   percentile: float = DEFAULT_PERCENTILE, bins: int = HISTOGRAM_BINS) -> dict[str, tuple[float, float]]:
    """Float (lo, hi) per activation tensor over the samples, run through the float interpreter.

    Graph inputs always keep their min/max: their range is the preprocessing's, and clipping it
    would only throw information away before the first layer.
    """
    if method not in METHODS:
        raise MncError(f"unknown calibration method {method!r} (choose from {', '.join(METHODS)})")
    if not 0.0 < percentile <= 100.0:
        raise MncError(f"calibration percentile must be in (0, 100], got {percentile}")
    if len(samples) == 0:
        raise MncError("no calibration samples")
    acts = _Activations(graph, samples)
    lows, highs = _observe_minmax(acts)
    if method == "minmax":
        return {n: (lows[n], highs[n]) for n in lows}
    hists = _observe_histograms(acts, lows, highs, bins)
    ranges = {}
    for name, hist in hists.items():
        edges = np.linspace(lows[name], highs[name], bins + 1)
        if name in graph.inputs or lows[name] == highs[name]:
            ranges[name] = (lows[name], highs[name])
        elif method == "percentile":
            ranges[name] = percentile_range(hist, edges, percentile)
        else:
            ranges[name] = mse_range(hist, edges)
    return ranges


def widen_residual_branches(graph: Graph, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """A weighted op without activation whose only reader is an `add` (the projection before a
    residual add) gets the add's range where that is wider, as TensorFlow's converter does.

    Such a tensor has no activation to bound it, and a few calibration images see too little of
    its tails: on the Keras MobileNetV3-Small fixture, held-out photos fall outside a projection's
    min/max range on up to 0.85% of its values, by up to 7.9 (about 160 steps), while the add's
    range covers them. The coarser step costs less than that clipping: on the real exports with
    residual adds the logits' SQNR went up by 0.05 to 0.8 dB in 24 of 30 model/method pairs and
    down by at most 0.28 dB in the other 6 (torch MobileNetV3-Large; bench/quantization_quality.py).
    """
    widened = dict(ranges)
    for op in graph.ops():
        readers = graph.consumers(op.outputs[0])
        if (get_op(op.kind).weight_channel_axis is not None and op.attrs.get("act", "none") == "none"
                and len(readers) == 1 and readers[0].kind == "add" and op.outputs[0] not in graph.outputs):
            (lo, hi), (add_lo, add_hi) = ranges[op.outputs[0]], ranges[readers[0].outputs[0]]
            widened[op.outputs[0]] = (min(lo, add_lo), max(hi, add_hi))
    return widened


class _Activations:
    """Float activations of every sample, one sweep at a time. The first sweep is kept when it fits
    in CACHE_BYTES, so the histogram sweep of percentile/mse does not rerun the interpreter."""

    def __init__(self, graph: Graph, samples: np.ndarray) -> None:
        if len(graph.inputs) != 1:
            raise MncError(f"calibration supports one graph input, model has {len(graph.inputs)}")
        self.graph, self.samples = graph, samples
        self._cached: list[dict[str, np.ndarray]] | None = None

    def sweep(self):
        if self._cached is not None:
            yield from self._cached
            return
        cache: list | None = []
        used = 0
        for x in self.samples:
            acts = self._run(x)
            used += sum(v.nbytes for v in acts.values())
            cache = cache if cache is not None and used <= CACHE_BYTES else None
            if cache is not None:
                cache.append(acts)
            yield acts
        self._cached = cache

    def _run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        values = run(self.graph, {self.graph.inputs[0]: x}, mode="float", keep_all=True)
        return {n: v for n, v in values.items() if not self.graph.tensor(n).is_const}


def _observe_minmax(acts: _Activations) -> tuple[dict[str, float], dict[str, float]]:
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for values in acts.sweep():
        for name, v in values.items():
            lows[name] = min(lows.get(name, np.inf), float(np.min(v)))
            highs[name] = max(highs.get(name, -np.inf), float(np.max(v)))
    return lows, highs


def _observe_histograms(acts: _Activations, lows: dict, highs: dict, bins: int) -> dict[str, np.ndarray]:
    hists = {name: np.zeros(bins, np.int64) for name in lows}
    for values in acts.sweep():
        for name, v in values.items():
            if highs[name] > lows[name]:
                hists[name] += np.histogram(v, bins=bins, range=(lows[name], highs[name]))[0]
    return hists


def percentile_range(hist: np.ndarray, edges: np.ndarray, percentile: float) -> tuple[float, float]:
    """The narrowest histogram-edge range leaving at most (100 - p)% of the values out on each side."""
    cdf = np.concatenate([[0.0], np.cumsum(hist) / max(hist.sum(), 1)])
    tail = 1.0 - percentile / 100.0
    lo_index = max(int(np.searchsorted(cdf, tail, side="right")) - 1, 0)
    hi_index = min(int(np.searchsorted(cdf, 1.0 - tail, side="left")), len(edges) - 1)
    return float(edges[lo_index]), float(edges[max(hi_index, lo_index)])


def mse_range(hist: np.ndarray, edges: np.ndarray) -> tuple[float, float]:
    """The clipping range inside [min, max] minimizing the expected int8 error of the histogram.

    Tails are often lopsided (a long positive tail after an add, a short negative one), so each
    bound is searched on its own: coordinate descent, alternating 1-D searches over shrunk bounds.
    """
    full = (min(float(edges[0]), 0.0), max(float(edges[-1]), 0.0))
    best = full
    for _ in range(MSE_ROUNDS):
        for side in (1, 0):
            candidates = [tuple(full[i] * f if i == side else best[i] for i in (0, 1)) for f in _SHRINK]
            errors = quantization_mse_batch(hist, edges, candidates)
            best = candidates[int(np.argmin(errors))]   # first minimum: the widest of equals
    return best


def quantization_mse(hist: np.ndarray, edges: np.ndarray, lo: float, hi: float) -> float:
    return float(quantization_mse_batch(hist, edges, [(lo, hi)])[0])


def quantization_mse_batch(hist: np.ndarray, edges: np.ndarray, ranges: list[tuple[float, float]]) -> np.ndarray:
    """Expected total squared error of int8-quantizing the histogram with the qparams of each
    [lo, hi]: uniform rounding noise (scale^2 / 12) for bins whose centre is representable, and
    the clipping error (centre to the nearest representable value) for the others. Prefix sums of
    n, n*c, n*c^2 make each candidate O(log bins)."""
    qparams = np.array([activation_qparams(lo, hi).single() for lo, hi in ranges], np.float64)
    scale, zp = qparams[:, 0], qparams[:, 1]
    q_lo, q_hi = (-128 - zp) * scale, (127 - zp) * scale
    centers = (edges[:-1] + edges[1:]) / 2
    n = hist.astype(np.float64)
    p0, p1, p2 = (np.concatenate([[0.0], np.cumsum(n * centers ** k)]) for k in range(3))
    below = np.searchsorted(centers, q_lo, side="left")    # bins [0, below) lie under q_lo
    above = np.searchsorted(centers, q_hi, side="right")   # bins [above, B) lie over q_hi
    err_below = p2[below] - 2 * q_lo * p1[below] + q_lo ** 2 * p0[below]
    err_above = (p2[-1] - p2[above]) - 2 * q_hi * (p1[-1] - p1[above]) + q_hi ** 2 * (p0[-1] - p0[above])
    inside = p0[above] - p0[below]
    return inside * scale ** 2 / 12.0 + np.maximum(err_below, 0.0) + np.maximum(err_above, 0.0)
