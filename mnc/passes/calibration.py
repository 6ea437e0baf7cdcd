"""Calibration for post-training quantization: the data (loading or synthesizing model inputs)
and the statistics (per-tensor float ranges by min/max, percentile or MSE-optimal clipping).

Data sources, in `load_calibration_data`:
  * a `.npy` / `.npz` file, or a folder of `.npy` / `.npz` / image files (read in sorted order);
    float arrays are model-ready inputs used as they are; integer arrays are 0..255 pixels and get
    the image preprocessing below. Arrays are in the source model's layout (NCHW for a PyTorch
    export, see mnc.layout): one sample shaped like the input with or without its batch axis, or a
    stack [N, ...] of them. Any other shape, a same-sized one included, is refused.
  * images (PNG, JPEG, BMP): converted to the model's channel count (grayscale replicated to RGB),
    resized to the input's H x W, and pixels 0..255 mapped linearly onto `ImagePreprocess.value_range`
    (default [-1, 1], the float input range of the MobileNets mnc builds).
  * nothing: seeded, smooth, image-like synthetic inputs, announced with a `CalibrationWarning`
    (calibrating on data that is not from the task costs accuracy).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnc.errors import MncError
from mnc.ir import Graph
from mnc.layout import NHWC, samples_to_c_layout

METHODS = ("minmax", "percentile", "mse")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
ARRAY_SUFFIXES = (".npy", ".npz")
DEFAULT_MAX_SAMPLES = 100
DEFAULT_SYNTHETIC_SAMPLES = 16
HISTOGRAM_BINS = 2048
MSE_CANDIDATES = 128
MSE_ROUNDS = 2
CACHE_BYTES = 256 * 2**20   # float activations kept between the two calibration sweeps


_SHRINK = np.linspace(1.0, 1.0 / MSE_CANDIDATES, MSE_CANDIDATES)


class CalibrationWarning(UserWarning):
    """Calibration fell back to something the user should know about (e.g. synthetic data)."""


@dataclass(frozen=True)
class ImagePreprocess:
    """How images (and integer arrays) become model inputs: pixel 0 -> lo, 255 -> hi."""

    value_range: tuple[float, float] = (-1.0, 1.0)
    resample: str = "bilinear"


# ---- data -------------------------------------------------------------------------------------
def load_calibration_data(source: str | Path | None, input_shape: tuple[int, ...], *, layout: str = NHWC,
                          preprocess: ImagePreprocess = ImagePreprocess(),
                          max_samples: int = DEFAULT_MAX_SAMPLES, seed: int = 0,
                          synthetic_samples: int = DEFAULT_SYNTHETIC_SAMPLES) -> np.ndarray:
    """Calibration inputs as float32 [N, *input_shape] (each sample keeps the batch axis of 1).

    `input_shape` is the graph's (NHWC) input shape; `layout` the source model's layout of it.
    """
    if source is None:
        warnings.warn(f"no calibration data given: calibrating on {synthetic_samples} synthetic inputs "
                      "(pass real samples for better accuracy)", CalibrationWarning, stacklevel=2)
        return synthetic_inputs(input_shape, synthetic_samples, seed, preprocess.value_range)
    path = Path(source)
    if not path.exists():
        raise MncError(f"calibration data not found: {path}")
    files = _data_files(path)
    samples: list[np.ndarray] = []
    for file in files:
        samples.extend(_load_file(file, input_shape, layout, preprocess))
        if len(samples) >= max_samples:
            break
    if not samples:
        raise MncError(f"no calibration samples in {path}")
    return np.stack(samples[:max_samples]).astype(np.float32)


def _data_files(path: Path) -> list[Path]:
    if path.is_file():
        if path.suffix.lower() not in ARRAY_SUFFIXES + IMAGE_SUFFIXES:
            raise MncError(f"calibration file {path} is not .npy, .npz or an image (PNG, JPEG, BMP)")
        return [path]
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in ARRAY_SUFFIXES + IMAGE_SUFFIXES)
    if not files:
        raise MncError(f"calibration folder {path} holds no .npy, .npz or image files")
    return files


def _load_file(path: Path, input_shape: tuple[int, ...], layout: str,
               preprocess: ImagePreprocess) -> list[np.ndarray]:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return [load_image(path, input_shape, preprocess)]
    try:
        if suffix == ".npy":
            arrays = [np.load(path, allow_pickle=False)]
        else:
            with np.load(path, allow_pickle=False) as npz:
                arrays = [npz[key] for key in sorted(npz.files)]
    except (OSError, ValueError) as exc:
        raise MncError(f"cannot read calibration file {path}: {exc}") from None
    return [s for a in arrays for s in _split_samples(a, input_shape, layout, preprocess, path)]


def _split_samples(arr: np.ndarray, input_shape: tuple[int, ...], layout: str, preprocess: ImagePreprocess,
                   path: Path) -> list[np.ndarray]:
    arr = samples_to_c_layout(arr, input_shape, layout, f"calibration array in {path}")
    if arr.dtype.kind in "iub":
        arr = pixels_to_input(arr, preprocess)
    return [a.astype(np.float32) for a in arr]


def load_image(path: Path, input_shape: tuple[int, ...], preprocess: ImagePreprocess) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if len(input_shape) != 4 or input_shape[3] not in (1, 3):
        raise MncError(f"images can only calibrate an input of shape [1, H, W, 1 or 3], not {list(input_shape)}")
    _, h, w, c = input_shape
    try:
        with Image.open(path) as img:
            img = img.convert("L" if c == 1 else "RGB")
            img = img.resize((w, h), _resample(preprocess.resample))
            pixels = np.asarray(img, dtype=np.float32)
    except (OSError, UnidentifiedImageError) as exc:
        raise MncError(f"cannot read calibration image {path}: {exc}") from None
    return pixels_to_input(pixels.reshape(input_shape), preprocess)


def _resample(name: str) -> int:
    from PIL import Image

    filters = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
               "bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}
    if name not in filters:
        raise MncError(f"unknown resampling {name!r} (choose from {', '.join(filters)})")
    return filters[name]


def pixels_to_input(pixels: np.ndarray, preprocess: ImagePreprocess) -> np.ndarray:
    lo, hi = preprocess.value_range
    return (lo + (hi - lo) * pixels.astype(np.float32) / 255.0).astype(np.float32)


def synthetic_inputs(input_shape: tuple[int, ...], count: int, seed: int,
                     value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Deterministic image-like inputs: sums of smooth noise at a few scales, with random contrast."""
    rng = np.random.default_rng(seed)
    lo, hi = value_range
    out = np.empty((count, *input_shape), np.float32)
    for i in range(count):
        unit = _smooth_field(rng, input_shape)                  # in [0, 1]
        contrast = rng.uniform(0.5, 1.0)
        offset = rng.uniform(0.0, 1.0 - contrast)
        out[i] = lo + (hi - lo) * (offset + contrast * unit)
    return out


