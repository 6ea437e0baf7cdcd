"""TFLite operator -> mnc op converters, one function per operator, looked up in CONVERTERS.

Each converter validates what mnc relies on (ranks, constant weights, quantization granularity,
options mnc does not implement) and raises with the operator's index, name and tensor.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tflite

from mnc.frontends.tflite.context import OpContext
from mnc.ir import QuantParams, Tensor
from mnc.ops import get_op

_ACTIVATIONS = {
    tflite.ActivationFunctionType.NONE: "none",
    tflite.ActivationFunctionType.RELU: "relu",
    tflite.ActivationFunctionType.RELU6: "relu6",
}
_ACT_NAMES = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}


# ---- operand helpers -------------------------------------------------------------------------

def _fused_act(ctx: OpContext, code: int) -> str:
    if code not in _ACTIVATIONS:
        raise ctx.unsupported(f"fused activation {_ACT_NAMES.get(code, code)} is not supported")
    return _ACTIVATIONS[code]


def _activation(ctx: OpContext, t: Tensor, index: int, rank: int | None = None) -> Tensor:
    """An activation operand: int8 per-tensor or float32, of the expected rank."""
    if t.dtype == "int32":
        raise ctx.unsupported("int32 activations are not supported", index)
    if t.quant is not None and t.quant.per_channel:
        raise ctx.unsupported("per-channel quantized activation (per-tensor required)", index)
    if rank is not None and len(t.shape) != rank:
        raise ctx.unsupported(f"rank {len(t.shape)} tensor, expected rank {rank}", index)
    if rank == 4 and t.shape[0] != 1:
        raise ctx.unsupported(f"batch size {t.shape[0]} (mnc compiles batch 1)", index)
    return t


def _input(ctx: OpContext, i: int, rank: int | None = None) -> Tensor:
    return _activation(ctx, ctx.tensor(i), ctx.input_index(i), rank)


def _output(ctx: OpContext, x: Tensor, i: int = 0) -> Tensor:
    """An output with the same element type as the op's input."""
    y = _activation(ctx, ctx.output(i), ctx.outputs[i])
    if y.dtype != x.dtype:
        raise ctx.unsupported(f"{x.dtype} input but {y.dtype} output", ctx.outputs[i])
    return y


def _same_quant(ctx: OpContext, x: Tensor, y: Tensor) -> None:
    """Ops that move int8 bytes without rescaling need identical input and output quantization."""
    if x.quant is None or y.quant is None:
        return
    if x.quant.single() != y.quant.single():
        raise ctx.unsupported(f"output quantization {y.quant.single()} differs from input {x.quant.single()}",
                              ctx.outputs[0])


def _fixed_output(ctx: OpContext, kind: str, y: Tensor) -> None:
    """An op whose int8 output quantization is fixed by the spec (OpDef.output_quant) must have it."""
    rule = get_op(kind).output_quant
    if y.quant is None or rule.rule != "fixed":
        return
    scale, zp = y.quant.single()
    if zp != rule.zero_point or not np.isclose(scale, rule.scale, rtol=0, atol=1e-8):
        raise ctx.unsupported(f"int8 output must have scale 1/{1 / rule.scale:g} and zero point {rule.zero_point}, "
                              f"got {scale}, {zp}", ctx.outputs[0])


def _weights(ctx: OpContext, i: int, rank: int, axis: int, x: Tensor) -> Tensor:
    """Constant weights; int8 ones symmetric, normalized to per-channel along `axis`."""
    index = ctx.input_index(i)
    w = ctx.tensor(i)
    if not w.is_const:
        raise ctx.unsupported("weights must be constant", index)
    if len(w.shape) != rank:
        raise ctx.malformed(f"weights have unexpected shape {w.shape}", index)
    if w.dtype != x.dtype:
        raise ctx.unsupported(f"{w.dtype} weights with {x.dtype} activations (hybrid models are not supported)",
                              index)
    if w.quant is not None:
        w.quant = _per_channel(ctx, w, axis, index)
    return w


def _per_channel(ctx: OpContext, w: Tensor, axis: int, index: int) -> QuantParams:
    q = w.quant
    if np.any(q.zero_point != 0):
        raise ctx.unsupported("int8 weights with a non-zero zero point (TFLite requires symmetric weights)", index)
    if q.per_channel and q.axis != axis:
        raise ctx.unsupported(f"weights quantized along dimension {q.axis}, expected {axis}", index)
    channels = w.shape[axis]
    scale = np.broadcast_to(q.scale, (channels,)).astype(np.float32)
    return QuantParams(scale.copy(), np.zeros(channels, np.int32), axis)


