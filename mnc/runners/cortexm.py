"""Build a generated package into bare-metal firmware for a Cortex-M target and run it under QEMU.

The firmware is the package plus firmware/common (vector table and reset handler, semihosting,
SysTick tick counter, harness main) linked with the machine's script firmware/<machine>/link.ld.
The input is baked in as a generated `input.c`. Package and firmware objects are cached in
OUT/build/<target>/fw-<hash>/, the hash covering every source, header and flag; only input.c is
compiled per run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnc.errors import MncError, ToolchainError
from mnc.layout import checked_c_input
from mnc.resources import data_dir
from mnc.runners import qemu
from mnc.runners.toolchain import (
    SECTION_FLAGS, STRICT_FLAGS, Sizes, compile_objects, include_flags, package_sources, run_tool, sibling_tool,
    tool,
)
from mnc.targets import Target, load_target

FIRMWARE_DIR = data_dir("firmware")
COMMON_DIR = FIRMWARE_DIR / "common"
SUPPORT_SOURCES = ("startup.c", "semihost.c", "ticks.c", "stack.c", "text.c")
HARNESS = "harness.c"
CALIBRATION = "calibrate.c"
SELF_TEST = "selftest.c"
LINK_FLAGS = ("-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections")
CALIBRATION_ITERATIONS = 100_000


@dataclass(frozen=True)
class RunResult:
    output: np.ndarray                     # int8, the model's output shape
    instructions: int                      # retired instructions of one mnc_run()
    layer_instructions: list[int] | None   # per layer, with profile=True (profiling overhead included)
    sizes: Sizes | None = None             # sections of the linked firmware (package + harness)
    stack_bytes: int | None = None         # stack high-water mark of the run (harness included)


@dataclass(frozen=True)
class Firmware:
    elf: Path
    target: Target
    output_shape: tuple[int, ...]
    num_layers: int | None   # set for profiling builds
    sizes: Sizes


@dataclass(frozen=True)
class Calibration:
    """Ticks measured around busy loops of known length: {loop iterations: ticks}, 2 instructions each."""

    target: Target
    ticks: dict[int, int]

    def instructions_per_tick(self, iterations: int) -> float:
        return 2 * iterations / (self.ticks[iterations] - self.ticks[0])


def run(out_dir: Path, target_name: str, x_int8: np.ndarray, profile: bool = False,
        timeout_s: float = qemu.DEFAULT_TIMEOUT_S) -> RunResult:
    """Run the package in `out_dir` once on `x_int8` on the target's emulated machine."""
    with tempfile.TemporaryDirectory(prefix="mnc-cortexm-") as tmp:
        firmware = build(out_dir, target_name, x_int8, Path(tmp), profile)
        return run_firmware(firmware, timeout_s)


def build(out_dir: Path, target_name: str, x_int8: np.ndarray, dest_dir: Path, profile: bool = False) -> Firmware:
    """Link firmware that runs the package on `x_int8`; the ELF is written to `dest_dir`."""
    out_dir = Path(out_dir).resolve()
    target = _emulated_target(target_name)
    manifest = _manifest(out_dir)
    x = checked_c_input(x_int8, manifest["input"]["shape"], "Cortex-M run")
    flags = _compile_flags(target, profile)
    objects = _cached_objects(out_dir, target, flags, profile)
    input_obj = _compile_input(out_dir, target, flags, x, Path(dest_dir))
    elf = link(target, [*objects, input_obj], Path(dest_dir) / "firmware.elf")
    num_layers = len(manifest["layers"]) if profile else None
    return Firmware(elf, target, tuple(manifest["output"]["shape"]), num_layers, elf_sizes(target, elf))


def run_firmware(firmware: Firmware, timeout_s: float = qemu.DEFAULT_TIMEOUT_S) -> RunResult:
    target = firmware.target
    report = qemu.run(target, firmware.elf, timeout_s)
    expected = int(np.prod(firmware.output_shape))
    if report.ticks is None or len(report.output) != expected:
        raise ToolchainError(f"firmware on {target.qemu_machine} reported {len(report.output)} output bytes, "
                             f"expected {expected}")
    output = np.frombuffer(report.output, dtype=np.int8).reshape(firmware.output_shape).copy()
    layers = _layer_instructions(report, firmware) if firmware.num_layers is not None else None
    return RunResult(output, qemu.instructions(report.ticks, target.ticks_per_second), layers, firmware.sizes,
                     report.stack_bytes)


def calibrate(target_name: str, iterations: int = CALIBRATION_ITERATIONS, period_bits: int = 24,
              timeout_s: float = 120) -> Calibration:
    """Time busy loops on the emulated machine, to check its tick clock (and, with a short SysTick
    period, the wrap-around handling)."""
    target = _emulated_target(target_name)
    defines = (f"-DMNC_CALIB_ITERATIONS={iterations}u", f"-DMNC_SYST_PERIOD_BITS={period_bits}")
    return Calibration(target, _run_standalone(target, CALIBRATION, defines, timeout_s).calibration)


def self_test(target_name: str, timeout_s: float = 60) -> str:
    """Run the FPU/MVE self-test; returns its report line ("<1.5*-2.25*1000> <MVE dot product|none>")."""
    report = _run_standalone(_emulated_target(target_name), SELF_TEST, (), timeout_s)
    return report.self_test


def _run_standalone(target: Target, main_source: str, defines: tuple[str, ...], timeout_s: float) -> qemu.Report:
    """Build firmware/common support code around a main of its own (no package) and run it."""
    flags = [*_compile_flags(target, profile=False), *defines]
    with tempfile.TemporaryDirectory(prefix="mnc-standalone-") as tmp:
        objects = [_compile(target, COMMON_DIR / name, Path(tmp), flags) for name in (*SUPPORT_SOURCES, main_source)]
        elf = link(target, objects, Path(tmp) / "standalone.elf")
        return qemu.run(target, elf, timeout_s)


