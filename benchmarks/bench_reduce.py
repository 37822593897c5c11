"""Full reduction bandwidth: x.sum() over 16M float32 against numpy and PyTorch CPU.

Run: python benchmarks/bench_reduce.py   (ratios > 1 mean clgrad is faster)
"""
from __future__ import annotations

import numpy as np

from _common import best_time, cl_device_or_exit, clgrad, parse_args, parser, report, torch_or_none

N = 16 * 1024 * 1024


def main() -> None:
    parse_args(parser(__doc__.splitlines()[0]))
    dev = cl_device_or_exit()
    torch = torch_or_none()
    x = clgrad.ones(N, device=dev)
    bytes_read = 4 * N
    # .item() reads the result, so each timing includes the wait for the device.
    ours = bytes_read / best_time(lambda: x.sum().item(), repeat=7, number=3) / 1e9
    nx = np.ones(N, np.float32)
    others = {"numpy": bytes_read / best_time(lambda: nx.sum(), repeat=7, number=3) / 1e9}
    if torch:
        tx = torch.ones(N)
        others["torch"] = bytes_read / best_time(lambda: tx.sum().item(), repeat=7,
                                                 number=3) / 1e9
    report("x.sum(), 16M float32 (GB/s)", ours, others, "GB/s", higher_is_better=True)

    rows = clgrad.ones(4096, 4096, device=dev)
    ours = bytes_read / best_time(lambda: rows.sum(1).cpu(), repeat=5, number=2) / 1e9
    nrows = np.ones((4096, 4096), np.float32)
    others = {"numpy": bytes_read / best_time(lambda: nrows.sum(1), repeat=5, number=2) / 1e9}
    if torch:
        trows = torch.ones(4096, 4096)
        others["torch"] = bytes_read / best_time(lambda: trows.sum(1), repeat=5,
                                                 number=2) / 1e9
    report("x.sum(1), 4096x4096 float32 (GB/s)", ours, others, "GB/s", higher_is_better=True)


if __name__ == "__main__":
    main()
