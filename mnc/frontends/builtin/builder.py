"""A small helper that appends MobileNet building blocks to a float Graph.

Shapes are computed here from the block arithmetic (TFLite SAME padding); `verify_graph(graph)`
then cross-checks them against the op modules' own shape inference. Batch norms get seeded
gamma/beta and placeholder statistics; the real statistics are set afterwards from probe
activations (`weights.calibrate`). Ops whose output has no batch norm behind it (SE convs,
head convs, classifier) record a target (mean, std) for their output in `init_targets`,
which `weights.calibrate` enforces.

Seeded weights imitate what makes trained MobileNets smooth functions of their input, because
plain random ones are not: with every channel batch-normalized and isotropic random weights,
each nonlinear layer amplifies a small perturbation relative to the signal by
chi = E[act'(h)^2] Var(h) / Var(act(h)) >= 1 (Gaussian Poincare inequality; 1.47 for a centred
ReLU), so 30 layers turn int8 rounding noise into different logits. Hence:
  * depthwise kernels are a smoothing (binomial) kernel of unit DC gain plus per-channel noise,
    like trained depthwise filters, which are mostly blurs with some edge response: image-like
    (spatially smooth) signal passes, white rounding noise is attenuated;
  * batch norms followed by an activation get a positive mean beta, so most units work in the
    linear part of the activation (chi about 1.1 for ReLU, 1.07 for hard-swish);
  * pointwise convs and the classifier stay He-normal (their scale is set by calibration).
"""

from __future__ import annotations

import math

import numpy as np

from mnc.ir import Graph, Tensor

BN_EPS = 1e-3
GAMMA_RANGE = (0.7, 1.3)     # uniform; channels of comparable scale share one per-tensor int8 range
BETA_STD = 0.25
PRE_ACT_BETA_MEAN = 1.0      # in units of the normalized pre-activation (std = gamma)
DW_NOISE = 0.5               # per-tap std of a depthwise kernel's noise, relative to its centre tap


