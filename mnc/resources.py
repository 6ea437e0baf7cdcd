"""Where mnc's non-Python parts live: the top-level folders templates/, targets/, firmware/, ...

In a source checkout (and an editable install) they are the repository's top-level folders, kept
there because the layout is part of the design. An installed wheel carries them inside the package
as `mnc/_data/<folder>` (setup.py copies the folders listed in pyproject.toml's
`[tool.mnc] shipped-folders` there at build time); they are found through importlib.resources, so
an installed mnc works from any working directory.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

PACKAGED = "_data"
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def data_dir(folder: str) -> Path:
    """The folder `folder` (e.g. "templates") of this installation of mnc."""
    packaged = importlib.resources.files("mnc") / PACKAGED / folder
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return SOURCE_ROOT / folder
