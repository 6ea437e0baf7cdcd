"""Helpers shared by conv2d, depthwise_conv2d and fully_connected.

Integer accumulation: products (x - zp) * w are at most 255 * 127 in magnitude, so a dot product of
K terms is exact in float64 for any K < 2**53 / 32385; we run the big sums through float64 BLAS and
convert back exactly. The result is then wrapped to int32 like TFLite's int32 accumulator (which
only overflows for K > 66,000 terms, far beyond any MobileNet layer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np

from mnc import quant
from mnc.kernels.call import ConstArray, KernelCall
from mnc.errors import ModelError, UnsupportedError
from mnc.ir import QuantParams, Tensor
from mnc.quant import quantize_activation, quantize_bias, quantize_weights_per_channel

if TYPE_CHECKING:
    from mnc.ir import Graph, Op

Shape = tuple[int, ...]


# ---- geometry -------------------------------------------------------------------------------

def window_attrs(op: Op) -> tuple[tuple[int, int], tuple[int, int, int, int], tuple[int, int]]:
    """(stride, pad (top, bottom, left, right), dilation) with IR defaults."""
    stride = tuple(int(s) for s in op.attrs.get("stride", (1, 1)))
    pad = tuple(int(p) for p in op.attrs.get("pad", (0, 0, 0, 0)))
    dilation = tuple(int(d) for d in op.attrs.get("dilation", (1, 1)))
    if len(stride) != 2 or len(pad) != 4 or len(dilation) != 2:
        raise ModelError(f"op {op.name!r}: stride/dilation need 2 values and pad 4")
    if min(stride) < 1 or min(dilation) < 1 or min(pad) < 0:
        raise ModelError(f"op {op.name!r}: stride and dilation must be >= 1, pads >= 0")
    return stride, pad, dilation


def out_size(size: int, kernel: int, stride: int, dilation: int, pad_lo: int, pad_hi: int) -> int:
    """Output length along one spatial axis for explicit pads."""
    effective = (kernel - 1) * dilation + 1
    n = (size + pad_lo + pad_hi - effective) // stride + 1
    if n < 1:
        raise ModelError(f"window of {effective} does not fit input of {size} with pads {pad_lo}+{pad_hi}")
    return n


def out_hw(op: Op, in_shape: Shape, kh: int, kw: int) -> tuple[int, int]:
    stride, pad, dilation = window_attrs(op)
    oh = out_size(in_shape[1], kh, stride[0], dilation[0], pad[0], pad[1])
    ow = out_size(in_shape[2], kw, stride[1], dilation[1], pad[2], pad[3])
    return oh, ow


def taps(xp: np.ndarray, kh: int, kw: int, stride, dilation, oh: int, ow: int
         ) -> Iterator[tuple[int, int, np.ndarray]]:
    """For each kernel tap (i, j): the [N, OH, OW, C] view of the padded input `xp` it multiplies."""
    sh, sw = stride
    dh, dw = dilation
    for i in range(kh):
        for j in range(kw):
            y0, x0 = i * dh, j * dw
            yield i, j, xp[:, y0:y0 + (oh - 1) * sh + 1:sh, x0:x0 + (ow - 1) * sw + 1:sw, :]


def pad_spatial(x: np.ndarray, pad, value=0) -> np.ndarray:
    top, bottom, left, right = pad
    if not any(pad):
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


# ---- quantization -----------------------------------------------------------------------------

def qparams(graph: Graph, name: str) -> QuantParams:
    q = graph.tensor(name).quant
    if q is None:
        raise ModelError(f"tensor {name!r} has no quantization parameters")
    return q


def per_tensor(graph: Graph, name: str) -> tuple[float, int]:
    q = qparams(graph, name)
    if q.scale.size != 1:
        raise UnsupportedError(f"tensor {name!r}: per-channel activation quantization is not supported")
    return q.single()


def check_symmetric_weights(graph: Graph, name: str) -> np.ndarray:
    """Weight scales; TFLite int8 requires weight zero points of 0."""
    q = qparams(graph, name)
    if np.any(q.zero_point != 0):
        raise UnsupportedError(f"weights {name!r}: non-zero weight zero point is not supported")
    return q.scale


def conv_multipliers(in_scale: float, w_scales: np.ndarray, out_scale: float, channels: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (multiplier, shift) exactly as TFLite derives them for conv/depthwise, and for
    fully_connected with per-channel weights (PopulateConvolutionQuantizationParams):
    double(input_scale) * double(filter_scale[c]) / double(output_scale), a per-tensor filter scale
    broadcast over channels."""
    scales = np.broadcast_to(np.asarray(w_scales, np.float32), (channels,))
    reals = [float(np.float32(in_scale)) * float(s) / float(np.float32(out_scale)) for s in scales]
    return _quantize_all(reals)


