"""`pip install` gives a working mnc: the wheel carries templates/, targets/ and firmware/.

The wheel is built from a copy of the source (no build isolation: the build backend is the running
environment's setuptools, so this works offline), installed with `--no-deps` into a fresh virtualenv
whose only view of the dependencies is a .pth line naming this environment's site-packages. mnc
itself then comes from the wheel alone: the test checks that, and runs the CLI from an unrelated
working directory with no PYTHONPATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SOURCES = ("mnc", "pyproject.toml", "setup.py", "README.md")
COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")


def shipped_folders() -> list[str]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mnc"]["shipped-folders"]


def run(cmd: list, cwd: Path, env: dict | None = None) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    for name in (*SOURCES, *shipped_folders()):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=COPY_IGNORE)
        else:
            shutil.copy2(REPO / name, src / name)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", tmp / "dist", src], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("mnc-*.whl")
    return wheel


def fresh_venv(tmp: Path, wheel: Path) -> Path:
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "-q", wheel], cwd=tmp)
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).strip())
    # Dependencies only: a plain path line, so this environment's own .pth files (among them the
    # editable install of the source tree) are not processed and cannot shadow the wheel.
    (site / "shared_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("wheel")
    venv = fresh_venv(tmp, build_wheel(tmp))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    return venv, env


def test_wheel_ships_every_data_folder(installed):
    venv, env = installed
    code = ("import mnc, mnc.resources as r; print(mnc.__file__); "
            f"print(*[r.data_dir(f) for f in {shipped_folders()!r}], sep='\\n')")
    lines = run([venv / "bin" / "python", "-c", code], cwd=venv, env=env).split()
    assert all(Path(line).resolve().is_relative_to(venv.resolve()) for line in lines), lines
    for folder, path in zip(shipped_folders(), lines[1:]):
        # (pip byte-compiles the .py files it installs, shipped ones too: __pycache__ is not shipped)
        shipped = sorted(p.relative_to(path).as_posix() for p in Path(path).rglob("*")
                         if p.is_file() and "__pycache__" not in p.parts)
        source = sorted(p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
        assert shipped == source, folder


def test_installed_mnc_compiles_and_runs_from_another_folder(installed, tmp_path):
    venv, env = installed
    mnc = venv / "bin" / "mnc"
    work = tmp_path / "elsewhere"
    work.mkdir()
    run([mnc, "compile", "--variant", "v1-0.25", "--target", "host", "-o", "pkg"], cwd=work, env=env)
    assert (work / "pkg" / "model.c").is_file()
    x = np.random.default_rng(3).integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
    np.save(work / "x.npy", x)
    out = run([mnc, "run", "pkg", "--input", "x.npy", "--output", "y.npy"], cwd=work, env=env)
    assert "top class" in out
    from mnc.compiler import compile_model
    from mnc.interpreter import run_single
    from mnc.options import CompileOptions

    ref = compile_model("v1-0.25", CompileOptions(target="host", out_dir=tmp_path / "ref"))
    for name in ("model.c", "weights.c", "model.h"):
        assert (work / "pkg" / name).read_text() == (tmp_path / "ref" / name).read_text(), name
    np.testing.assert_array_equal(np.load(work / "y.npy"), run_single(ref.graph, x, "int8"))