def _smooth_field(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) != 4:
        return rng.uniform(0.0, 1.0, size=shape)
    _, h, w, c = shape
    field = np.zeros((h, w, c))
    for cells in (2, 4, 8, 16):
        coarse = rng.normal(size=(cells + 1, cells + 1, c))
        field += _bilinear(coarse, h, w) / cells   # 1/f amplitude, like natural images
    span = field.max() - field.min()
    return ((field - field.min()) / (span if span > 0 else 1.0)).reshape(shape)


def _bilinear(grid: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear upsampling of [gh, gw, C] to [h, w, C] with corners aligned."""
    ys, xs = np.linspace(0, grid.shape[0] - 1, h), np.linspace(0, grid.shape[1] - 1, w)
    y0, x0 = np.minimum(ys.astype(int), grid.shape[0] - 2), np.minimum(xs.astype(int), grid.shape[1] - 2)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bottom = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return top * (1 - fy) + bottom * fy


# ---- statistics -------------------------------------------------------------------------------
def collect_ranges(graph: Graph, samples: np.ndarray, method: str = "minmax",
                   percentile: float = 99.99, bins: int = HISTOGRAM_BINS) -> dict[str, tuple[float, float]]:
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
        from mnc.interpreter import run

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
    from mnc.passes.quantize import activation_qparams

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
