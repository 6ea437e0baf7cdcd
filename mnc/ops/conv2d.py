"""conv2d: NHWC input, OHWI weights, explicit pads; int8 = TFLite reference ConvPerChannel."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import geometry as geo
from mnc.ops import register
from mnc.ops import requantization as rq
from mnc.ops import weighted as wt
from mnc.ops.base import OpDef
from mnc.ops.constraints import BATCH_ONE


class Conv2D(OpDef):
    kind = "conv2d"
    tflite_ops = ("CONV_2D",)
    onnx_ops = ("Conv",)
    inputs_doc = "x, w [O,KH,KW,I], b [O] (optional)"
    attrs_doc = "stride (sh, sw), pad, dilation (dh, dw), act"
    notes = "groups=1 only (ONNX grouped convs become depthwise_conv2d)"
    constraints = (BATCH_ONE,)
    accepts_fused_activation = True
    weight_channel_axis = 0
    absorbs_zero_pad = "always"
    kernels = ("mnc_conv1x1_mve_s8", "mnc_conv2d_mve_s8", "mnc_conv1x1_dsp_s8", "mnc_conv3x3_c3_dsp_s8",
               "mnc_conv2d_dsp_s8", "mnc_conv1x1_v7m_s8", "mnc_conv2d_v7m_s8", "mnc_conv1x1_s8", "mnc_conv2d_s8")

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        o, kh, kw, i = graph.tensor(op.inputs[1]).shape
        if len(x) != 4 or x[3] != i:
            raise ModelError(f"op {op.name!r}: input {x} does not match weights [{o},{kh},{kw},{i}]")
        oh, ow = geo.out_hw(op, x, kh, kw)
        return [((x[0], oh, ow, o), wt.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        x, w = np.asarray(inputs[0], np.float32), np.asarray(inputs[1], np.float32)
        acc = _conv_sum(op, geo.pad_spatial(x, geo.window_attrs(op)[1]), w)
        y = acc + wt.float_bias(inputs, w.shape[0])
        return [wt.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = self.output_stage(op, graph)
        # x + input_offset is 0 at padded positions, exactly like TFLite skipping them.
        xs = np.asarray(inputs[0], np.float64) + stage["input_offset"]
        acc = _conv_sum(op, geo.pad_spatial(xs, geo.window_attrs(op)[1]), np.asarray(inputs[1], np.float64))
        return [rq.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        _, oh, ow, oc = graph.tensor(op.outputs[0]).shape
        _, kh, kw, ic = graph.tensor(op.inputs[1]).shape
        return oh * ow * oc * kh * kw * ic

    def output_stage(self, op, graph) -> dict:
        """The int8 output stage the kernels are built from (see mnc.ops.requantization)."""
        return rq.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[0])

    def quantize(self, op, graph, ranges):
        wt.quantize_weighted_op(op, graph, ranges, self.weight_channel_axis)


def _conv_sum(op, xp: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum over kernel taps of [N*OH*OW, I] @ [I, O]; xp is already padded."""
    o, kh, kw, i = w.shape
    stride, pad, dilation = geo.window_attrs(op)
    n, hp, wp, _ = xp.shape
    oh = geo.out_size(hp, kh, stride[0], dilation[0], 0, 0)
    ow = geo.out_size(wp, kw, stride[1], dilation[1], 0, 0)
    acc = np.zeros((n * oh * ow, o), dtype=np.result_type(xp, w))
    for a, b, view in geo.taps(xp, kh, kw, stride, dilation, oh, ow):
        acc += view.reshape(-1, i) @ w[:, a, b, :].T
    return acc.reshape(n, oh, ow, o)


register(Conv2D())
