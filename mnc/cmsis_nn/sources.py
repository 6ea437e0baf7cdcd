"""Where Arm's CMSIS-NN lives and which of its files a package needs.

mnc never ships CMSIS-NN: it is found at compile time (`--cmsis-nn DIR`, default
`../shared/third_party/CMSIS-NN` beside the repository) and the files the package calls are copied
into the generated package's `kernels/` folder (flat, with `Internal/` kept as a subfolder, which is
how CMSIS-NN's own includes name it), with Arm's LICENSE (Apache-2.0) as `kernels/LICENSE`.

Which files: CMSIS-NN keeps one public function per file (a few files hold a family, e.g. the
`*_get_buffer_sizes_s8.c`). Starting from the functions the glue calls, each needed source is run
through the target compiler's preprocessor with the target's CPU flags, so only the branches that
core compiles (`ARM_MATH_DSP`, `ARM_MATH_MVEI`, set by CMSIS-NN from the compiler's `__ARM_FEATURE_*`
macros) are followed; every `arm_*` function it calls that some source file defines pulls that file
in, until nothing new appears. The package then holds exactly what the core links, and its object
sizes are a fair flash figure.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mnc.errors import MncError, ToolchainError

REPO_DIR = Path(__file__).resolve().parent.parent.parent
DEFAULT_DIR = REPO_DIR.parent / "shared" / "third_party" / "CMSIS-NN"
LICENSE = "LICENSE"   # Arm's Apache-2.0 text, copied beside the sources it covers

_DEFINITION = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(arm_\w+)\s*\(", re.MULTILINE)
_CALL = re.compile(r"\b(arm_\w+)\s*\(")
_LINE_MARKER = re.compile(r'^# \d+ "([^"]+)"')


@dataclass(frozen=True)
class CmsisNN:
    root: Path

    @property
    def include_dir(self) -> Path:
        return self.root / "Include"

    @property
    def source_dir(self) -> Path:
        return self.root / "Source"

    def headers(self) -> list[str]:
        """Every header a source may include, relative to where the package puts it (kernels/)."""
        names = [p.relative_to(self.include_dir).as_posix() for p in sorted(self.include_dir.rglob("*.h"))]
        return names + [p.name for p in sorted(self.source_dir.rglob("*.h"))]

    def file_dirs(self) -> tuple[Path, ...]:
        """Folders copy_kernels searches for a package file name (headers, every Source/ folder, LICENSE)."""
        return (self.include_dir, *sorted(p for p in self.source_dir.iterdir() if p.is_dir()), self.root)

    def needed_sources(self, functions: set[str], cc: str, cflags: tuple[str, ...]) -> list[str]:
        return needed_sources(self, functions, cc, cflags)


def locate(path: Path | None) -> CmsisNN:
    """The CMSIS-NN tree at `path` (default: the shared third-party copy); one clear error if unusable."""
    root = Path(path) if path is not None else DEFAULT_DIR
    if not (root / "Include" / "arm_nnfunctions.h").is_file() or not (root / "Source").is_dir():
        raise MncError(f"CMSIS-NN not found at {root} (expected Include/arm_nnfunctions.h and Source/; "
                       f"pass --cmsis-nn DIR)")
    return CmsisNN(root.resolve())


@lru_cache(maxsize=8)
def _definitions(source_dir: Path) -> dict[str, Path]:
    """arm_* function name -> the int8/support .c file that defines it (float sources excluded: they
    need ARM_NN_ENABLE_F32/F16 and are never reached from the int8 functions)."""
    table: dict[str, Path] = {}
    for path in sorted(source_dir.rglob("*.c")):
        if re.search(r"_f(16|32)\.c$|_flt\.c$", path.name):
            continue
        for name in _DEFINITION.findall(path.read_text(errors="replace")):
            table.setdefault(name, path)
    return table


def needed_sources(lib: CmsisNN, functions: set[str], cc: str, cflags: tuple[str, ...]) -> list[str]:
    """File names (as copied into kernels/) of the .c files that define `functions` and everything
    they call on this core, sorted."""
    table = _definitions(lib.source_dir)
    missing = sorted(f for f in functions if f not in table)
    if missing:
        raise MncError(f"CMSIS-NN at {lib.root} has no {', '.join(missing)} (a different version?)")
    todo = [table[f] for f in sorted(functions)]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in set(_CALL.findall(_preprocessed(path, lib.include_dir, cc, cflags))):
            if name in table and table[name] not in seen:
                todo.append(table[name])
    names = sorted(p.name for p in seen)
    if len(set(names)) != len(names):
        raise MncError("CMSIS-NN has two needed source files of the same name; cannot lay them out flat")
    return names


@lru_cache(maxsize=512)
def _preprocessed(path: Path, include_dir: Path, cc: str, cflags: tuple[str, ...]) -> str:
    """The lines of `path` itself that survive this core's preprocessing (header lines dropped, by
    the preprocessor's line markers: calls inside unused header inlines must not pull files in)."""
    cmd = [cc, *cflags, "-std=c99", "-E", f"-I{include_dir}", f"-I{path.parent}", str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except FileNotFoundError:
        raise ToolchainError(f"{cc} not found on PATH (needed to pick the CMSIS-NN sources for this core)") from None
    if proc.returncode != 0:
        first = next(iter(proc.stderr.strip().splitlines()), "")
        raise ToolchainError(f"preprocessing CMSIS-NN {path.name} failed: {first}")
    own, current = [], None
    for line in proc.stdout.splitlines():
        marker = _LINE_MARKER.match(line)
        if marker:
            current = Path(marker.group(1)).name
        elif current == path.name:
            own.append(line)
    return "\n".join(own)
