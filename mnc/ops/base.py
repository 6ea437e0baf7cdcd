"""The contract every op module fulfils. One module per op kind; see mnc/ops/__init__.py.

Semantics:
  * float: the obvious float32 math (the oracle for passes and importers).
  * int8:  exactly TFLite's *reference* int8 kernels (tensorflow/lite/kernels/internal/reference),
           which TFLite Micro shares; the C kernels in templates/kernels reproduce it bit for bit.

Fused activations live in op.attrs["act"] in {"none", "relu", "relu6"} for both modes; in int8
they become a clamp range via mnc.quant.activation_range on the output's quantization.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from mnc.errors import UnsupportedError
from mnc.quant import quantize_activation, set_fixed_activation, share_quant

if TYPE_CHECKING:
    from mnc.ir import Graph, Op

Shape = tuple[int, ...]


@dataclass(frozen=True)
class OutputQuant:
    """How an op's int8 output is quantized: "own" (from its calibrated range, or what the model
    says), "input" (exactly its first input's: data movement, pooling), or "fixed" (by the spec).
    `input_is_exact`: an "own" op whose output may equally take the input's quantization, so a QDQ
    model that leaves it unannotated inherits the input's (relu, concat)."""

    rule: str
    scale: float = 0.0
    zero_point: int = 0
    input_is_exact: bool = False


OWN = OutputQuant("own")
SAME_AS_INPUT = OutputQuant("input")
PROBABILITY = OutputQuant("fixed", 1.0 / 256.0, -128)   # logistic, softmax: TFLite's int8 output


@dataclass(frozen=True)
class Constraint:
    """A condition C lowering needs, with the rule as the user reads it ("batch 1 only")."""

    rule: str
    holds: Callable[[Op, Graph], bool]

    def check(self, op: Op, graph: Graph) -> None:
        if not self.holds(op, graph):
            raise UnsupportedError(f"op {op.name!r} ({op.kind}): {self.rule}")


class OpDef:
    """One op kind. Class attributes are the op's facts as data, read by passes, importers and
    `mnc ops` instead of lists of op names kept elsewhere."""

    kind: str = ""
    kernels: tuple[str, ...] = ()   # C kernels (mnc/kernels) in preference order: Helium, DSP, portable
    no_kernel_reason: str = "no C kernel"
    constraints: tuple[Constraint, ...] = ()     # checked before any kernel is tried
    accepts_fused_activation: bool = False       # implements attrs["act"] (relu/relu6 folded in)
    fuses_as_activation: str | None = None       # relu/relu6: the `act` value it becomes when fused
    output_quant: OutputQuant = OWN
    weight_channel_axis: int | None = None       # axis of inputs[1] that indexes output channels
    preserves_sign: bool = False                 # output >= 0 wherever the input is
    absorbs_zero_pad: str = "never"              # "always", "non_negative_input" or "never" (passes/fuse_pad)
    tflite_ops: tuple[str, ...] = ()             # TFLite builtin operators imported as this kind
    onnx_ops: tuple[str, ...] = ()               # ONNX operators imported as this kind
    inputs_doc: str = "x"                        # for docs/IR.md
    attrs_doc: str = ""
    notes: str = ""

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
        The default follows `output_quant`: per-tensor asymmetric int8 from the range ("own"), the
        input's parameters ("input"), or the fixed ones.
        """
        rule = self.output_quant
        for name in op.outputs:
            if rule.rule == "input":
                share_quant(graph, op.inputs[0], name)
            elif rule.rule == "fixed":
                set_fixed_activation(graph, name, rule.scale, rule.zero_point)
            else:
                quantize_activation(graph, name, ranges[name])
