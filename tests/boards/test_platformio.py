"""Board projects through PlatformIO: the VWW model on the emulated Netduino Plus 2 (`mnc compile
--board` then `mnc flash --env qemu_netduinoplus2 --monitor --check`, offline), and for every
shipped board a platformio.ini PlatformIO reads without warnings and firmware that compiles and
links with arm-none-eabi-gcc under the board's flags and memory map."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mnc.boards import Region, available_boards, fit_on_board, load_board
from mnc.cli import main
from mnc.compiler import compile_model
from mnc.options import CompileOptions
from mnc.platformio.core import LOCAL_PLATFORM, prepare_core, scons_version_for_platformio
from mnc.platformio.project import PACKAGE_DIR, build_flags, write_project_files
from mnc.runners import cortexm
from mnc.runners.toolchain import run_tool
from tests.boards.conftest import photo_input
from tests.conftest import REPO, need_tool

CC = "arm-none-eabi-gcc"
LINK_FLAGS = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections"]
QEMU_TICK_INSTRUCTIONS = 1e9 / 168e6   # one SysTick tick of the 168 MHz netduinoplus2 clock
CUSTOM_BOARD = str(REPO / "examples" / "custom_board" / "blackpill_f411ce.toml")


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


# ---- the done-when run: VWW on the emulated Netduino Plus 2, through PlatformIO, offline ---------

@pytest.mark.slow
@pytest.mark.qemu
def test_vww_person_on_emulated_netduino(tmp_path, capsys, shared_models, pio_core, astronaut_npy):
    need_tool(CC)
    need_tool("qemu-system-arm")
    project = tmp_path / "P"
    code, out, err = invoke(capsys, "compile", str(shared_models / "vww_96_int8.tflite"), "--board", "netduino2plus",
                            "--input", str(astronaut_npy), "--labels", "no_person,person", "-o", str(project))
    assert code == 0, err
    code, out, err = invoke(capsys, "flash", str(project), "--env", "qemu_netduinoplus2", "--monitor", "--check")
    assert code == 0, out + err
    assert "class: 1 (person)" in out
    assert "host build: bytes equal" in out
    board_bytes = [int(v) for v in out.split("output bytes: ")[1].splitlines()[0].split()]
    assert board_bytes[1] > board_bytes[0]

    # The board build ran the code the emulated Cortex-M4 core measures: same instructions (to one
    # SysTick tick of either clock) and the same object code for every package source.
    emulated = cortexm.run(project / PACKAGE_DIR, "cortex-m4", np.load(astronaut_npy))
    assert emulated.output.tobytes() == bytes(np.array(board_bytes, np.int8).tobytes())
    board_instructions = int(out.split("= ")[1].split(" retired")[0].replace(",", ""))
    assert abs(board_instructions - emulated.instructions) <= 40 + QEMU_TICK_INSTRUCTIONS
    assert_same_object_code(project)


def assert_same_object_code(project: Path) -> None:
    """PlatformIO's objects of the package equal those the cortexm runner compiled (no stray flag)."""
    pio_objects = {p.name: p for p in (project / ".pio" / "build" / "qemu_netduinoplus2").rglob("*.o")
                   if "mnc_model" in p.parts}
    runner_objects = {p.name.removesuffix(".c.o").split("__")[-1] + ".o": p   # kernels__x.c.o -> x.o
                      for p in (project / PACKAGE_DIR / "build" / "cortex-m4").rglob("package/*.o")}
    assert pio_objects and set(pio_objects) == set(runner_objects)
    for name, path in pio_objects.items():
        assert disassembly(path) == disassembly(runner_objects[name]), name


def disassembly(obj: Path) -> str:
    text = run_tool(["arm-none-eabi-objdump", "-d", "-j", ".text", str(obj)], "disassembling").stdout
    return text.split("\n", 2)[2]   # drop the line naming the file


# ---- every shipped board: ProjectConfig reads the project, its firmware links under its map ------

