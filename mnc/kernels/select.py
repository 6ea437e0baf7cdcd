"""Kernel selection: the one place that turns an op into a C kernel call.

Each op lists its candidate kernels in preference order (`OpDef.kernels`, fastest first: Helium,
DSP, then portable C). `lower_op` takes the first candidate that applies to the op on the target and
records why each better one was skipped; the compiler, the manifest and `mnc info` report that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mnc.errors import UnsupportedError
from mnc.kernels.call import KernelCall
from mnc.kernels.registry import get_kernel
from mnc.ops import get_op

if TYPE_CHECKING:
    from mnc.ir import Graph, Op
    from mnc.targets import Target


@dataclass(frozen=True)
class Lowering:
    call: KernelCall
    kernel: str                                             # descriptor name ("" for none)
    skipped: dict[str, str] = field(default_factory=dict)   # better kernel -> why it did not apply


def lower_op(op: Op, graph: Graph, target: Target | None) -> Lowering:
    """The call of the first candidate kernel of `op` that applies on `target` (None: portable only)."""
    opdef = get_op(op.kind)
    if not opdef.kernels:
        raise UnsupportedError(f"op {op.name!r} ({op.kind}): {opdef.no_kernel_reason}")
    for constraint in opdef.constraints:
        constraint.check(op, graph)
    skipped: dict[str, str] = {}
    for name in opdef.kernels:
        kernel = get_kernel(name)
        verdict = kernel.applies(op, graph, target)
        if verdict:
            return Lowering(kernel.call(op, graph), kernel.name, skipped)
        skipped[kernel.name] = verdict.reason
    raise UnsupportedError(verdict.reason)


def lower_call(op: Op, graph: Graph, target: Target | None) -> KernelCall:
    return lower_op(op, graph, target).call
