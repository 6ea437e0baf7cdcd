"""Published ImageNet top-1 accuracy of the built-in variants, each figure with its source.

Only figures the authors published for that exact width and input resolution are listed; every
other candidate gets `None` ("no published figure"), never an interpolation. The figures are for
the float models as trained by the authors with 1,000 (1,001) classes; mnc's int8 C of the same
architecture with real trained weights would be within about a point of them, and a model
trained on another task has its own accuracy.
"""

from __future__ import annotations

from typing import NamedTuple

SOURCES = {
    "slim-v1": "TF-Slim MobileNet V1 checkpoints table, tensorflow/models research/slim/nets/mobilenet_v1.md "
               "(2018_08_02 float checkpoints)",
    "slim-v2": "TF-Slim MobileNet V2 checkpoints table, tensorflow/models research/slim/nets/mobilenet/README.md",
    "slim-v3": "TF-Slim MobileNet V3 checkpoints table, tensorflow/models research/slim/nets/mobilenet/README.md "
               "(float, 224x224)",
    "paper-v4": "Qin et al. 2024, MobileNetV4: Universal Models for the Mobile Ecosystem (ECCV 2024, "
                "arXiv:2404.10518), Table 11",
}


class Published(NamedTuple):
    top1: float      # percent
    source: str      # key of SOURCES


def _rows(family: str, source: str, table: dict[float, dict[int, float]]) -> dict:
    return {(family, width, res): Published(top1, source)
            for width, by_res in table.items() for res, top1 in by_res.items()}


PUBLISHED: dict[tuple[str, float, int], Published] = {
    **_rows("v1", "slim-v1", {
        1.0: {224: 70.9, 192: 70.0, 160: 68.0, 128: 65.2},
        0.75: {224: 68.4, 192: 67.2, 160: 65.3, 128: 62.1},
        0.5: {224: 63.3, 192: 61.7, 160: 59.1, 128: 56.3},
        0.25: {224: 49.8, 192: 47.7, 160: 45.5, 128: 41.5},
    }),
    **_rows("v2", "slim-v2", {
        1.4: {224: 75.0},
        1.3: {224: 74.4},
        1.0: {224: 71.8, 192: 70.7, 160: 68.8, 128: 65.3, 96: 60.3},
        0.75: {224: 69.8, 192: 68.7, 160: 66.4, 128: 63.2, 96: 58.8},
        0.5: {224: 65.4, 192: 63.9, 160: 61.0, 128: 57.7, 96: 51.2},
        0.35: {224: 60.3, 192: 58.2, 160: 55.7, 128: 50.8, 96: 45.5},
    }),
    **_rows("v3l", "slim-v3", {1.0: {224: 75.2}, 0.75: {224: 73.3}}),
    **_rows("v3s", "slim-v3", {1.0: {224: 67.5}, 0.75: {224: 65.4}}),
    **_rows("v4s", "paper-v4", {1.0: {224: 73.8}}),
    **_rows("v4m", "paper-v4", {1.0: {256: 79.9}}),
}


def published_top1(family: str, width: float, resolution: int) -> Published | None:
    return PUBLISHED.get((family, width, resolution))
