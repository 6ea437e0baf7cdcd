"""Limits, the latency model, which candidates fit, the Pareto front and the recommendation.

Latency is a model, not a measurement: QEMU under `-icount` counts retired instructions exactly,
not cycles. latency_ms = instructions x CPI / clock, with a stated cycles-per-instruction figure;
real cycles depend on flash wait states, caches and bus contention.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mnc.fit.accuracy import SOURCES, published_top1
from mnc.fit.candidates import Candidate

DEFAULT_CPI = 1.0
LATENCY_MODEL = ("modelled, not measured: latency_ms = instructions x cpi / clock; instructions are retired "
                 "instructions counted by QEMU (-icount shift=0) for one inference; cpi is an assumption "
                 "(1.0 = one cycle per instruction, no flash wait states or stalls)")


@dataclass(frozen=True)
class Limits:
    core: str
    ram_bytes: int
    flash_bytes: int
    clock_mhz: float
    max_latency_ms: float | None = None
    cpi: float = DEFAULT_CPI
    board: str | None = None

    def latency_ms(self, instructions: int) -> float:
        return instructions * self.cpi / (self.clock_mhz * 1e3)


def assess(candidates: list[Candidate], measurements: list[dict], limits: Limits) -> list[dict]:
    """One row per candidate: measurements, modelled latency, published top-1, and why it does not fit."""
    return [_row(c, m, limits) for c, m in zip(candidates, measurements)]


def _row(candidate: Candidate, measured: dict, limits: Limits) -> dict:
    published = published_top1(candidate.family, candidate.width, candidate.resolution)
    row = {"variant": candidate.variant, "family": candidate.family, "width": candidate.width,
           "resolution": candidate.resolution, "classes": candidate.classes,
           "top1": published.top1 if published else None, "top1_source": published.source if published else None}
    if "error" in measured:
        return {**row, "error": measured["error"], "fits": False, "reasons": ["does not compile"]}
    latency = round(limits.latency_ms(measured["instructions"]), 3)
    row.update({key: measured[key] for key in ("macs", "params", "arena_bytes", "flash_bytes", "ram_bytes",
                                               "instructions")})
    row["latency_ms"] = latency
    row["reasons"] = _reasons(row, limits)
    row["fits"] = not row["reasons"]
    return row


def _reasons(row: dict, limits: Limits) -> list[str]:
    reasons = []
    if row["ram_bytes"] > limits.ram_bytes:
        reasons.append(f"RAM {row['ram_bytes']:,} > {limits.ram_bytes:,}")
    if row["flash_bytes"] > limits.flash_bytes:
        reasons.append(f"flash {row['flash_bytes']:,} > {limits.flash_bytes:,}")
    if limits.max_latency_ms is not None and row["latency_ms"] > limits.max_latency_ms:
        reasons.append(f"latency {row['latency_ms']:,.1f} ms > {limits.max_latency_ms:g} ms")
    return reasons


def _objectives(row: dict) -> tuple[float, float, int]:
    """Smaller is better in each: accuracy (negated), latency, RAM."""
    return (-row["top1"], row["latency_ms"], row["ram_bytes"])


def dominates(a: dict, b: dict) -> bool:
    oa, ob = _objectives(a), _objectives(b)
    return all(x <= y for x, y in zip(oa, ob)) and oa != ob


def pareto_front(rows: list[dict]) -> list[dict]:
    """Fitting candidates with a published accuracy that no other such candidate dominates,
    best accuracy first."""
    ranked = [r for r in rows if r["fits"] and r["top1"] is not None]
    front = [r for r in ranked if not any(dominates(other, r) for other in ranked)]
    return sorted(front, key=_objectives)


def recommend(front: list[dict]) -> dict | None:
    """The most accurate front member (ties: faster, then less RAM)."""
    return front[0] if front else None


def fit_summary(rows: list[dict], limits: Limits, version: str) -> dict:
    """The content of fit.json: deterministic (no times, no paths), candidates in sweep order."""
    front = pareto_front(rows)
    best = recommend(front)
    used = sorted({r["top1_source"] for r in rows if r["top1_source"]})
    return {
        "mnc_version": version,
        "limits": asdict(limits),
        "latency_model": {"cpi": limits.cpi, "clock_mhz": limits.clock_mhz, "note": LATENCY_MODEL},
        "accuracy_sources": {key: SOURCES[key] for key in used},
        "candidates": rows,
        "pareto_front": [r["variant"] for r in front],
        "recommendation": best["variant"] if best else None,
    }
