"""Op registry: maps op kinds to their OpDef. No if/elif chains on op names anywhere else."""

from __future__ import annotations

import importlib

from mnc.errors import UnsupportedError
from mnc.ops.base import OpDef

# Modules that define ops; each calls `register` at import time.
_OP_MODULES = (
    "conv2d",
    "depthwise_conv2d",
    "fully_connected",
    "batch_norm",
    "pad",
    "pool",
    "mean",
    "elementwise",
    "activations",
    "softmax",
    "shape_ops",
    "quantize_ops",
    "transpose",
)

_REGISTRY: dict[str, OpDef] = {}
_loaded = False


def register(opdef: OpDef) -> OpDef:
    if opdef.kind in _REGISTRY:
        raise ValueError(f"op kind {opdef.kind!r} registered twice")
    _REGISTRY[opdef.kind] = opdef
    return opdef


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _OP_MODULES:
        try:
            importlib.import_module(f"mnc.ops.{mod}")
        except ModuleNotFoundError as exc:  # modules land one by one
            if exc.name != f"mnc.ops.{mod}":
                raise


def get_op(kind: str) -> OpDef:
    _load()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise UnsupportedError(f"unsupported op kind {kind!r}") from None


def kinds() -> list[str]:
    _load()
    return sorted(_REGISTRY)
