"""Op registry by discovery: every module in mnc/ops is imported on first use, and op modules call
`register` at import. A module that fails to import stops the program with its file named, so a
broken op never silently turns into "unsupported op kind" later. No if/elif chains on op names
anywhere else."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from mnc.errors import UnsupportedError
from mnc.ops.base import OpDef

PACKAGE = "mnc.ops"
_REGISTRY: dict[str, OpDef] = {}
_loaded = False


def register(opdef: OpDef) -> OpDef:
    if opdef.kind in _REGISTRY:
        raise ValueError(f"op kind {opdef.kind!r} registered twice")
    _REGISTRY[opdef.kind] = opdef
    return opdef


def get_op(kind: str) -> OpDef:
    _load()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise UnsupportedError(f"unsupported op kind {kind!r}") from None


def kinds() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True   # set first: op modules importing mnc.ops must not start a second discovery
    folder = Path(__file__).resolve().parent
    try:
        for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
            import_loudly(f"{PACKAGE}.{info.name}", folder / f"{info.name}.py")
    except ImportError:
        _loaded = False   # every later lookup fails the same way instead of seeing a partial registry
        raise


def import_loudly(name: str, path: Path):
    """importlib.import_module, with any failure re-raised as an ImportError naming the file."""
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ImportError(f"{path}: {type(exc).__name__}: {exc}") from exc
