"""`python -m clgrad warmup`: build the kernels most programs need, ahead of their first use.

Running each common op once on a tiny tensor builds its program and fills the driver's disk
cache (PoCL, NVIDIA) or pyopencl's, so later processes start fast. It runs Tensor ops, so it
lives above the op layer, not in the cl backend (whose build counter it reads).
"""
from __future__ import annotations

import sys
import time

import clgrad
from .backends.cl.programs import BuildStats


def _common_ops():
    """(label, callable(x, y, i)) pairs: x, y float tensors of shape (4, 4), i int64."""
    ops = [
        ("copy", lambda x, y, i: x.clone()),
        ("fill", lambda x, y, i: x.new_zeros(4)),
        ("cast", lambda x, y, i: i.float()),
        ("strided copy", lambda x, y, i: x.t().contiguous()),
    ]
    for name in ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "eq", "lt", "gt"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)(y)))
        ops.append((f"{name} scalar", lambda x, y, i, n=name: getattr(x, n)(2.0)))
    for name in ("neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sin", "cos"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)()))
    ops.append(("add strided", lambda x, y, i: x.t() + y))
    for name in ("sum", "mean", "amax", "argmax", "var"):
        ops.append((name, lambda x, y, i, n=name: getattr(x, n)()))
        ops.append((f"{name} dim", lambda x, y, i, n=name: getattr(x, n)(1)))
    ops.append(("int add", lambda x, y, i: i + i))
    ops.append(("matmul", lambda x, y, i: x @ y))
    ops.append(("rand", lambda x, y, i: clgrad.rand(4, device=x.device)))
    ops.append(("randn", lambda x, y, i: clgrad.randn(4, device=x.device)))
    return ops


def warmup(device: str = "cl", out=sys.stderr, ops=None, progress=None) -> dict:
    """Build the common kernels for `device`; prints a progress bar, returns counts.

    ops: (label, callable()) pairs to run instead of the common ops (a program's own first
    step, say), so that only the kernels it needs are built; their errors are not swallowed.
    progress: called as progress(done, total, label) before each op (label None at the end),
    in place of the bar drawn on `out`, for callers that show progress their own way.
    """
    x = clgrad.ones(4, 4, device=device)
    y = clgrad.ones(4, 4, device=device)
    i = clgrad.ones(4, 4, dtype=clgrad.int64, device=device)
    custom = ops is not None
    ops = list(ops) if custom else [(label, lambda fn=fn: fn(x, y, i))
                                    for label, fn in _common_ops()]
    before = BuildStats.programs
    start = time.perf_counter()
    skipped = []
    for n, (label, fn) in enumerate(ops, 1):
        if progress is not None:
            progress(n - 1, len(ops), label)
        try:
            fn()
        except (AttributeError, NotImplementedError, TypeError):
            if custom:
                raise
            skipped.append(label)  # an op this version does not have yet
        if progress is not None:
            continue
        done = int(30 * n / len(ops))
        out.write(f"\rwarmup {device}: [{'#' * done}{'.' * (30 - done)}] {n}/{len(ops)} "
                  f"{label:<16}")
        out.flush()
    clgrad.cl.synchronize()
    built = BuildStats.programs - before
    if progress is not None:
        progress(len(ops), len(ops), None)
        return {"programs": built, "seconds": time.perf_counter() - start, "skipped": skipped}
    out.write(f"\rwarmup {device}: {built} programs built in "
              f"{time.perf_counter() - start:.1f} s{' ' * 30}\n")
    if skipped:
        out.write(f"not available: {', '.join(skipped)}\n")
    return {"programs": built, "seconds": time.perf_counter() - start, "skipped": skipped}
