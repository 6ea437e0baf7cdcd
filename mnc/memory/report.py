"""What `mnc info --memory` shows: each schedule step's live buffers and the arena over the schedule.

`memory_report` turns a plan into plain data (the JSON of `--json`); `plot_memory` draws it with
matplotlib: one bar per buffer spanning its live steps, raised to its arena range, streamed segments
shaded.
"""

from __future__ import annotations

from pathlib import Path

from mnc.ir import Graph


def memory_report(graph: Graph, plan) -> dict:
    """{"arena_bytes", "peak_step", "steps": [...], "buffers": [...], "segments": [...]}."""
    ops = graph.ops()
    segment_of = {i: n for n, s in enumerate(plan.segments) for i in s.ops}
    buffers = [{"name": b.name, "offset": plan.buffer_offsets[b.name], "bytes": b.size, "first_step": b.start,
                "last_step": b.end, "kind": _kind(b.name)} for b in plan.buffers]
    steps = []
    for i, (op, live_bytes) in enumerate(zip(ops, plan.live_bytes_per_step(len(ops)))):
        live = [b for b in buffers if b["first_step"] <= i <= b["last_step"]]
        steps.append({"step": i, "op": op.name, "kind": op.kind, "segment": segment_of.get(i),
                      "live": [b["name"] for b in live], "live_bytes": live_bytes,
                      "top": max((b["offset"] + b["bytes"] for b in live), default=0)})
    peak = max(range(len(steps)), key=lambda i: (steps[i]["live_bytes"], -i)) if steps else 0
    segments = [{"first_step": s.first, "last_step": s.last, "band_rows": s.band, "ops": [ops[i].name for i in s.ops],
                 "streamed": sorted(s.internal)} for s in plan.segments]
    return {"arena_bytes": plan.arena_bytes, "strategy": plan.strategy, "peak_step": peak,
            "peak_op": steps[peak]["op"] if steps else "", "steps": steps, "buffers": buffers, "segments": segments}


def _kind(name: str) -> str:
    for prefix in ("scratch", "window"):
        if name.startswith(prefix + ":"):
            return prefix
    return "tensor"


COLOURS = {"tensor": "#4878a8", "scratch": "#d08040", "window": "#60a060"}


def plot_memory(report: dict, path: Path, title: str) -> None:
    """PNG of the arena over the schedule (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(8, len(report["steps"]) * 0.12), 5), dpi=100)
    for seg in report["segments"]:
        ax.axvspan(seg["first_step"] - 0.5, seg["last_step"] + 0.5, color="#f0e0a0", alpha=0.6, lw=0)
    for b in report["buffers"]:
        ax.bar(b["first_step"] - 0.45, b["bytes"] / 1024, width=b["last_step"] - b["first_step"] + 0.9,
               bottom=b["offset"] / 1024, align="edge", color=COLOURS[b["kind"]], edgecolor="black", linewidth=0.3)
    ax.axhline(report["arena_bytes"] / 1024, color="red", linewidth=0.8)
    ax.set_xlabel("schedule step (shaded: row-streamed segments)")
    ax.set_ylabel("arena offset (KiB)")
    ax.set_title(f"{title}: arena {report['arena_bytes']:,} B (blue tensors, green windows, orange scratch)")
    ax.set_xlim(-0.5, len(report["steps"]) - 0.5)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
