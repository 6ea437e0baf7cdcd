"""Every C kernel has a descriptor, and every descriptor's params record matches its C struct field
for field (a missing, misspelt or mistyped field fails here, not as a silent 0 in model.c)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from mnc.cmsis_nn.kernels import KERNELS_BY_KIND, PATHS, family_for_path
from mnc.kernels.base import NULL, AliasDescriptor, Params, array
from mnc.kernels.registry import all_kernels
from mnc.ops import get_op
from mnc.ops.registry import import_loudly
from tests.kernels.c_structs import header_structs, mismatches

REPO = Path(__file__).resolve().parents[2]
KERNELS_DIR = REPO / "templates" / "kernels"
C_KERNELS = [k for k in all_kernels() if not isinstance(k, AliasDescriptor)]
CMSIS_GLUE_DIR = REPO / "templates" / "cmsis_nn"
CMSIS_KERNELS = [k for kernels in family_for_path("c").kernels.values() for k in kernels]


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


@pytest.mark.parametrize("kernel", CMSIS_KERNELS, ids=lambda k: k.name)
def test_cmsis_nn_glue_params_record_matches_its_c_struct(kernel):
    structs = header_structs(CMSIS_GLUE_DIR / f"{kernel.name}.h")
    assert kernel.c_params_type in structs, f"{kernel.name}.h has no struct {kernel.c_params_type}"
    assert mismatches(kernel.params_type.c_fields(), structs[kernel.c_params_type]) == []
    assert [s for s in kernel.sources if not (CMSIS_GLUE_DIR / s).is_file()] == []
    assert kernel.arm_functions, "a glue names the Arm functions it calls (the package's Arm sources)"


def test_every_cmsis_nn_glue_has_a_descriptor_on_every_core_path():
    for path in PATHS:
        described = {k.name for kernels in family_for_path(path).kernels.values() for k in kernels}
        assert described == {p.stem for p in CMSIS_GLUE_DIR.glob("*.c")}
    assert all(get_op(kind).kernels for kind in KERNELS_BY_KIND)   # real op kinds, with C kernels of their own


def test_nullable_pointer_fields_take_a_const_array_or_null_only():
    @dataclasses.dataclass(frozen=True)
    class Sums(Params):
        sums: object = array("int32_t", nullable=True)

    assert Sums(NULL).fields() == {"sums": 0}
    with pytest.raises(TypeError, match="must be a ConstArray of int32_t"):
        Sums(1)
    with pytest.raises(TypeError, match="must be a ConstArray of int32_t"):
        Sums(None)


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
    # mnc/cmsis_nn/kernels.py fills the CMSIS-NN glue structs' own `scratch_bytes` member (the size passed
    # to Arm) from the descriptors' arm_buffer_bytes; the planner's size is still KernelDescriptor.call's.
    assert sorted(writers) == [Path("mnc/cmsis_nn/kernels.py"), Path("mnc/kernels/base.py")]
    assert "KernelCall(" not in (REPO / "mnc/cmsis_nn/kernels.py").read_text()


def test_a_broken_kernel_module_fails_naming_its_file(tmp_path, monkeypatch):
    broken = tmp_path / "broken_kernel_for_test.py"
    broken.write_text("import no_such_module_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match=r"broken_kernel_for_test\.py: ModuleNotFoundError"):
        import_loudly("broken_kernel_for_test", broken)
