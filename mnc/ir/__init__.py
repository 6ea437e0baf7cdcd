"""The graph IR: tensors (NHWC, with quantization and constant data) and ops, behind a small API."""

from mnc.ir.graph import Graph, Op
from mnc.ir.tensor import QuantParams, Tensor

__all__ = ["Graph", "Op", "QuantParams", "Tensor"]
