"""Mutation check of the test suite: a fixed list of small, realistic bugs, each applied alone to a copy
of the repository, then the tests that cover that code are run. A mutant is *caught* when they fail.

    .venv/bin/python bench/mutation.py                 # all mutants, prints caught/missed
    .venv/bin/python bench/mutation.py --only tie      # mutants whose id contains "tie"

The mutants cover quantization math, the C kernels' padding/stride/channel-tail handling, the memory
planner, the importers' attribute mapping, the passes and the hostile-input defences. Each names the
tests to run (the suite's tests for that code, not the whole suite, to keep one run near ten
minutes); a mutant the named tests miss is reported as missed, never skipped. A mutant whose
`old` text is not found exactly once (the code moved) is reported as "stale", so the list cannot rot
silently.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    id: str
    files: tuple[str, ...]    # glob patterns: the one file among them holding `old` is mutated
    old: str
    new: str
    tests: tuple[str, ...]    # pytest arguments (paths, -k expressions)


TFLITE_FRONTEND = ("mnc/frontends/tflite/*.py",)
ONNX_FRONTEND = ("mnc/frontends/onnx/*.py",)
CONV_C_TESTS = ("tests/ops/test_conv_family.py", "-k", "c_kernel or c_fully")

MUTANTS = [
    # ---- quantization math
    Mutant("quantize-multiplier-ties-to-even", ("mnc/quant/*.py",),
           "q = int(round_half_away(frac * (1 << 31)))", "q = int(np.round(frac * (1 << 31)))",
           ("tests/test_quant.py",)),
    Mutant("rounding-divide-no-negative-nudge", ("mnc/quant/*.py",),
           "threshold = (mask >> 1) + (x < 0)", "threshold = (mask >> 1)", ("tests/test_quant.py",)),
    Mutant("srdhm-positive-nudge-only", ("mnc/quant/*.py",),
           "nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))", "nudge = np.where(ab >= 0, 1 << 30, 1 << 30)",
           ("tests/test_quant.py",)),
    Mutant("relu6-range-without-floor", ("mnc/quant/*.py",),
           "lo, hi = max(lo, q(0.0)), min(hi, q(6.0))", "hi = min(hi, q(6.0))",
           ("tests/test_quant.py", "tests/ops/test_conv_family.py")),
    Mutant("bias-scale-ignores-input-scale", ("mnc/quant/*.py",),
           "scale = (np.float32(input_scale) * weight_scale.astype(np.float32)).astype(np.float32)",
           "scale = weight_scale.astype(np.float32)", ("tests/passes/test_quantize.py", "tests/ops/test_conv_family.py")),
    Mutant("default-percentile-99.9", ("mnc/passes/calibration.py",),
           "DEFAULT_PERCENTILE = 99.99", "DEFAULT_PERCENTILE = 99.9", ("tests/passes/test_calibration.py",)),
    # ---- C kernels: rounding, padding, strides, channel tails
    Mutant("c-rounding-divide-no-negative-nudge", ("templates/kernels/mnc_common.h",),
           "(mask >> 1) + (x < 0 ? 1 : 0)", "(mask >> 1)", CONV_C_TESTS),
    Mutant("c-depthwise-pad-top-for-left", ("templates/kernels/mnc_depthwise_conv2d_s8.c",),
           "const int32_t ix0 = ox * p->stride_w - p->pad_left;", "const int32_t ix0 = ox * p->stride_w - p->pad_top;",
           CONV_C_TESTS),
    Mutant("c-conv-stride-h-for-w", ("templates/kernels/mnc_conv2d_s8.c",),
           "const int32_t ix0 = ox * p->stride_w - p->pad_left;", "const int32_t ix0 = ox * p->stride_h - p->pad_left;",
           CONV_C_TESTS),
    Mutant("c-conv1x1-drops-odd-channel", ("templates/kernels/mnc_conv1x1_s8.c",),
           "    if (oc < p->out_c) {\n        const int8_t *w0 = p->weights + oc * n;\n        int32_t a0 = 0;\n"
           "        for (int32_t i = 0; i < n; i++) {\n            a0 += x0[i] * w0[i];",
           "    if (oc + 1 < p->out_c) {\n        const int8_t *w0 = p->weights + oc * n;\n        int32_t a0 = 0;\n"
           "        for (int32_t i = 0; i < n; i++) {\n            a0 += x0[i] * w0[i];", CONV_C_TESTS),
    Mutant("c-fc-tail-without-offset", ("templates/kernels/mnc_fully_connected_s8.c",),
           "            a0 += (in[i] + off) * w0[i];\n        }\n        out[o] = mnc_fc_output(p, a0, o);\n    }\n}",
           "            a0 += in[i] * w0[i];\n        }\n        out[o] = mnc_fc_output(p, a0, o);\n    }\n}",
           CONV_C_TESTS),
    # ---- memory planner
    Mutant("planner-overlap-tolerates-one-byte", ("mnc/memory/planner.py",),
           "off_a < off_b + b.size and off_b < off_a + a.size", "off_a < off_b + b.size - 1 and off_b < off_a + a.size - 1",
           ("tests/memory/test_planner.py",)),
    Mutant("liveness-overlap-strict", ("mnc/memory/liveness.py",),
           "return self.start <= other.end and other.start <= self.end",
           "return self.start < other.end and other.start < self.end", ("tests/memory/test_planner.py",)),
    # ---- importers' attribute mapping
    Mutant("tflite-stride-w-for-both", TFLITE_FRONTEND,
           "stride = (int(opts.StrideH()), int(opts.StrideW()))", "stride = (int(opts.StrideW()), int(opts.StrideW()))",
           ("tests/frontends/test_tflite_strides.py", "tests/frontends/test_tflite.py")),
    Mutant("tflite-same-padding-extra-before", TFLITE_FRONTEND,
           "pads += [total // 2, total - total // 2]", "pads += [total - total // 2, total // 2]",
           ("tests/frontends/test_tflite_strides.py", "tests/frontends/test_tflite.py")),
    Mutant("onnx-pads-left-right-swapped", ONNX_FRONTEND,
           "(t, b), (l, r) = pads\n    return (t, b, l, r)", "(t, b), (l, r) = pads\n    return (t, b, r, l)",
           ("tests/frontends/test_onnx.py", "tests/onnx_conformance")),
    Mutant("onnx-gemm-ignores-transB", ONNX_FRONTEND,
           'w = w if a["transB"] else Const(w.data.T, _transposed_quant(w.quant))',
           "w = Const(w.data.T, _transposed_quant(w.quant))", ("tests/frontends/test_onnx.py", "tests/onnx_conformance")),
    # ---- passes
    Mutant("batchnorm-fold-without-eps", ("mnc/passes/fold_batchnorm.py",),
           'scale = gamma / np.sqrt(var + float(np.float32(bn.attrs.get("eps", 1e-5))))', "scale = gamma / np.sqrt(var)",
           ("tests/passes/test_fold_batchnorm.py",)),
    Mutant("fuse-activation-relu6-becomes-relu", ("mnc/passes/fuse_activation.py",),
           'return "relu6" if "relu6" in (existing, new) else new', "return new",
           ("tests/passes/test_fuse_activation.py",)),
    # ---- hostile-input defences
    Mutant("proof-skips-zero-point-addition", ("mnc/numerics.py",),
           '    _within_int32(op, low, high, "adding the output zero point after requantization", scales)\n', "",
           ("tests/hostile/test_corpus.py", "tests/hostile/test_properties.py", "-k", "refused or refuses or sound")),
    Mutant("proof-skips-left-shift", ("mnc/numerics.py",),
           '    _within_int32(op, lo << left, hi << left, "the left shift of its requantization", scales)\n', "",
           ("tests/hostile/test_corpus.py", "tests/hostile/test_properties.py", "-k", "refused or refuses or sound")),
    Mutant("escape-lets-esc-through", ("mnc/safetext.py",),
           "_UNSAFE_CATEGORIES = frozenset({\"Cc\",", "_UNSAFE_CATEGORIES = frozenset({\"Xx\",",
           ("tests/hostile/test_terminal_text.py",)),
    Mutant("tflite-validator-allows-zero-stride", ("mnc/frontends/tflite/validate.py",),
           "            if value < 1:", "            if value < 0:", ("tests/hostile/test_corpus.py", "-k", "refused")),
    Mutant("onnx-external-data-reads-fifos", ("mnc/frontends/onnx/validate.py",),
           "    if not stat.S_ISREG(st.st_mode):", "    if False:",
           ("tests/hostile/test_corpus.py", "-k", "refused and external")),
]


def locate(mutant: Mutant, root: Path) -> Path | None:
    hits = [p for pattern in mutant.files for p in sorted(root.glob(pattern))
            if p.is_file() and p.read_text().count(mutant.old) == 1]
    return hits[0] if len(hits) == 1 else None


def run_mutant(mutant: Mutant, python: str) -> tuple[str, float]:
    with tempfile.TemporaryDirectory(prefix="mnc-mutant-") as tmp:
        root = Path(tmp) / "repo"
        archive = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
        files = [f for f in archive.decode().split("\0") if f]
        for f in files:
            src, dst = REPO / f, root / f
            if src.is_file():
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(src.read_bytes())
        target = locate(mutant, root)
        if target is None:
            return "stale", 0.0
        target.write_text(target.read_text().replace(mutant.old, mutant.new))
        start = time.monotonic()
        proc = subprocess.run([python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests],
                              cwd=root, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
        seconds = time.monotonic() - start
    if proc.returncode == 1:
        return "caught", seconds
    if proc.returncode == 0:
        return "MISSED", seconds
    return f"error (pytest exit {proc.returncode})", seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="run the mutants whose id contains this text")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.only or args.only in m.id]
    results = []
    for mutant in chosen:
        outcome, seconds = run_mutant(mutant, sys.executable)
        results.append((mutant.id, outcome))
        print(f"{mutant.id:42} {outcome:10} {seconds:6.1f} s", flush=True)
    caught = sum(1 for _, o in results if o == "caught")
    print(f"caught {caught} of {len(results)}; missed: {[i for i, o in results if o != 'caught'] or 'none'}")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
