"""The post-training quantization pass: calibrate ranges, then let every op quantize itself.

The scheme (how a range becomes int8 parameters) lives in mnc.quant.scheme.
"""

from __future__ import annotations

import numpy as np

from mnc.ir import Graph
from mnc.ops import get_op
from mnc.passes.bias_correction import correct_biases
from mnc.passes.calibration import DEFAULT_PERCENTILE, collect_ranges, widen_residual_branches
from mnc.quant import quantize_activation


def is_quantized(graph: Graph) -> bool:
    """Imported int8 models (TFLite, QDQ ONNX) arrive quantized: every graph input is int8."""
    return all(graph.tensor(name).dtype == "int8" for name in graph.inputs)


def quantize_graph(graph: Graph, samples: np.ndarray, method: str = "minmax",
                   percentile: float | None = None, bias_correction: bool = False) -> Graph:
    """Post-training quantization: calibrate float ranges on `samples` ([N, *input_shape]), then
    let every op quantize its own outputs, weights and bias, in topological order so each op sees
    its inputs' final scales (a bias's scale is input_scale * weight_scale). With `bias_correction`,
    the int32 biases then cancel the mean shift quantization causes on the samples (bias_correction.py)."""
    if is_quantized(graph):
        return graph.copy()
    ranges = collect_ranges(graph, samples, method, DEFAULT_PERCENTILE if percentile is None else percentile)
    ranges = widen_residual_branches(graph, ranges)
    g = graph.copy()
    for name in g.inputs:
        quantize_activation(g, name, ranges[name])
    for op in g.ops():
        get_op(op.kind).quantize(op, g, ranges)
    if bias_correction:
        correct_biases(graph, g, samples)
    g.meta["calibration"] = {"method": method, "samples": int(len(samples)), "bias_correction": bias_correction}
    return g
