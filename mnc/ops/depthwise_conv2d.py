"""depthwise_conv2d: weights [1, KH, KW, C*M], output channel c*M + m reads input channel c;
int8 = TFLite reference DepthwiseConvPerChannel (any depth multiplier)."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import geometry as geo
from mnc.ops import register
from mnc.ops import requantization as rq
from mnc.ops import weighted as wt
from mnc.ops.base import OpDef
from mnc.ops.constraints import BATCH_ONE


class DepthwiseConv2D(OpDef):
    kind = "depthwise_conv2d"
    tflite_ops = ("DEPTHWISE_CONV_2D",)
    onnx_ops = ("Conv",)
    inputs_doc = "x, w [1,KH,KW,C*M], b (optional)"
    attrs_doc = "stride, pad, dilation, depth_multiplier, act"
    notes = "ONNX Conv with group == input channels"
    constraints = (BATCH_ONE,)
    accepts_fused_activation = True
    weight_channel_axis = 3
    absorbs_zero_pad = "always"
    kernels = ("mnc_depthwise_conv2d_mve_s8", "mnc_depthwise_kxk_mve_s8", "mnc_depthwise_kxk_dsp_s8",
               "mnc_depthwise_conv2d_dsp_s8", "mnc_depthwise3x3_v7m_s8", "mnc_depthwise_conv2d_s8")

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        one, kh, kw, oc = graph.tensor(op.inputs[1]).shape
        mult = depth_multiplier(op, graph)
        if len(x) != 4 or one != 1 or oc != x[3] * mult:
            raise ModelError(f"op {op.name!r}: input {x}, weights [{one},{kh},{kw},{oc}] and "
                             f"depth_multiplier {mult} do not match")
        oh, ow = geo.out_hw(op, x, kh, kw)
        return [((x[0], oh, ow, oc), wt.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        x, w = np.asarray(inputs[0], np.float32), np.asarray(inputs[1], np.float32)
        acc = _depthwise_sum(op, geo.pad_spatial(x, geo.window_attrs(op)[1]), w, depth_multiplier(op, graph))
        y = acc + wt.float_bias(inputs, w.shape[3])
        return [wt.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = self.output_stage(op, graph)
        # x + input_offset is 0 at padded positions, exactly like TFLite skipping them.
        xs = np.asarray(inputs[0], np.int64) + stage["input_offset"]
        xp = geo.pad_spatial(xs, geo.window_attrs(op)[1])
        acc = _depthwise_sum(op, xp, np.asarray(inputs[1], np.int64), depth_multiplier(op, graph))
        return [rq.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        _, oh, ow, oc = graph.tensor(op.outputs[0]).shape
        _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
        return oh * ow * oc * kh * kw

    def output_stage(self, op, graph) -> dict:
        """The int8 output stage the kernels are built from (see mnc.ops.requantization)."""
        return rq.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[3])

    def quantize(self, op, graph, ranges):
        wt.quantize_weighted_op(op, graph, ranges, self.weight_channel_axis)


def depth_multiplier(op, graph) -> int:
    """The attr when given, else implied by the weight and input channel counts."""
    if "depth_multiplier" in op.attrs:
        return int(op.attrs["depth_multiplier"])
    c = graph.tensor(op.inputs[0]).shape[-1]
    return graph.tensor(op.inputs[1]).shape[3] // max(c, 1)


def _depthwise_sum(op, xp: np.ndarray, w: np.ndarray, mult: int) -> np.ndarray:
    """Sum over taps of x[..., c] * w[tap, c*M + m]; xp is already padded."""
    _, kh, kw, oc = w.shape
    stride, _, dilation = geo.window_attrs(op)
    n, hp, wp, c = xp.shape
    oh = geo.out_size(hp, kh, stride[0], dilation[0], 0, 0)
    ow = geo.out_size(wp, kw, stride[1], dilation[1], 0, 0)
    wr = w.reshape(kh, kw, c, mult)
    acc = np.zeros((n, oh, ow, c, mult), dtype=np.result_type(xp, w))
    for a, b, view in geo.taps(xp, kh, kw, stride, dilation, oh, ow):
        acc += view[..., None] * wr[a, b]
    return acc.reshape(n, oh, ow, oc)


register(DepthwiseConv2D())
