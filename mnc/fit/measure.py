"""One candidate on one core: exact flash and RAM by compiling it, instructions by running it once.

Runs in worker processes (a local pool or Dask workers), so it takes and returns plain data.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np

from mnc.errors import MncError
from mnc.fit.candidates import Candidate

INPUT_SEED = 0


def measure(candidate: Candidate, core: str) -> dict:
    """{"variant", "classes", "core", "macs", "params", "arena_bytes", "flash_bytes", "ram_bytes",
    "instructions"} or, when the candidate cannot be built, {"variant", "classes", "core", "error"}."""
    base = {"variant": candidate.variant, "classes": candidate.classes, "core": core}
    try:
        return {**base, **_compile_and_run(candidate, core)}
    except MncError as exc:
        return {**base, "error": " ".join(str(exc).split())}


def _compile_and_run(candidate: Candidate, core: str) -> dict:
    from mnc.compiler import compile_model
    from mnc.options import CompileOptions
    from mnc.data import CalibrationWarning
    from mnc.runners import cortexm
    from mnc.summary import summarize

    with tempfile.TemporaryDirectory(prefix="mnc-fit-") as tmp:
        options = CompileOptions(target=core, out_dir=Path(tmp) / "package", classes=candidate.classes,
                                 enforce_budget=False)
        with warnings.catch_warnings():
            # Seeded weights, synthetic calibration: sizes and instruction counts do not depend on it.
            warnings.simplefilter("ignore", CalibrationWarning)
            result = compile_model(candidate.variant, options)
        if result.sizes is None:
            raise MncError(f"target {core!r} is not a Cortex-M core: nothing to size or emulate")
        shape = result.manifest["input"]["shape"]
        x = np.random.default_rng(INPUT_SEED).integers(-128, 128, shape, dtype=np.int8)
        run = cortexm.run(result.out_dir, core, x)
        return {"macs": result.macs, "params": summarize(result.graph)["params"],
                "arena_bytes": result.arena_bytes, "flash_bytes": result.sizes.flash,
                "ram_bytes": result.sizes.ram, "instructions": run.instructions}
