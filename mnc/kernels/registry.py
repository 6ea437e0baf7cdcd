"""Kernel registry by discovery: every module in mnc/kernels that defines `KERNEL` (a
KernelDescriptor) registers it under its C function name. A module that fails to import stops the
program with its file named, so a broken kernel can never silently disappear."""

from __future__ import annotations

import pkgutil
from pathlib import Path

from mnc.errors import UnsupportedError
from mnc.kernels.base import KernelDescriptor
from mnc.ops.registry import import_loudly

PACKAGE = "mnc.kernels"
_REGISTRY: dict[str, KernelDescriptor] = {}
_loaded = False


def get_kernel(name: str) -> KernelDescriptor:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnsupportedError(f"unknown kernel {name!r}") from None


def all_kernels() -> list[KernelDescriptor]:
    _load()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def register_kernel(kernel: KernelDescriptor) -> KernelDescriptor:
    """Add a kernel defined outside mnc/kernels (tests' own C kernels)."""
    _load()
    _register(_REGISTRY, kernel)
    return kernel


def _load() -> None:
    global _loaded
    if _loaded:
        return
    folder = Path(__file__).resolve().parent
    found = {}
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
        kernel = getattr(import_loudly(f"{PACKAGE}.{info.name}", folder / f"{info.name}.py"), "KERNEL", None)
        if kernel is not None:
            _register(found, kernel)
    _REGISTRY.update(found)
    _loaded = True



def _register(found: dict[str, KernelDescriptor], kernel: KernelDescriptor) -> None:
    if not isinstance(kernel, KernelDescriptor) or not kernel.name:
        raise TypeError(f"KERNEL in {type(kernel).__module__} is not a named KernelDescriptor")
    if kernel.name in found:
        raise ValueError(f"kernel {kernel.name!r} registered twice")
    found[kernel.name] = kernel
