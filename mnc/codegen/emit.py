"""Write the C package: render the templates with a ModelCtx, copy the kernels, write the manifest.

The package is assembled in a temporary sibling directory and renamed into place at the end,
so a failed compile never leaves a half-written output directory behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import jinja2

from mnc.codegen.context import ModelCtx
from mnc.errors import MncError
from mnc.resources import data_dir

TEMPLATES_DIR = data_dir("templates")
KERNELS_DIR = TEMPLATES_DIR / "kernels"
CMSIS_GLUE_DIR = TEMPLATES_DIR / "cmsis_nn"   # mnc's calls into Arm's CMSIS-NN (mnc.cmsis_nn)
MANIFEST = "manifest.json"
GENERATED = (("model.h", "model.h.j2"), ("model.c", "model.c.j2"), ("weights.c", "weights.c.j2"))


def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def render(ctx: ModelCtx) -> dict[str, str]:
    """File name -> text of the generated C files."""
    env = template_env()
    return {name: env.get_template(tmpl).render(m=ctx) for name, tmpl in GENERATED}


def package_sources(kernel_files: tuple[str, ...]) -> list[str]:
    """The .c files a build of the package compiles, relative to the package directory."""
    return ["model.c", "weights.c", *(f"kernels/{f}" for f in kernel_files if f.endswith(".c"))]


def write_package(out_dir: Path, ctx: ModelCtx, kernel_files: tuple[str, ...], manifest: dict,
                  kernel_dirs: tuple[Path, ...] = (KERNELS_DIR,)) -> Path:
    """Create `out_dir` atomically with the rendered files, kernels and manifest; returns it."""
    out_dir = Path(out_dir)
    check_replaceable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, text in render(ctx).items():
            (staging / name).write_text(text, encoding="ascii")
        copy_kernels(staging / "kernels", kernel_files, kernel_dirs)
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def copy_kernels(dest: Path, kernel_files: tuple[str, ...], kernel_dirs: tuple[Path, ...]) -> None:
    dest.mkdir()
    for name in kernel_files:
        src = next((d / name for d in kernel_dirs if (d / name).is_file()), None)
        if src is None:
            raise MncError(f"kernel source {name!r} not found in {', '.join(str(d) for d in kernel_dirs)}")
        (dest / name).parent.mkdir(parents=True, exist_ok=True)   # CMSIS-NN's Internal/ headers
        (dest / name).write_bytes(src.read_bytes())


def is_package(path: Path) -> bool:
    manifest = path / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return "mnc_version" in json.loads(manifest.read_text())
    except (ValueError, UnicodeDecodeError):
        return False


def check_replaceable(out_dir: Path) -> None:
    """An existing output directory may be replaced only if it is empty or an mnc package."""
    if out_dir.exists() and not out_dir.is_dir():
        raise MncError(f"output path {out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not is_package(out_dir):
        raise MncError(f"refusing to overwrite {out_dir}: it exists and is not an mnc package")


def replace_dir(staging: Path, out_dir: Path) -> None:
    """Swap `staging` in as `out_dir`; the old directory is removed only after the swap."""
    staging.chmod(0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