def make_divisible(value: float, divisor: int = 8) -> int:
    """Channel rounding of the reference implementations: nearest multiple, never below 90%."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def same_pad(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(out, before, after) of TFLite SAME padding along one axis."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


class GraphBuilder:
    def __init__(self, graph_name: str, arch: str, rng: np.random.Generator) -> None:
        self.graph = Graph(graph_name)
        self.arch = arch
        self.rng = rng
        self.init_targets: dict[str, tuple[float, float]] = {}

    # ---- plumbing ------------------------------------------------------------------------
    def shape(self, x: str) -> tuple[int, ...]:
        return self.graph.tensor(x).shape

    def input(self, name: str, shape: tuple[int, ...]) -> str:
        self.graph.add_tensor(Tensor(name, shape))
        self.graph.inputs.append(name)
        return name

    def output(self, x: str) -> None:
        self.graph.outputs.append(x)

    def const(self, name: str, data: np.ndarray) -> str:
        data = np.asarray(data, dtype=np.float32)
        self.graph.add_tensor(Tensor(name, data.shape, data=data))
        return name

    def emit(self, kind: str, name: str, inputs: list[str], out_shape: tuple[int, ...],
             attrs: dict | None = None) -> str:
        out = self.graph.add_tensor(Tensor(f"{name}:0", out_shape)).name
        self.graph.add_op(kind, inputs, [out], attrs, name=name, meta={"source": f"{self.arch} {name}"})
        return out

    # ---- convolutions --------------------------------------------------------------------
    def conv(self, x: str, name: str, out_ch: int, kernel: int = 1, stride: int = 1,
             bias: bool = False) -> str:
        _, h, w, in_ch = self.shape(x)
        weights = self._he_normal((out_ch, kernel, kernel, in_ch), fan_in=kernel * kernel * in_ch)
        inputs = [x, self.const(f"{name}/weights", weights)]
        if bias:
            inputs.append(self.const(f"{name}/bias", np.zeros(out_ch)))
        oh, pt, pb = same_pad(h, kernel, stride)
        ow, pl, pr = same_pad(w, kernel, stride)
        attrs = {"stride": (stride, stride), "pad": (pt, pb, pl, pr), "dilation": (1, 1), "act": "none"}
        return self.emit("conv2d", name, inputs, (1, oh, ow, out_ch), attrs)

    def depthwise(self, x: str, name: str, kernel: int = 3, stride: int = 1) -> str:
        _, h, w, ch = self.shape(x)
        weights = self._smoothing_kernels(kernel, ch)
        oh, pt, pb = same_pad(h, kernel, stride)
        ow, pl, pr = same_pad(w, kernel, stride)
        attrs = {"stride": (stride, stride), "pad": (pt, pb, pl, pr), "dilation": (1, 1),
                 "depth_multiplier": 1, "act": "none"}
        return self.emit("depthwise_conv2d", name, [x, self.const(f"{name}/weights", weights)],
                         (1, oh, ow, ch), attrs)

    def fully_connected(self, x: str, name: str, out_features: int) -> str:
        n = int(np.prod(self.shape(x)))
        weights = self._he_normal((out_features, n), fan_in=n)
        inputs = [x, self.const(f"{name}/weights", weights), self.const(f"{name}/bias", np.zeros(out_features))]
        return self.emit("fully_connected", name, inputs, (1, out_features), {"act": "none"})

    def batch_norm(self, x: str, name: str, scale: float = 1.0, beta_mean: float = 0.0) -> str:
        """Seeded gamma/beta, both times `scale` (a residual branch's weight); seeded mean/var are
        placeholders until `weights.calibrate` sets them."""
        ch = self.shape(x)[-1]
        gamma = self.rng.uniform(*GAMMA_RANGE, ch) * scale
        beta = self.rng.normal(beta_mean, BETA_STD, ch) * scale
        mean, var = self.rng.normal(0.0, 0.5, ch), self.rng.uniform(0.5, 2.0, ch)
        params = {"gamma": gamma, "beta": beta, "mean": mean, "var": var}
        inputs = [x] + [self.const(f"{name}/{key}", value) for key, value in params.items()]
        return self.emit("batch_norm", name, inputs, self.shape(x), {"eps": BN_EPS})

    def conv_bn_act(self, x: str, name: str, out_ch: int, kernel: int = 1, stride: int = 1,
                    act: str = "none", scale: float = 1.0) -> str:
        """`act` "none" is a linear bottleneck: zero-mean beta, `scale` < 1 on residual branches."""
        y = self.conv(x, name, out_ch, kernel, stride)
        y = self.batch_norm(y, f"{name}_bn", scale, _beta_mean(act))
        return self.activation(y, f"{name}_{act}", act)

    def dw_bn_act(self, x: str, name: str, kernel: int, stride: int, act: str) -> str:
        y = self.batch_norm(self.depthwise(x, name, kernel, stride), f"{name}_bn", beta_mean=_beta_mean(act))
        return self.activation(y, f"{name}_{act}", act)

    # ---- everything else -----------------------------------------------------------------
    def activation(self, x: str, name: str, kind: str) -> str:
        """`kind` "none" adds nothing (linear bottlenecks)."""
        return x if kind == "none" else self.emit(kind, name, [x], self.shape(x))

    def add(self, a: str, b: str, name: str) -> str:
        return self.emit("add", name, [a, b], self.shape(a), {"act": "none"})

    def mul(self, a: str, b: str, name: str) -> str:
        shape = tuple(np.broadcast_shapes(self.shape(a), self.shape(b)))
        return self.emit("mul", name, [a, b], shape, {"act": "none"})

    def mean_hw(self, x: str, name: str, keepdims: bool = True) -> str:
        n, _, _, ch = self.shape(x)
        shape = (n, 1, 1, ch) if keepdims else (n, ch)
        return self.emit("mean", name, [x], shape, {"axes": (1, 2), "keepdims": keepdims})

    def global_avg_pool(self, x: str, name: str) -> str:
        n, h, w, ch = self.shape(x)
        attrs = {"kernel": (h, w), "stride": (1, 1), "pad": (0, 0, 0, 0), "act": "none"}
        return self.emit("avg_pool2d", name, [x], (n, 1, 1, ch), attrs)

    def reshape(self, x: str, name: str, shape: tuple[int, ...]) -> str:
        return self.emit("reshape", name, [x], shape, {"shape": tuple(shape)})

    def softmax(self, x: str, name: str) -> str:
        return self.emit("softmax", name, [x], self.shape(x), {"beta": 1.0})

    def pooled_conv_head(self, x: str, features: str, channels: int, target: tuple[float, float], act: str,
                         classes: int, logit_std: float) -> str:
        """The MobileNetV3/V4 head after the last conv: global pool, a 1x1 `features` conv with bias
        (no batch norm; calibration gives its output the `target` statistics) and `act`, the 1x1
        classifier conv, logits reshaped to [1, classes], softmax as the graph output."""
        x = self.mean_hw(x, "global_pool", keepdims=True)
        x = self.conv(x, features, channels, bias=True)
        self.target(features, *target)
        x = self.activation(x, f"{features}_{act}", act)
        x = self.conv(x, "classifier", classes, bias=True)
        self.target("classifier", 0.0, logit_std)
        x = self.reshape(x, "logits", (1, classes))
        self.output(self.softmax(x, "softmax"))
        return x

    def target(self, op_name: str, mean: float, std: float) -> None:
        """Ask calibration to give this op's output (no batch norm behind it) these statistics."""
        self.init_targets[op_name] = (mean, std)

    def _he_normal(self, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
        return self.rng.normal(0.0, math.sqrt(2.0 / fan_in), shape)

    def _smoothing_kernels(self, kernel: int, channels: int) -> np.ndarray:
        """[1, k, k, C]: the binomial kernel (sums to 1) plus seeded noise, per channel."""
        row = np.array([math.comb(kernel - 1, i) for i in range(kernel)], np.float64)
        blur = np.outer(row, row) / row.sum() ** 2
        noise = self.rng.normal(0.0, DW_NOISE * blur.max(), (1, kernel, kernel, channels))
        return blur[None, :, :, None] + noise


def _beta_mean(act: str) -> float:
    return 0.0 if act == "none" else PRE_ACT_BETA_MEAN