def _bias(ctx: OpContext, i: int, channels: int, x: Tensor, w: Tensor, required: bool = False) -> str:
    """Bias name ("" when absent and optional; a zero bias is synthesized when `required`)."""
    index = ctx.input_index(i)
    if index == -1:
        return _zero_bias(ctx, channels, x, w).name if required else ""
    b = ctx.tensor(i)
    want = "int32" if x.dtype == "int8" else "float32"
    if not b.is_const or b.dtype != want or b.shape != (channels,):
        raise ctx.unsupported(f"bias must be a constant {want} vector of {channels}, got {b.dtype} {b.shape}",
                              index)
    return b.name


def _zero_bias(ctx: OpContext, channels: int, x: Tensor, w: Tensor) -> Tensor:
    dtype = "int32" if x.dtype == "int8" else "float32"
    quant = None
    if x.quant is not None:
        scale = (np.float32(x.quant.single()[0]) * w.quant.scale).astype(np.float32)
        quant = QuantParams(scale, np.zeros(channels, np.int32), 0)
    b = Tensor(ctx.imp.graph.unique_name(f"{w.name}_zero_bias"), (channels,), dtype,
               data=np.zeros(channels, dtype), quant=quant, meta={"source": "synthesized zero bias"})
    return ctx.imp.graph.add_tensor(b)


def _stride(ctx: OpContext, opts) -> tuple[int, int]:
    stride = (int(opts.StrideH()), int(opts.StrideW()))
    if min(stride) < 1:
        raise ctx.malformed(f"stride {stride} must be >= 1")
    return stride


def _no_dilation(ctx: OpContext, opts) -> tuple[int, int]:
    dilation = (int(opts.DilationHFactor()), int(opts.DilationWFactor()))
    if dilation != (1, 1):
        raise ctx.unsupported(f"dilation {dilation} is not supported (only 1)")
    return dilation


