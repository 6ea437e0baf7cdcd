"""Shared test fixtures. Reference data lives in ../shared (beside the repo), never copied in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
VWW_INT8 = SHARED_MODELS / "vww_96_int8.tflite"
VWW_FLOAT = SHARED_MODELS / "vww_96_float.tflite"


def need_tool(name: str) -> None:
    """Fail (not skip) when a tool the suite relies on is missing: make test installs it."""
    if shutil.which(name) is None:
        pytest.fail(f"{name} not found; run `make test` so the Debian packages get installed")


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not VWW_INT8.is_file():
        pytest.fail(f"reference models missing at {SHARED_MODELS}")
    return SHARED_MODELS
