"""MobileNetV3-Small and -Large (Howard et al. 2019, Tables 1 and 2): hard-swish, squeeze-excite.

Channels follow the Keras reference (whose MACs/params match the paper's width-0.75 rows;
torchvision's rounding gives 9% fewer MACs there): outputs make_divisible(c * width, 8),
expansion make_divisible(in * t) with the table's ratio t = exp / table input channels,
SE squeeze make_divisible(expanded / 4, 8); no expansion conv where t = 1. The last conv has 6x the last block's channels (960/576)
with batch norm; after the pool, the 1280/1024 conv (scaled only for width > 1, as Keras does)
and the classifier have biases and no batch norm.
"""

from __future__ import annotations

from typing import NamedTuple

from mnc.frontends.builtin.builder import GraphBuilder, make_divisible


class Bneck(NamedTuple):
    kernel: int
    expanded: int
    out: int
    se: bool
    act: str
    stride: int


HS, RE = "hard_swish", "relu"
STEM_CHANNELS = 16
LARGE = (
    Bneck(3, 16, 16, False, RE, 1), Bneck(3, 64, 24, False, RE, 2), Bneck(3, 72, 24, False, RE, 1),
    Bneck(5, 72, 40, True, RE, 2), Bneck(5, 120, 40, True, RE, 1), Bneck(5, 120, 40, True, RE, 1),
    Bneck(3, 240, 80, False, HS, 2), Bneck(3, 200, 80, False, HS, 1), Bneck(3, 184, 80, False, HS, 1),
    Bneck(3, 184, 80, False, HS, 1), Bneck(3, 480, 112, True, HS, 1), Bneck(3, 672, 112, True, HS, 1),
    Bneck(5, 672, 160, True, HS, 2), Bneck(5, 960, 160, True, HS, 1), Bneck(5, 960, 160, True, HS, 1),
)
SMALL = (
    Bneck(3, 16, 16, True, RE, 2), Bneck(3, 72, 24, False, RE, 2), Bneck(3, 88, 24, False, RE, 1),
    Bneck(5, 96, 40, True, HS, 2), Bneck(5, 240, 40, True, HS, 1), Bneck(5, 240, 40, True, HS, 1),
    Bneck(5, 120, 48, True, HS, 1), Bneck(5, 144, 48, True, HS, 1), Bneck(5, 288, 96, True, HS, 2),
    Bneck(5, 576, 96, True, HS, 1), Bneck(5, 576, 96, True, HS, 1),
)
LAST_CONV_EXPANSION = 6
RESIDUAL_SCALE = 0.3   # residual branch weight, as in mobilenet_v2
# Output statistics for the convs without batch norm (pre-activation mean, std).
SE_REDUCE_TARGET = (0.5, 0.5)    # relu keeps most channels alive
SE_EXPAND_TARGET = (0.5, 0.5)    # mild gating: hard_sigmoid about 0.58 +- 0.08; strong gates
                                 # multiply activations by activations and amplify outliers
HEAD_TARGET = (0.0, 1.5)
LOGIT_STD = 1.0


def build_large(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    _build(b, LARGE, 1280, width, resolution, classes)


def build_small(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    _build(b, SMALL, 1024, width, resolution, classes)


def _build(b: GraphBuilder, table: tuple[Bneck, ...], head_channels: int, width: float, resolution: int,
           classes: int) -> None:
    x = b.input("input", (1, resolution, resolution, 3))
    x = b.conv_bn_act(x, "conv1", make_divisible(STEM_CHANNELS * width), kernel=3, stride=2, act=HS)
    table_in = STEM_CHANNELS
    for i, block in enumerate(table, start=1):
        x = _bneck(b, x, f"block{i}", block, block.expanded / table_in, width)
        table_in = block.out
    x = b.conv_bn_act(x, "conv_last", LAST_CONV_EXPANSION * b.shape(x)[-1], act=HS)
    b.pooled_conv_head(x, "head", make_divisible(head_channels * max(1.0, width)), HEAD_TARGET, HS, classes, LOGIT_STD)


def _bneck(b: GraphBuilder, x: str, name: str, block: Bneck, expansion: float, width: float) -> str:
    in_ch = b.shape(x)[-1]
    out_ch = make_divisible(block.out * width)
    residual = block.stride == 1 and in_ch == out_ch
    y = x
    if expansion != 1:
        y = b.conv_bn_act(y, f"{name}_expand", make_divisible(in_ch * expansion), act=block.act)
    y = b.dw_bn_act(y, f"{name}_dw", kernel=block.kernel, stride=block.stride, act=block.act)
    if block.se:
        y = _squeeze_excite(b, y, f"{name}_se")
    y = b.conv_bn_act(y, f"{name}_project", out_ch, scale=RESIDUAL_SCALE if residual else 1.0)
    return b.add(x, y, f"{name}_add") if residual else y


def _squeeze_excite(b: GraphBuilder, x: str, name: str) -> str:
    channels = b.shape(x)[-1]
    s = b.mean_hw(x, f"{name}_pool", keepdims=True)
    s = b.conv(s, f"{name}_reduce", make_divisible(channels / 4), bias=True)
    b.target(f"{name}_reduce", *SE_REDUCE_TARGET)
    s = b.activation(s, f"{name}_relu", RE)
    s = b.conv(s, f"{name}_expand", channels, bias=True)
    b.target(f"{name}_expand", *SE_EXPAND_TARGET)
    s = b.activation(s, f"{name}_hard_sigmoid", "hard_sigmoid")
    return b.mul(x, s, f"{name}_scale")
