"""`mnc compile --board`: a PlatformIO project that runs the compiled model once on the board.

    OUT/platformio.ini            one env for the board (its PlatformIO platform), plus the QEMU env
                                  where the board has an emulator (mnc's local platform, offline)
    OUT/src/                      vector table and start-up, UART, report main, the baked-in input
    OUT/linker/<board>.ld         the board's memory map around firmware/common/sections.ld
    OUT/scripts/mnc_link_flags.py links with the core's -m flags
    OUT/lib/mnc_model/            the generated package and its library.json
    OUT/host/                     the same quantized model as a host package (portable kernels), the
                                  reference `mnc flash --check` builds with gcc and compares against
    OUT/mnc_project.json          what `mnc flash` needs: board, envs, clock, labels
    OUT/input.npy                 the baked-in int8 input (for `mnc flash --check`)

The model is compiled for the board's core target (same kernels, same flags), the fit check runs
against the board before anything is written, and the whole project is built in a staging
directory that replaces OUT only when complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from mnc import __version__
from mnc.boards import STACK_BYTES, Board, load_board
from mnc.codegen.emit import TEMPLATES_DIR, replace_dir, template_env
from mnc.compiler import CompileResult, compile_model
from mnc.data import load_calibration_data, synthetic_inputs
from mnc.errors import MncError
from mnc.ir import QuantParams
from mnc.options import CompileOptions
from mnc.platformio.core import LOCAL_PLATFORM, core_dir, prepare_core
from mnc.runners.cortexm import COMMON_DIR, FIRMWARE_DIR, input_source
from mnc.runners.toolchain import SECTION_FLAGS, STRICT_FLAGS

PROJECT_FILE = "mnc_project.json"
INPUT_FILE = "input.npy"
PACKAGE_DIR = Path("lib") / "mnc_model"
HOST_DIR = Path("host")
BOARD_SOURCES = FIRMWARE_DIR / "platformio" / "src"
# Shared with the emulator harnesses, copied so the project stands alone.
COMMON_SOURCES = ("startup.c", "semihost.c", "semihost.h", "stack.c", "stack.h", "text.c", "text.h",
                  "ticks.c", "ticks.h")
PLATFORMIO_TEMPLATES = "platformio"
UART_DRIVER_MACROS = {"stm32-usart-sr": "MNC_UART_STM32_SR", "stm32-usart-isr": "MNC_UART_STM32_ISR",
                      "nrf-uart": "MNC_UART_NRF"}
NRF_BAUD_CODES = {9600: 0x00275000, 115200: 0x01D7E000}   # nRF52 UART BAUDRATE register values

InputMaker = Callable[[dict], np.ndarray]   # the model's input spec (manifest "input") -> int8 input


def create_project(source, options: CompileOptions, out: Path, make_input: InputMaker,
                   labels: tuple[str, ...] = ()) -> CompileResult:
    """Compile `source` for `options.board` and write the PlatformIO project to `out`."""
    board = load_board(str(options.board))
    check_project_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        package = staging / PACKAGE_DIR
        result = compile_model(source, replace(options, target=board.core_target, out_dir=package))
        compile_model(result.graph, CompileOptions(target="host", out_dir=staging / HOST_DIR, build_sizes=False))
        x = checked_input(make_input(result.manifest["input"]), result.manifest["input"]["shape"])
        _check_labels(labels, result.manifest["output"]["shape"])
        write_project_files(staging, board, result, x, labels)
        prepare_core(core_dir())
        replace_dir(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return replace(result, out_dir=out / PACKAGE_DIR)


def check_project_replaceable(out: Path) -> None:
    """OUT may be replaced only if it does not exist, is empty, or is an mnc board project."""
    if out.exists() and not out.is_dir():
        raise MncError(f"output path {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / PROJECT_FILE).is_file():
        raise MncError(f"refusing to overwrite {out}: it exists and is not an mnc board project")


def checked_input(x: np.ndarray, shape: list[int]) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype != np.int8 or x.size != int(np.prod(shape)):
        raise MncError(f"the baked-in input must be int8 with shape {tuple(shape)}, got {x.dtype} {x.shape}")
    return x.reshape(shape)


def calibration_sample(spec: dict, calibration: Path | None, seed: int = 0) -> np.ndarray:
    """The input baked in without --input: the first calibration sample (or, without calibration
    data, the first of mnc's synthetic calibration inputs), quantized with the model's input scale."""
    shape = tuple(spec["shape"])
    quant = QuantParams.per_tensor(spec["scale"], spec["zero_point"])
    if calibration is not None:
        sample = load_calibration_data(calibration, shape, max_samples=1)[0]
    else:   # the representable range of the int8 input
        lo, hi = (-128 - spec["zero_point"]) * spec["scale"], (127 - spec["zero_point"]) * spec["scale"]
        sample = synthetic_inputs(shape, 1, seed, (lo, hi))[0]
    return quant.quantize(sample.astype(np.float32))


def _check_labels(labels: tuple[str, ...], output_shape: list[int]) -> None:
    if labels and len(labels) != int(np.prod(output_shape)):
        raise MncError(f"{len(labels)} labels given, the model has {int(np.prod(output_shape))} outputs")
    for label in labels:
        if not label or not all(c.isalnum() or c in "_-. " for c in label):
            raise MncError(f"label {label!r} may hold only letters, digits, space and _-.")


# ---- files ---------------------------------------------------------------------------------------

def write_project_files(root: Path, board: Board, result: CompileResult, x: np.ndarray,
                        labels: tuple[str, ...]) -> None:
    env = template_env()
    src = root / "src"
    src.mkdir()
    for name in COMMON_SOURCES:
        shutil.copyfile(COMMON_DIR / name, src / name)
    for path in sorted(BOARD_SOURCES.iterdir()):
        shutil.copyfile(path, src / path.name)
    (src / "board.h").write_text(_render(env, "board.h.j2", b=board, uart_driver_macro=UART_DRIVER_MACROS[
        board.uart.driver], baud_code=_baud_code(board)))
    (src / "input.c").write_text(input_source(x))
    (root / "linker").mkdir()
    (root / "linker" / f"{board.name}.ld").write_text(linker_script(board))
    (root / "scripts").mkdir()
    shutil.copyfile(TEMPLATES_DIR / PLATFORMIO_TEMPLATES / "mnc_link_flags.py", root / "scripts" / "mnc_link_flags.py")
    (root / "platformio.ini").write_text(platformio_ini(board))
    (root / PACKAGE_DIR / "library.json").write_text(_render(
        env, "library.json.j2", version=__version__, model_name_json=json.dumps(result.graph.name)[1:-1]))
    np.save(root / INPUT_FILE, x)
    (root / PROJECT_FILE).write_text(json.dumps(project_record(board, result, labels), indent=2) + "\n")


def linker_script(board: Board) -> str:
    sections = (COMMON_DIR / "sections.ld").read_text()
    return _render(template_env(), "link.ld.j2", b=board, stack_bytes=STACK_BYTES, sections=sections)


def platformio_ini(board: Board) -> str:
    return _render(template_env(), "platformio.ini.j2", b=board, version=__version__, core_dir=core_dir(),
                   build_flags=" ".join(build_flags(board)), local_platform=LOCAL_PLATFORM)


def build_flags(board: Board) -> list[str]:
    """Exactly the flags the emulated core target compiles the package with (cortexm runner)."""
    return [*board.target().cflags, *STRICT_FLAGS, *SECTION_FLAGS]


def project_record(board: Board, result: CompileResult, labels: tuple[str, ...]) -> dict:
    return {
        "mnc_version": __version__,
        "board": board.name,
        "board_env": board.name,
        "emulator_env": board.emulator.env if board.emulator else None,
        "core_target": board.core_target,
        "clock_hz": board.clock_hz,
        "labels": list(labels),
        "model_hash": result.manifest["model_hash"],
    }


def _baud_code(board: Board) -> int | None:
    if board.uart.driver != "nrf-uart":
        return None
    if board.uart.baud not in NRF_BAUD_CODES:
        raise MncError(f"board {board.name}: nRF UART baud rate {board.uart.baud} not supported "
                       f"(supported: {', '.join(map(str, NRF_BAUD_CODES))})")
    return NRF_BAUD_CODES[board.uart.baud]


def _render(env, template: str, **values) -> str:
    return env.get_template(f"{PLATFORMIO_TEMPLATES}/{template}").render(**values)