def link(target: Target, objects: list[Path], elf: Path) -> Path:
    script = FIRMWARE_DIR / str(target.firmware) / "link.ld"
    if not script.is_file():
        raise ToolchainError(f"no linker script for target {target.name} at {script}")
    cmd = [tool(target.cc), *target.cflags, *LINK_FLAGS, f"-L{COMMON_DIR}", f"-T{script}",
           *map(str, objects), "-o", str(elf)]
    run_tool(cmd, f"linking firmware for {target.name}")
    return elf


def elf_sizes(target: Target, elf: Path) -> Sizes:
    """Section sizes of the linked firmware: code (with vector table), constants, .data, .bss (not the stack)."""
    out = run_tool([sibling_tool(target.cc, "size"), "-A", str(elf)], f"reading sizes of {elf.name}").stdout
    totals = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit() and parts[0] in ELF_SECTION_CLASS:
            totals[ELF_SECTION_CLASS[parts[0]]] += int(parts[1])
    return Sizes(**totals)


ELF_SECTION_CLASS = {".vectors": "text", ".text": "text", ".ARM.exidx": "text", ".rodata": "rodata",
                     ".data": "data", ".bss": "bss"}


# ---- building blocks ---------------------------------------------------------------------------

def _emulated_target(name: str) -> Target:
    target = load_target(name)
    if target.kind != "cortex-m" or not target.firmware:
        raise MncError(f"target {name!r} is not an emulated Cortex-M target")
    return target


def _profile_flags(profile: bool) -> tuple[str, ...]:
    return ("-DMNC_PROFILE",) if profile else ()


def _compile_flags(target: Target, profile: bool) -> list[str]:
    """The flags toolchain.compile_objects uses for package sources (the target's include -O2)."""
    return [*target.cflags, *STRICT_FLAGS, *SECTION_FLAGS, *_profile_flags(profile)]


def _compile(target: Target, src: Path, obj_dir: Path, flags: list[str], includes: tuple[str, ...] = ()) -> Path:
    obj = obj_dir / (src.stem + ".o")
    cmd = [tool(target.cc), *flags, *includes, f"-I{COMMON_DIR}", "-c", str(src), "-o", str(obj)]
    run_tool(cmd, f"compiling {src.name} for {target.name}")
    return obj


def _cached_objects(out_dir: Path, target: Target, flags: list[str], profile: bool) -> list[Path]:
    """Package and firmware objects, compiled once per distinct sources + flags."""
    firmware_sources = [COMMON_DIR / name for name in (*SUPPORT_SOURCES, HARNESS)]
    key = _build_key(out_dir, firmware_sources, flags)
    cache = out_dir / "build" / target.name / f"fw-{key}"
    if not cache.is_dir():
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=cache.name + ".", dir=cache.parent))
        try:
            compile_objects(out_dir, target, tmp / "package", extra_flags=_profile_flags(profile))
            for src in firmware_sources:
                _compile(target, src, tmp, flags, tuple(include_flags(out_dir)))
            _publish(tmp, cache)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(cache.glob("*.o")) + sorted((cache / "package").glob("*.o"))


def _publish(tmp: Path, cache: Path) -> None:
    """Give the finished object directory its cached name; a concurrent build may have won the race."""
    try:
        os.rename(tmp, cache)
    except OSError:
        if not cache.is_dir():
            raise


def _compile_input(out_dir: Path, target: Target, flags: list[str], x: np.ndarray, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    src = dest_dir / "input.c"
    src.write_text(input_source(x))
    return _compile(target, src, dest_dir, flags, tuple(include_flags(out_dir)))


def input_source(x: np.ndarray) -> str:
    """C source defining the baked-in model input `mnc_fw_input` that the harness copies into the arena."""
    values = [int(v) for v in np.asarray(x, dtype=np.int8).ravel()]
    rows = [", ".join(str(v) for v in values[i:i + 16]) for i in range(0, len(values), 16)]
    body = ",\n    ".join(rows)
    return ("/* Generated by mnc.runners.cortexm: the input the firmware harness feeds to mnc_run(). */\n"
            "#include <stdint.h>\n\n#include \"model.h\"\n\n"
            f"const int8_t mnc_fw_input[MNC_INPUT_SIZE] = {{\n    {body}\n}};\n")


def _layer_instructions(report: qemu.Report, firmware: Firmware) -> list[int]:
    count = int(firmware.num_layers or 0)
    if sorted(report.layer_ticks) != list(range(count)):
        raise ToolchainError(f"firmware reported {len(report.layer_ticks)} layer counts, expected {count}")
    tps = firmware.target.ticks_per_second
    return [qemu.instructions(report.layer_ticks[i], tps) for i in range(count)]


def _manifest(out_dir: Path) -> dict:
    path = out_dir / "manifest.json"
    if not path.is_file():
        raise MncError(f"{out_dir} is not an mnc package (no manifest.json)")
    return json.loads(path.read_text())


def _build_key(out_dir: Path, firmware_sources: list[Path], flags: list[str]) -> str:
    h = hashlib.sha256("\0".join(flags).encode())
    files = [*package_sources(out_dir), *sorted(out_dir.glob("*.h")), *sorted((out_dir / "kernels").glob("*.h")),
             *firmware_sources, *sorted(COMMON_DIR.glob("*.h"))]
    for path in files:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]
