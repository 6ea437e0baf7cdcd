"""TFLite window options with different height and width values reach the IR the right way round
(every reference model has square strides, so only these cases can tell stride_h from stride_w)."""

from __future__ import annotations

import numpy as np
import pytest
import tflite

from mnc.frontends.tflite import load_tflite_bytes
from mnc.frontends.tflite.exporter import TFLiteWriter
from mnc.interpreter import run_single
from mnc.oracles import run_litert

T = tflite.TensorType


def _window_model(opname: str, options_table: str, options: dict, out_hw: tuple[int, int]) -> bytes:
    rng = np.random.default_rng(3)
    w = TFLiteWriter()
    x = w.add_tensor("x", (1, 9, 8, 4), T.INT8, scale=0.05, zero_point=-3)
    inputs = [x]
    if opname == "CONV_2D":
        inputs += [w.add_tensor("w", (5, 3, 2, 4), T.INT8, rng.integers(-127, 128, (5, 3, 2, 4), dtype=np.int8),
                                np.full(5, 0.01), np.zeros(5), axis=0),
                   w.add_tensor("b", (5,), T.INT32, rng.integers(-99, 99, 5).astype(np.int32),
                                np.full(5, 0.0005), np.zeros(5))]
    elif opname == "DEPTHWISE_CONV_2D":
        inputs += [w.add_tensor("w", (1, 3, 2, 4), T.INT8, rng.integers(-127, 128, (1, 3, 2, 4), dtype=np.int8),
                                np.full(4, 0.01), np.zeros(4), axis=3),
                   w.add_tensor("b", (4,), T.INT32, rng.integers(-99, 99, 4).astype(np.int32),
                                np.full(4, 0.0005), np.zeros(4))]
    channels = 5 if opname == "CONV_2D" else 4
    pool = opname.endswith("POOL_2D")   # pools keep the input's quantization
    y = w.add_tensor("y", (1, *out_hw, channels), T.INT8, scale=0.05 if pool else 0.07, zero_point=-3 if pool else 2)
    w.add_operator(opname, inputs, [y], (options_table, options))
    return w.finish([x], [y])


SAME, VALID = tflite.Padding.SAME, tflite.Padding.VALID
CASES = [
    ("CONV_2D", "Conv2DOptions", {"Padding": SAME, "StrideH": 2, "StrideW": 1}, (5, 8)),
    ("CONV_2D", "Conv2DOptions", {"Padding": VALID, "StrideH": 1, "StrideW": 3}, (7, 3)),
    ("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions",
     {"Padding": SAME, "StrideH": 1, "StrideW": 2, "DepthMultiplier": 1}, (9, 4)),
    ("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions",
     {"Padding": VALID, "StrideH": 3, "StrideW": 1, "DepthMultiplier": 1}, (3, 7)),
    ("AVERAGE_POOL_2D", "Pool2DOptions",
     {"Padding": VALID, "StrideH": 2, "StrideW": 1, "FilterHeight": 3, "FilterWidth": 2}, (4, 7)),
    ("MAX_POOL_2D", "Pool2DOptions",
     {"Padding": SAME, "StrideH": 1, "StrideW": 2, "FilterHeight": 2, "FilterWidth": 3}, (9, 4)),
]


@pytest.mark.parametrize("opname, table, options, out_hw", CASES, ids=[f"{c[0]}-{c[2]['StrideH']}x{c[2]['StrideW']}"
                                                                       for c in CASES])
def test_rectangular_strides_and_windows_match_litert(opname, table, options, out_hw):
    data = _window_model(opname, table, options, out_hw)
    graph = load_tflite_bytes(data)
    (op,) = graph.ops()
    assert tuple(op.attrs["stride"]) == (options["StrideH"], options["StrideW"])
    x = np.random.default_rng(4).integers(-128, 128, (1, 9, 8, 4), dtype=np.int8)
    np.testing.assert_array_equal(run_single(graph, x, mode="int8"), run_litert(data, x))
