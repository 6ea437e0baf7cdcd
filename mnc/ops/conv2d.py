"""conv2d: NHWC input, OHWI weights, explicit pads; int8 = TFLite reference ConvPerChannel."""

from __future__ import annotations

import numpy as np

from mnc.kernels.call import ConstArray, KernelCall
from mnc.errors import ModelError, UnsupportedError
from mnc.ops import conv_common as cc
from mnc.ops import mve_lowering, register
from mnc.ops.base import OpDef


class Conv2D(OpDef):
    kind = "conv2d"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        o, kh, kw, i = graph.tensor(op.inputs[1]).shape
        if len(x) != 4 or x[3] != i:
            raise ModelError(f"op {op.name!r}: input {x} does not match weights [{o},{kh},{kw},{i}]")
        oh, ow = cc.out_hw(op, x, kh, kw)
        return [((x[0], oh, ow, o), cc.input_dtype(graph, op))]

    def eval_float(self, op, graph, inputs):
        x, w = np.asarray(inputs[0], np.float32), np.asarray(inputs[1], np.float32)
        acc = _conv_sum(op, cc.pad_spatial(x, cc.window_attrs(op)[1]), w)
        y = acc + cc.float_bias(inputs, w.shape[0])
        return [cc.apply_act_float(y, op.attrs.get("act", "none")).astype(np.float32)]

    def eval_int8(self, op, graph, inputs):
        stage = cc.output_stage(graph, op, graph.tensor(op.inputs[1]).shape[0])
        # x + input_offset is 0 at padded positions, exactly like TFLite skipping them.
        xs = np.asarray(inputs[0], np.float64) + stage["input_offset"]
        acc = _conv_sum(op, cc.pad_spatial(xs, cc.window_attrs(op)[1]), np.asarray(inputs[1], np.float64))
        return [cc.requantize(acc, stage["bias"], stage["multiplier"], stage["shift"],
                              stage["output_offset"], stage["act_range"])]

    def macs(self, op, graph):
        _, oh, ow, oc = graph.tensor(op.outputs[0]).shape
        _, kh, kw, ic = graph.tensor(op.inputs[1]).shape
        return oh * ow * oc * kh * kw * ic

    def quantize(self, op, graph, ranges):
        cc.quantize_weighted_op(op, graph, ranges, weight_axis=0, channels=graph.tensor(op.inputs[1]).shape[0])

    def lower(self, op, graph, target):
        helium = mve_lowering.lower_conv2d_mve(op, graph, target)  # None unless the target has MVE and the shape fits
        if helium is not None:
            return helium
        x = graph.tensor(op.inputs[0]).shape
        w = graph.tensor(op.inputs[1])
        o, kh, kw, i = w.shape
        out = graph.tensor(op.outputs[0]).shape
        if x[0] != 1:
            raise UnsupportedError(f"op {op.name!r}: batch {x[0]} (only batch 1 is supported)")
        stride, pad, dilation = cc.window_attrs(op)
        stage = cc.output_stage(graph, op, o)
        weights = np.asarray(w.data, np.int8)
        common = {"in_h": x[1], "in_w": x[2], "in_c": i, "out_h": out[1], "out_w": out[2], "out_c": o}
        tail = {
            "output_offset": stage["output_offset"],
            "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
            "weights": ConstArray("weights", "int8_t", weights),
            "multiplier": ConstArray("multiplier", "int32_t", stage["multiplier"]),
            "shift": ConstArray("shift", "int32_t", stage["shift"]),
        }
        folded = cc.fold_input_offset(stage["bias"], weights.reshape(o, -1), stage["input_offset"])
        if cc.wants_dsp(target) and folded is not None:
            return _dsp_call(op, common, stride, pad, dilation, weights, folded, stage)
        if kh == kw == 1 and not any(pad) and folded is not None:
            params = {**common, "stride_h": stride[0], "stride_w": stride[1],
                      "bias_folded": ConstArray("bias", "int32_t", folded), **tail}
            return cc.portable_kernel_call("mnc_conv1x1_s8", params, op)
        params = {**common, "kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
                  "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1],
                  **cc.portable_stage_params(stage, weights)}
        return cc.portable_kernel_call("mnc_conv2d_s8", params, op)


def _dsp_call(op, common: dict, stride, pad, dilation, weights: np.ndarray, folded: np.ndarray,
              stage: dict) -> KernelCall:
    """DSP-extension kernels: pointwise GEMM for pad-free 1x1, im2col + GEMM otherwise."""
    o, kh, kw, i = weights.shape
    gemm = cc.dsp_gemm_params(folded, weights.reshape(o, -1), stage)
    groups = gemm["groups"]
    if kh == kw == 1 and not any(pad):
        params = {**common, "stride_h": stride[0], "stride_w": stride[1], **gemm}
        return cc.dsp_kernel_call("mnc_conv1x1_dsp_s8", params, op, _round4(16 * groups + o))
    params = {**common, "kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
              "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1],
              "groups": groups, "pad_value": -stage["input_offset"], **gemm}
    return cc.dsp_kernel_call("mnc_conv2d_dsp_s8", params, op, _round4(20 * groups + o))


def _round4(n: int) -> int:
    return (n + 3) // 4 * 4


def _conv_sum(op, xp: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Sum over kernel taps of [N*OH*OW, I] @ [I, O]; xp is already padded."""
    o, kh, kw, i = w.shape
    stride, pad, dilation = cc.window_attrs(op)
    n, hp, wp, _ = xp.shape
    oh = cc.out_size(hp, kh, stride[0], dilation[0], 0, 0)
    ow = cc.out_size(wp, kw, stride[1], dilation[1], 0, 0)
    acc = np.zeros((n * oh * ow, o), dtype=np.result_type(xp, w))
    for a, b, view in cc.taps(xp, kh, kw, stride, dilation, oh, ow):
        acc += view.reshape(-1, i) @ w[:, a, b, :].T
    return acc.reshape(n, oh, ow, o)


register(Conv2D())
