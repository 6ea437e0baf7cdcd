"""Boards: one TOML file per development board in targets/boards/, and the fit check against them.

A board is data: its PlatformIO platform and board id, the core target whose kernels and flags it
shares (so a board build runs exactly the code the emulated core measures), its clock, the flash
and RAM regions the firmware is linked into, the UART the firmware reports on, and, where QEMU has
the board, the emulator to run it on. The facts come from PlatformIO's board manifests and the
vendors' reference manuals; each file says which.

The fit check runs on a compiled-but-not-written model (its kernel calls and memory plan) and
refuses, in one line, a model whose RAM or flash needs exceed the board's, naming the layer where
the most activation memory is live.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from mnc.errors import FitError, MncError
from mnc.resources import data_dir
from mnc.targets import Target, load_target

BOARDS_DIR = data_dir("targets") / "boards"

# RAM the firmware needs besides the arena: the main stack (the kernels' deepest frame plus the
# firmware's, measured under 2 KiB on the emulated cores) and the firmware's own statics.
STACK_BYTES = 8 * 1024
FIRMWARE_RAM_BYTES = 256
# Flash the firmware needs besides the constants: the kernels, model.c's calls and the start-up,
# UART and report code (VWW on Cortex-M4: about 17 KiB). An estimate made before anything is
# compiled; linking against the board's memory map is the exact check.
CODE_ALLOWANCE_BYTES = 32 * 1024

UART_DRIVERS = ("stm32-usart-sr", "stm32-usart-isr", "nrf-uart")
# Names that reach generated C, linker scripts and platformio.ini: plain identifiers only.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


@dataclass(frozen=True)
class Region:
    origin: int
    size: int


@dataclass(frozen=True)
class Pin:
    port: int        # GPIO port base address
    pin: int
    af: int          # alternate function number (STM32); unused on nRF
    name: str        # as printed on the board, e.g. "PA2"


@dataclass(frozen=True)
class Uart:
    driver: str                  # one of UART_DRIVERS: the register layout of the peripheral
    instance: str                # e.g. "USART2"
    base: int
    clock_hz: int                # the peripheral's clock as reset leaves it (the firmware keeps it)
    tx: Pin
    rx: Pin
    enable: tuple[tuple[int, int], ...]   # (register address, bit) set to clock the UART and its pins
    baud: int = 115_200


@dataclass(frozen=True)
class Emulator:
    env: str                     # the PlatformIO env that runs the board under QEMU
    qemu_machine: str


@dataclass(frozen=True)
class Board:
    name: str                    # mnc's board name (= the file stem; = PlatformIO's board id)
    title: str
    mcu: str
    core_target: str             # targets/<core_target>.toml: kernels and compile flags
    fpu: str
    clock_hz: int                # rated core clock (PlatformIO's f_cpu)
    platform: str                # PlatformIO platform, e.g. "ststm32"
    pio_board: str               # PlatformIO board id
    upload_protocol: str
    flash: Region
    ram: Region
    uart: Uart
    emulator: Emulator | None = None

    @property
    def ram_bytes(self) -> int:
        return self.ram.size

    @property
    def flash_bytes(self) -> int:
        return self.flash.size

    def target(self) -> Target:
        """The core target the board shares kernels and compile flags with."""
        return load_target(self.core_target)


def available_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def load_board(name: str) -> Board:
    """A shipped board by name, or a board file of the user's (a path ending in .toml)."""
    if name.endswith(".toml") and Path(name).is_file():
        path, name = Path(name), Path(name).stem
    else:
        path = BOARDS_DIR / f"{name}.toml"
        if not SAFE_NAME.fullmatch(name or "") or not path.is_file():
            raise MncError(f"unknown board {name!r} (available: {', '.join(available_boards())}, "
                           "or a board file ending in .toml)")
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MncError(f"cannot read board file {path}: {exc}") from None
    return board_from_dict(name, raw)