@pytest.fixture(scope="session")
def packages(tmp_path_factory, shared_models):
    """The VWW model compiled once per core target: {core target: (CompileResult, object files)}."""
    cache: dict[str, tuple] = {}
    root = tmp_path_factory.mktemp("board-packages")

    def get(core: str):
        if core not in cache:
            result = compile_model(shared_models / "vww_96_int8.tflite",
                                   CompileOptions(target=core, out_dir=root / core / "pkg", build_sizes=False))
            flags = build_flags_of(core)
            objects = [compile_c(src, root / core / "obj", flags, [f"-I{result.out_dir}"])
                       for src in sorted(result.out_dir.rglob("*.c"))]
            cache[core] = (result, objects)
        return cache[core]

    return get


def build_flags_of(core: str) -> list[str]:
    board = next(load_board(b) for b in available_boards() if load_board(b).core_target == core)
    return build_flags(board)


def compile_c(src: Path, obj_dir: Path, flags: list[str], includes: list[str]) -> Path:
    obj_dir.mkdir(parents=True, exist_ok=True)
    obj = obj_dir / f"{src.parent.name}_{src.stem}.o"
    run_tool([CC, *flags, *includes, "-c", str(src), "-o", str(obj)], f"compiling {src.name}")
    return obj


def write_board_project(root: Path, board, result, x: np.ndarray) -> Path:
    shutil.copytree(result.out_dir, root / PACKAGE_DIR)
    write_project_files(root, board, result, x, ())
    return root


def link_board_firmware(project: Path, board, package_objects: list[Path]) -> subprocess.CompletedProcess:
    """Compile src/ and link it with the package, using the flags PlatformIO reads from platformio.ini."""
    from platformio.project.config import ProjectConfig

    config = ProjectConfig(str(project / "platformio.ini"))
    env = f"env:{board.name}"
    flags = [f for line in config.get(env, "build_flags") for f in shlex.split(line)]
    src_flags = [f for line in config.get(env, "build_src_flags") for f in shlex.split(line)]
    assert flags == build_flags(board)
    objects = [compile_c(src, project / "obj", [*flags, *src_flags], [f"-I{project / 'src'}",
                                                                       f"-I{project / PACKAGE_DIR}"])
               for src in sorted((project / "src").glob("*.c"))]
    machine = [f for f in flags if f.startswith("-m")]
    script = project / config.get(env, "board_build.ldscript")
    cmd = [CC, *machine, *LINK_FLAGS, "-T", str(script), *map(str, objects), *map(str, package_objects),
           "-o", str(project / "firmware.elf")]
    return subprocess.run(cmd, capture_output=True, text=True)


