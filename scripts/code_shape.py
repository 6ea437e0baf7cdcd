"""Median function length and the longest files of mnc/: the code-shape limits of the project.

A function's length is its line count from `def` to its last line, decorators and docstring
included, nested functions counted on their own too.

    python scripts/code_shape.py            # prints the figures
    python scripts/code_shape.py --check    # exit 1 if median > 8 lines or a file > 400 lines
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAX_MEDIAN_FUNCTION_LINES = 8
MAX_FILE_LINES = 400


def function_lengths(root: Path) -> list[int]:
    lengths = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lengths.append(node.end_lineno - start + 1)
    return lengths


def file_lengths(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root.parent)): len(p.read_text().splitlines()) for p in sorted(root.rglob("*.py"))}


def measure(root: Path = REPO / "mnc") -> dict:
    lengths = function_lengths(root)
    files = file_lengths(root)
    largest = max(files, key=files.get)
    return {"functions": len(lengths), "median_function_lines": statistics.median(lengths),
            "largest_file": largest, "largest_file_lines": files[largest],
            "files_over_limit": sorted(f for f, n in files.items() if n > MAX_FILE_LINES)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a limit is exceeded")
    figures = measure()
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = figures["median_function_lines"] <= MAX_MEDIAN_FUNCTION_LINES and not figures["files_over_limit"]
    return 0 if ok or not parser.parse_args().check else 1


if __name__ == "__main__":
    sys.exit(main())
