"""fully_connected: x flattened to [1, N], weights [O, N]; int8 = TFLite reference FullyConnected
(one weight scale) or FullyConnectedPerChannel (one scale per output)."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops import requantization as rq
from mnc.ops import weighted as wt
from mnc.ops.base import OpDef


class FullyConnected(OpDef):
    kind = "fully_connected"
    tflite_ops = ("FULLY_CONNECTED",)
    onnx_ops = ("Gemm", "MatMul")
    inputs_doc = "x (any shape, flattened to [1, N]), w [O, N], b"
    attrs_doc = "act"
    notes = "output [1, O]"
    accepts_fused_activation = True
    weight_channel_axis = 0
    kernels = ("mnc_conv1x1_mve_s8", "mnc_fully_connected_dsp_s8", "mnc_fully_connected_s8")

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        o, n = graph.tensor(op.inputs[1]).shape
        if x.size != n:
            raise ModelError(f"op {op.name!r}: input {x.shape} has {x.size} values, weights expect {n}")
        return [((1, o), wt.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        w = np.asarray(inputs[1], np.float32)
        y = np.asarray(inputs[0], np.float32).reshape(1, -1) @ w.T + wt.float_bias(inputs, w.shape[0])
        return [wt.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = self.output_stage(op, graph)
        xs = np.asarray(inputs[0], np.float64).reshape(1, -1) + stage["input_offset"]
        acc = xs @ np.asarray(inputs[1], np.float64).T  # exact: see mnc/ops/requantization.py
        return [rq.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        o, n = graph.tensor(op.inputs[1]).shape
        return o * n

    def output_stage(self, op, graph) -> dict:
        """The int8 output stage the kernels are built from (see mnc.ops.requantization).
        TFLite picks the multiplier rule by the number of weight scales."""
        return rq.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[0], per_channel_rule=False)

    def quantize(self, op, graph, ranges):
        wt.quantize_weighted_op(op, graph, ranges, self.weight_channel_axis)



register(FullyConnected())
