"""Built-in variant names: `<family>-<width>[-<resolution>]`, e.g. `v1-0.25`, `v3l-0.75-128`."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.errors import MncError

DEFAULT_RESOLUTION = 96
DEFAULT_CLASSES = 2
MIN_RESOLUTION, MAX_RESOLUTION, RESOLUTION_STEP = 32, 512, 32

# Family prefix -> (architecture name, widths the papers define).
FAMILIES: dict[str, tuple[str, tuple[float, ...]]] = {
    "v1": ("mobilenet_v1", (0.25, 0.5, 0.75, 1.0)),
    "v2": ("mobilenet_v2", (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)),
    "v3s": ("mobilenet_v3_small", (0.75, 1.0)),
    "v3l": ("mobilenet_v3_large", (0.75, 1.0)),
    # The V4 paper trains width 1.0 only; 0.5 and 0.75 use the official backbone's filter scale.
    "v4s": ("mobilenet_v4_conv_small", (0.5, 0.75, 1.0)),
    "v4m": ("mobilenet_v4_conv_medium", (0.5, 0.75, 1.0)),
}


class VariantError(MncError):
    """A built-in variant name, resolution or class count that mnc does not define."""


@dataclass(frozen=True)
class VariantSpec:
    family: str        # key of FAMILIES
    width: float
    resolution: int
    classes: int

    @property
    def name(self) -> str:
        """Canonical name, resolution included: `v1-0.25-96`."""
        return f"{self.family}-{self.width}-{self.resolution}"

    @property
    def architecture(self) -> str:
        return FAMILIES[self.family][0]


def list_variants() -> list[str]:
    """Every valid variant name without the optional resolution suffix."""
    return [f"{fam}-{w}" for fam, (_, widths) in FAMILIES.items() for w in widths]


def parse_variant(name: str, classes: int | None = None, resolution: int | None = None) -> VariantSpec:
    """Parse `name`; explicit `classes`/`resolution` override the defaults and the name's suffix."""
    family, width, suffix_res = _split_name(name)
    res = next(r for r in (resolution, suffix_res, DEFAULT_RESOLUTION) if r is not None)
    _check_resolution(res)
    n_classes = DEFAULT_CLASSES if classes is None else classes
    if not isinstance(n_classes, int) or n_classes < 1:
        raise VariantError(f"classes must be a positive integer, got {classes!r}")
    return VariantSpec(family, width, int(res), n_classes)


def _split_name(name: str) -> tuple[str, float, int | None]:
    parts = str(name).strip().lower().split("-")
    if len(parts) not in (2, 3) or parts[0] not in FAMILIES:
        raise _unknown(name)
    width = _parse_number(parts[1], float, name)
    match = [w for w in FAMILIES[parts[0]][1] if abs(w - width) < 1e-9]
    if not match:
        raise _unknown(name)
    suffix_res = _parse_number(parts[2], int, name) if len(parts) == 3 else None
    return parts[0], match[0], suffix_res


def _parse_number(text: str, kind: type, name: str):
    try:
        return kind(text)
    except ValueError:
        raise _unknown(name) from None


def _check_resolution(res) -> None:
    ok = isinstance(res, int) and MIN_RESOLUTION <= res <= MAX_RESOLUTION and res % RESOLUTION_STEP == 0
    if not ok:
        raise VariantError(f"resolution must be a multiple of {RESOLUTION_STEP} in "
                           f"{MIN_RESOLUTION}..{MAX_RESOLUTION}, got {res!r}")


def _unknown(name: str) -> VariantError:
    return VariantError(f"unknown built-in variant {name!r}; valid: {', '.join(list_variants())} "
                        f"(optional -RESOLUTION suffix, e.g. v1-0.25-128)")
