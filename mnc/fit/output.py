"""What `mnc fit` shows and writes: terminal tables, fit.json and pareto.png."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mnc.safetext import escape

FIT_JSON = "fit.json"
PARETO_PNG = "pareto.png"


def print_fit(summary: dict, console: Console) -> None:
    rows = summary["candidates"]
    fitting = [r for r in rows if r["fits"]]
    console.print(_table("Candidates that fit", _by_accuracy(fitting)))
    front = [r for r in rows if r["variant"] in summary["pareto_front"]]
    console.print(_table("Pareto front (accuracy vs latency vs RAM)", sorted(front, key=_front_order)))
    rejected = [r for r in rows if not r["fits"]]
    if rejected:
        console.print(f"{len(rejected)} of {len(rows)} candidates do not fit, e.g. "
                      + "; ".join(escape(f"{r['variant']}: {', '.join(r['reasons'])}") for r in rejected[:3]))
    limits = summary["limits"]
    console.print(escape(f"latency: {summary['latency_model']['note']}; cpi {limits['cpi']:g} at "
                         f"{limits['clock_mhz']:g} MHz"))
    console.print("top-1: published ImageNet figures of the float models (sources in fit.json); "
                  "'-' = no published figure")
    best = summary["recommendation"]
    console.print(f"recommendation: {escape(best)}" if best else
                  "recommendation: none (no fitting candidate has a published accuracy)")


def _by_accuracy(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r["top1"] is None, -(r["top1"] or 0), r["latency_ms"]))


def _front_order(row: dict) -> tuple:
    return (-row["top1"], row["latency_ms"], row["ram_bytes"])


def _table(title: str, rows: list[dict]) -> Table:
    table = Table(title=title)
    for column in ("variant", "top-1 %", "latency ms", "RAM B", "flash B", "instructions", "MACs"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for r in rows:
        table.add_row(escape(r["variant"]), "-" if r["top1"] is None else f"{r['top1']:.1f}",
                      f"{r['latency_ms']:,.1f}", f"{r['ram_bytes']:,}", f"{r['flash_bytes']:,}",
                      f"{r['instructions']:,}", f"{r['macs']:,}")
    return table


def write_outputs(summary: dict, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / FIT_JSON
    _write_atomic(json_path, json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return [json_path, write_pareto_plot(summary, out_dir / PARETO_PNG)]


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_pareto_plot(summary: dict, path: Path) -> Path:
    """Accuracy against modelled latency; marker area grows with RAM; the front joined by a line."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [r for r in summary["candidates"] if r.get("latency_ms") is not None and r["top1"] is not None]
    fitting = [r for r in rows if r["fits"]]
    other = [r for r in rows if not r["fits"]]
    front = sorted((r for r in fitting if r["variant"] in summary["pareto_front"]), key=lambda r: r["latency_ms"])
    biggest = max([r["ram_bytes"] for r in rows] or [1])
    size = lambda rs: [20 + 200 * r["ram_bytes"] / biggest for r in rs]
    fig, ax = plt.subplots(figsize=(9, 6))
    ax.scatter([r["latency_ms"] for r in other], [r["top1"] for r in other], s=size(other), c="lightgrey",
               label="does not fit")
    ax.scatter([r["latency_ms"] for r in fitting], [r["top1"] for r in fitting], s=size(fitting), c="tab:blue",
               alpha=0.7, label="fits")
    ax.plot([r["latency_ms"] for r in front], [r["top1"] for r in front], "-o", color="tab:red", label="Pareto front")
    for r in front:
        ax.annotate(r["variant"], (r["latency_ms"], r["top1"]), textcoords="offset points", xytext=(5, 5),
                    fontsize=8, parse_math=False)
    limits = summary["limits"]
    if limits["max_latency_ms"] is not None:
        ax.axvline(limits["max_latency_ms"], color="tab:red", linestyle="--", linewidth=0.8)
    ax.set_xlabel(f"modelled latency, ms (instructions x {limits['cpi']:g} CPI at {limits['clock_mhz']:g} MHz)")
    ax.set_ylabel("published ImageNet top-1, %")
    ax.set_title(f"{limits['board'] or limits['core']}: RAM {limits['ram_bytes']:,} B, "
                 f"flash {limits['flash_bytes']:,} B (marker area ~ RAM)", parse_math=False)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path
