"""The pass pipeline: one ordered list, run by `run_pipeline`, with a graph check after every stage.

Why this order:
  1. fold_batchnorm first: conv -> batch_norm -> relu only becomes conv -> relu once the batch_norm
     is gone, so it must precede fuse_activation.
  1b. fuse_hard_swish before fold_affine: the `+ 3` of a hard-sigmoid written out after a conv
     (a squeeze-excite gate) must become part of the hard_sigmoid, not the conv's bias. Both before
     fuse_activation, which would otherwise fuse the relu6 of `relu6(x + 3)` into the add.
  1c. fold_affine after fold_batchnorm: batch norms written as Mul/Add by exporters fold into the
     conv before them like BatchNormalization nodes do.
  2. fuse_pad before fuse_activation is not required (fuse_pad sees relu either as an op or as a
     fused `act`), but it must precede quantize so a pad never gets its own calibrated range.
  3. fuse_activation before quantize: calibration then observes each fused op's output *after* its
     activation, so a conv+relu output range starts at 0 and gets the finer scale, as in TFLite.
  4. dce before quantize: dead branches are neither calibrated nor quantized.
  5. quantize last; graphs that arrive int8 (imported TFLite / QDQ ONNX) skip it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mnc.ir import Graph
from mnc.layout import tensor_layout
from mnc.ops import verify_graph
from mnc.data import DEFAULT_MAX_SAMPLES, ImagePreprocess, load_calibration_data
from mnc.passes.dce import dce
from mnc.passes.fold_affine import fold_affine
from mnc.passes.fold_batchnorm import fold_batchnorm
from mnc.passes.fuse_activation import fuse_activation
from mnc.passes.fuse_hard_swish import fuse_hard_swish
from mnc.passes.fuse_pad import fuse_pad
from mnc.passes.quantize import is_quantized, quantize_graph

GRAPH_PASSES: tuple[tuple[str, Callable[[Graph], Graph]], ...] = (
    ("fold_batchnorm", fold_batchnorm),
    ("fuse_hard_swish", fuse_hard_swish),
    ("fold_affine", fold_affine),
    ("fuse_pad", fuse_pad),
    ("fuse_activation", fuse_activation),
    ("dce", dce),
)


def optimize(graph: Graph) -> Graph:
    """The graph passes (1-4), each followed by `verify`; works on float and int8 graphs."""
    for _name, graph_pass in GRAPH_PASSES:
        graph = graph_pass(graph)
        verify_graph(graph)
    return graph


def run_pipeline(graph: Graph, calibration: str | Path | None = None, method: str = "minmax", seed: int = 0,
                 percentile: float | None = None, preprocess: ImagePreprocess = ImagePreprocess(),
                 max_samples: int = DEFAULT_MAX_SAMPLES, bias_correction: bool = False) -> Graph:
    """Graph passes, then post-training quantization from `calibration` data (see calibration.py)."""
    verify_graph(graph)
    graph = optimize(graph)
    if is_quantized(graph):
        return graph
    graph_input = graph.tensor(graph.inputs[0])
    samples = load_calibration_data(calibration, graph_input.shape, layout=tensor_layout(graph_input),
                                    preprocess=preprocess,
                                    max_samples=max_samples, seed=seed)
    graph = quantize_graph(graph, samples, method, percentile, bias_correction)
    verify_graph(graph)
    return graph
