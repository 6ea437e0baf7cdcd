"""Fixtures for the Cortex-M tests: a copy of the hand-written fake package (so builds never write
into the repository) and a fixed int8 input for it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

FAKE_PACKAGE = Path(__file__).resolve().parent / "fake_package"


@pytest.fixture(scope="session")
def fake_package(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("cortexm") / "fake_package"
    shutil.copytree(FAKE_PACKAGE, dest)
    return dest


@pytest.fixture(scope="session")
def fake_input() -> np.ndarray:
    rng = np.random.default_rng(2024)
    return rng.integers(-128, 128, size=(1, 4, 4, 3), dtype=np.int8)
