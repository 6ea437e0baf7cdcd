"""The contract every op module fulfils. One module per op kind; see mnc/ops/__init__.py.

Semantics:
  * float: the obvious float32 math (the oracle for passes and importers).
  * int8:  exactly TFLite's *reference* int8 kernels (tensorflow/lite/kernels/internal/reference),
           which TFLite Micro shares; the C kernels in templates/kernels reproduce it bit for bit.

Fused activations live in op.attrs["act"] in {"none", "relu", "relu6"} for both modes; in int8
they become a clamp range via mnc.quant.activation_range on the output's quantization.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnc.errors import UnsupportedError
from mnc.quant import quantize_activation

if TYPE_CHECKING:
    from mnc.ir import Graph, Op

Shape = tuple[int, ...]


class OpDef:
    kind: str = ""
    kernels: tuple[str, ...] = ()   # C kernels (mnc/kernels) in preference order: Helium, DSP, portable
    no_kernel_reason: str = "no C kernel"

    def infer(self, op: Op, graph: Graph) -> list[tuple[Shape, str]]:
        """Output (shape, dtype) pairs from the input tensors and attrs."""
        raise NotImplementedError

    def eval_float(self, op: Op, graph: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Float32 outputs. `inputs` holds arrays for op.inputs (None for absent optionals)."""
        raise NotImplementedError

    def eval_int8(self, op: Op, graph: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Integer outputs, bit-exact with TFLite's reference kernels; quant params from graph tensors."""
        raise UnsupportedError(f"{self.kind}: no int8 implementation")

    def macs(self, op: Op, graph: Graph) -> int:
        return 0

    def quantize(self, op: Op, graph: Graph, ranges: dict[str, tuple[float, float]]) -> None:
        """Give the op's outputs (and its constant inputs) int8/int32 data and quant params in place.

        `ranges` maps activation tensor names to calibrated (min, max) float ranges.
        The default: output per-tensor asymmetric int8 from its range.
        """
        for name in op.outputs:
            quantize_activation(graph, name, ranges[name])
