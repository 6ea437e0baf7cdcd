"""What every C kernel declares about itself: `KernelDescriptor`.

One descriptor module per C kernel in templates/kernels (mnc/kernels/conv1x1_dsp.py describes
mnc_conv1x1_dsp_s8.c). A descriptor says which files the kernel needs, the typed record its params
struct is filled from (`Params`; tests/kernels checks its fields against the C header), when it applies
to an op on a target (and why not), and its scratch size — the only place a scratch size is written.

Field order of a `Params` record is the order model.c lists the initializers in, so it may differ from
the struct's declaration order; names and C types are what the header check compares.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from mnc.kernels.call import ConstArray, KernelCall

if TYPE_CHECKING:
    from mnc.ir import Graph, Op
    from mnc.targets import Target

COMMON_HEADER = "mnc_common.h"


NULL = 0   # the value of a nullable pointer field left empty (C's null pointer constant, rendered `0`)


def array(ctype: str, nullable: bool = False):
    """A pointer field of a params struct: `const <ctype> *`, filled with a ConstArray of that type (or,
    when `nullable`, with NULL: a library taking NULL for "not used", as CMSIS-NN's kernel sums)."""
    return dataclasses.field(metadata={"ctype": ctype, "nullable": nullable})


@dataclass(frozen=True)
class Params:
    """Base of every kernel's params record. int fields are int32_t members; `array(...)` fields are
    const pointers to constant arrays in weights.c."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            ctype = f.metadata.get("ctype")
            null_ok = f.metadata.get("nullable") and value is NULL
            if ctype is not None and not null_ok and not (isinstance(value, ConstArray) and value.ctype == ctype):
                raise TypeError(f"{type(self).__name__}.{f.name} must be a ConstArray of {ctype}")
            if ctype is None and isinstance(value, ConstArray):
                raise TypeError(f"{type(self).__name__}.{f.name} is an int32_t field, not an array")

    def fields(self) -> dict[str, int | ConstArray]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def c_fields(cls) -> dict[str, str]:
        """{field: C type}, 'int32_t' for scalars and 'const <t> *' for arrays."""
        return {f.name: f"const {f.metadata['ctype']} *" if "ctype" in f.metadata else "int32_t"
                for f in dataclasses.fields(cls)}


@dataclass(frozen=True)
class Verdict:
    """Whether a kernel applies, and if not, why (a user-facing sentence)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


YES = Verdict(True)


def no(reason: str) -> Verdict:
    return Verdict(False, reason)


# "v7m" names an architecture (ARMv7-M and the later mainline cores), not an extension like "dsp" or "mve".
MISSING_FEATURE_REASONS = {"v7m": "target is not ARMv7-M or later (no v7m feature)"}


def missing_feature_reason(feature: str) -> str:
    """Why a kernel that needs `feature` is skipped on a target without it."""
    return MISSING_FEATURE_REASONS.get(feature, f"target has no {feature.upper()} extension")


class KernelDescriptor:
    """A C kernel. Subclasses set the class attributes and implement `check`, `params` and, when the
    kernel takes a scratch buffer, `scratch_bytes`."""

    name: ClassVar[str] = ""                    # the C function, e.g. "mnc_conv1x1_dsp_s8"
    params_type: ClassVar[type[Params] | None] = None
    extra_sources: ClassVar[tuple[str, ...]] = ()   # shared headers beyond <name>.c/.h
    feature: ClassVar[str | None] = None        # target feature the kernel needs ("dsp", "mve")

    @property
    def sources(self) -> list[str]:
        return [f"{self.name}.c", f"{self.name}.h", *self.extra_sources]

    @property
    def c_params_type(self) -> str:
        return self.name.replace("_s8", "_params_t")

    def applies(self, op: Op, graph: Graph, target: Target | None) -> Verdict:
        if self.feature is not None and (target is None or not target.has(self.feature)):
            return no(missing_feature_reason(self.feature))
        return self.check(op, graph)

    def check(self, op: Op, graph: Graph) -> Verdict:
        """Shape and number conditions beyond the target feature."""
        return YES

    def params(self, op: Op, graph: Graph) -> Params:
        raise NotImplementedError

    def scratch_bytes(self, op: Op, graph: Graph) -> int:
        return 0

    def call(self, op: Op, graph: Graph) -> KernelCall:
        """The call of this kernel for `op`; only valid when `applies` said yes."""
        params = self.params(op, graph)
        if not isinstance(params, self.params_type):
            raise TypeError(f"{self.name}.params returned {type(params).__name__}, not {self.params_type.__name__}")
        return KernelCall(kernel=self.name, sources=self.sources, params_type=self.c_params_type,
                          params=params.fields(), inputs=self.inputs(op), outputs=[op.outputs[0]],
                          scratch_bytes=self.scratch_bytes(op, graph))

    def inputs(self, op: Op) -> list[str]:
        """Activation inputs passed to the kernel (the rest of op.inputs are constants in params)."""
        return [op.inputs[0]]


class AliasDescriptor(KernelDescriptor):
    """No C at all: the op only reinterprets memory, its output shares the input's buffer."""

    def call(self, op: Op, graph: Graph) -> KernelCall:
        return KernelCall.alias(op.inputs[0], op.outputs[0])

    @property
    def sources(self) -> list[str]:
        return []
