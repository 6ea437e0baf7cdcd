"""Invoking C compilers on a generated package, and reading object sizes.

Every package source is compiled with the strict flags the generated code promises to pass:
`-std=c99 -Wall -Wextra -Werror` plus the target's CPU/ABI flags.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mnc.errors import ToolchainError
from mnc.targets import Target

STRICT_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror")
SECTION_FLAGS = ("-ffunction-sections", "-fdata-sections")


@dataclass(frozen=True)
class Sizes:
    """Bytes by section class, summed over the package's object files."""

    text: int     # code
    rodata: int   # constants (weights, params structs, tables)
    data: int     # initialised RAM (also stored in flash)
    bss: int      # zero-initialised RAM (the arena)

    @property
    def flash(self) -> int:
        return self.text + self.rodata + self.data

    @property
    def ram(self) -> int:
        return self.data + self.bss


def package_sources(out_dir: Path) -> list[Path]:
    manifest = json.loads((Path(out_dir) / "manifest.json").read_text())
    return [Path(out_dir) / s for s in manifest["sources"]]


def include_flags(out_dir: Path) -> list[str]:
    return [f"-I{out_dir}", f"-I{Path(out_dir) / 'kernels'}"]


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolchainError(f"{name} not found on PATH")
    return path


def sibling_tool(cc: str, name: str) -> str:
    """The binutils program `name` of the toolchain whose compiler is `cc` (arm-none-eabi-gcc -> arm-none-eabi-size)."""
    prefix = cc[: -len("gcc")] if cc.endswith("gcc") else ""
    return tool(prefix + name)


def run_tool(cmd: list[str], what: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        first = next((line for line in detail if "error" in line), detail[0] if detail else "")
        raise ToolchainError(f"{what} failed (exit {proc.returncode}): {first}")
    return proc


def compile_objects(out_dir: Path, target: Target, obj_dir: Path, extra_flags: tuple[str, ...] = ()) -> list[Path]:
    """Compile each package source to an object file in `obj_dir` with the target's flags."""
    cc = tool(target.cc)
    obj_dir.mkdir(parents=True, exist_ok=True)
    objects = []
    for src in package_sources(out_dir):
        obj = obj_dir / (src.relative_to(out_dir).as_posix().replace("/", "__") + ".o")
        cmd = [cc, *target.cflags, *STRICT_FLAGS, *SECTION_FLAGS, *extra_flags, *include_flags(out_dir),
               "-c", str(src), "-o", str(obj)]
        run_tool(cmd, f"compiling {src.name} for {target.name}")
        objects.append(obj)
    return objects


def object_sizes(objects: list[Path], size_tool: str) -> Sizes:
    """Sum section sizes (SysV format of binutils size) into text/rodata/data/bss."""
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for obj in objects:
        out = run_tool([size_tool, "-A", str(obj)], f"reading sizes of {obj.name}").stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
                kind = section_class(parts[0])
                if kind:
                    totals[kind] += int(parts[1])
    return Sizes(**totals)


def section_class(section: str) -> str | None:
    for prefix, kind in ((".text", "text"), (".rodata", "rodata"), (".data", "data"), (".bss", "bss"),
                         (".sbss", "bss"), (".sdata", "data")):
        if section == prefix or section.startswith(prefix + "."):
            return kind
    return None


def package_sizes(out_dir: Path, target: Target) -> Sizes:
    """Compile the package for `target` (objects in OUT/build/<target>/obj) and sum its section sizes."""
    out_dir = Path(out_dir)
    objects = compile_objects(out_dir, target, out_dir / "build" / target.name / "obj")
    return object_sizes(objects, sibling_tool(target.cc, "size"))
