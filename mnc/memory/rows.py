"""Row geometry: which input rows an op needs for a band of its output rows, and the kernel
parameters that make a kernel compute just that band.

Every NHWC op whose output row r depends only on a bounded window of input rows (convolutions,
depthwise convolutions, table activations, same-shape adds) can run as a sequence of calls, each
computing output rows [a, b) from input rows [lo, hi). A band call is the whole-tensor call with the
row counts and top padding rewritten and the pointers moved to the band's first rows, so every output
element is computed from the same bytes by the same code: bit-exact with the whole call by
construction (and by test, tests/memory/test_fused_packages.py).

Which kernels take a band is kernel knowledge: `BAND_FIELDS` names, per kernel, how its params
describe rows. A kernel not listed there never runs banded.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnc.ir import Graph, Op
from mnc.ops.geometry import window_attrs

# kernels whose params hold the geometry as in_h/out_h (and pad_top for windowed ones)
_GEOMETRY_KERNELS = frozenset({
    "mnc_conv2d_s8", "mnc_conv2d_dsp_s8", "mnc_conv3x3_c3_dsp_s8", "mnc_conv1x1_s8", "mnc_conv1x1_dsp_s8",
    "mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8",
    "mnc_depthwise_conv2d_s8", "mnc_depthwise_conv2d_dsp_s8", "mnc_depthwise_conv2d_mve_s8",
    "mnc_depthwise_kxk_dsp_s8", "mnc_depthwise_kxk_mve_s8",
})
# elementwise kernels: a table activation's params hold the element count, an add's the 4-D shape
_LUT_KERNELS = frozenset({"mnc_lut_s8", "mnc_lut_mve_s8"})
_ADD_KERNELS = frozenset({"mnc_add_s8", "mnc_add_dsp_s8", "mnc_add_mve_s8"})
_ELEMENTWISE_KERNELS = _LUT_KERNELS | _ADD_KERNELS


@dataclass(frozen=True)
class RowMap:
    """Output rows [a, b) read input rows [a*stride - pad_top, (b-1)*stride - pad_top + extent),
    clipped to the input's `in_h` rows (rows outside are padding)."""

    stride: int
    pad_top: int
    extent: int      # rows one output row reads: (kernel_h - 1) * dilation_h + 1
    in_h: int

    def needs(self, a: int, b: int) -> tuple[int, int]:
        first = a * self.stride - self.pad_top
        return max(0, first), min(self.in_h, (b - 1) * self.stride - self.pad_top + self.extent)

    def band_pad_top(self, a: int) -> int:
        """Top padding rows of a band starting at output row a."""
        return max(0, self.pad_top - a * self.stride)


def row_bytes(graph: Graph, name: str) -> int:
    """Bytes of one row of an NHWC tensor (batch 1)."""
    _, _, w, c = graph.tensor(name).shape
    return w * c


def rows_of(graph: Graph, name: str) -> int:
    return graph.tensor(name).shape[1]


def row_maps(op: Op, graph: Graph, kernel: str, inputs: list[str]) -> dict[str, RowMap] | None:
    """Row map per activation input of `op` lowered to `kernel`, or None when it cannot run banded."""
    out = graph.tensor(op.outputs[0])
    acts = [n for n in inputs if n and not graph.tensor(n).is_const]
    if len(out.shape) != 4 or out.shape[0] != 1 or not acts or len(acts) != len(inputs):
        return None
    if any(len(graph.tensor(n).shape) != 4 for n in acts):
        return None
    if kernel in _GEOMETRY_KERNELS:
        return {acts[0]: _window_map(op, graph)}
    if kernel in _ELEMENTWISE_KERNELS and all(graph.tensor(n).shape == out.shape for n in acts):
        return {n: RowMap(1, 0, 1, out.shape[1]) for n in acts}
    return None


def _window_map(op: Op, graph: Graph) -> RowMap:
    stride, pad, dilation = window_attrs(op)
    w_shape = graph.tensor(op.inputs[1]).shape
    kh = w_shape[1]
    return RowMap(stride[0], pad[0], (kh - 1) * dilation[0] + 1, graph.tensor(op.inputs[0]).shape[1])


def band_params(kernel: str, params: dict, row_map: RowMap, a: int, b: int) -> dict:
    """`params` of a whole-tensor call rewritten to compute output rows [a, b) only."""
    lo, hi = row_map.needs(a, b)
    band = dict(params)
    if kernel in _GEOMETRY_KERNELS:
        band["in_h"], band["out_h"] = hi - lo, b - a
        if "pad_top" in band:
            band["pad_top"] = row_map.band_pad_top(a)
    elif kernel in _LUT_KERNELS:
        band["size"] = params["size"] // row_map.in_h * (b - a)
    elif kernel in _ADD_KERNELS:
        band["dim1"] = b - a
    else:
        raise ValueError(f"kernel {kernel} cannot run on a band of rows")
    return band
