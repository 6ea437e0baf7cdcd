"""Tensors of the IR.

Activations are NHWC. Weights use TFLite layouts: conv2d OHWI, depthwise 1HW(C*M),
fully_connected [out, in]. Quantization is `real = scale * (q - zero_point)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

DTYPES = ("float32", "int8", "int32")


@dataclass(eq=False)
class QuantParams:
    """Affine quantization; per-tensor when `axis` is None, else one scale per slice of `axis`."""

    scale: np.ndarray
    zero_point: np.ndarray
    axis: int | None = None

    def __post_init__(self) -> None:
        self.scale = np.atleast_1d(np.asarray(self.scale, dtype=np.float32))
        self.zero_point = np.atleast_1d(np.asarray(self.zero_point, dtype=np.int32))

    @classmethod
    def per_tensor(cls, scale: float, zero_point: int) -> QuantParams:
        return cls(np.array([scale], np.float32), np.array([zero_point], np.int32))

    @property
    def per_channel(self) -> bool:
        return self.axis is not None

    def single(self) -> tuple[float, int]:
        """(scale, zero_point) of a per-tensor quantization."""
        return float(self.scale[0]), int(self.zero_point[0])

    def quantize(self, real: np.ndarray, dtype: str = "int8") -> np.ndarray:
        """Round half away from zero, then saturate, like TFLite's reference QUANTIZE."""
        scale, zp = self._broadcast(real.ndim)
        q = np.trunc(real / scale + np.copysign(0.5, real / scale)) + zp
        info = np.iinfo(dtype)
        return np.clip(q, info.min, info.max).astype(dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        scale, zp = self._broadcast(q.ndim)
        return ((q.astype(np.int64) - zp) * scale.astype(np.float64)).astype(np.float32)

    def _broadcast(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        if self.axis is None:
            return self.scale[0].astype(np.float64), np.int64(self.zero_point[0])
        shape = [1] * ndim
        shape[self.axis] = -1
        return self.scale.astype(np.float64).reshape(shape), self.zero_point.astype(np.int64).reshape(shape)


@dataclass(eq=False)
class Tensor:
    """A value in the graph. `data` is set for constants (weights, biases, LUTs)."""

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    data: np.ndarray | None = None
    quant: QuantParams | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shape = tuple(int(d) for d in self.shape)
        if self.dtype not in DTYPES:
            raise ValueError(f"tensor {self.name!r}: unknown dtype {self.dtype!r}")

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize
