"""Kernel selection: the one place that turns an op into a C kernel call.

Each op lists its candidate kernels in preference order (`OpDef.kernels`, fastest first: Helium,
DSP, ARMv7-M, then portable C). `lower_op` takes the first candidate that applies to the op on the
target and records why each better one was skipped; the compiler, the manifest and `mnc info` report
that. A kernel family from another library (`KernelFamily`, e.g. mnc.cmsis_nn's) puts its descriptors
for an op kind in front of the op's own, without the op modules knowing about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mnc.errors import UnsupportedError
from mnc.kernels.base import AliasDescriptor, KernelDescriptor
from mnc.kernels.call import KernelCall
from mnc.kernels.registry import get_kernel
from mnc.ops import get_op

if TYPE_CHECKING:
    from mnc.ir import Graph, Op
    from mnc.targets import Target


@dataclass(frozen=True)
class KernelFamily:
    """Kernels from another library, tried before the op's own (`mnc compile --kernels cmsis-nn`):
    per op kind, its descriptors in preference order. Ops the family has no entry for keep mnc's
    kernels, and the layer records why."""

    name: str                                               # "cmsis-nn": the skip key of ops it lacks
    title: str                                              # "CMSIS-NN": for the reason
    kernels: dict[str, tuple[KernelDescriptor, ...]]        # op kind -> descriptors


@dataclass(frozen=True)
class Lowering:
    call: KernelCall
    kernel: str                                             # descriptor name ("" for none)
    skipped: dict[str, str] = field(default_factory=dict)   # better kernel -> why it did not apply


def lower_op(op: Op, graph: Graph, target: Target | None, family: KernelFamily | None = None) -> Lowering:
    """The call of the first candidate kernel of `op` that applies on `target` (None: portable only);
    with a `family`, its kernels for the op are candidates before the op's own."""
    opdef = get_op(op.kind)
    if not opdef.kernels:
        raise UnsupportedError(f"op {op.name!r} ({op.kind}): {opdef.no_kernel_reason}")
    for constraint in opdef.constraints:
        constraint.check(op, graph)
    skipped: dict[str, str] = {}
    candidates = [get_kernel(name) for name in opdef.kernels]
    if family is not None:
        if op.kind in family.kernels:
            candidates = [*family.kernels[op.kind], *candidates]
        elif not isinstance(candidates[0], AliasDescriptor):   # ops that emit no C need no kernel
            skipped[family.name] = f"{family.title} has no kernel for {op.kind}"
    for kernel in candidates:
        verdict = kernel.applies(op, graph, target)
        if verdict:
            return Lowering(kernel.call(op, graph), kernel.name, skipped)
        skipped[kernel.name] = verdict.reason
    raise UnsupportedError(verdict.reason)


def lower_call(op: Op, graph: Graph, target: Target | None, family: KernelFamily | None = None) -> KernelCall:
    return lower_op(op, graph, target, family).call
