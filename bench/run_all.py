"""Run every benchmark in turn: memory vs TFLite Micro, whole-network instruction counts, then
int8-vs-float quantization quality.

    .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import memory_vs_tflm, network, quantization_quality
from bench.common import emit


def main() -> None:
    memory_vs_tflm.main([])
    emit()
    network.main([])
    emit()
    quantization_quality.main([])


if __name__ == "__main__":
    main()