def _pads(ctx: OpContext, padding: int, x: Tensor, kernel: tuple[int, int], stride: tuple[int, int],
          y: Tensor) -> tuple[int, int, int, int]:
    """TFLite SAME/VALID -> explicit (top, bottom, left, right), checked against the output shape."""
    pads = []
    for axis in (0, 1):
        size, k, s, out = x.shape[1 + axis], kernel[axis], stride[axis], y.shape[1 + axis]
        if padding == tflite.Padding.SAME:
            want = -(-size // s)
            total = max((want - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        elif padding == tflite.Padding.VALID:
            want = (size - k) // s + 1
            pads += [0, 0]
        else:
            raise ctx.malformed(f"unknown padding type {padding}")
        if want != out or want < 1:
            raise ctx.malformed(f"output {'HW'[axis]} is {out}, padding rule gives {want}", ctx.outputs[0])
    return tuple(pads)


def _axis(ctx: OpContext, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ctx.malformed(f"axis {axis} out of range for rank {rank}")
    return axis % rank


# ---- converters ------------------------------------------------------------------------------

def conv_2d(ctx: OpContext) -> None:
    ctx.expect_arity((2, 3))
    opts = ctx.options(tflite.Conv2DOptions)
    x = _input(ctx, 0, rank=4)
    w = _weights(ctx, 1, 4, 0, x)
    y = _output(ctx, x)
    if w.shape[3] != x.shape[3]:
        raise ctx.unsupported(f"grouped convolution ({x.shape[3]} input channels, filter depth {w.shape[3]})")
    stride = _stride(ctx, opts)
    attrs = dict(stride=stride, pad=_pads(ctx, opts.Padding(), x, w.shape[1:3], stride, y),
                 dilation=_no_dilation(ctx, opts), act=_fused_act(ctx, opts.FusedActivationFunction()))
    ctx.emit("conv2d", [x.name, w.name, _bias(ctx, 2, w.shape[0], x, w)], [y.name], attrs)


def depthwise_conv_2d(ctx: OpContext) -> None:
    ctx.expect_arity((2, 3))
    opts = ctx.options(tflite.DepthwiseConv2DOptions)
    x = _input(ctx, 0, rank=4)
    w = _weights(ctx, 1, 4, 3, x)
    y = _output(ctx, x)
    channels = x.shape[3]
    if w.shape[0] != 1 or w.shape[3] % channels:
        raise ctx.malformed(f"depthwise filter {w.shape} does not fit {channels} input channels",
                            ctx.input_index(1))
    stride = _stride(ctx, opts)
    attrs = dict(stride=stride, pad=_pads(ctx, opts.Padding(), x, w.shape[1:3], stride, y),
                 dilation=_no_dilation(ctx, opts), depth_multiplier=w.shape[3] // channels,
                 act=_fused_act(ctx, opts.FusedActivationFunction()))
    ctx.emit("depthwise_conv2d", [x.name, w.name, _bias(ctx, 2, w.shape[3], x, w)], [y.name], attrs)


def _pool(kind: str) -> Callable[[OpContext], None]:
    def convert(ctx: OpContext) -> None:
        ctx.expect_arity(1)
        opts = ctx.options(tflite.Pool2DOptions)
        x = _input(ctx, 0, rank=4)
        y = _output(ctx, x)
        _same_quant(ctx, x, y)
        kernel = (int(opts.FilterHeight()), int(opts.FilterWidth()))
        if min(kernel) < 1:
            raise ctx.malformed(f"pool kernel {kernel} must be >= 1")
        stride = _stride(ctx, opts)
        attrs = dict(kernel=kernel, stride=stride, pad=_pads(ctx, opts.Padding(), x, kernel, stride, y),
                     act=_fused_act(ctx, opts.FusedActivationFunction()))
        ctx.emit(kind, [x.name], [y.name], attrs)

    return convert


def mean(ctx: OpContext) -> None:
    ctx.expect_arity(2)
    opts = ctx.options(tflite.ReducerOptions)
    x = _input(ctx, 0, rank=4)
    y = _output(ctx, x)
    axes = tuple(sorted({_axis(ctx, int(a), 4) for a in ctx.const(1).ravel()}))
    if axes != (1, 2):
        raise ctx.unsupported(f"MEAN over axes {axes}; mnc supports the spatial mean over (1, 2)")
    ctx.emit("mean", [x.name], [y.name], dict(axes=axes, keepdims=bool(opts.KeepDims())))


def fully_connected(ctx: OpContext) -> None:
    ctx.expect_arity((2, 3))
    opts = ctx.options(tflite.FullyConnectedOptions)
    x = _input(ctx, 0)
    w = _weights(ctx, 1, 2, 0, x)
    y = _output(ctx, x)
    if opts.WeightsFormat() != tflite.FullyConnectedOptionsWeightsFormat.DEFAULT:
        raise ctx.unsupported("shuffled FULLY_CONNECTED weights are not supported", ctx.input_index(1))
    units, depth = w.shape
    if x.size != depth or y.size != units:
        raise ctx.unsupported(f"input {x.shape} and output {y.shape} do not fit weights {w.shape} at batch 1")
    bias = _bias(ctx, 2, units, x, w, required=True)
    act = _fused_act(ctx, opts.FusedActivationFunction())
    if y.shape == (1, units):
        ctx.emit("fully_connected", [x.name, w.name, bias], [y.name], dict(act=act))
        return
    flat = ctx.new_tensor(y, (1, units), "fc")
    ctx.emit("fully_connected", [x.name, w.name, bias], [flat.name], dict(act=act))
    ctx.emit("reshape", [flat.name], [y.name], dict(shape=y.shape))


def _binary(kind: str, options_cls) -> Callable[[OpContext], None]:
    def convert(ctx: OpContext) -> None:
        ctx.expect_arity(2)
        opts = ctx.options(options_cls)
        a, b = _input(ctx, 0), _input(ctx, 1)
        y = _output(ctx, a)
        if a.dtype != b.dtype:
            raise ctx.unsupported(f"mixed {a.dtype} and {b.dtype} operands", ctx.input_index(1))
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ctx.malformed(f"operands {a.shape} and {b.shape} do not broadcast") from None
        if tuple(shape) != y.shape:
            raise ctx.malformed(f"output shape {y.shape}, broadcasting gives {tuple(shape)}")
        ctx.emit(kind, [a.name, b.name], [y.name], dict(act=_fused_act(ctx, opts.FusedActivationFunction())))

    return convert


def _unary(kind: str) -> Callable[[OpContext], None]:
    def convert(ctx: OpContext) -> None:
        ctx.expect_arity(1)
        x = _input(ctx, 0)
        y = _output(ctx, x)
        if x.shape != y.shape:
            raise ctx.malformed(f"output shape {y.shape} differs from input {x.shape}")
        _fixed_output(ctx, kind, y)
        ctx.emit(kind, [x.name], [y.name])

    return convert


def softmax(ctx: OpContext) -> None:
    ctx.expect_arity(1)
    x = _input(ctx, 0)
    y = _output(ctx, x)
    _fixed_output(ctx, "softmax", y)
    ctx.emit("softmax", [x.name], [y.name], dict(beta=float(ctx.options(tflite.SoftmaxOptions).Beta())))


def pad(ctx: OpContext) -> None:
    ctx.expect_arity(2)
    x = _input(ctx, 0)
    y = _output(ctx, x)
    _same_quant(ctx, x, y)
    pads = ctx.const(1)
    if pads.shape != (len(x.shape), 2) or np.any(pads < 0):
        raise ctx.malformed(f"paddings {pads.tolist()} do not fit rank {len(x.shape)}", ctx.input_index(1))
    ctx.emit("pad", [x.name], [y.name], dict(pads=tuple((int(a), int(b)) for a, b in pads)))


def reshape(ctx: OpContext) -> None:
    """RESHAPE and SQUEEZE: the output tensor's static shape is the truth (new_shape may hold -1)."""
    ctx.expect_arity((1, 2))
    x = _input(ctx, 0)
    y = _output(ctx, x)
    _same_quant(ctx, x, y)
    if x.size != y.size:
        raise ctx.malformed(f"reshape from {x.shape} ({x.size} elements) to {y.shape}")
    ctx.emit("reshape", [x.name], [y.name], dict(shape=y.shape))


def concatenation(ctx: OpContext) -> None:
    if not ctx.inputs:
        raise ctx.malformed("no inputs")
    ctx.expect_arity(len(ctx.inputs))
    opts = ctx.options(tflite.ConcatenationOptions)
    xs = [_input(ctx, i) for i in range(len(ctx.inputs))]
    y = _output(ctx, xs[0])
    if _fused_act(ctx, opts.FusedActivationFunction()) != "none":
        raise ctx.unsupported("CONCATENATION with a fused activation is not supported")
    for x in xs:
        _same_quant(ctx, x, y)  # TFLite's int8 kernel copies bytes and rejects mixed quantization
    ctx.emit("concat", [x.name for x in xs], [y.name], dict(axis=_axis(ctx, int(opts.Axis()), len(y.shape))))


def quantize(ctx: OpContext) -> None:
    """float -> int8 at the model input, or int8 -> int8 requantization."""
    ctx.expect_arity(1)
    x, y = _input(ctx, 0), _activation(ctx, ctx.output(), ctx.outputs[0])
    if y.dtype != "int8":
        raise ctx.unsupported(f"QUANTIZE to {y.dtype} is not supported", ctx.outputs[0])
    ctx.emit("quantize", [x.name], [y.name])


def dequantize(ctx: OpContext) -> None:
    """int8 -> float at the model output."""
    ctx.expect_arity(1)
    x, y = _input(ctx, 0), _activation(ctx, ctx.output(), ctx.outputs[0])
    if x.dtype != "int8" or y.dtype != "float32":
        raise ctx.unsupported(f"DEQUANTIZE from {x.dtype} to {y.dtype} is not supported", ctx.input_index(0))
    ctx.emit("dequantize", [x.name], [y.name])


CONVERTERS: dict[str, Callable[[OpContext], None]] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "AVERAGE_POOL_2D": _pool("avg_pool2d"),
    "MAX_POOL_2D": _pool("max_pool2d"),
    "MEAN": mean,
    "FULLY_CONNECTED": fully_connected,
    "ADD": _binary("add", tflite.AddOptions),
    "MUL": _binary("mul", tflite.MulOptions),
    "HARD_SWISH": _unary("hard_swish"),
    "LOGISTIC": _unary("logistic"),
    "RELU": _unary("relu"),
    "RELU6": _unary("relu6"),
    "SOFTMAX": softmax,
    "PAD": pad,
    "RESHAPE": reshape,
    "SQUEEZE": reshape,
    "CONCATENATION": concatenation,
    "QUANTIZE": quantize,
    "DEQUANTIZE": dequantize,
}
