"""Targets: one TOML file per CPU in targets/, separate from compiler options."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mnc.errors import MncError
from mnc.resources import data_dir

TARGETS_DIR = data_dir("targets")


@dataclass(frozen=True)
class Target:
    name: str
    kind: str                     # "host" or "cortex-m"
    cc: str                       # compiler executable
    cflags: tuple[str, ...]       # flags that select the CPU/ABI
    features: frozenset[str] = field(default_factory=frozenset)   # e.g. {"dsp"}, {"mve"}
    qemu_machine: str | None = None
    qemu_args: tuple[str, ...] = ()   # extra QEMU options the machine needs (e.g. memory sizes)
    firmware: str | None = None   # firmware/<name> directory for the emulated machine
    ram_bytes: int = 0            # default budgets (0 = unlimited)
    flash_bytes: int = 0
    ticks_per_second: int = 0     # SysTick/timer clock under QEMU, for instruction counting
    raw: dict = field(default_factory=dict, compare=False, hash=False)

    def has(self, feature: str) -> bool:
        return feature in self.features


def available() -> list[str]:
    return sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))


def load_target(name: str) -> Target:
    path = TARGETS_DIR / f"{name}.toml"
    if not path.is_file():
        raise MncError(f"unknown target {name!r} (available: {', '.join(available())})")
    raw = tomllib.loads(path.read_text())
    return Target(
        name=name,
        kind=raw["kind"],
        cc=raw["cc"],
        cflags=tuple(raw.get("cflags", [])),
        features=frozenset(raw.get("features", [])),
        qemu_machine=raw.get("qemu_machine"),
        qemu_args=tuple(raw.get("qemu_args", [])),
        firmware=raw.get("firmware"),
        ram_bytes=int(raw.get("ram_bytes", 0)),
        flash_bytes=int(raw.get("flash_bytes", 0)),
        ticks_per_second=int(raw.get("ticks_per_second", 0)),
        raw=raw,
    )
