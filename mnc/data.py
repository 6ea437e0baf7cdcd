"""Model inputs from the user's files or from a seed, one place for calibration, `validate` and `run`.

Calibration data (`load_calibration_data`, float model inputs):
  * a `.npy` / `.npz` file, or a folder of `.npy` / `.npz` / image files (read in sorted order);
    float arrays are model-ready inputs used as they are; integer arrays are 0..255 pixels and get
    the image preprocessing below. Arrays are in the source model's layout (NCHW for a PyTorch
    export, see mnc.layout): one sample shaped like the input with or without its batch axis, or a
    stack [N, ...] of them. Any other shape, a same-sized one included, is refused.
  * images (PNG, JPEG, BMP, PGM, PPM): converted to the model's channel count (grayscale replicated
    to RGB), resized to the input's H x W, and pixels 0..255 mapped linearly onto
    `ImagePreprocess.value_range` (default [-1, 1], the float input range of the MobileNets mnc builds).
  * nothing: seeded, smooth, image-like synthetic inputs, announced with a `CalibrationWarning`
    (calibrating on data that is not from the task costs accuracy).

int8 inputs of a compiled package (`run_input`, `image_input`, `default_input`): in the model's own
layout and shape (mnc.layout), a mismatch refused; float arrays and images quantized with the input's scale and zero point.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from mnc.errors import MncError
from mnc.ir import QuantParams
from mnc.layout import NHWC, samples_to_c_layout, to_c_layout

IMAGE_SUFFIXES = (".bmp", ".png", ".jpg", ".jpeg", ".pgm", ".ppm")
ARRAY_SUFFIXES = (".npy", ".npz")
DEFAULT_MAX_SAMPLES = 100
DEFAULT_SYNTHETIC_SAMPLES = 16
RUN_SEED = 0            # the deterministic input of `mnc run` without --input
VALIDATE_SEED = 0       # validate's default input: seeded, so every run validates the same tensors
IMAGE_BLOCK = 8         # validate's default input is smooth over blocks of this many pixels, like a photo


class CalibrationWarning(UserWarning):
    """Calibration fell back to something the user should know about (e.g. synthetic data)."""


@dataclass(frozen=True)
class ImagePreprocess:
    """How images (and integer arrays) become model inputs: pixel 0 -> lo, 255 -> hi."""

    value_range: tuple[float, float] = (-1.0, 1.0)
    resample: str = "bilinear"


# ---- calibration data (float) ----------------------------------------------------------------
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
            raise MncError(f"calibration file {path} is not .npy, .npz or an image (PNG, JPEG, BMP, PGM, PPM)")
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


# ---- int8 package inputs ---------------------------------------------------------------------
def run_input(path: Path | None, spec: dict) -> np.ndarray:
    """The C (NHWC) int8 input: from a .npy in the model's own layout and shape (float32 is
    quantized; see mnc.layout for what is accepted) or, without one, seeded."""
    if path is None:
        return np.random.default_rng(RUN_SEED).integers(-128, 128, tuple(spec["shape"]), dtype=np.int8)
    try:
        x = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise MncError(f"cannot read input {path}: {_one_line(exc)}") from None
    if x.dtype != np.int8 and x.dtype not in (np.float32, np.float64):
        raise MncError(f"input {path} has dtype {x.dtype}; expected int8 or float32")
    x = to_c_layout(x, spec, f"input {path}")
    if x.dtype == np.int8:
        return x
    return quantize_input(x, spec["scale"], spec["zero_point"])


def quantize_input(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return QuantParams.per_tensor(scale, zero_point).quantize(x.astype(np.float32))


def default_input(spec: dict, seed: int = VALIDATE_SEED) -> np.ndarray:
    """A seeded photo-like int8 input: random block colours plus mild noise, so activations look like
    a real image's (large uniform areas, edges) rather than white noise."""
    shape = tuple(spec["shape"])
    rng = np.random.default_rng(seed)
    if len(shape) != 4:
        return rng.integers(-128, 128, shape, dtype=np.int8)
    n, h, w, c = shape
    coarse = rng.integers(-128, 128, (n, -(-h // IMAGE_BLOCK), -(-w // IMAGE_BLOCK), c))
    blocks = coarse.repeat(IMAGE_BLOCK, axis=1).repeat(IMAGE_BLOCK, axis=2)[:, :h, :w, :]
    noisy = blocks + rng.integers(-12, 13, shape)
    return np.clip(noisy, -128, 127).astype(np.int8)


def image_input(path: Path, spec: dict) -> np.ndarray:
    """An image file as the model's int8 input: resized to H x W, grey replicated to every channel,
    pixels read as real values p / 255 and quantized with the input's scale and zero point."""
    _n, h, w, c = spec["shape"]
    try:
        img = Image.open(path)
    except OSError as exc:
        raise MncError(f"cannot read image {path}: {exc}") from None
    img = img.convert("L" if c != 3 else "RGB").resize((w, h), Image.BILINEAR)
    pixels = np.asarray(img, dtype=np.float32).reshape(h, w, -1)
    pixels = np.broadcast_to(pixels, (h, w, c)) / 255.0
    q = QuantParams.per_tensor(spec["scale"], spec["zero_point"]).quantize(pixels[None].astype(np.float32))
    return np.asarray(q, dtype=np.int8)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or "(no message)"
