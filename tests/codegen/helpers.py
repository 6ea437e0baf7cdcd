"""Compile hand-built graphs with the test-only ops through the real stages (lower, plan, emit)."""

from __future__ import annotations

from pathlib import Path

from mnc import compiler
from mnc.ir import Graph
from mnc.targets import load_target

from tests.codegen import fakeops


def emit_package(graph: Graph, out_dir: Path, target: str = "host") -> dict:
    tgt = load_target(target)
    layers = compiler.lower(graph, tgt)
    plan = compiler.plan_arena(graph, layers)
    return compiler.emit(out_dir, graph, layers, plan, tgt, kernel_dirs=(compiler.KERNELS_DIR, fakeops.KERNELS))


def package_files(out_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob("*")) if p.is_file()}