def fc_per_tensor_multiplier(in_scale: float, w_scale: float, out_scale: float, channels: int
                             ) -> tuple[np.ndarray, np.ndarray]:
    """fully_connected with one weight scale (GetQuantizedConvolutionMultipler): the
    input*filter product is taken in float32, then divided in double; broadcast over channels."""
    product = float(np.float32(in_scale) * np.float32(w_scale))
    real = product / float(np.float32(out_scale))
    return _quantize_all([real] * channels)


def _quantize_all(reals: list[float]) -> tuple[np.ndarray, np.ndarray]:
    pairs = [quant.quantize_multiplier(r) for r in reals]
    return (np.array([p[0] for p in pairs], np.int32), np.array([p[1] for p in pairs], np.int32))


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """Two's-complement int32 wrap-around, held in int64."""
    return (np.asarray(x, np.int64) + 2**31) % 2**32 - 2**31


def accumulate_to_int32(acc: np.ndarray) -> np.ndarray:
    """Exact float64/int64 sums -> int64 holding the int32 value TFLite's accumulator would hold."""
    return wrap_int32(np.rint(acc).astype(np.int64) if acc.dtype.kind == "f" else acc)


def requantize(acc: np.ndarray, bias: np.ndarray | None, mult: np.ndarray, shift: np.ndarray,
               out_zp: int, act_range: tuple[int, int]) -> np.ndarray:
    """TFLite's per-channel output stage over the last axis: + bias, scale, + zero point, clamp."""
    acc = accumulate_to_int32(acc)
    if bias is not None:
        acc = wrap_int32(acc + bias.astype(np.int64))
    scaled = quant.multiply_by_quantized_multiplier(acc, mult.astype(np.int64), shift.astype(np.int64))
    lo, hi = act_range
    return np.clip(scaled + out_zp, lo, hi).astype(np.int8)


def output_stage(graph: Graph, op: Op, channels: int, per_channel_rule: bool = True
                 ) -> dict:
    """Everything the int8 output stage needs, computed once for eval_int8 and lower alike."""
    x, w, out = op.inputs[0], op.inputs[1], op.outputs[0]
    in_scale, in_zp = per_tensor(graph, x)
    out_scale, out_zp = per_tensor(graph, out)
    w_scales = check_symmetric_weights(graph, w)
    if per_channel_rule or w_scales.size > 1:
        mult, shift = conv_multipliers(in_scale, w_scales, out_scale, channels)
    else:
        mult, shift = fc_per_tensor_multiplier(in_scale, float(w_scales[0]), out_scale, channels)
    act = op.attrs.get("act", "none")
    return {
        "input_offset": -in_zp,
        "output_offset": out_zp,
        "multiplier": mult,
        "shift": shift,
        "act_range": quant.activation_range(act, out_scale, out_zp),
        "bias": bias_int32(graph, op, channels),
    }


def bias_int32(graph: Graph, op: Op, channels: int) -> np.ndarray:
    """The op's int32 bias, or zeros when it has none."""
    name = op.inputs[2] if len(op.inputs) > 2 else ""
    if not name:
        return np.zeros(channels, np.int32)
    t = graph.tensor(name)
    if t.dtype != "int32":
        raise ModelError(f"bias {name!r} of quantized op {op.name!r} must be int32, got {t.dtype}")
    return np.asarray(t.data, np.int32).reshape(channels)


# ---- quantize pass support ----------------------------------------------------------------------

def quantize_weighted_op(op: Op, graph: Graph, ranges: dict, weight_axis: int, channels: int) -> None:
    """Per-channel symmetric weights, int32 bias (created as zeros if absent), activation output."""
    w = graph.tensor(op.inputs[1])
    if w.dtype != "int8":
        quantize_weights_per_channel(graph, w.name, weight_axis)
    bias = ensure_bias(graph, op, channels)
    if graph.tensor(bias).dtype != "int32":
        in_scale, _ = per_tensor(graph, op.inputs[0])
        quantize_bias(graph, bias, in_scale, w.quant.scale)
    quantize_activation(graph, op.outputs[0], ranges[op.outputs[0]])


