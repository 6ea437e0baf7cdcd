"""Coverage-guided fuzzing of mnc's importers and compile-to-C path (targets in bench/fuzz_targets.py).

    .venv/bin/python bench/fuzz.py --runs 100000 --targets tflite onnx          # the note's run
    .venv/bin/python bench/fuzz.py --runs 2000 --targets compile
    .venv/bin/python bench/fuzz.py --seconds 20 --targets tflite onnx compile   # a smoke run

Each target runs in its own process (libFuzzer via atheris); with --parallel they run side by side.
Reported per target: iterations executed, coverage (libFuzzer's `cov` edges and `ft` features over the
instrumented mnc modules), corpus size, wall time, executions per second, and findings (distinct
non-MncError exceptions, multi-line or "internal error" messages, inputs slower than 10 s), each with
the exception, the mnc source line and the input (hex) in OUT/<target>.findings.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGETS = ("tflite", "onnx", "compile")
_STATS = re.compile(r"#(?P<runs>\d+)\s+(?:DONE|pulse|NEW|REDUCE|INITED)\s+cov: (?P<cov>\d+) ft: (?P<ft>\d+)"
                    r"(?: corp: (?P<corp>\d+)/\S+)?")
_DONE = re.compile(r"Done (?P<runs>\d+) runs in (?P<secs>\d+) second")


def run_target(target: str, runs: int | None, seconds: int | None, out: Path, seed: int | None = None
               ) -> subprocess.Popen:
    findings = out / f"{target}.findings.jsonl"
    findings.unlink(missing_ok=True)
    flags = [f"-runs={runs}"] if runs else []
    if seconds:
        flags.append(f"-max_total_time={seconds}")
    if seed is not None:
        flags.append(f"-seed={seed}")
    flags += ["-print_final_stats=1", f"-artifact_prefix={out}/{target}-"]
    log = open(out / f"{target}.log", "w")
    return subprocess.Popen([sys.executable, str(REPO / "bench" / "fuzz_targets.py"), target, str(findings), *flags],
                            stdout=log, stderr=subprocess.STDOUT, cwd=out)


def summarize(target: str, out: Path, wall: float, returncode: int) -> dict:
    log = (out / f"{target}.log").read_text(errors="replace")
    stats = [m.groupdict() for m in _STATS.finditer(log)]
    done = _DONE.search(log)
    last = stats[-1] if stats else {}
    findings_path = out / f"{target}.findings.jsonl"
    findings = [json.loads(line) for line in findings_path.read_text().splitlines()] if findings_path.exists() else []
    runs = int(done["runs"]) if done else int(last.get("runs") or 0)
    return {"target": target, "iterations": runs, "cov": int(last.get("cov") or 0), "ft": int(last.get("ft") or 0),
            "corpus": int(last.get("corp") or 0), "seconds": round(wall, 1),
            "exec_per_s": round(runs / wall, 1) if wall else 0.0, "findings": findings,
            "exit": returncode}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=["tflite", "onnx"])
    parser.add_argument("--runs", type=int, help="iterations per target")
    parser.add_argument("--seconds", type=int, help="time limit per target")
    parser.add_argument("--parallel", action="store_true", help="run the targets side by side")
    parser.add_argument("--real-seeds", action="store_true",
                        help="also seed the ONNX target with an exported built-in MobileNet (slower iterations)")
    parser.add_argument("--seed", type=int, help="libFuzzer's random seed (default: a fresh one per run)")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "fuzz")
    args = parser.parse_args(argv)
    if not args.runs and not args.seconds:
        parser.error("give --runs and/or --seconds")
    args.out.mkdir(parents=True, exist_ok=True)
    if args.real_seeds:
        os.environ["MNC_FUZZ_REAL_SEEDS"] = "1"   # read by fuzz_targets.py in the child processes
    results = []
    pending = list(args.targets)
    while pending:
        batch = pending if args.parallel else pending[:1]
        pending = pending[len(batch):]
        started = time.monotonic()
        procs = {t: run_target(t, args.runs, args.seconds, args.out, args.seed) for t in batch}
        for target, proc in procs.items():
            proc.wait()
            results.append(summarize(target, args.out, time.monotonic() - started, proc.returncode))
    print(f"{'target':8} {'iterations':>10} {'cov':>6} {'ft':>6} {'corpus':>6} {'seconds':>8} {'exec/s':>7} "
          f"{'findings':>8}")
    for r in results:
        print(f"{r['target']:8} {r['iterations']:>10} {r['cov']:>6} {r['ft']:>6} {r['corpus']:>6} {r['seconds']:>8} "
              f"{r['exec_per_s']:>7} {len(r['findings']):>8}")
        for f in r["findings"]:
            print(f"    {f['kind']}: {f['exception']} at {f['where']} (x{f['count']}): {f['detail'][:160]}")
    (args.out / "summary.json").write_text(json.dumps(results, indent=1))
    return 1 if any(r["findings"] or r["exit"] not in (0,) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
