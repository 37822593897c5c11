"""Run every benchmark in this folder and print their figures (python -m clgrad bench)."""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names=None) -> None:
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem not in names and path.stem.replace("bench_", "") not in names:
            continue
        print(f"== {path.stem} ==", flush=True)
        sys.argv = [str(path)]  # each benchmark parses its own (empty) command line
        runpy.run_path(str(path), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
