"""The candidates of a sweep: every built-in family x width x resolution asked for."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.errors import MncError
from mnc.frontends.builtin.variants import FAMILIES, parse_variant

DEFAULT_RESOLUTIONS = (96, 128, 160, 192, 224)
DEFAULT_CLASSES = 1000   # the published accuracies are for ImageNet's 1,000 classes


@dataclass(frozen=True, order=True)
class Candidate:
    family: str
    width: float
    resolution: int
    classes: int

    @property
    def variant(self) -> str:
        """The built-in variant name, resolution included: `v1-0.25-128`."""
        return f"{self.family}-{self.width}-{self.resolution}"


def sweep(families: list[str], resolutions: list[int], classes: int,
          widths: list[float] | None = None) -> list[Candidate]:
    """Every valid combination, in a stable order; unknown families or widths are refused."""
    for family in families:
        if family not in FAMILIES:
            raise MncError(f"unknown family {family!r} (choose from {', '.join(FAMILIES)})")
    found = []
    for family in families:
        for width in _widths(family, widths):
            for res in resolutions:
                parse_variant(f"{family}-{width}", classes=classes, resolution=res)   # validates
                found.append(Candidate(family, width, res, classes))
    if not found:
        raise MncError("no candidates: none of the --widths exists in the chosen families")
    return sorted(set(found))


def _widths(family: str, wanted: list[float] | None) -> list[float]:
    defined = FAMILIES[family][1]
    if wanted is None:
        return list(defined)
    return [w for w in defined if any(abs(w - x) < 1e-9 for x in wanted)]
