"""Fixtures for the board tests: a PlatformIO core dir of the test session's own (so parallel runs
and other checkouts never share one), and the person-detection photograph as the VWW input."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

PHOTO_SCRIPT = REPO / "examples" / "person_detection" / "photo_input.py"


@pytest.fixture(scope="session")
def pio_core(tmp_path_factory) -> Path:
    core = tmp_path_factory.mktemp("pio-core")
    previous = os.environ.get("MNC_PLATFORMIO_CORE_DIR")
    os.environ["MNC_PLATFORMIO_CORE_DIR"] = str(core)
    yield core
    if previous is None:
        os.environ.pop("MNC_PLATFORMIO_CORE_DIR", None)
    else:
        os.environ["MNC_PLATFORMIO_CORE_DIR"] = previous


def photo_input(name: str) -> np.ndarray:
    spec = importlib.util.spec_from_file_location("photo_input", PHOTO_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.photo_input(name)


@pytest.fixture(scope="session")
def astronaut_npy(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "astronaut.npy"
    np.save(path, photo_input("astronaut"))
    return path
