"""Command line: `python -m clgrad info | warmup | bench | tune`."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def _info(args: argparse.Namespace) -> int:
    from .info import report
    print(report())
    return 0


def _warmup(args: argparse.Namespace) -> int:
    import clgrad
    from .warmup import warmup
    warmup(clgrad.device(args.device))
    return 0


def _tune(args: argparse.Namespace) -> int:
    from .tune import main as tune_main
    return tune_main(args)


def _benchmark_script() -> Path | None:
    # Benchmarks live beside the package in a source checkout; an installed wheel has none.
    for root in (Path.cwd(), Path(__file__).resolve().parents[1]):
        script = root / "benchmarks" / "run_all.py"
        if script.is_file():
            return script
    return None


def _bench(args: argparse.Namespace) -> int:
    script = _benchmark_script()
    if script is None:
        print("clgrad bench: benchmarks/run_all.py not found (it ships with the source "
              "checkout, not the wheel); run this from the repository root",
              file=sys.stderr)
        return 0
    env = dict(os.environ)
    return subprocess.call([sys.executable, str(script), *args.rest], env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clgrad",
                                     description="clgrad's tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    info = commands.add_parser(
        "info", help="versions, OpenCL platforms and devices, caches, compile stats")
    info.set_defaults(run=_info)
    warmup = commands.add_parser("warmup", help="precompile the common kernels for a device")
    warmup.add_argument("--device", default="cl", help="the device to warm up (default: cl)")
    warmup.set_defaults(run=_warmup)
    bench = commands.add_parser("bench", help="run the benchmark suite (benchmarks/run_all.py)")
    bench.add_argument("rest", nargs=argparse.REMAINDER,
                       help="arguments passed on to benchmarks/run_all.py")
    bench.set_defaults(run=_bench)
    tune = commands.add_parser(
        "tune", help="search GEMM parameters for a device and cache the winner")
    tune.add_argument("--device", default="cl", help="the device to tune (default: cl)")
    tune.add_argument("--size", type=int, default=1024, help="matrix size timed (default 1024)")
    tune.add_argument("--budget", type=float, default=90.0, help="search seconds (about)")
    tune.set_defaults(run=_tune)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
