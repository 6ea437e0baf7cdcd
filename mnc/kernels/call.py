"""The data an op hands to code generation: which kernel to call and with what constants.

Templates never compute: every number a kernel needs is in `params` (ints) or `arrays`.

A `KernelCall` renders in model.c as
    static const <params_type> <layer>_params = { .<field> = <value>, ... };
    <kernel>(&<layer>_params, <input pointers...>, <output pointers...>[, scratch]);
where a params value that is a `ConstArray` becomes a pointer to that array in weights.c,
and scratch is passed only when `scratch_bytes` > 0.
An op that only reinterprets memory (reshape) returns `KernelCall.alias()`: no call is emitted and
the planner gives its output the input's buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CTYPES = {"int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "int32_t": np.int32}


@dataclass(eq=False)
class ConstArray:
    """A constant array emitted into weights.c. `name` is a short role ("weights", "bias", "lut")."""

    name: str
    ctype: str
    data: np.ndarray

    def __post_init__(self) -> None:
        if self.ctype not in CTYPES:
            raise ValueError(f"unsupported C type {self.ctype}")
        self.data = np.ascontiguousarray(self.data, dtype=CTYPES[self.ctype]).reshape(-1)


@dataclass(eq=False)
class KernelCall:
    kernel: str                 # C function, e.g. "mnc_conv2d_s8"
    sources: list[str]          # kernel files under templates/kernels it needs (.c and .h)
    params_type: str            # C struct, e.g. "mnc_conv2d_params_t"
    params: dict[str, int | ConstArray] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)   # activation tensor names, in argument order
    outputs: list[str] = field(default_factory=list)
    scratch_bytes: int = 0
    is_alias: bool = False

    @classmethod
    def alias(cls, src: str, dst: str) -> KernelCall:
        return cls("", [], "", inputs=[src], outputs=[dst], is_alias=True)

    @property
    def arrays(self) -> list[ConstArray]:
        return [v for v in self.params.values() if isinstance(v, ConstArray)]