def lint(project: Path) -> dict:
    """PlatformIO's own ProjectConfig.lint, in a fresh interpreter (its config instances are cached)."""
    code = ("import json, sys; from platformio.project.config import ProjectConfig; "
            "print(json.dumps(ProjectConfig.lint(sys.argv[1])))")
    proc = subprocess.run([sys.executable, "-c", code, str(project / "platformio.ini")], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("name", [*available_boards(), CUSTOM_BOARD])
def test_board_project_reads_and_links(tmp_path, name, packages, pio_core):
    need_tool(CC)
    board = load_board(name)
    result, package_objects = packages(board.core_target)
    x = photo_input("astronaut")
    project = write_board_project(tmp_path / board.name, board, result, x)
    assert lint(project) == {"errors": [], "warnings": []}
    ini = (project / "platformio.ini").read_text()
    assert f"[env:{board.name}]\nplatform = {board.platform}\nboard = {board.pio_board}\n" in ini
    assert ("[env:qemu_" in ini) == (board.emulator is not None)

    proc = link_board_firmware(project, board, package_objects)
    assert proc.returncode == 0, proc.stderr
    symbols = symbol_table(project / "firmware.elf")
    assert symbols["mnc_vectors"] == board.flash.origin
    assert board.ram.origin <= symbols["__stack_bottom__"] < symbols["__bss_end__"] <= board.ram.origin + board.ram.size
    assert f"#define MNC_UART_BASE 0x{board.uart.base:08X}u" in (project / "src" / "board.h").read_text()


def symbol_table(elf: Path) -> dict[str, int]:
    out = run_tool(["arm-none-eabi-nm", str(elf)], "reading symbols").stdout
    return {parts[2]: int(parts[0], 16) for parts in (line.split() for line in out.splitlines()) if len(parts) == 3}


@pytest.mark.slow
def test_model_too_big_for_the_board_fails_fit_and_link(tmp_path, packages, pio_core):
    need_tool(CC)
    result, package_objects = packages("cortex-m4")
    small = replace(load_board("netduino2plus"), ram=Region(0x20000000, 48 * 1024))
    fit = fit_on_board(small, result.layers, result.plan)
    assert not fit.fits_ram and "of 49,152 B (too big)" in fit.problem()
    project = write_board_project(tmp_path / "small", small, result, photo_input("coffee"))
    proc = link_board_firmware(project, small, package_objects)
    assert proc.returncode != 0 and "region `RAM' overflowed" in proc.stderr


@pytest.mark.slow
def test_big_variant_refused_for_f411re_in_one_line(tmp_path, capsys):
    out_dir = tmp_path / "big"
    code, out, err = invoke(capsys, "compile", "--variant", "v2-1.0-224", "--board", "nucleo_f411re", "-o", str(out_dir))
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "model does not fit nucleo_f411re" in lines[0] and "peak at layer '" in lines[0]
    assert "of 131,072 B (too big)" in lines[0] and "of 524,288 B" in lines[0]
    assert not out_dir.exists() and not any(tmp_path.iterdir())


# ---- the offline PlatformIO core and the local platform ------------------------------------------

def test_platformio_finds_pypi_scons_as_its_tool_scons(pio_core):
    prepare_core(pio_core)
    code = ("from platformio.package.manager.core import get_core_package_dir; "
            "print(get_core_package_dir('tool-scons', auto_install=False))")
    env = {**__import__("os").environ, "PLATFORMIO_CORE_DIR": str(pio_core)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                          timeout=60)
    assert proc.stdout.strip() == str(pio_core / "packages" / "tool-scons")


def test_scons_version_numbering():
    assert scons_version_for_platformio("4.11.1") == "4.41101.0"
    assert scons_version_for_platformio("4.8.1") == "4.40801.0"


def test_local_platform_board_agrees_with_board_file():
    manifest = json.loads((LOCAL_PLATFORM / "boards" / "netduino2plus.json").read_text())
    board = load_board("netduino2plus")
    assert manifest["build"]["cpu"] == board.core_target
    assert int(manifest["build"]["f_cpu"].rstrip("L")) == board.clock_hz
    assert manifest["upload"]["maximum_size"] == board.flash_bytes
    assert manifest["upload"]["maximum_ram_size"] == board.ram_bytes
    assert manifest["upload"]["qemu_machine"] == board.emulator.qemu_machine
    assert json.loads((LOCAL_PLATFORM / "platform.json").read_text())["packages"] == {}


# ---- errors: one line, no traceback ---------------------------------------------------------------

def test_flash_errors_are_one_line(tmp_path, capsys, pio_core):
    code, out, err = invoke(capsys, "flash", str(tmp_path))
    assert code == 1 and err.strip().splitlines() == [
        f"error: {tmp_path} is not an mnc board project (no mnc_project.json); "
        "create one with `mnc compile ... --board BOARD -o DIR`"]
    (tmp_path / "mnc_project.json").write_text(json.dumps(
        {"board": "netduino2plus", "board_env": "netduino2plus", "emulator_env": "qemu_netduinoplus2"}))
    code, out, err = invoke(capsys, "flash", str(tmp_path), "--env", "nope")
    assert code == 1 and err.strip() == ("error: unknown env 'nope' for board netduino2plus "
                                         "(envs: netduino2plus, qemu_netduinoplus2)")


@pytest.mark.parametrize("argv, message", [
    (["--board", "nope", "-o", "X"], "error: unknown board 'nope'"),
    (["--board", "netduino2plus"], "error: --board needs -o OUT"),
    (["--board", "netduino2plus", "--target", "cortex-m7", "-o", "X"], "error: board netduino2plus runs cortex-m4"),
    (["--input", "x.npy"], "error: --input and --labels apply to --board projects only"),
])
def test_compile_board_usage_errors(tmp_path, capsys, shared_models, argv, message):
    code, out, err = invoke(capsys, "compile", str(shared_models / "vww_96_int8.tflite"), *argv)
    assert code in (1, 2) and err.startswith(message) and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "X").exists()


