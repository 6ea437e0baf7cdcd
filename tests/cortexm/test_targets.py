"""Target files, QEMU command lines and report parsing: no emulator needed."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.errors import MncError, ToolchainError
from mnc.runners import cortexm, qemu
from mnc.targets import load_target
from tests.cortexm.cases import EMULATED_TARGETS

FEATURES = {
    "cortex-m0plus": set(),
    "cortex-m3": {"v7m"},
    "cortex-m4": {"v7m", "dsp", "fpu"},
    "cortex-m7": {"v7m", "dsp", "fpu"},
    "cortex-m33": {"v7m", "dsp", "fpu"},
    "cortex-m55": {"v7m", "dsp", "fpu", "mve"},
}
MACHINES = {
    "cortex-m0plus": "microbit",
    "cortex-m3": "mps2-an385",
    "cortex-m4": "mps2-an386",
    "cortex-m7": "mps2-an500",
    "cortex-m33": "mps2-an505",
    "cortex-m55": "mps3-an547",
}


@pytest.mark.parametrize("name", EMULATED_TARGETS)
def test_target_describes_cpu_machine_and_clock(name):
    target = load_target(name)
    cpu = name.removeprefix("cortex-")
    assert target.kind == "cortex-m"
    assert f"-mcpu=cortex-{cpu}" in target.cflags and "-mthumb" in target.cflags
    assert set(target.features) == FEATURES[name]
    assert target.qemu_machine == MACHINES[name]
    assert (cortexm.FIRMWARE_DIR / target.firmware / "link.ld").is_file()
    assert target.ticks_per_second > 0 and target.ram_bytes > 0 and target.flash_bytes >= 1 << 20


@pytest.mark.parametrize("name", ["cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"])
def test_fpu_targets_use_the_hard_float_abi(name):
    assert "-mfloat-abi=hard" in load_target(name).cflags


def test_command_counts_instructions_and_routes_semihosting(tmp_path):
    cmd = qemu.command(load_target("cortex-m0plus"), tmp_path / "fw.elf", tmp_path / "log.txt")
    assert cmd[cmd.index("-machine") + 1] == "microbit"
    assert cmd[cmd.index("-icount") + 1] == "shift=0"
    assert "nrf51-soc.sram-size=4194304" in cmd
    assert f"file,id=mnc-semihost,path={tmp_path / 'log.txt'}" in cmd
    assert cmd[-2:] == ["-kernel", str(tmp_path / "fw.elf")]


def test_parse_report_reads_output_ticks_and_layers():
    text = ("noise\nMNC-OUT 00ff7f80\nMNC-OUT 01\nMNC-TICKS 123\n"
            "MNC-LAYER 0 100\nMNC-LAYER 1 20\nMNC-DONE\n")
    report = qemu.parse_report(text)
    assert report.output == bytes([0x00, 0xFF, 0x7F, 0x80, 0x01])
    assert report.ticks == 123
    assert report.layer_ticks == {0: 100, 1: 20}


def test_parse_report_rejects_a_stack_overflow():
    with pytest.raises(ToolchainError, match="overflowed its 16384-byte stack"):
        qemu.parse_report("MNC-OUT 00\nMNC-TICKS 5\nMNC-STACK 16384\nMNC-STACK-SIZE 16384\nMNC-DONE\n")


def test_parse_report_without_done_is_an_error():
    with pytest.raises(ToolchainError, match="MNC-DONE"):
        qemu.parse_report("MNC-OUT 00\nMNC-TICKS 5\n")


@pytest.mark.parametrize(("ticks", "hz", "expected"), [(100, 25_000_000, 4000), (113, 32_000_000, 3531),
                                                      (3, 32_000_000, 94), (80, 20_000_000, 4000)])
def test_ticks_convert_to_instructions_at_one_per_nanosecond(ticks, hz, expected):
    assert qemu.instructions(ticks, hz) == expected


def test_input_source_bakes_every_value():
    source = cortexm.input_source(np.array([[-128, 0, 127]], dtype=np.int8))
    assert "mnc_fw_input[MNC_INPUT_SIZE]" in source
    assert "-128, 0, 127" in source


def test_host_target_is_rejected(fake_package, fake_input):
    with pytest.raises(MncError, match="not an emulated Cortex-M target"):
        cortexm.run(fake_package, "host", fake_input)


def test_wrong_input_size_is_rejected(fake_package):
    with pytest.raises(MncError, match=r"input has shape \(7,\); the C API takes"):
        cortexm.run(fake_package, "cortex-m3", np.zeros(7, dtype=np.int8))


def test_float_input_is_rejected(fake_package):
    with pytest.raises(MncError, match="int8"):
        cortexm.run(fake_package, "cortex-m3", np.zeros((1, 4, 4, 3), dtype=np.float32))


def test_missing_qemu_is_a_toolchain_error(fake_package, fake_input, monkeypatch, tmp_path):
    firmware = cortexm.Firmware(tmp_path / "fw.elf", load_target("cortex-m3"), (1, 10), None, None)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolchainError, match="qemu-system-arm not found"):
        cortexm.run_firmware(firmware)
