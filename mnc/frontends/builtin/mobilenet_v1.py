"""MobileNetV1 (Howard et al. 2017, Table 1): a 3x3 stem and 13 depthwise-separable blocks, ReLU6.

Channels are int(c * width) as in the reference Keras implementation. The head follows the
float VWW model (MLPerf Tiny, a V1-0.25 at 96x96): AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED,
SOFTMAX.
"""

from __future__ import annotations

from mnc.frontends.builtin.builder import GraphBuilder

STEM_CHANNELS = 32
# (pointwise output channels, depthwise stride) of the 13 blocks.
BLOCKS = (
    (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
    (1024, 2), (1024, 1),
)
ACT = "relu6"
LOGIT_STD = 1.0


def build(b: GraphBuilder, width: float, resolution: int, classes: int) -> None:
    x = b.input("input", (1, resolution, resolution, 3))
    x = b.conv_bn_act(x, "conv1", int(STEM_CHANNELS * width), kernel=3, stride=2, act=ACT)
    for i, (channels, stride) in enumerate(BLOCKS, start=1):
        x = b.dw_bn_act(x, f"block{i}_dw", kernel=3, stride=stride, act=ACT)
        x = b.conv_bn_act(x, f"block{i}_pw", int(channels * width), act=ACT)
    x = b.global_avg_pool(x, "avg_pool")
    x = b.reshape(x, "flatten", (1, b.shape(x)[-1]))
    x = b.fully_connected(x, "classifier", classes)
    b.target("classifier", 0.0, LOGIT_STD)
    b.output(b.softmax(x, "softmax"))
