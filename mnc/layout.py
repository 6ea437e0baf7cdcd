"""The user's layout contract: arrays cross mnc's edge in the source model's own layout.

Inside mnc (the IR, the interpreter, the generated C API) every rank-4 activation is NHWC. A model
exported NCHW (a PyTorch ONNX export) takes NCHW arrays from its user all the same: calibration
data, `mnc run --input/--output` and `mnc validate` use the shape the model was exported with, and
the conversion happens here, at the edge. An importer records a graph input's or output's source
layout in its tensor's `meta["layout"]`; without one, a rank-4 tensor is NHWC (TFLite, Keras,
built-in variants) and any other rank is "plain" (no layout question).

An array is accepted in exactly the model's shape, or with its leading batch axis of 1 left out.
Anything else is refused in one line naming both shapes, including a same-sized array in another
layout: a silent reshape would compute a wrong answer without a word.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import MncError

NCHW, NHWC, PLAIN = "NCHW", "NHWC", "plain"
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


def tensor_layout(tensor) -> str:
    """The source layout of a graph input/output tensor (see the module docstring)."""
    layout = tensor.meta.get("layout", tensor.meta.get("onnx_layout"))
    if layout is not None:
        return layout
    return NHWC if len(tensor.shape) == 4 else PLAIN


def model_shape(c_shape, layout: str) -> tuple[int, ...]:
    """The shape the source model gives a tensor whose C (NHWC) shape is `c_shape`."""
    c_shape = tuple(int(d) for d in c_shape)
    return tuple(c_shape[i] for i in NHWC_TO_NCHW) if layout == NCHW else c_shape


def io_spec(tensor) -> dict:
    """The manifest's description of a graph input/output: C shape, source layout and shape."""
    layout = tensor_layout(tensor)
    return {"shape": [int(d) for d in tensor.shape], "layout": layout,
            "model_shape": list(model_shape(tensor.shape, layout))}


def spec_layout(spec: dict) -> str:
    """Layout of a manifest entry (packages written before the layout contract are NHWC)."""
    return spec.get("layout", NHWC if len(spec["shape"]) == 4 else PLAIN)


def to_c_layout(x: np.ndarray, spec: dict, what: str) -> np.ndarray:
    """`x`, given in the model's layout and shape (batch axis optional), as the C (NHWC) array."""
    layout = spec_layout(spec)
    expected = model_shape(spec["shape"], layout)
    x = np.asarray(x)
    if x.shape == expected[1:] and expected[:1] == (1,):
        x = x[None]
    if x.shape != expected:
        raise MncError(f"{what} has shape {tuple(x.shape)}; the model takes {_describe(expected, layout)}"
                       f"{_hint(x.shape, expected, layout)}")
    return np.ascontiguousarray(np.transpose(x, NCHW_TO_NHWC) if layout == NCHW else x)


def from_c_layout(y: np.ndarray, spec: dict) -> np.ndarray:
    """A C (NHWC) output array in the model's own layout and shape."""
    y = np.asarray(y).reshape(spec["shape"])
    return np.ascontiguousarray(np.transpose(y, NHWC_TO_NCHW)) if spec_layout(spec) == NCHW else y


def samples_to_c_layout(arr: np.ndarray, c_shape, layout: str, what: str) -> np.ndarray:
    """Calibration samples in the model's layout -- one sample, or a stack [N, ...] -- as [N, *c_shape]."""
    expected = model_shape(c_shape, layout)
    sample = expected[1:]
    arr = np.asarray(arr)
    if arr.shape in (sample, expected):
        arr = arr.reshape((1, *expected))
    elif arr.shape[1:] == sample:
        arr = arr[:, None]
    elif arr.ndim != len(expected) + 1 or arr.shape[1:] != expected:
        raise MncError(f"{what} has shape {tuple(arr.shape)}; the model takes samples of "
                       f"{_describe(sample, layout)} or a stack [N, {', '.join(map(str, sample))}]"
                       f"{_hint(arr.shape[-len(sample):], sample, layout)}")
    if layout == NCHW:
        arr = np.transpose(arr, (0, 1, 3, 4, 2))
    return np.ascontiguousarray(arr)


def _describe(shape, layout: str) -> str:
    dims = ", ".join(map(str, shape))
    return f"[{dims}] ({layout}, as exported)" if layout != PLAIN else f"[{dims}]"


def _hint(got, expected, layout: str) -> str:
    """A pointer at the likely mistake: the right dimensions in the other layout."""
    got, expected = tuple(got), tuple(expected)
    if layout not in (NCHW, NHWC) or len(got) != len(expected) or got == expected:
        return ""
    if sorted(got) == sorted(expected):
        other = NHWC if layout == NCHW else NCHW
        return f"; it looks like {other}, transpose it to {layout}"
    return ""


def checked_c_input(x: np.ndarray, c_shape, runner: str = "the model") -> np.ndarray:
    """An int8 array already in the C API's (NHWC) shape; the runners take nothing else."""
    x = np.asarray(x)
    if x.dtype != np.int8:
        raise MncError(f"{runner} needs int8 input, got {x.dtype}")
    if x.shape != tuple(c_shape):
        layout = " (NHWC)" if len(c_shape) == 4 else ""
        raise MncError(f"input has shape {tuple(x.shape)}; the C API takes {list(c_shape)}{layout}")
    return np.ascontiguousarray(x)
