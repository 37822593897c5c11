"""Time to first result of an op in a new process, with a warm and with a cold kernel cache.

The warm case is what a user sees on every run after the first (PoCL and NVIDIA keep compiled
programs on disk); the cold case is the one-off cost per distinct program.
Run: python benchmarks/bench_first_use.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import parse_args, parser

CHILD = r"""
import time, sys
sys.path.insert(0, {root!r})
import clgrad
a = clgrad.ones(1000, device="cl"); b = clgrad.ones(1000, device="cl")
clgrad.cl.synchronize()
start = time.perf_counter()
(a * b).sum().item() if hasattr(a, "sum") else (a * b).cpu()
elapsed = time.perf_counter() - start
stats = clgrad.cl.compile_stats()
print(f"{{elapsed * 1e3:.1f}} {{stats['programs']}}")
"""


def run_child(env: dict) -> tuple:
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=root)], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    parse_args(parser(__doc__.splitlines()[0]))  # --torch-device accepted; no PyTorch here
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["POCL_CACHE_DIR"] = cache  # PoCL's kernel cache, empty: a cold start
        env["PYOPENCL_NO_CACHE"] = "1"
        cold_ms, programs = run_child(env)
        warm_ms, _ = run_child(env)  # the same cache, now filled
    print(f"first use of a*b then sum, new process: warm cache {warm_ms:.1f} ms, "
          f"cold cache {cold_ms:.1f} ms for {programs} programs "
          f"({cold_ms / max(programs, 1):.0f} ms per program cold)")


if __name__ == "__main__":
    main()
