"""mnc's own PlatformIO core directory, prepared so that building never needs PlatformIO's registry.

Every `pio run` first asks for the `tool-scons` package (PlatformIO's build engine), which it would
download from PlatformIO's registry. mnc installs PyPI's `scons` beside PlatformIO instead and
presents it to PlatformIO as that package: a package directory in mnc's core dir holding a
package.json, PlatformIO's install metadata (.piopm, written with PlatformIO's own classes) and a
`scons.py` that starts the installed SCons. The version PlatformIO asks for is checked, not faked.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from mnc.errors import ToolchainError
from mnc.resources import data_dir

CORE_DIR_ENV = "MNC_PLATFORMIO_CORE_DIR"
SCONS_PACKAGE = "tool-scons"
LOCAL_PLATFORM = data_dir("firmware") / "platformio" / "platform"
# Settings for every pio process mnc starts: no telemetry, no update checks (both call the network).
PIO_SETTINGS = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "3650",
    "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
}

SCONS_SHIM = '''"""Started by PlatformIO as its tool-scons package: runs the SCons installed from PyPI."""
import sys

sys.path.insert(0, {site!r})
from SCons.Script.Main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
'''


def core_dir() -> Path:
    """$MNC_PLATFORMIO_CORE_DIR, else ~/.cache/mnc/platformio."""
    configured = os.environ.get(CORE_DIR_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "mnc" / "platformio"


def scons_version_for_platformio(version: str) -> str:
    """PlatformIO numbers tool-scons as MAJOR.4MMPP.0 for SCons MAJOR.MM.PP (4.11.1 -> 4.41101.0)."""
    parts = [int(p) for p in version.split(".")[:3]]
    major, minor, patch = (parts + [0, 0])[:3]
    return f"{major}.4{minor:02d}{patch:02d}.0"


def prepare_core(core: Path | None = None) -> Path:
    """Make sure `core` holds the tool-scons package backed by PyPI's SCons; returns the core dir."""
    core = Path(core) if core is not None else core_dir()
    try:
        import SCons
        import semantic_version
        from platformio.dependencies import get_core_dependencies
        from platformio.package.meta import PackageMetadata, PackageSpec, PackageType
    except ModuleNotFoundError as exc:
        raise ToolchainError(f"{exc.name} is not installed: pip install platformio scons") from None
    version = scons_version_for_platformio(SCons.__version__)
    wanted = get_core_dependencies()[SCONS_PACKAGE]
    if semantic_version.Version(version) not in semantic_version.SimpleSpec(wanted):
        raise ToolchainError(f"this PlatformIO wants {SCONS_PACKAGE} {wanted}, but the installed SCons is "
                             f"{SCons.__version__} (= {version}); install the matching scons from PyPI")
    package = core / "packages" / SCONS_PACKAGE
    site = str(Path(SCons.__file__).resolve().parent.parent)
    shim = SCONS_SHIM.format(site=site)
    if _is_current(package, shim):
        return core
    package.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{SCONS_PACKAGE}.", dir=package.parent))
    try:
        (staging / "scons.py").write_text(shim)
        (staging / "package.json").write_text(
            '{"name": "%s", "version": "%s", "description": "PyPI SCons %s, installed beside PlatformIO"}\n'
            % (SCONS_PACKAGE, version, SCons.__version__))
        spec = PackageSpec(owner="platformio", name=SCONS_PACKAGE)
        PackageMetadata(PackageType.TOOL, SCONS_PACKAGE, version, spec=spec).dump(str(staging / ".piopm"))
        shutil.rmtree(package, ignore_errors=True)
        os.replace(staging, package)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not _is_current(package, shim):   # else a concurrent mnc prepared the same package first
            raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return core


def _is_current(package: Path, shim: str) -> bool:
    scons = package / "scons.py"
    return scons.is_file() and scons.read_text() == shim and (package / ".piopm").is_file()


def pio_command() -> list[str]:
    """`pio` as a module of the Python mnc runs in (PlatformIO is a dependency of mnc)."""
    return [sys.executable, "-m", "platformio"]


def pio_environment(core: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PIO_SETTINGS)
    env["PLATFORMIO_CORE_DIR"] = str(core)
    return env
