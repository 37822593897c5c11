"""A LeNet-style CNN training step on MNIST-shaped batches of 64, against PyTorch CPU.

conv 1-32-3, ReLU, max pool 2, conv 32-64-3, ReLU, max pool 2, linear 1600-128-10,
CrossEntropyLoss, Adam. Prints the steady step time on the OpenCL device (and on cpu, numpy)
with PyTorch CPU's in the same run, and the first step of a new process with a cold and a warm
kernel cache (build time reported apart).
Run: python benchmarks/bench_lenet.py [--steps N] [--skip-cold]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import (best_time, cl_device_or_exit, clgrad, parse_args, parser, torch_device,
                     torch_label, torch_or_none)
import clgrad.nn  # noqa: E402,F401  (subpackages the model needs)
import clgrad.optim  # noqa: E402,F401

BATCH = 64


def build(nn, optim, device, seed: int = 0):
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    return model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-3)


def step_fn(model, loss_fn, opt, x, y):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def data(lib, device, seed: int = 0):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return lib.tensor(x, device=device), lib.tensor(y, device=device)


CHILD = r"""
import sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
from bench_lenet import build, data, step_fn
import clgrad, clgrad.nn, clgrad.optim
start = time.perf_counter()
model, loss_fn, opt = build(clgrad.nn, clgrad.optim, "cl")
x, y = data(clgrad, "cl")
step_fn(model, loss_fn, opt, x, y)().item()
elapsed = time.perf_counter() - start
stats = clgrad.cl.compile_stats()
print(f"{{elapsed:.3f}} {{stats['programs']}} {{stats['seconds']:.3f}}")
"""


def first_step(env: dict) -> tuple:
    here = Path(__file__).resolve().parent
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(here.parent),
                                                             bench=str(here))],
                         env=env, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), float(out[2])


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--steps", type=int, default=10)
    cli.add_argument("--skip-cold", action="store_true")
    args = parse_args(cli)
    dev = cl_device_or_exit()
    timings = {}
    for device in (dev, "cpu"):
        for compiled in (False, True):  # eager, and the step through clgrad.compile
            model, loss_fn, opt = build(clgrad.nn, clgrad.optim, device)
            x, y = data(clgrad, device)
            step = step_fn(model, loss_fn, opt, x, y)
            if compiled:
                step = clgrad.compile(step)
                step()  # the eager call; best_time's own first call is the captured one
            timings[f"{device} compiled" if compiled else device] = best_time(
                step, repeat=args.steps, sync=clgrad.cl.synchronize)
    torch = torch_or_none()
    ref = None
    if torch is not None:
        model, loss_fn, opt = build(torch.nn, torch.optim, torch_device())
        x, y = data(torch, torch_device())
        ref = best_time(step_fn(model, loss_fn, opt, x, y), repeat=args.steps)
    for device, seconds in timings.items():
        line = f"LeNet step, batch {BATCH}, {device}: {seconds * 1e3:.1f} ms"
        if ref is not None:
            line += (f"; {torch_label()} {ref * 1e3:.1f} ms (clgrad takes {seconds / ref:.2f}x "
                     "PyTorch's time)")
        print(line)
    if not args.skip_cold:
        env = dict(os.environ)
        with tempfile.TemporaryDirectory() as cache:
            env["POCL_CACHE_DIR"] = cache
            env["PYOPENCL_NO_CACHE"] = "1"
            cold = first_step(env)
            warm = first_step(env)
        for label, (seconds, programs, build_s) in (("cold", cold), ("warm", warm)):
            print(f"first LeNet step in a new process, {label} kernel cache: {seconds:.2f} s "
                  f"({programs} programs built in {build_s:.2f} s)")


if __name__ == "__main__":
    main()
