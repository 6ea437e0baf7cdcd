"""depthwise_conv2d: weights [1, KH, KW, C*M], output channel c*M + m reads input channel c;
int8 = TFLite reference DepthwiseConvPerChannel (any depth multiplier)."""

from __future__ import annotations

import numpy as np

from mnc.kernels.call import ConstArray, KernelCall
from mnc.errors import ModelError, UnsupportedError
from mnc.ops import conv_common as cc
from mnc.ops import mve_lowering, register
from mnc.ops.base import OpDef


class DepthwiseConv2D(OpDef):
    kind = "depthwise_conv2d"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        one, kh, kw, oc = graph.tensor(op.inputs[1]).shape
        mult = _depth_multiplier(op, graph)
        if len(x) != 4 or one != 1 or oc != x[3] * mult:
            raise ModelError(f"op {op.name!r}: input {x}, weights [{one},{kh},{kw},{oc}] and "
                             f"depth_multiplier {mult} do not match")
        oh, ow = cc.out_hw(op, x, kh, kw)
        return [((x[0], oh, ow, oc), cc.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        x, w = np.asarray(inputs[0], np.float32), np.asarray(inputs[1], np.float32)
        acc = _depthwise_sum(op, cc.pad_spatial(x, cc.window_attrs(op)[1]), w, _depth_multiplier(op, graph))
        y = acc + cc.float_bias(inputs, w.shape[3])
        return [cc.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = cc.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[3])
        # x + input_offset is 0 at padded positions, exactly like TFLite skipping them.
        xs = np.asarray(inputs[0], np.int64) + stage["input_offset"]
        xp = cc.pad_spatial(xs, cc.window_attrs(op)[1])
        acc = _depthwise_sum(op, xp, np.asarray(inputs[1], np.int64), _depth_multiplier(op, graph))
        return [cc.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        _, oh, ow, oc = graph.tensor(op.outputs[0]).shape
        _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
        return oh * ow * oc * kh * kw

    def quantize(self, op, graph, ranges):
        cc.quantize_weighted_op(op, graph, ranges, weight_axis=3, channels=graph.tensor(op.inputs[1]).shape[3])

    def lower(self, op, graph, target):
        helium = mve_lowering.lower_depthwise_mve(op, graph, target)  # None unless the target has MVE and the shape fits
        if helium is not None:
            return helium
        x = graph.tensor(op.inputs[0]).shape
        w = graph.tensor(op.inputs[1])
        _, kh, kw, oc = w.shape
        out = graph.tensor(op.outputs[0]).shape
        if x[0] != 1:
            raise UnsupportedError(f"op {op.name!r}: batch {x[0]} (only batch 1 is supported)")
        stride, pad, dilation = cc.window_attrs(op)
        stage = cc.output_stage(graph, op, oc)
        if cc.wants_dsp(target) and _depth_multiplier(op, graph) == 1:
            call = _dsp_call(op, x, out, w, stride, pad, dilation, stage)
            if call is not None:
                return call
        params = {
            "in_h": x[1], "in_w": x[2], "in_c": x[3], "out_h": out[1], "out_w": out[2],
            "depth_multiplier": _depth_multiplier(op, graph),
            "kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
            "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1],
            **cc.portable_stage_params(stage, w.data),
        }
        return cc.portable_kernel_call("mnc_depthwise_conv2d_s8", params, op)


def _dsp_call(op, x, out, w, stride, pad, dilation, stage) -> KernelCall | None:
    """SIMD across 4 channels with the input offset folded into the bias; None when the folded bias
    would not fit int32."""
    weights = np.asarray(w.data, np.int8)
    _, kh, kw, c = weights.shape
    w2d = weights.reshape(kh * kw, c).T
    folded = cc.fold_input_offset(stage["bias"], w2d, stage["input_offset"])
    if folded is None:
        return None
    bias, mult, shift = cc.constant_channels(folded, w2d, stage)
    fast = cc.dsp_fast_requant(cc.folded_acc_bound(bias, w2d), shift)
    params = {
        "in_h": x[1], "in_w": x[2], "in_c": x[3], "out_h": out[1], "out_w": out[2],
        "kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
        "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1],
        "pad_value": -stage["input_offset"], "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "fast_requant": int(fast),
        "weights": ConstArray("weights", "int8_t", weights),
        **cc.dsp_quant_arrays(bias, mult, shift, 4),
    }
    # Three unpacked rows of the padded width for the 3x3 path (mnc_depthwise_conv2d_dsp_s8.h).
    scratch = 24 * ((out[2] - 1) * stride[1] + 3)
    return cc.dsp_kernel_call("mnc_depthwise_conv2d_dsp_s8", params, op, scratch)


def _depth_multiplier(op, graph) -> int:
    """The attr when given, else implied by the weight and input channel counts."""
    if "depth_multiplier" in op.attrs:
        return int(op.attrs["depth_multiplier"])
    c = graph.tensor(op.inputs[0]).shape[-1]
    return graph.tensor(op.inputs[1]).shape[3] // max(c, 1)


def _depthwise_sum(op, xp: np.ndarray, w: np.ndarray, mult: int) -> np.ndarray:
    """Sum over taps of x[..., c] * w[tap, c*M + m]; xp is already padded."""
    _, kh, kw, oc = w.shape
    stride, _, dilation = cc.window_attrs(op)
    n, hp, wp, c = xp.shape
    oh = cc.out_size(hp, kh, stride[0], dilation[0], 0, 0)
    ow = cc.out_size(wp, kw, stride[1], dilation[1], 0, 0)
    wr = w.reshape(kh, kw, c, mult)
    acc = np.zeros((n, oh, ow, c, mult), dtype=np.result_type(xp, w))
    for a, b, view in cc.taps(xp, kh, kw, stride, dilation, oh, ow):
        acc += view[..., None] * wr[a, b]
    return acc.reshape(n, oh, ow, oc)


register(DepthwiseConv2D())
