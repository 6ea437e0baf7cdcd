"""Every C kernel has a descriptor, and every descriptor's params record matches its C struct field
for field (a missing, misspelt or mistyped field fails here, not as a silent 0 in model.c)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mnc.kernels.base import AliasDescriptor, Params, array
from mnc.kernels.registry import all_kernels
from mnc.ops.registry import import_loudly
from tests.kernels.c_structs import header_structs, mismatches

REPO = Path(__file__).resolve().parents[2]
KERNELS_DIR = REPO / "templates" / "kernels"
C_KERNELS = [k for k in all_kernels() if not isinstance(k, AliasDescriptor)]


@pytest.mark.parametrize("kernel", C_KERNELS, ids=lambda k: k.name)
def test_params_record_matches_the_c_struct(kernel):
    structs = header_structs(KERNELS_DIR / f"{kernel.name}.h")
    assert kernel.c_params_type in structs, f"{kernel.name}.h has no struct {kernel.c_params_type}"
    assert mismatches(kernel.params_type.c_fields(), structs[kernel.c_params_type]) == []


@pytest.mark.parametrize("kernel", C_KERNELS, ids=lambda k: k.name)
def test_sources_exist(kernel):
    assert [s for s in kernel.sources if not (KERNELS_DIR / s).is_file()] == []


def test_every_c_kernel_has_a_descriptor():
    described = {k.name for k in C_KERNELS}
    assert {p.stem for p in KERNELS_DIR.glob("*.c")} - described == set()


def test_the_check_catches_a_misspelt_and_a_mistyped_field():
    @dataclasses.dataclass(frozen=True)
    class Misspelt(Params):
        sise: int
        lut: object = array("int16_t")

    header = header_structs(KERNELS_DIR / "mnc_lut_s8.h")["mnc_lut_params_t"]
    assert mismatches(Misspelt.c_fields(), header) == [
        "missing in the descriptor: size", "not in the C struct: sise",
        "lut: descriptor says 'const int16_t *', header 'const int8_t *'"]


def test_scratch_sizes_are_written_only_in_descriptors():
    """KernelCall(scratch_bytes=...) is built in one place, from the descriptor's scratch_bytes()."""
    writers = [p.relative_to(REPO) for p in (REPO / "mnc").rglob("*.py")
               if re.search(r"scratch_bytes\s*=", p.read_text())]
    # The CMSIS-NN family (mnc/cmsis_nn) is not yet made of descriptors: its lowering writes the sizes Arm's
    # *_get_buffer_size formulas give (checked against Arm's functions in tests/ops/test_cmsis_nn.py).
    assert sorted(writers) == [Path("mnc/cmsis_nn/lowering.py"), Path("mnc/kernels/base.py")]


def test_a_broken_kernel_module_fails_naming_its_file(tmp_path, monkeypatch):
    broken = tmp_path / "broken_kernel_for_test.py"
    broken.write_text("import no_such_module_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match=r"broken_kernel_for_test\.py: ModuleNotFoundError"):
        import_loudly("broken_kernel_for_test", broken)
