"""Reduction bandwidth: full and per-dim sums, mean/var, max, softmax rows, against numpy and
PyTorch in the same run (GB/s of input read; best of N).

Run: python benchmarks/bench_reduce.py [--only sum,sum1] [--repeat 7]
     (ratios > 1 mean clgrad is faster)
"""
from __future__ import annotations

import numpy as np

from _common import (best_time, cl_device_or_exit, clgrad, parse_args, parser, report,
                     torch_device, torch_label, torch_or_none)

N = 16 * 1024 * 1024
SIDE = 4096


def _cases(torch):
    """name -> (label, clgrad fn(x), numpy fn(a) or None, torch fn(t) or None, 1-D input)."""
    F = clgrad.nn.functional
    tF = torch.nn.functional if torch else None
    return {
        "sum": ("x.sum(), 16M", lambda x: x.sum(), lambda a: a.sum(),
                lambda t: t.sum(), True),
        "sum1": ("x.sum(1), 4096x4096", lambda x: x.sum(1), lambda a: a.sum(1),
                 lambda t: t.sum(1), False),
        "sum0": ("x.sum(0), 4096x4096", lambda x: x.sum(0), lambda a: a.sum(0),
                 lambda t: t.sum(0), False),
        "mean1": ("x.mean(1), 4096x4096", lambda x: x.mean(1), lambda a: a.mean(1),
                  lambda t: t.mean(1), False),
        "var1": ("x.var(1), 4096x4096", lambda x: x.var(1), lambda a: a.var(1, ddof=1),
                 lambda t: t.var(1), False),
        "var0": ("x.var(0), 4096x4096", lambda x: x.var(0), lambda a: a.var(0, ddof=1),
                 lambda t: t.var(0), False),
        "amax1": ("x.amax(1), 4096x4096", lambda x: x.amax(1), lambda a: a.max(1),
                  lambda t: t.amax(1), False),
        "softmax1": ("softmax(x, 1), 4096x4096", lambda x: F.softmax(x, 1), None,
                     lambda t: tF.softmax(t, 1), False),
        "log_softmax1": ("log_softmax(x, 1), 4096x4096", lambda x: F.log_softmax(x, 1), None,
                         lambda t: tF.log_softmax(t, 1), False),
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated case names (default: all)")
    p.add_argument("--repeat", type=int, default=7, help="best of this many timings")
    args = parse_args(p)
    dev = cl_device_or_exit()
    torch = torch_or_none()
    cases = _cases(torch)
    only = [c for c in args.only.split(",") if c] or list(cases)
    rng = np.random.default_rng(0)
    flat = rng.random(N, dtype=np.float32)
    arrays = {True: flat, False: flat.reshape(SIDE, SIDE)}
    ours_in = {k: clgrad.tensor(a, device=dev) for k, a in arrays.items()}
    torch_in = {k: torch.tensor(a, device=torch_device()) for k, a in arrays.items()} \
        if torch else {}
    bytes_read = 4 * N
    sync = clgrad.cl.synchronize
    for name in only:
        label, ours_fn, np_fn, torch_fn, one_d = cases[name]
        x = ours_in[one_d]
        # sync waits for the device, so each timing includes the kernels' whole run.
        ours = bytes_read / best_time(lambda: ours_fn(x), repeat=args.repeat, number=3,
                                      sync=sync) / 1e9
        others = {}
        if np_fn is not None:
            a = arrays[one_d]
            others["numpy"] = bytes_read / best_time(lambda: np_fn(a), repeat=args.repeat,
                                                     number=3) / 1e9
        if torch:
            t = torch_in[one_d]
            others[torch_label()] = bytes_read / best_time(lambda: torch_fn(t),
                                                           repeat=args.repeat, number=3) / 1e9
        report(f"{label} (GB/s)", ours, others, "GB/s", higher_is_better=True)


if __name__ == "__main__":
    main()
