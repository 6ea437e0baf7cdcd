"""MobileNetV4-Conv-Small and -Medium (Qin et al. 2024, "MobileNetV4: Universal Models for the
Mobile Ecosystem", Tables 9 and 10), built from Universal Inverted Bottleneck (UIB) blocks, ReLU.

A UIB block is an optional depthwise conv before the expansion ("start"), a 1x1 expansion, an
optional depthwise conv after it ("middle"), and a 1x1 linear projection; which depthwise convs are
present names the variant:

    start  middle   variant
      k      k      ExtraDW           both (the stride goes to the middle one)
      -      k      IB                MobileNetV2's inverted bottleneck
      k      -      ConvNext-like     the stride, if any, goes to the start one
      -      -      FFN               two 1x1 convs

The start depthwise conv has batch norm and no activation; expansion and middle depthwise have
batch norm and ReLU; the projection is linear. A block adds its input back when the stride is 1
and the channels match. The layer tables and these rules follow the paper's tables and the
official TensorFlow model definition (tensorflow/models, official/vision/modeling/backbones/
mobilenet.py and layers/nn_blocks.py): expansion channels make_divisible(in * ratio, 8); width
scales every table channel count with make_divisible(c * width, 8) except the final 1280 features,
which are scaled only for width > 1 (the official backbone's finegrain classification mode).

The paper trains width 1.0 only; the other widths apply the official backbone's filter scale and
have no published accuracy. The head's 1x1 conv after the global pool has batch norm in the
official model; here it is a conv with bias (what the batch norm folds into; on a 1x1 map the
probe images could not calibrate a batch norm), as in mobilenet_v3.
"""

from __future__ import annotations

from typing import NamedTuple

from mnc.frontends.builtin.builder import GraphBuilder, make_divisible


class ConvBn(NamedTuple):
    """A full conv + batch norm + ReLU (the stems of Conv-S)."""
    kernel: int
    stride: int
    out: int


class FusedIB(NamedTuple):
    """A kxk conv expanding to `ratio` x the input channels, then a 1x1 linear projection."""
    kernel: int
    stride: int
    out: int
    ratio: float


class UIB(NamedTuple):
    start_dw: int     # kernel of the depthwise conv before the expansion, 0 = none
    middle_dw: int    # kernel of the depthwise conv after the expansion, 0 = none
    stride: int
    out: int
    ratio: float      # expansion channels = make_divisible(in * ratio)


ACT = "relu"
HEAD_CHANNELS = 960        # the 1x1 conv before the global pool
FEATURE_CHANNELS = 1280    # the 1x1 conv after it
# Conv-S, Table 9 (input 224x224: stem to 112, then 56, 28, 14 and 7 pixels).
SMALL = (
    ConvBn(3, 2, 32),
    ConvBn(3, 2, 32), ConvBn(1, 1, 32),
    ConvBn(3, 2, 96), ConvBn(1, 1, 64),
    UIB(5, 5, 2, 96, 3.0),                                                    # ExtraDW
    UIB(0, 3, 1, 96, 2.0), UIB(0, 3, 1, 96, 2.0), UIB(0, 3, 1, 96, 2.0), UIB(0, 3, 1, 96, 2.0),   # IB
    UIB(3, 0, 1, 96, 4.0),                                                    # ConvNext
    UIB(3, 3, 2, 128, 6.0), UIB(5, 5, 1, 128, 4.0),                           # ExtraDW
    UIB(0, 5, 1, 128, 4.0), UIB(0, 5, 1, 128, 3.0), UIB(0, 3, 1, 128, 4.0), UIB(0, 3, 1, 128, 4.0),  # IB
)
# Conv-M, Table 10 (input 256x256 in the paper).
MEDIUM = (
    ConvBn(3, 2, 32),
    FusedIB(3, 2, 48, 4.0),
    UIB(3, 5, 2, 80, 4.0), UIB(3, 3, 1, 80, 2.0),
    UIB(3, 5, 2, 160, 6.0), UIB(3, 3, 1, 160, 4.0), UIB(3, 3, 1, 160, 4.0), UIB(3, 5, 1, 160, 4.0),
    UIB(3, 3, 1, 160, 4.0), UIB(3, 0, 1, 160, 4.0), UIB(0, 0, 1, 160, 2.0), UIB(3, 0, 1, 160, 4.0),
    UIB(5, 5, 2, 256, 6.0), UIB(5, 5, 1, 256, 4.0), UIB(3, 5, 1, 256, 4.0), UIB(3, 5, 1, 256, 4.0),
    UIB(0, 0, 1, 256, 4.0), UIB(3, 0, 1, 256, 4.0), UIB(3, 5, 1, 256, 2.0), UIB(5, 5, 1, 256, 4.0),
    UIB(0, 0, 1, 256, 4.0), UIB(0, 0, 1, 256, 4.0), UIB(5, 0, 1, 256, 2.0),
)
RESIDUAL_SCALE = 0.3       # residual branch weight, as in mobilenet_v2
# Pre-ReLU statistics of the 1280 features: mostly in ReLU's linear part, as the blocks' batch
# norms put their activations (builder.PRE_ACT_BETA_MEAN).
FEATURE_TARGET = (1.0, 1.0)
LOGIT_STD = 1.0


