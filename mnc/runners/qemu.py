"""Running firmware under qemu-system-arm and reading what the harness reports.

QEMU runs with `-icount shift=0`: virtual time advances exactly 1 ns per retired instruction, so
the harness's SysTick readings (core clock) convert to instruction counts that are identical run to
run. The harness prints over semihosting, which QEMU writes to a file given as a chardev, keeping it
apart from QEMU's own diagnostics on stderr. Report lines (all others are ignored):

    MNC-OUT <hex bytes>          output bytes, in order, over as many lines as needed
    MNC-TICKS <n>                SysTick ticks of one mnc_run()
    MNC-LAYER <index> <n>        ticks per layer (profiling builds)
    MNC-STACK <bytes>            stack high-water mark (MNC-STACK-SIZE: the stack's size)
    MNC-CALIB <iterations> <n>   ticks of a busy loop (calibration builds)
    MNC-SELFTEST <text>          FPU/MVE self-test result (self-test builds)
    MNC-FAULT                    the core took a fault; the run fails
    MNC-DONE                     the harness finished
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mnc.errors import ToolchainError
from mnc.runners.toolchain import tool
from mnc.targets import Target

QEMU = "qemu-system-arm"
DEFAULT_TIMEOUT_S = 600
NS_PER_SECOND = 1_000_000_000


@dataclass(frozen=True)
class Report:
    output: bytes
    ticks: int | None
    layer_ticks: dict[int, int] = field(default_factory=dict)
    calibration: dict[int, int] = field(default_factory=dict)   # loop iterations -> ticks
    stack_bytes: int | None = None
    stack_size: int | None = None
    self_test: str | None = None


def command(target: Target, elf: Path, semihost_log: Path) -> list[str]:
    """The qemu-system-arm command line that boots `elf` on the target's machine."""
    if not target.qemu_machine:
        raise ToolchainError(f"target {target.name} has no QEMU machine to run on")
    return [
        tool(QEMU),
        "-machine", target.qemu_machine, *target.qemu_args,
        "-nographic", "-monitor", "none", "-serial", "null",
        "-icount", "shift=0",
        "-chardev", f"file,id=mnc-semihost,path={semihost_log}",
        "-semihosting-config", "enable=on,target=native,chardev=mnc-semihost",
        "-kernel", str(elf),
    ]


def run(target: Target, elf: Path, timeout_s: float = DEFAULT_TIMEOUT_S) -> Report:
    """Boot `elf`, wait for the harness to exit, and parse its report."""
    with tempfile.TemporaryDirectory(prefix="mnc-qemu-") as tmp:
        log = Path(tmp) / "semihost.txt"
        cmd = command(target, elf, log)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise ToolchainError(f"QEMU ({target.qemu_machine}) did not finish within {timeout_s:g} s") from None
        text = log.read_text(errors="replace") if log.is_file() else ""
    if "MNC-FAULT" in text:
        raise ToolchainError(f"firmware took a fault on {target.qemu_machine} (see the harness's fault handler)")
    if proc.returncode != 0:
        detail = _qemu_message(proc.stderr) or _last_line(text) or "no output"
        raise ToolchainError(f"QEMU ({target.qemu_machine}) exited with {proc.returncode}: {detail}")
    return parse_report(text, target.qemu_machine or "")


def parse_report(text: str, machine: str = "") -> Report:
    lines = [line.split() for line in text.splitlines()]
    if not any(words == ["MNC-DONE"] for words in lines):
        raise ToolchainError(f"the firmware on {machine or 'QEMU'} stopped before reporting MNC-DONE")
    output = bytes.fromhex("".join(words[1] for words in lines if len(words) == 2 and words[0] == "MNC-OUT"))
    layers = {int(w[1]): int(w[2]) for w in lines if len(w) == 3 and w[0] == "MNC-LAYER"}
    calib = {int(w[1]): int(w[2]) for w in lines if len(w) == 3 and w[0] == "MNC-CALIB"}
    stack = _single_number(lines, "MNC-STACK")
    stack_size = _single_number(lines, "MNC-STACK-SIZE")
    if stack is not None and stack_size is not None and stack >= stack_size:
        raise ToolchainError(f"the firmware on {machine or 'QEMU'} overflowed its {stack_size}-byte stack")
    self_test = next((" ".join(w[1:]) for w in lines if w and w[0] == "MNC-SELFTEST"), None)
    return Report(output, _single_number(lines, "MNC-TICKS"), layers, calib, stack, stack_size, self_test)


def _single_number(lines: list[list[str]], tag: str) -> int | None:
    values = [int(words[1]) for words in lines if len(words) == 2 and words[0] == tag]
    return values[0] if values else None


def instructions(ticks: int, ticks_per_second: int) -> int:
    """Retired instructions in `ticks` core-clock ticks (1 ns of virtual time per instruction), rounded."""
    if ticks_per_second <= 0:
        raise ToolchainError("the target does not state its timer clock (ticks_per_second)")
    return (ticks * NS_PER_SECOND + ticks_per_second // 2) // ticks_per_second


def _qemu_message(stderr: str) -> str:
    """QEMU's own complaint (e.g. "qemu: fatal: Lockup ..." after a stack overflow), not the register dump after it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return next((line for line in lines if line.startswith("qemu")), lines[-1] if lines else "")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
