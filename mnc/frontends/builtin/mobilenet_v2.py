"""MobileNetV2 (Sandler et al. 2018, Table 2): inverted residuals with linear bottlenecks, ReLU6.

Channels follow the reference implementations: make_divisible(c * width, 8), expansion
int(round(in * t)), last conv 1280 scaled only for width > 1. The head follows the Keras
model's TFLite export: MEAN over H, W, FULLY_CONNECTED, SOFTMAX.
"""

from __future__ import annotations

from mnc.frontends.builtin.builder import GraphBuilder, make_divisible

STEM_CHANNELS = 32
LAST_CHANNELS = 1280
# (expansion t, output channels c, repeats n, first stride s), the paper's table.
STAGES = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)
ACT = "relu6"
# Residual branches weigh 0.3 (their BN gamma and beta): blocks start near the identity, like
# "zero-init residual" training but not zero, so the stream neither grows block after block
# nor amplifies rounding noise.
RESIDUAL_SCALE = 0.3
LOGIT_STD = 1.0


def build(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    x = b.input("input", (1, resolution, resolution, 3))
    x = b.conv_bn_act(x, "conv1", make_divisible(STEM_CHANNELS * width), kernel=3, stride=2, act=ACT)
    index = 0
    for expansion, channels, repeats, first_stride in STAGES:
        for r in range(repeats):
            index += 1
            stride = first_stride if r == 0 else 1
            x = _inverted_residual(b, x, f"block{index}", expansion, make_divisible(channels * width), stride)
    last = make_divisible(LAST_CHANNELS * max(1.0, width))
    x = b.conv_bn_act(x, "conv_last", last, act=ACT)
    x = b.mean_hw(x, "global_pool", keepdims=False)
    x = b.fully_connected(x, "classifier", classes)
    b.target("classifier", 0.0, LOGIT_STD)
    b.output(b.softmax(x, "softmax"))


def _inverted_residual(b: GraphBuilder, x: str, name: str, expansion: int, out_ch: int, stride: int) -> str:
    in_ch = b.shape(x)[-1]
    residual = stride == 1 and in_ch == out_ch
    y = x
    if expansion != 1:
        y = b.conv_bn_act(y, f"{name}_expand", int(round(in_ch * expansion)), act=ACT)
    y = b.dw_bn_act(y, f"{name}_dw", kernel=3, stride=stride, act=ACT)
    y = b.conv_bn_act(y, f"{name}_project", out_ch, scale=RESIDUAL_SCALE if residual else 1.0)
    return b.add(x, y, f"{name}_add") if residual else y
