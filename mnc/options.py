"""Compiler options: everything a compile depends on besides the model and the target file.

One frozen object per compile, so nothing else (no environment variable, no global) can steer codegen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnc.errors import MncError

CALIBRATION_METHODS = ("minmax", "percentile", "mse")
SCHEDULES = ("plain", "auto")


@dataclass(frozen=True)
class CompileOptions:
    target: str = "host"
    out_dir: Path | None = None            # None: build/<model-name>-<target>
    calibration: Path | None = None        # .npy/.npz file or folder; None: synthetic (with a warning)
    calibration_method: str = "minmax"
    classes: int | None = None             # built-in variants only
    resolution: int | None = None          # built-in variants only
    weights: Path | None = None            # built-in variants only: .npz keyed by constant tensor names
    seed: int = 0                          # seeded weights and synthetic calibration data
    profile: bool = False                  # build the host/target harness with per-layer hooks
    build_sizes: bool = True               # for ARM targets: compile the package and report flash/RAM
    portable_kernels: bool = False         # lower as if the target had no DSP/MVE (for A/B benchmarks)
    board: str | None = None               # targets/boards/<board>.toml: refuse a model that does not fit it
    schedule: str = "plain"                # "plain": one call per layer; "auto": stream rows where it lowers RAM
    ram_budget: int | None = None          # arena bytes to fit; streams as much as needed (implies "auto")

    def __post_init__(self) -> None:
        if self.calibration_method not in CALIBRATION_METHODS:
            raise MncError(f"unknown calibration method {self.calibration_method!r} (choose from {', '.join(CALIBRATION_METHODS)})")
        if self.schedule not in SCHEDULES:
            raise MncError(f"unknown schedule {self.schedule!r} (choose from {', '.join(SCHEDULES)})")
        if self.ram_budget is not None and self.ram_budget < 1:
            raise MncError(f"--ram-budget must be a positive number of bytes, got {self.ram_budget}")
        for name in ("out_dir", "calibration", "weights"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))

    def default_out_dir(self, model_name: str) -> Path:
        return self.out_dir if self.out_dir is not None else Path("build") / f"{model_name}-{self.target}"
