"""Cold start: time to first result in a new process, with an empty and with a warm kernel
cache (issue 12 item 4).

1. the first a*b then sum;
2. the first LeNet training step (bench_lenet's model, batch 64), plain and with
   clgrad.cl.warmup(async_=True) started at the first device use, with the programs built,
   their count and build times (the slowest listed) apart from the rest (PoCL's first-launch
   code generation, per kernel and work-group size);
3. with --digits, examples/digits.py for one epoch (the whole process, wall time).
CPU seconds (the process's, all threads, and its children's: PoCL runs the linker once per
launch code entry) are printed beside wall seconds: on a shared machine they show the work
done, which the wall time hides behind other processes.
The cold case empties POCL_CACHE_DIR (and pyopencl's cache, PYOPENCL_NO_CACHE); the warm one
reruns with the cache the cold run filled, what a user sees on every later run.
Run: python benchmarks/bench_first_use.py [--digits] [--top 8] [--torch-device cpu]
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import parse_args, parser

HERE = Path(__file__).resolve().parent

FIRST_OP = r"""
import time, sys
sys.path.insert(0, {root!r})
import clgrad
a = clgrad.ones(1000, device="cl"); b = clgrad.ones(1000, device="cl")
clgrad.cl.synchronize()
start = time.perf_counter()
(a * b).sum().item()
elapsed = time.perf_counter() - start
stats = clgrad.cl.compile_stats()
print(f"{{elapsed * 1e3:.1f}} {{stats['programs']}}")
"""

LENET = r"""
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import clgrad, clgrad.nn, clgrad.optim
from clgrad.backends.cl.programs import BuildStats
if {warmup!r} == "async":
    background = clgrad.cl.warmup("cl", async_=True)
from bench_lenet import build, data, step_fn
model, loss_fn, opt = build(clgrad.nn, clgrad.optim, "cl")
x, y = data(clgrad, "cl")
step = step_fn(model, loss_fn, opt, x, y)
if {warmup!r} == "dry":  # the step's own kernels found by a dry run, built together
    clgrad.cl.warmup("cl", ops=[("step", step)], dry_run=True, progress=lambda *a: None)
step().item()
elapsed = time.perf_counter() - start
import resource
children = resource.getrusage(resource.RUSAGE_CHILDREN)  # PoCL's linker runs
cpu = time.process_time() + children.ru_utime + children.ru_stime
main = [h for h in BuildStats.history if h[3] == "MainThread"]
import os
setups = sum(name[:1].isdigit() and "-" in name  # PoCL's launch code: kernel/L-L-L[-...]
             for _, dirs, _ in os.walk(os.environ.get("POCL_CACHE_DIR", "/nonexistent"))
             for name in dirs)
print(json.dumps({{"seconds": elapsed, "cpu": cpu, "setups": setups,
                  "programs": BuildStats.programs,
                  "build_seconds": BuildStats.seconds, "history": BuildStats.history,
                  "main_programs": len(main), "main_build": sum(h[1] for h in main)}}))
"""


def child(code: str, env: dict) -> str:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, check=True).stdout


def first_op(env: dict) -> tuple:
    out = child(FIRST_OP.format(root=str(HERE.parent)), env).split()
    return float(out[0]), int(out[1])


def lenet(env: dict, warmup: str) -> dict:
    out = child(LENET.format(root=str(HERE.parent), bench=str(HERE), warmup=warmup), env)
    return json.loads(out.strip().splitlines()[-1])


def digits(env: dict) -> float:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, str(HERE.parent / "examples" / "digits.py"),
                        "--epochs", "1", "--out", out], env=env, capture_output=True,
                       text=True, check=True)
    return time.perf_counter() - start


def with_cache(fn, *args):
    """fn(env, *args) with an empty kernel cache, then again with the cache it filled."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        env["POCL_CACHE_DIR"] = cache  # PoCL's kernel cache, empty: a cold start
        env["PYOPENCL_NO_CACHE"] = "1"
        cold = fn(env, *args)
        warm = fn(env, *args)
    return cold, warm


def describe_lenet(label: str, cold: dict, warm: dict, top: int) -> None:
    kernels = sum(h[2] for h in cold["history"])
    print(f"first LeNet step in a new process{label}: empty cache {cold['seconds']:.2f} s "
          f"({cold['cpu']:.2f} s CPU), warm cache {warm['seconds']:.2f} s "
          f"({warm['cpu']:.2f} s CPU); cold: {cold['programs']} programs "
          f"({kernels} kernels) built in {cold['build_seconds']:.2f} s, "
          f"{cold['main_programs']} of them by the main thread "
          f"({cold['main_build']:.2f} s), {cold['setups']} launch code entries in PoCL's "
          "cache (one per kernel and work-group setup: generated at a build or a first "
          "launch)")
    for description, seconds, n, thread in sorted(cold["history"], key=lambda h: -h[1])[:top]:
        print(f"    {seconds:6.3f} s  {n:2d} kernel{'s' if n > 1 else ' '}  {thread:<13} "
              f"{description[:90]}")


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--digits", action="store_true",
                     help="also time examples/digits.py for one epoch")
    cli.add_argument("--top", type=int, default=8, help="slowest programs to list")
    cli.add_argument("--skip-warmup", action="store_true",
                     help="skip the LeNet step with the background warm-up")
    setting = os.environ.get("POCL_WORK_GROUP_SPECIALIZATION")  # before clgrad's default
    args = parse_args(cli)  # --torch-device accepted; no PyTorch here
    print("POCL_WORK_GROUP_SPECIALIZATION:", "unset (clgrad sets 0)" if setting is None
          else setting)
    (cold_ms, programs), (warm_ms, _) = with_cache(first_op)
    print(f"first use of a*b then sum, new process: warm cache {warm_ms:.1f} ms, "
          f"cold cache {cold_ms:.1f} ms for {programs} programs "
          f"({cold_ms / max(programs, 1):.0f} ms per program cold)")
    describe_lenet("", *with_cache(lenet, ""), args.top)
    if not args.skip_warmup:
        describe_lenet(", warmup(ops=[step], dry_run=True) first", *with_cache(lenet, "dry"),
                       args.top)
        describe_lenet(", warmup(async_=True) at start", *with_cache(lenet, "async"),
                       args.top)
    if args.digits:
        cold, warm = with_cache(digits)
        print(f"examples/digits.py --epochs 1 (whole process): empty cache {cold:.1f} s, "
              f"warm cache {warm:.1f} s")


if __name__ == "__main__":
    main()
