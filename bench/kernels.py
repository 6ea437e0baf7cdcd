"""Micro-benchmark: retired instructions (QEMU -icount) of the portable and the DSP kernel for
MobileNetV1-0.25 96x96 layer shapes, side by side, on one emulated DSP core.

    PYTHONPATH=. .venv/bin/python bench/kernels.py [--target cortex-m7]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from mnc.kernels.select import lower_call
from mnc.ops import get_op
from mnc.targets import load_target
from tests.ops.dsp_harness import run_kernel_cortexm
from tests.ops.test_conv_family import ACT_NONE, _quantized_case

# name: kind, input shape, weight shape, attrs
LAYERS = {
    "conv3x3 s2 3->8 @96": ("conv2d", (1, 96, 96, 3), (8, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1)}),
    "dw3x3 s1 8 @48": ("depthwise_conv2d", (1, 48, 48, 8), (1, 3, 3, 8), {"pad": (1, 1, 1, 1)}),
    "dw3x3 s2 64 @24": ("depthwise_conv2d", (1, 24, 24, 64), (1, 3, 3, 64), {"stride": (2, 2), "pad": (0, 1, 0, 1)}),
    "pw 8->16 @48": ("conv2d", (1, 48, 48, 8), (16, 1, 1, 8), {}),
    "pw 32->64 @12": ("conv2d", (1, 12, 12, 32), (64, 1, 1, 32), {}),
    "pw 128->128 @6": ("conv2d", (1, 6, 6, 128), (128, 1, 1, 128), {}),
    "fc 256->2": ("fully_connected", (1, 1, 1, 256), (2, 256), {}),
}
# No fused clamp, so the activation range is all of int8, as for ReLU6 layers of a model calibrated
# on [0, 6] (the VWW model): the kernels' common case.
ACT = ACT_NONE
PORTABLE_LOWERING = "cortex-m3"   # same ISA family, no "dsp": the portable kernels are chosen


def bench(target: str) -> None:
    print(f"{'layer':24s} {'MACs':>9s} {'portable':>11s} {'MAC/ins':>8s} {'dsp':>11s} {'MAC/ins':>8s} {'speed-up':>8s}")
    for name, (kind, x_shape, w_shape, attrs) in LAYERS.items():
        g, x = _quantized_case(kind, np.random.default_rng(0), x_shape, w_shape, {**attrs, "act": ACT}, -128, -128)
        op = g.op("op")
        opdef = get_op(op.kind)
        macs = opdef.macs(op, g)
        counts = []
        for lowering in (PORTABLE_LOWERING, target):
            call = lower_call(op, g, load_target(lowering))
            with tempfile.TemporaryDirectory(prefix="mnc-bench-") as tmp:
                out_shape = g.tensor(op.outputs[0]).shape
                counts.append(run_kernel_cortexm(call, x, out_shape, target, Path(tmp)).instructions)
        p, d = counts
        print(f"{name:24s} {macs:9d} {p:11d} {macs / p:8.3f} {d:11d} {macs / d:8.3f} {p / d:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="cortex-m7")
    bench(parser.parse_args().target)


if __name__ == "__main__":
    main()
