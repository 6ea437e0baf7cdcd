"""Built-in MobileNet V1/V2/V3/V4 float graphs with seeded (or loaded) weights.

    build_variant("v1-0.25")                  # 96x96 input, 2 classes, seeded weights
    build_variant("v3l-1.0-224", classes=1000)
    build_variant("v2-0.35", weights=Path("my.npz"))

Seeded conv weights, gamma and beta do not depend on the resolution; batch-norm statistics and
the scale of the convs without batch norm are calibrated on probe images at the model's own
resolution (border effects of 5x5 depthwise convs on 3x3 maps differ a lot from 7x7 maps, so
statistics taken at one resolution make activations grow at another), as a trained network's
running statistics are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnc.frontends.builtin import mobilenet_v1, mobilenet_v2, mobilenet_v3, mobilenet_v4
from mnc.frontends.builtin.builder import GraphBuilder
from mnc.frontends.builtin.variants import VariantError, VariantSpec, list_variants, parse_variant
from mnc.frontends.builtin.weights import (WeightsError, calibrate, load_weights,
                                           probe_images, save_weights)
from mnc.ir import Graph

# Family prefix (see variants.FAMILIES) -> function adding the architecture to a GraphBuilder.
_ARCHITECTURES = {
    "v1": mobilenet_v1.build,
    "v2": mobilenet_v2.build,
    "v3s": mobilenet_v3.build_small,
    "v3l": mobilenet_v3.build_large,
    "v4s": mobilenet_v4.build_small,
    "v4m": mobilenet_v4.build_medium,
}

__all__ = ["VariantError", "VariantSpec", "WeightsError", "build_variant", "list_variants",
           "parse_variant", "save_weights", "load_weights"]


def build_variant(name: str, classes: int | None = None, resolution: int | None = None,
                  weights: Path | None = None, seed: int = 0, *, calibrate_weights: bool = True) -> Graph:
    """The float graph of variant `name`; `weights` (.npz from `save_weights`) replaces the seeded ones.

    `calibrate_weights=False` skips the probe run (about a second at 224x224) and leaves
    placeholder batch-norm statistics: structure, MACs and parameter counts are exact, the
    activations are not sane. Only for summaries (`mnc info`), never for compiling.
    """
    spec = parse_variant(name, classes, resolution)
    builder = _build_architecture(spec, seed)
    graph = builder.graph
    if weights is not None:
        load_weights(graph, Path(weights))
    elif calibrate_weights:
        calibrate(graph, probe_images(spec.resolution, seed), builder.init_targets)
    graph.meta.update({"variant": spec.name, "seed": seed, "weights": _weights_origin(weights, calibrate_weights)})
    return graph


def _build_architecture(spec: VariantSpec, seed: int) -> GraphBuilder:
    builder = GraphBuilder(spec.name, spec.architecture, np.random.default_rng(seed))
    _ARCHITECTURES[spec.family](builder, spec.width, spec.resolution, spec.classes)
    return builder


def _weights_origin(weights: Path | None, calibrated: bool) -> str:
    if weights is not None:
        return str(weights)
    return "seeded" if calibrated else "seeded-uncalibrated"
