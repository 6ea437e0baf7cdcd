"""Build hook: the wheel carries the top-level data folders (templates/, targets/, firmware/, ...).

They stay where they are in the repository; `build_py` copies each folder named in pyproject.toml's
`[tool.mnc] shipped-folders` whole into the built package as mnc/_data/<folder>, where
mnc.resources.data_dir finds it. Everything else is declared in pyproject.toml.
"""

import shutil
import tomllib
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.o", "*.elf", "build")


def shipped_folders() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mnc"]["shipped-folders"]


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the folders from the source tree
        for folder in shipped_folders():
            dest = Path(self.build_lib) / "mnc" / "_data" / folder
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(ROOT / folder, dest, ignore=NOT_SHIPPED)


setup(cmdclass={"build_py": BuildPyWithData})
