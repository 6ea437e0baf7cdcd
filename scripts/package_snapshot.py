"""Snapshot of the generated packages for the test models, to prove a refactor changed no output.

Compiles v1-0.25, v2-0.35, v3s-0.75, v3l-0.75 and the VWW int8 model for host, cortex-m7 and
cortex-m55, records the sha256 of every generated file (manifest.json without the per-layer kernel
choice, see KERNEL_CHOICE_KEYS), and the emulated instruction count of one
inference of VWW and v1-0.25 on cortex-m7/m55 (seeded random input).

    python scripts/package_snapshot.py --record /work/wt/i8-baseline.json
    python scripts/package_snapshot.py --check /work/wt/i8-baseline.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from mnc.compiler import compile_model
from mnc.errors import MncError
from mnc.options import CompileOptions

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the repo; a worktree elsewhere falls back to the machine's copy
SHARED = next((p for p in (REPO.parent / "shared", Path("/work/shared")) if p.is_dir()), REPO.parent / "shared")
VWW = SHARED / "models" / "vww_96_int8.tflite"
MODELS = ("v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75", str(VWW))
TARGETS = ("host", "cortex-m7", "cortex-m55")
TIMED_MODELS = (str(VWW), "v1-0.25")
TIMED_TARGETS = ("cortex-m7", "cortex-m55")
INPUT_SEED = 1234


def model_label(model: str) -> str:
    return Path(model).stem if model.endswith(".tflite") else model


# Manifest keys that record the kernel choice (added with the kernel descriptors): they are new
# information, not a change of the package, so the manifest is compared without them.
KERNEL_CHOICE_KEYS = ("kernel", "skipped")


def package_hashes(out_dir: Path) -> dict[str, str]:
    files = sorted(p for p in out_dir.rglob("*") if p.is_file() and "build" not in p.relative_to(out_dir).parts)
    return {_label(p.relative_to(out_dir)): hashlib.sha256(_content(p, out_dir)).hexdigest() for p in files}


def _label(rel: Path) -> str:
    return f"{rel} (without kernel choice)" if str(rel) == "manifest.json" else str(rel)


def _content(path: Path, out_dir: Path) -> bytes:
    if str(path.relative_to(out_dir)) != "manifest.json":
        return path.read_bytes()
    manifest = json.loads(path.read_text())
    for layer in manifest.get("layers", []):
        for key in KERNEL_CHOICE_KEYS:
            layer.pop(key, None)
    return json.dumps(manifest, indent=2, sort_keys=True).encode()


def compile_one(model: str, target: str, out_dir: Path):
    source = Path(model) if model.endswith(".tflite") else model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_model(source, CompileOptions(target=target, out_dir=out_dir, build_sizes=False))


def instructions(out_dir: Path, target: str, manifest: dict) -> int:
    from mnc.runners import cortexm

    shape = manifest["input"]["shape"]
    x = np.random.default_rng(INPUT_SEED).integers(-128, 128, size=shape, dtype=np.int8)
    return cortexm.run(out_dir, target, x).instructions


def snapshot() -> dict:
    result: dict = {"packages": {}, "instructions": {}}
    with tempfile.TemporaryDirectory(prefix="mnc-snapshot-") as tmp:
        for model in MODELS:
            for target in TARGETS:
                key = f"{model_label(model)}@{target}"
                out_dir = Path(tmp) / key
                try:
                    compiled = compile_one(model, target, out_dir)
                except MncError as exc:   # a refusal (e.g. too big for the target) is behaviour too
                    result["packages"][key] = {"error": str(exc)}
                    print(f"{key}: refused: {exc}", flush=True)
                    continue
                result["packages"][key] = package_hashes(out_dir)
                if model in TIMED_MODELS and target in TIMED_TARGETS:
                    result["instructions"][key] = instructions(out_dir, target, compiled.manifest)
                print(f"{key}: {len(result['packages'][key])} files"
                      + (f", {result['instructions'][key]} instructions" if key in result["instructions"] else ""),
                      flush=True)
    return result


def differences(expected: dict, actual: dict) -> list[str]:
    problems = []
    for section in ("packages", "instructions"):
        for key in sorted(set(expected[section]) | set(actual[section])):
            want, got = expected[section].get(key), actual[section].get(key)
            if want == got:
                continue
            if section == "instructions" or want is None or got is None:
                problems.append(f"{section} {key}: expected {want}, got {got}")
                continue
            for name in sorted(set(want) | set(got)):
                if want.get(name) != got.get(name):
                    problems.append(f"{key}/{name}: {'missing' if name not in got else 'new' if name not in want else 'changed'}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--record", type=Path, help="write the snapshot to this JSON file")
    group.add_argument("--check", type=Path, help="compare against a recorded snapshot")
    args = parser.parse_args()
    current = snapshot()
    if args.record:
        args.record.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
        print(f"recorded {args.record}")
        return 0
    problems = differences(json.loads(args.check.read_text()), current)
    for line in problems:
        print(line)
    print("snapshot: identical" if not problems else f"snapshot: {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