def test_labels_must_match_the_outputs(tmp_path, capsys, shared_models, pio_core):
    code, out, err = invoke(capsys, "compile", str(shared_models / "vww_96_int8.tflite"), "--board", "netduino2plus",
                            "--labels", "a,b,c", "-o", str(tmp_path / "P"))
    assert code == 1 and err.strip() == "error: 3 labels given, the model has 2 outputs"
    assert not (tmp_path / "P").exists() and [p.name for p in tmp_path.iterdir()] == []


# ---- reading the report, and what mnc flash says when something is wrong ------------------------

REPORT = "noise\nMNC-BOARD netduino2plus\nMNC-OUT 916f\nMNC-CYCLES 2298267 systick\nMNC-STACK 528\nMNC-DONE\n"


def test_report_lines_parse():
    from mnc.platformio.flash import parse_report

    report = parse_report(REPORT, "qemu_netduinoplus2")
    assert (report.output, report.cycles, report.timer, report.stack_bytes) == (bytes([0x91, 0x6F]), 2298267,
                                                                                 "systick", 528)


@pytest.mark.parametrize("text, message", [
    (REPORT.replace("MNC-DONE", "MNC-FAULT"), "took a fault"),
    (REPORT.replace("MNC-DONE\n", ""), "stopped before reporting MNC-DONE"),
    (REPORT.replace("MNC-CYCLES 2298267 systick\n", ""), "no output or no cycle count"),
])
def test_broken_reports_are_refused(text, message):
    from mnc.errors import ToolchainError
    from mnc.platformio.flash import parse_report

    with pytest.raises(ToolchainError, match=message):
        parse_report(text, "qemu_netduinoplus2")


def fake_project(tmp_path: Path) -> Path:
    record = {"board": "netduino2plus", "board_env": "netduino2plus", "emulator_env": "qemu_netduinoplus2",
              "clock_hz": 168_000_000, "labels": ["no_person", "person"]}
    (tmp_path / "mnc_project.json").write_text(json.dumps(record))
    np.save(tmp_path / "input.npy", np.zeros((1, 2), np.int8))
    return tmp_path


def test_check_fails_in_one_line_when_bytes_differ(tmp_path, capsys, monkeypatch, pio_core):
    from mnc.platformio import flash as flash_module

    monkeypatch.setattr(flash_module, "run_pio", lambda *args, **kwargs: REPORT)
    monkeypatch.setattr(flash_module, "host_output", lambda project_dir: bytes([0x91, 0x70]))
    code, out, err = invoke(capsys, "flash", str(fake_project(tmp_path)), "--env", "qemu_netduinoplus2", "--check")
    assert code == 1 and "class: 1 (person)" in out and "host build: BYTES DIFFER" in out
    assert err.strip() == "error: output bytes differ from the host build: board 916f, host 9170"


def test_registry_failure_is_one_clear_line(tmp_path, capsys, monkeypatch, pio_core):
    from mnc.errors import ToolchainError
    from mnc.platformio import flash as flash_module

    def offline(*args, **kwargs):
        raise ToolchainError("upload to netduino2plus failed: HTTPClientError:")

    monkeypatch.setattr(flash_module, "run_pio", offline)
    code, out, err = invoke(capsys, "flash", str(fake_project(tmp_path)))
    assert code == 1
    assert err.strip().splitlines() == [
        "note: PlatformIO fetches the ststm32 platform and its toolchain from its registry on first use; "
        "without internet that call hangs about 60 s, then fails",
        "error: upload to netduino2plus: PlatformIO could not download the ststm32 platform from its registry "
        "(no internet?)"]
