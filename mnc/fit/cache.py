"""Measurements on disk, keyed by (variant with classes, core, mnc version): a second sweep is instant.

One JSON file per measurement, written atomically (temp file + rename), so parallel workers and
interrupted sweeps never leave a half-written entry. A new mnc version misses every entry: kernels
and their instruction counts change between versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from mnc import __version__
from mnc.fit.candidates import Candidate


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnc" / "fit"


class Cache:
    def __init__(self, folder: Path | None, version: str = __version__) -> None:
        self.folder = None if folder is None else Path(folder)
        self.version = version

    def key(self, candidate: Candidate, core: str) -> str:
        return f"{candidate.variant}|classes={candidate.classes}|core={core}|mnc={self.version}"

    def get(self, candidate: Candidate, core: str) -> dict | None:
        if self.folder is None:
            return None
        path = self._path(candidate, core)
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return entry.get("measurement") if entry.get("key") == self.key(candidate, core) else None

    def put(self, candidate: Candidate, core: str, measurement: dict) -> None:
        if self.folder is None or "error" in measurement:
            return   # failures are not cached: they may be a missing tool, fixed by the next run
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"key": self.key(candidate, core), "measurement": measurement}, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, self._path(candidate, core))

    def _path(self, candidate: Candidate, core: str) -> Path:
        digest = hashlib.sha256(self.key(candidate, core).encode()).hexdigest()[:24]
        return self.folder / f"{digest}.json"