def ensure_bias(graph: Graph, op: Op, channels: int) -> str:
    """Name of the op's bias; adds a float zero bias first when the op has none."""
    if len(op.inputs) > 2 and op.inputs[2]:
        return op.inputs[2]
    name = graph.unique_name(f"{op.name}_bias")
    graph.add_tensor(Tensor(name, (channels,), "float32", np.zeros(channels, np.float32)))
    while len(op.inputs) < 3:
        op.inputs.append("")  # an absent optional input; set_input below links the new one
    graph.set_input(op, 2, name)
    return name


# ---- float helpers ------------------------------------------------------------------------------

def apply_act_float(y: np.ndarray, act: str) -> np.ndarray:
    if act == "relu":
        return np.maximum(y, 0.0)
    if act == "relu6":
        return np.clip(y, 0.0, 6.0)
    if act != "none":
        raise UnsupportedError(f"unsupported fused activation {act!r}")
    return y


def float_bias(inputs: list, channels: int) -> np.ndarray:
    b = inputs[2] if len(inputs) > 2 else None
    return np.zeros(channels, np.float32) if b is None else np.asarray(b, np.float32).reshape(channels)


def input_dtype(graph: Graph, op: Op) -> str:
    return graph.tensor(op.inputs[0]).dtype


def int32_array(values: np.ndarray) -> bool:
    """True when every value fits int32."""
    v = np.asarray(values, np.int64)
    return bool(v.size == 0 or (v.min() >= quant.INT32_MIN and v.max() <= quant.INT32_MAX))


# ---- DSP-extension kernels (chosen at compile time by target.has("dsp")) ---------------------------
# Layouts and the fast requantization are described in templates/kernels/mnc_gemm_dsp_s8.h and
# mnc_requant_dsp_s8.h. Weights stay int8 (GEMM: 4 per word, unpacked with SXTB16; depthwise: the
# IR layout itself). Per channel: {bias, multiplier} int32 and an int8 (right shift - 1).

DSP_FAST_ACC_LIMIT = 2**29   # |acc| below this: SMMULR(2 * acc) and the cheap rounding cannot overflow
_HALF = 1 << 30              # multiplier 0.5: see constant_channels