def board_from_dict(name: str, raw: dict) -> Board:
    """A Board from the parsed TOML of one board file; a missing or malformed field is one clear error."""
    try:
        pio, memory, uart = raw["platformio"], raw["memory"], raw["uart"]
        board = Board(
            name=name, title=str(raw["title"]), mcu=str(raw["mcu"]), core_target=str(raw["core_target"]),
            fpu=str(raw["fpu"]), clock_hz=int(raw["clock_hz"]),
            platform=str(pio["platform"]), pio_board=str(pio["board"]),
            upload_protocol=str(pio["upload_protocol"]),
            flash=_region(memory["flash"]), ram=_region(memory["ram"]),
            uart=_uart(uart), emulator=_emulator(raw.get("emulator")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MncError(f"board {name!r}: missing or malformed field ({exc})") from None
    unsafe = [v for v in (name, board.mcu, board.core_target, board.fpu, board.platform, board.pio_board,
                          board.upload_protocol, board.uart.instance, board.uart.tx.name, board.uart.rx.name,
                          *(board.emulator.__dict__.values() if board.emulator else ()))
              if not SAFE_NAME.fullmatch(v)]
    if unsafe:
        raise MncError(f"board {name!r}: {unsafe[0]!r} is not a plain name (letters, digits, _ . -)")
    if board.uart.driver not in UART_DRIVERS:
        raise MncError(f"board {name!r}: unknown UART driver {board.uart.driver!r} "
                       f"(known: {', '.join(UART_DRIVERS)})")
    board.target()   # the core target must exist
    return board


def _region(raw: dict) -> Region:
    return Region(int(raw["origin"]), int(raw["size"]))


def _pin(raw: dict) -> Pin:
    return Pin(int(raw["port"]), int(raw["pin"]), int(raw["af"]), str(raw["name"]))


def _uart(raw: dict) -> Uart:
    enable = tuple((int(e["register"]), int(e["bit"])) for e in raw.get("enable", []))
    return Uart(str(raw["driver"]), str(raw["instance"]), int(raw["base"]), int(raw["clock_hz"]),
                _pin(raw["tx"]), _pin(raw["rx"]), enable, int(raw.get("baud", 115_200)))


def _emulator(raw: dict | None) -> Emulator | None:
    return None if raw is None else Emulator(str(raw["env"]), str(raw["qemu_machine"]))


# ---- fit check -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fit:
    """What a compiled model needs on a board, against what the board has."""

    board: Board
    arena_bytes: int
    const_bytes: int
    peak_layer: str              # the op during which the most activation bytes are live
    peak_layer_bytes: int        # those bytes (inputs, outputs, scratch and everything still live)

    @property
    def ram_needed(self) -> int:
        return self.arena_bytes + STACK_BYTES + FIRMWARE_RAM_BYTES

    @property
    def flash_needed(self) -> int:
        return self.const_bytes + CODE_ALLOWANCE_BYTES

    @property
    def fits_ram(self) -> bool:
        return self.ram_needed <= self.board.ram_bytes

    @property
    def fits_flash(self) -> bool:
        return self.flash_needed <= self.board.flash_bytes

    @property
    def fits(self) -> bool:
        return self.fits_ram and self.fits_flash

    def problem(self) -> str | None:
        """One line naming the peak layer, what the model needs and what the board has; None if it fits."""
        if self.fits:
            return None
        ram = (f"RAM {self.ram_needed:,} B (arena {self.arena_bytes:,} B, peak at layer {self.peak_layer!r} with "
               f"{self.peak_layer_bytes:,} B live, + {STACK_BYTES:,} B stack + {FIRMWARE_RAM_BYTES} B firmware)"
               f" of {self.board.ram_bytes:,} B{'' if self.fits_ram else ' (too big)'}")
        flash = (f"flash {self.flash_needed:,} B ({self.const_bytes:,} B constants + {CODE_ALLOWANCE_BYTES:,} B code)"
                 f" of {self.board.flash_bytes:,} B{'' if self.fits_flash else ' (too big)'}")
        return f"model does not fit {self.board.name}: needs {ram}; {flash}"


def fit_on_board(board: Board, layers, plan) -> Fit:
    """The fit of a lowered model: `layers` as made by mnc.compiler.lower, `plan` its MemoryPlan."""
    const_bytes = sum(a.data.nbytes for layer in layers for a in layer.call.arrays)
    peak_layer, peak_bytes = peak_layer_of(plan, [layer.op.name for layer in layers])
    return Fit(board, int(plan.arena_bytes), int(const_bytes), peak_layer, peak_bytes)


def require_fit(board: Board, layers, plan) -> Fit:
    """The fit, or a FitError naming the peak layer, the sizes needed and the board's."""
    fit = fit_on_board(board, layers, plan)
    problem = fit.problem()
    if problem is not None:
        raise FitError(problem)
    return fit


def peak_layer_of(plan, op_names: list[str]) -> tuple[str, int]:
    """(name of the op at the schedule step with the most live bytes, those bytes). Bytes are the plan's
    (a streamed output placed over its input's consumed rows counts once), so they never exceed the arena."""
    if not plan.buffers or not op_names:
        return ("(none)", int(plan.arena_bytes))
    live = plan.live_bytes_per_step(len(op_names))
    step = max(range(len(live)), key=lambda s: (live[s], -s))
    return op_names[step], int(live[step])
