"""Run every benchmark in this folder and print their figures (python -m clgrad bench).

Run: python benchmarks/run_all.py [NAME ...] [--torch-device {cpu,cuda}]   (NAME: gemm or
bench_gemm; none runs them all). Each benchmark gets --torch-device and prints its driver line.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    sys.path.insert(0, str(HERE))
    from _common import parse_args, parser
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parse_args(cli, argv)
    names = args.names
    for path in sorted(HERE.glob("bench_*.py")):
        if names and path.stem not in names and path.stem.replace("bench_", "") not in names:
            continue
        print(f"== {path.stem} ==", flush=True)
        # each benchmark parses its own command line: the shared options only
        sys.argv = [str(path), "--torch-device", args.torch_device]
        runpy.run_path(str(path), run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
