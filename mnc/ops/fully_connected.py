"""fully_connected: x flattened to [1, N], weights [O, N]; int8 = TFLite reference FullyConnected
(one weight scale) or FullyConnectedPerChannel (one scale per output)."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import conv_common as cc
from mnc.ops import mve_lowering, register
from mnc.ops.base import OpDef


class FullyConnected(OpDef):
    kind = "fully_connected"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        o, n = graph.tensor(op.inputs[1]).shape
        if x.size != n:
            raise ModelError(f"op {op.name!r}: input {x.shape} has {x.size} values, weights expect {n}")
        return [((1, o), cc.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        w = np.asarray(inputs[1], np.float32)
        y = np.asarray(inputs[0], np.float32).reshape(1, -1) @ w.T + cc.float_bias(inputs, w.shape[0])
        return [cc.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = _stage(op, graph)
        xs = np.asarray(inputs[0], np.float64).reshape(1, -1) + stage["input_offset"]
        acc = xs @ np.asarray(inputs[1], np.float64).T  # exact: see conv_common
        return [cc.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        o, n = graph.tensor(op.inputs[1]).shape
        return o * n

    def quantize(self, op, graph, ranges):
        cc.quantize_weighted_op(op, graph, ranges, weight_axis=0, channels=graph.tensor(op.inputs[1]).shape[0])

    def lower(self, op, graph, target):
        helium = mve_lowering.lower_fully_connected_mve(op, graph, target)  # None unless the target has MVE and the shape fits
        if helium is not None:
            return helium
        w = graph.tensor(op.inputs[1])
        o, n = w.shape
        stage = _stage(op, graph)
        if cc.wants_dsp(target):
            weights = np.asarray(w.data, np.int8)
            folded = cc.fold_input_offset(stage["bias"], weights, stage["input_offset"])
            if folded is not None:
                params = {"in_size": n, "out_size": o, **cc.dsp_gemm_params(folded, weights, stage)}
                return cc.dsp_kernel_call("mnc_fully_connected_dsp_s8", params, op, 8 * params["groups"])
        params = {"in_size": n, "out_size": o, **cc.portable_stage_params(stage, w.data)}
        return cc.portable_kernel_call("mnc_fully_connected_s8", params, op)


def _stage(op, graph) -> dict:
    # TFLite picks the multiplier rule by the number of weight scales (see conv_common).
    return cc.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[0], per_channel_rule=False)


register(FullyConnected())
