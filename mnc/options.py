"""Compiler options: everything a compile depends on besides the model and the target file.

One frozen object per compile, so nothing else (no environment variable, no global) can steer codegen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnc.errors import MncError

CALIBRATION_METHODS = ("minmax", "percentile", "mse")
SCHEDULES = ("plain", "auto")
KERNEL_FAMILIES = ("mnc", "cmsis-nn")


@dataclass(frozen=True)
class CompileOptions:
    target: str = "host"
    out_dir: Path | None = None            # None: build/<model-name>-<target>
    calibration: Path | None = None        # .npy/.npz file or folder; None: synthetic (with a warning)
    calibration_method: str = "minmax"
    bias_correction: bool = False          # shift int32 biases to cancel quantization's mean error
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
    kernels: str = "mnc"                   # "cmsis-nn": Arm's CMSIS-NN where it has the op, mnc's elsewhere
    cmsis_nn: Path | None = None           # CMSIS-NN tree (None: ../shared/third_party/CMSIS-NN)
    enforce_budget: bool = True            # refuse models over the target file's RAM/flash budget
                                           # (`mnc fit` measures them against the board's own limits)

    def __post_init__(self) -> None:
        if self.calibration_method not in CALIBRATION_METHODS:
            raise MncError(f"unknown calibration method {self.calibration_method!r} (choose from {', '.join(CALIBRATION_METHODS)})")
        if self.schedule not in SCHEDULES:
            raise MncError(f"unknown schedule {self.schedule!r} (choose from {', '.join(SCHEDULES)})")
        if self.ram_budget is not None and self.ram_budget < 1:
            raise MncError(f"--ram-budget must be a positive number of bytes, got {self.ram_budget}")
        if self.kernels not in KERNEL_FAMILIES:
            raise MncError(f"unknown kernel family {self.kernels!r} (choose from {', '.join(KERNEL_FAMILIES)})")
        if self.cmsis_nn is not None and self.kernels != "cmsis-nn":
            raise MncError("--cmsis-nn is only used with --kernels cmsis-nn")
        if self.portable_kernels and self.kernels != "mnc":
            raise MncError("--portable-kernels selects mnc's portable kernels; it cannot be combined with --kernels cmsis-nn")
        for name in ("out_dir", "calibration", "weights", "cmsis_nn"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Path):
                object.__setattr__(self, name, Path(value))

    def default_out_dir(self, model_name: str) -> Path:
        return self.out_dir if self.out_dir is not None else Path("build") / f"{model_name}-{self.target}"
