"""`mnc flash`: upload a board project with PlatformIO, read the report lines back, check the bytes.

For the QEMU env, `pio run -t upload` boots the firmware in the emulator and the UART lines arrive
on PlatformIO's stdout. For a board, the upload flashes it through the probe and `pio device
monitor` reads the UART until the firmware says MNC-DONE.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnc.errors import MncError, ToolchainError
from mnc.platformio.core import core_dir, pio_command, pio_environment, prepare_core
from mnc.platformio.project import HOST_DIR, INPUT_FILE, PROJECT_FILE

BUILD_TIMEOUT_S = 900       # a build plus one emulated inference
MONITOR_TIMEOUT_S = 120     # a board's report, once flashed
QEMU_TOOLS = ("arm-none-eabi-gcc", "qemu-system-arm")
REGISTRY_NOTE = ("PlatformIO fetches the {platform} platform and its toolchain from its registry on first "
                 "use; without internet that call hangs about 60 s, then fails")


@dataclass(frozen=True)
class Report:
    """What the firmware printed: MNC-OUT, MNC-CYCLES, MNC-STACK, MNC-DONE lines."""

    output: bytes
    cycles: int
    timer: str          # "dwt" (cycle counter) or "systick" (core clock ticks)
    stack_bytes: int | None


@dataclass(frozen=True)
class FlashResult:
    project: dict
    env: str
    emulated: bool
    report: Report | None
    host_output: bytes | None = None    # with check: the host build's output bytes

    @property
    def output(self) -> np.ndarray:
        return np.frombuffer(self.report.output, dtype=np.int8)

    @property
    def top_class(self) -> int:
        return int(np.argmax(self.output))

    @property
    def instructions(self) -> int | None:
        """Under QEMU -icount shift=0, SysTick ticks at the board clock convert to retired instructions."""
        if not self.emulated or self.report.timer != "systick":
            return None
        clock = self.project["clock_hz"]
        return (self.report.cycles * 1_000_000_000 + clock // 2) // clock

    @property
    def latency_ms(self) -> float:
        """On a board: cycles / clock. Under QEMU: retired instructions / clock (one per cycle)."""
        count = self.instructions if self.instructions is not None else self.report.cycles
        return 1000.0 * count / self.project["clock_hz"]


def read_project(project_dir: Path) -> dict:
    path = Path(project_dir) / PROJECT_FILE
    if not path.is_file():
        raise MncError(f"{project_dir} is not an mnc board project (no {PROJECT_FILE}); "
                       "create one with `mnc compile ... --board BOARD -o DIR`")
    return json.loads(path.read_text())


def flash(project_dir: Path, env: str | None = None, monitor: bool = False, check: bool = False,
          echo=print) -> FlashResult:
    """Upload (and with `monitor`, read back; with `check`, compare with the host build)."""
    project_dir = Path(project_dir).resolve()
    project = read_project(project_dir)
    env = env or project["board_env"]
    envs = [e for e in (project["board_env"], project["emulator_env"]) if e]
    if env not in envs:
        raise MncError(f"unknown env {env!r} for board {project['board']} (envs: {', '.join(envs)})")
    emulated = env == project["emulator_env"]
    _require_tools(emulated)
    if not emulated:
        echo("note: " + REGISTRY_NOTE.format(platform=_board_platform(project)))
    try:
        upload = run_pio(project_dir, ["run", "-e", env, "-t", "upload"], f"upload to {env}")
    except ToolchainError as exc:
        if "HTTPClientError" in str(exc) or "Could not resolve" in str(exc):
            raise ToolchainError(f"upload to {env}: PlatformIO could not download the "
                                 f"{_board_platform(project)} platform from its registry (no internet?)") from None
        raise
    report = None
    if monitor or check:
        text = upload if emulated else read_monitor(project_dir, env)
        report = parse_report(text, env)
    host = host_output(project_dir) if check else None
    return FlashResult(project, env, emulated, report, host)


def _require_tools(emulated: bool) -> None:
    try:
        import platformio  # noqa: F401
    except ModuleNotFoundError:
        raise ToolchainError("PlatformIO is not installed (pip install platformio)") from None
    for name in QEMU_TOOLS if emulated else ():
        if shutil.which(name) is None:
            raise ToolchainError(f"{name} not found (Debian: apt-get install gcc-arm-none-eabi "
                                 "libnewlib-arm-none-eabi qemu-system-arm)")


def _board_platform(project: dict) -> str:
    from mnc.boards import load_board

    return load_board(project["board"]).platform


def run_pio(project_dir: Path, args: list[str], what: str, timeout_s: float = BUILD_TIMEOUT_S) -> str:
    """Run pio in the project with mnc's core dir; its stdout, or one line saying why it failed."""
    core = prepare_core(core_dir())
    cmd = [*pio_command(), *args, "-d", str(project_dir)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=pio_environment(core),
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolchainError(f"{what}: PlatformIO did not finish within {timeout_s:g} s") from None
    if proc.returncode != 0:
        raise ToolchainError(f"{what} failed: {pio_error_line(proc.stdout + proc.stderr)}")
    return proc.stdout


def pio_error_line(text: str) -> str:
    """The line that says why PlatformIO failed (a missing platform, probe, port, or a compiler error)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for marker in ("MNC-FAULT", "Error:", "error:", "Error "):
        hit = next((line for line in lines if marker in line), None)
        if hit is not None:
            return "the firmware took a fault" if marker == "MNC-FAULT" else hit
    return lines[-1] if lines else "no output"


def read_monitor(project_dir: Path, env: str, timeout_s: float = MONITOR_TIMEOUT_S) -> str:
    """The board's UART lines through `pio device monitor`, up to MNC-DONE."""
    core = prepare_core(core_dir())
    cmd = [*pio_command(), "device", "monitor", "-e", env, "-d", str(project_dir), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=pio_environment(core), stdin=subprocess.DEVNULL)
    lines: list[str] = []
    deadline = time.monotonic() + timeout_s
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.strip() in ("MNC-DONE", "MNC-FAULT") or time.monotonic() > deadline:
                break
    finally:
        proc.kill()
        proc.wait()
    text = "".join(lines)
    if "MNC-DONE" not in text and "MNC-FAULT" not in text:
        raise ToolchainError(f"no report from the board's serial port: {pio_error_line(text)}")
    return text


def parse_report(text: str, env: str) -> Report:
    words = [line.split() for line in text.splitlines()]
    if any(w[:1] == ["MNC-FAULT"] for w in words):
        raise ToolchainError(f"the firmware on {env} took a fault")
    if not any(w == ["MNC-DONE"] for w in words):
        raise ToolchainError(f"the firmware on {env} stopped before reporting MNC-DONE")
    output = bytes.fromhex("".join(w[1] for w in words if len(w) == 2 and w[0] == "MNC-OUT"))
    cycles = [w for w in words if len(w) == 3 and w[0] == "MNC-CYCLES"]
    if not cycles or not output:
        raise ToolchainError(f"the firmware on {env} reported no output or no cycle count")
    stack = [int(w[1]) for w in words if len(w) == 2 and w[0] == "MNC-STACK"]
    return Report(output, int(cycles[0][1]), cycles[0][2], stack[0] if stack else None)


def host_output(project_dir: Path) -> bytes:
    """The output of the same quantized model built for the host with gcc, on the same baked-in input."""
    from mnc.runners import host

    x = np.load(project_dir / INPUT_FILE, allow_pickle=False)
    return host.run(project_dir / HOST_DIR, x).astype(np.int8).tobytes()
