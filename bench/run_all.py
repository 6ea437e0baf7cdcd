"""Run every benchmark in turn: memory vs TFLite Micro, then whole-network instruction counts.

    .venv/bin/python bench/run_all.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import memory_vs_tflm, network
from bench.common import emit


def main() -> None:
    memory_vs_tflm.main([])
    emit()
    network.main([])


if __name__ == "__main__":
    main()
