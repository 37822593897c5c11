"""Elementwise bandwidth and per-op overhead against numpy, PyTorch CPU and pyopencl.array.

Run: python benchmarks/bench_elementwise.py [--overhead-only]   (ratios > 1: clgrad is faster)
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from _common import (best_time, cl_device_or_exit, clgrad, parse_args, parser, report,
                     torch_label, torch_or_none, torch_sync)

N = 16 * 1024 * 1024


def bandwidth(dev: str, torch) -> None:
    sync = clgrad.cl.synchronize
    a = clgrad.rand(N, device=dev) if hasattr(clgrad, "rand") else clgrad.ones(N, device=dev)
    b = clgrad.ones(N, device=dev)
    bytes_moved = 3 * 4 * N
    ours = bytes_moved / best_time(lambda: a + b, repeat=7, number=3, sync=sync) / 1e9
    na, nb = np.ones(N, np.float32), np.ones(N, np.float32)
    numpy_gbs = bytes_moved / best_time(lambda: na + nb, repeat=7, number=3) / 1e9
    torch_gbs = None
    if torch:
        ta, tb = torch.ones(N), torch.ones(N)
        torch_gbs = bytes_moved / best_time(lambda: ta + tb, repeat=7, number=3) / 1e9
    report("a + b, 16M float32 (GB/s)", ours, {"numpy": numpy_gbs, "torch": torch_gbs},
           "GB/s", higher_is_better=True)

    side = 4096
    a2 = clgrad.ones(side, side, device=dev)
    b2 = clgrad.ones(side, side, device=dev)
    ours = bytes_moved / best_time(lambda: a2.t() + b2, repeat=5, number=2, sync=sync) / 1e9
    na2, nb2 = np.ones((side, side), np.float32), np.ones((side, side), np.float32)
    numpy_gbs = bytes_moved / best_time(lambda: na2.T + nb2, repeat=5, number=2) / 1e9
    torch_gbs = None
    if torch:
        ta2, tb2 = torch.ones(side, side), torch.ones(side, side)
        torch_gbs = bytes_moved / best_time(lambda: ta2.t() + tb2, repeat=5, number=2) / 1e9
    report("a.t() + b, 4096x4096 float32 (GB/s)", ours,
           {"numpy": numpy_gbs, "torch": torch_gbs}, "GB/s", higher_is_better=True)


def _interleaved(cases: dict, rounds: int, number: int) -> dict:
    """{name: (best, median)} seconds per call over `rounds` rounds of `number` calls, the
    cases taking turns within each round: on a shared, noisy machine a quiet spell then
    favours no case over another, and many short rounds find quiet spells that long ones
    miss. Each case returns after its device work is done."""
    times = {name: [] for name in cases}
    for fn in cases.values():
        fn(number // 10 or 1)  # warm up: kernels built, pools filled
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn(number)
            times[name].append((time.perf_counter() - start) / number)
    return {name: (min(t), statistics.median(t)) for name, t in times.items()}


def overhead(torch, rounds: int = 300, number: int = 200) -> None:
    """Per-op cost of `a + b` on one element: clgrad cpu and cl against numpy, PyTorch and
    pyopencl.array, and the cl figure split into clgrad's Python (the launch stubbed out)
    and the driver's enqueue of a kernel whose arguments are already set."""
    import pyopencl as cl
    import pyopencl.array as cla
    from clgrad.backends import backend_for

    a, b = clgrad.ones(1), clgrad.ones(1)
    ca, cb = clgrad.ones(1, device="cl"), clgrad.ones(1, device="cl")
    rt = backend_for(ca.device).rt
    queue = rt.queue
    na, nb = np.ones(1, np.float32), np.ones(1, np.float32)
    pa = cla.to_device(queue, np.ones(1, np.float32))
    pb = cla.to_device(queue, np.ones(1, np.float32))

    def loop(fn, sync=None):
        def run(number):
            for _ in range(number):
                fn()
            if sync is not None:
                sync()
        return run

    def stubbed(number):  # everything but the launch (capture swaps rt.launch the same way)
        rt.launch = lambda kernel, global_size, local_size, args, check=None: None
        try:
            for _ in range(number):
                ca + cb
        finally:
            del rt.launch

    ca + cb
    kernel = [k for k in rt.kernels.values() if k.name == "pw_add"][-1]
    kernel.cl.set_args(1, ca._storage.data, 0, ca._storage.data, 0, cb._storage.data, 0)
    group = (rt.group_size,)

    def enqueue(number):  # the driver's floor: no Python between enqueues
        for _ in range(number):
            cl.enqueue_nd_range_kernel(queue, kernel.cl, group, None)
        queue.finish()

    cases = {"cpu": loop(lambda: a + b), "cl": loop(lambda: ca + cb, queue.finish),
             "numpy": loop(lambda: na + nb), "pyopencl.array": loop(lambda: pa + pb, queue.finish),
             "cl, launch stubbed": stubbed, "enqueue only": enqueue}
    if torch:
        ta, tb = torch.ones(1), torch.ones(1)
        cases[torch_label()] = loop(lambda: ta + tb, torch_sync)
    found = _interleaved(cases, rounds, number)
    us = {name: best * 1e6 for name, (best, _) in found.items()}
    ref = {name: us[name] for name in ("numpy", torch_label()) if name in us}
    report("per-op a + b, 1 element, cpu (us)", us["cpu"], ref, "us")
    report("per-op a + b, 1 element, cl (us)", us["cl"],
           dict(ref, **{"pyopencl.array": us["pyopencl.array"]}), "us")
    print(f"  cl split: clgrad's Python up to the launch {us['cl, launch stubbed']:.2f} us, "
          f"the driver's enqueue of a kernel with its arguments set {us['enqueue only']:.2f} us")
    print("  noise (median / best over %d rounds of %d): %s" % (rounds, number, ", ".join(
        f"{name} {median / best:.2f}" for name, (best, median) in found.items())))


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--overhead-only", action="store_true",
                     help="only the per-op figures (a + b on one element), not the bandwidth")
    args = parse_args(cli)
    dev = cl_device_or_exit()
    torch = torch_or_none()
    if not args.overhead_only:
        bandwidth(dev, torch)
    overhead(torch)


if __name__ == "__main__":
    main()
