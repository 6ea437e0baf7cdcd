"""What both benchmarks share: the reference model's path, plain-text tables, package section sizes,
and the stack estimate.

Stack estimate: every package source is compiled for the target with its own flags plus
`-fstack-usage -fcallgraph-info=su`; GCC then writes, per function, the bytes of its frame and the
calls it makes. The estimate is the heaviest call chain from `mnc_invoke` (which calls `mnc_run`,
which calls the kernels): the sum of the frames along it. Library functions (memcpy) have no
frame record and count as 0 bytes; they are listed in `StackEstimate.unknown`. It is exact for
mnc's own code as long as every frame is "static" (no alloca/VLA: mnc has none), and it does not
include interrupt handlers or the caller of `mnc_invoke`.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
VWW_INT8 = SHARED_MODELS / "vww_96_int8.tflite"
ENTRY = "mnc_invoke"
KIB = 1024

_NODE = re.compile(r'node: \{ title: "(?P<title>[^"]+)" label: "(?P<label>[^"]*)"')
_FRAME = re.compile(r"\\n(?P<bytes>\d+) bytes \((?P<kind>[\w,]+)\)")
_EDGE = re.compile(r'edge: \{ sourcename: "(?P<src>[^"]+)" targetname: "(?P<dst>[^"]+)"')


def quiet_warnings() -> None:
    """Benchmarks compile built-in variants on synthetic calibration data on purpose; say it once."""
    warnings.filterwarnings("ignore", message=".*calibrat.*")


# ---- stack ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StackEstimate:
    bytes: int
    chain: tuple[str, ...]       # the heaviest call chain from ENTRY
    unknown: tuple[str, ...]     # called functions without a frame record (library code), counted as 0
    all_static: bool             # every frame on the chain has a compile-time size


def stack_estimate(out_dir: Path, target) -> StackEstimate:
    """The heaviest call chain from mnc_invoke, from GCC's per-function stack usage (see module doc)."""
    frames, calls, static = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="mnc-stack-") as tmp:
        for ci_text in _callgraph_files(Path(out_dir), target, Path(tmp)):
            _read_callgraph(ci_text, frames, calls, static)
    return _heaviest_chain(frames, calls, static)


def _callgraph_files(out_dir: Path, target, tmp: Path) -> list[str]:
    from mnc.runners.toolchain import SECTION_FLAGS, STRICT_FLAGS, include_flags, package_sources, run_tool, tool

    texts = []
    for i, src in enumerate(package_sources(out_dir)):
        obj = tmp / f"{i}_{src.stem}.o"
        cmd = [tool(target.cc), *target.cflags, *STRICT_FLAGS, *SECTION_FLAGS, "-fstack-usage",
               "-fcallgraph-info=su", *include_flags(out_dir), "-c", str(src), "-o", str(obj)]
        run_tool(cmd, f"compiling {src.name} with -fstack-usage")
        texts.append(obj.with_suffix(".ci").read_text())
    return texts


def _read_callgraph(text: str, frames: dict, calls: dict, static: dict) -> None:
    for m in _NODE.finditer(text):
        frame = _FRAME.search(m["label"])
        if frame is not None:   # a definition; declarations of external functions carry no size
            frames[m["title"]] = int(frame["bytes"])
            static[m["title"]] = frame["kind"] == "static"
    for m in _EDGE.finditer(text):
        calls.setdefault(m["src"], set()).add(m["dst"])


def _heaviest_chain(frames: dict, calls: dict, static: dict) -> StackEstimate:
    if ENTRY not in frames:
        raise RuntimeError(f"no stack record for {ENTRY}")
    best: dict[str, tuple[int, tuple[str, ...]]] = {}
    unknown: set[str] = set()

    def visit(fn: str, active: frozenset) -> tuple[int, tuple[str, ...]]:
        if fn in active:
            raise RuntimeError(f"recursion through {fn}: the stack is unbounded")
        if fn not in frames:
            unknown.add(fn)
            return 0, (fn,)
        if fn not in best:
            deepest = max((visit(c, active | {fn}) for c in sorted(calls.get(fn, ()))), default=(0, ()))
            best[fn] = (frames[fn] + deepest[0], (fn, *deepest[1]))
        return best[fn]

    total, chain = visit(ENTRY, frozenset())
    return StackEstimate(total, tuple(_short(f) for f in chain), tuple(sorted(_short(f) for f in unknown)),
                         all(static.get(f, True) for f in chain))


def _short(title: str) -> str:
    """GCC names file-local functions 'path/file.c:name'; keep the name."""
    return title.rsplit(":", 1)[-1]


# ---- output -----------------------------------------------------------------------------------

def table(headers: list[str], rows: list[list[str]], title: str | None = None, left: int = 1) -> str:
    """A plain-text table: the first `left` columns left-aligned (names), the others right-aligned (numbers)."""
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]

    def line(cells) -> str:
        parts = [str(c).ljust(w) if i < left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(headers))
    body = [line(headers), rule, *(line(r) for r in rows)]
    return "\n".join(([title, rule] if title else []) + body)


def kib(n: int) -> str:
    return f"{n / KIB:.1f} KiB"


def emit(text: str = "") -> None:
    print(text, flush=True)