def dsp_gemm_weights(w2d: np.ndarray) -> np.ndarray:
    """[O, K] int8 -> int32 words laid out [ceil(O/2)][ceil(K/4)][2 channels] (4 int8 per word, little
    endian), zero padded: the order mnc_dsp_dot_2x2/1x2 stream them in."""
    o, k = w2d.shape
    groups = -(-k // 4)
    padded = np.zeros((o + (o & 1), groups * 4), np.int8)
    padded[:o, :k] = w2d
    blocks = padded.reshape(-1, 2, groups, 4).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(blocks).view("<i4").reshape(-1)


def dsp_fast_requant(acc_bound: np.ndarray, shift: np.ndarray) -> bool:
    """True when the DSP fast requantization equals TFLite's for every reachable accumulator:
    every right shift in [1, 31] and |acc| < 2^29 (see mnc_requant_dsp_s8.h)."""
    shift = np.asarray(shift, np.int64)
    return bool(np.all(shift <= -1) and np.all(shift >= -31)
                and np.max(np.asarray(acc_bound, np.int64), initial=0) < DSP_FAST_ACC_LIMIT)


def constant_channels(bias: np.ndarray, w2d: np.ndarray, stage: dict
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bias, multiplier, shift) with every channel whose weights are all zero (pruned filters: their
    output is a constant) rewritten to {4 * v, 0.5, right shift 1}, v = constant - zero point. Both
    requantization paths map that accumulator to exactly v, and the tiny scales and huge biases of such
    channels no longer rule out the fast path for the whole layer."""
    bias = np.asarray(bias, np.int64).copy()
    mult = np.asarray(stage["multiplier"], np.int64).copy()
    shift = np.asarray(stage["shift"], np.int64).copy()
    dead = ~np.any(w2d != 0, axis=1)
    if np.any(dead):
        lo, hi = stage["act_range"]
        zp = stage["output_offset"]
        out = np.clip(quant.multiply_by_quantized_multiplier(bias[dead], mult[dead], shift[dead]) + zp, lo, hi)
        bias[dead], mult[dead], shift[dead] = 4 * (out - zp), _HALF, -1
    return bias, mult, shift


def dsp_quant_arrays(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray, pad_to: int) -> dict:
    """`quant` ({bias, multiplier} int32 per channel) and `shift` (int8 right shift - 1), padded with
    zero channels to a multiple of `pad_to`."""
    n = len(bias)
    padded = -(-n // pad_to) * pad_to
    records = np.zeros((padded, 2), np.int64)
    records[:n, 0], records[:n, 1] = bias, mult
    shifts = np.zeros(padded, np.int64)
    shifts[:n] = -np.asarray(shift, np.int64) - 1
    return {"quant": ConstArray("quant", "int32_t", records.reshape(-1)),
            "shift": ConstArray("shift", "int8_t", shifts)}


def folded_acc_bound(bias_folded: np.ndarray, w2d: np.ndarray) -> np.ndarray:
    """Largest |acc| per channel of sum x * w + bias_folded over int8 inputs x."""
    return np.abs(bias_folded.astype(np.int64)) + 128 * np.abs(w2d.astype(np.int64)).sum(axis=1)


def dsp_gemm_params(bias_folded: np.ndarray, w2d: np.ndarray, stage: dict) -> dict:
    """The fields every DSP GEMM kernel shares: groups, output stage, weights and quant arrays."""
    bias, mult, shift = constant_channels(bias_folded, w2d, stage)
    fast = dsp_fast_requant(folded_acc_bound(bias, w2d), shift)
    return {
        "groups": -(-w2d.shape[1] // 4),
        "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "fast_requant": int(fast),
        "weights": ConstArray("weights", "int32_t", dsp_gemm_weights(w2d)),
        **dsp_quant_arrays(bias, mult, shift, 2),
    }


def fold_input_offset(bias: np.ndarray, w2d: np.ndarray, input_offset: int) -> np.ndarray | None:
    """bias + input_offset * sum(w[o]) (so kernels can skip the per-MAC offset add), None if it would
    not fit int32. Equal to TFLite's sum of w * (x + offset) + bias."""
    folded = bias.astype(np.int64) + input_offset * w2d.astype(np.int64).sum(axis=1)
    return folded.astype(np.int32) if int32_array(folded) else None


def portable_stage_params(stage: dict, weights: np.ndarray) -> dict:
    """The output-stage fields every portable conv-family kernel's params struct shares."""
    return {
        "input_offset": stage["input_offset"], "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "weights": ConstArray("weights", "int8_t", np.asarray(weights, np.int8)),
        "bias": ConstArray("bias", "int32_t", stage["bias"]),
        "multiplier": ConstArray("multiplier", "int32_t", stage["multiplier"]),
        "shift": ConstArray("shift", "int32_t", stage["shift"]),
    }


def portable_kernel_call(kernel: str, params: dict, op: Op) -> KernelCall:
    """A call of the portable templates/kernels/<kernel>.c with params struct <kernel>_params_t."""
    return KernelCall(kernel=kernel, sources=[f"{kernel}.c", f"{kernel}.h"],
                      params_type=kernel.replace("_s8", "_params_t"), params=params,
                      inputs=[op.inputs[0]], outputs=[op.outputs[0]])


def dsp_kernel_call(kernel: str, params: dict, op: Op, scratch_bytes: int = 0) -> KernelCall:
    """A call of templates/kernels/<kernel>.c, which includes the shared DSP headers."""
    sources = [f"{kernel}.c", f"{kernel}.h", "mnc_requant_dsp_s8.h"]
    if kernel != "mnc_depthwise_conv2d_dsp_s8":
        sources.append("mnc_gemm_dsp_s8.h")
    return KernelCall(kernel=kernel, sources=sources, params_type=kernel.replace("_s8", "_params_t"),
                      params=params, inputs=[op.inputs[0]], outputs=[op.outputs[0]],
                      scratch_bytes=scratch_bytes)


def wants_dsp(target) -> bool:
    """Whether lower() should pick the DSP-extension kernels (no target: the portable ones)."""
    return target is not None and target.has("dsp")