def build_small(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    _build(b, SMALL, width, resolution, classes)


def build_medium(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    _build(b, MEDIUM, width, resolution, classes)


def _build(b: GraphBuilder, table: tuple, width: float, resolution: int, classes: int) -> None:
    x = b.input("input", (1, resolution, resolution, 3))
    for i, block in enumerate(table):
        name = "conv1" if i == 0 else f"block{i}"
        out_ch = make_divisible(block.out * width)
        x = _BLOCKS[type(block)](b, x, name, block, out_ch)
    x = b.conv_bn_act(x, "conv_last", make_divisible(HEAD_CHANNELS * width), act=ACT)
    b.pooled_conv_head(x, "features", make_divisible(FEATURE_CHANNELS * max(1.0, width)), FEATURE_TARGET, ACT,
                       classes, LOGIT_STD)


def _conv_bn(b: GraphBuilder, x: str, name: str, block: ConvBn, out_ch: int) -> str:
    return b.conv_bn_act(x, name, out_ch, kernel=block.kernel, stride=block.stride, act=ACT)


def _fused_ib(b: GraphBuilder, x: str, name: str, block: FusedIB, out_ch: int) -> str:
    in_ch = b.shape(x)[-1]
    residual = block.stride == 1 and in_ch == out_ch
    y = b.conv_bn_act(x, f"{name}_expand", make_divisible(in_ch * block.ratio), kernel=block.kernel,
                      stride=block.stride, act=ACT)
    y = b.conv_bn_act(y, f"{name}_project", out_ch, scale=RESIDUAL_SCALE if residual else 1.0)
    return b.add(x, y, f"{name}_add") if residual else y


def _uib(b: GraphBuilder, x: str, name: str, block: UIB, out_ch: int) -> str:
    in_ch = b.shape(x)[-1]
    residual = block.stride == 1 and in_ch == out_ch
    y = x
    if block.start_dw:
        # The stride goes to the middle depthwise conv when there is one (ExtraDW).
        start_stride = 1 if block.middle_dw else block.stride
        y = b.dw_bn_act(y, f"{name}_start_dw", kernel=block.start_dw, stride=start_stride, act="none")
    y = b.conv_bn_act(y, f"{name}_expand", make_divisible(in_ch * block.ratio), act=ACT)
    if block.middle_dw:
        y = b.dw_bn_act(y, f"{name}_middle_dw", kernel=block.middle_dw, stride=block.stride, act=ACT)
    y = b.conv_bn_act(y, f"{name}_project", out_ch, scale=RESIDUAL_SCALE if residual else 1.0)
    return b.add(x, y, f"{name}_add") if residual else y


_BLOCKS = {ConvBn: _conv_bn, FusedIB: _fused_ib, UIB: _uib}
