"""Elementwise bandwidth and per-op overhead against numpy, PyTorch CPU and pyopencl.array.

Run: python benchmarks/bench_elementwise.py   (ratios > 1 mean clgrad is faster)
"""
from __future__ import annotations

import numpy as np

from _common import best_time, cl_device_or_exit, clgrad, parse_args, parser, report, torch_or_none

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


def overhead(torch) -> None:
    number = 20000
    for dev in ("cpu", "cl"):
        a, b = clgrad.ones(1, device=dev), clgrad.ones(1, device=dev)
        sync = clgrad.cl.synchronize if dev == "cl" else None
        ours = best_time(lambda: a + b, repeat=5, number=number, sync=sync) * 1e6
        others = {}
        na, nb = np.ones(1, np.float32), np.ones(1, np.float32)
        others["numpy"] = best_time(lambda: na + nb, repeat=5, number=number) * 1e6
        if torch:
            ta, tb = torch.ones(1), torch.ones(1)
            others["torch"] = best_time(lambda: ta + tb, repeat=5, number=number) * 1e6
        if dev == "cl":
            import pyopencl.array as cla
            from clgrad.backends import backend_for
            queue = backend_for(a.device).queue
            pa = cla.to_device(queue, np.ones(1, np.float32))
            pb = cla.to_device(queue, np.ones(1, np.float32))
            pa + pb
            others["pyopencl.array"] = best_time(lambda: pa + pb, repeat=5, number=number,
                                                 sync=queue.finish) * 1e6
        report(f"per-op a + b, 1 element, {dev} (us)", ours, others, "us")


def main() -> None:
    parse_args(parser(__doc__.splitlines()[0]))
    dev = cl_device_or_exit()
    torch = torch_or_none()
    bandwidth(dev, torch)
    overhead(torch)


if __name__ == "__main__":
    main()
