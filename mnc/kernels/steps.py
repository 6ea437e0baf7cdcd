"""The calls `mnc_run` makes when some layers run as bands of rows (see mnc.memory.program): plain
records, so the memory planner can produce them and code generation format them without either
importing the other."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KernelStep:
    layer: int                  # index into the emitted (non-alias) layers
    params: dict | None         # None: the layer's own params; else a band's
    inputs: tuple[int | None, ...]    # arena offsets (None: a constant operand, named by the layer)
    outputs: tuple[int, ...]
    first: bool                 # first call of its layer
    last: bool                  # last call of its layer
    whole_output: bool          # the layer's output exists whole in the arena (dumpable)


@dataclass(frozen=True)
class CopyStep:
    dst: int
    src: int
    nbytes: int


ProgramStep = KernelStep | CopyStep
