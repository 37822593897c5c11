"""Autograd throughput (issue 4): clgrad on PoCL (and cpu) vs PyTorch CPU in the same run.

1. forward+backward of a 3-layer MLP, batch 64, 1000-512-512-10 (ReLU, loss = sum of outputs):
   iterations/s on the OpenCL device vs PyTorch CPU (issue 4 asks for at least 0.5x), eager
   and through clgrad.compile ("compiled");
2. the engine's per-node overhead: backward of a chain of 1000 elementwise ops (mul and add by
   scalars, alternately) on 1-element tensors, on cpu and cl vs PyTorch CPU (issue 4 asks for at
   most 3x PyTorch's time on cpu and 5x on cl). Only backward is timed; the graph is rebuilt
   before each repetition.
PyTorch is timed with its default thread count and with one thread (OpenMP barriers collapse on
a busy 2-core machine); ratios use its better figure.
Run: python benchmarks/bench_autograd.py [--repeat 7]
"""
from __future__ import annotations

import time

import numpy as np

from _common import (best_time, cl_device_or_exit, clgrad, parse_args, parser, torch_device,
                     torch_label, torch_or_none, torch_sync)
import clgrad.nn  # noqa: E402,F401

BATCH, SIZES = 64, (1000, 512, 512, 10)
CHAIN = 1000


def mlp(nn):
    layers = []
    for i, (a, b) in enumerate(zip(SIZES, SIZES[1:])):
        layers += [nn.Linear(a, b), nn.ReLU()] if i < len(SIZES) - 2 else [nn.Linear(a, b)]
    return nn.Sequential(*layers)


def mlp_step(lib, device, host):
    """One forward+backward of the MLP in `lib`, weights and input copied from `host`."""
    model = mlp(lib.nn)
    with lib.no_grad():
        for name, p in model.named_parameters():
            p.copy_(lib.tensor(host[name]))
    model = model.to(device)
    x = lib.tensor(host["x"], device=device)
    params = list(model.parameters())

    def step():
        for p in params:
            p.grad = None
        model(x).sum().backward()
    return step


def chain_backward_time(lib, device, repeat: int, sync) -> float:
    """Best seconds of one backward through CHAIN elementwise nodes."""
    best = float("inf")
    for _ in range(repeat + 1):  # the first builds any kernels
        x = lib.ones(1, device=device, requires_grad=True)
        y = x
        for i in range(CHAIN // 2):
            y = y * 1.0001
            y = y + 0.001
        sync()
        start = time.perf_counter()
        y.backward()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def torch_best(torch, fn) -> dict:
    """{"PyTorch CPU NT": fn()} for the default thread count and for one thread."""
    default = torch.get_num_threads()
    out = {}
    for threads in sorted({default, 1}, reverse=True):
        torch.set_num_threads(threads)
        out[f"{torch_label()} {threads}T"] = fn()
    torch.set_num_threads(default)
    return out


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--repeat", type=int, default=7)
    args = parse_args(cli)
    dev = cl_device_or_exit()
    torch = torch_or_none()
    sync = clgrad.cl.synchronize

    clgrad.manual_seed(0)
    host = {name: p.detach().numpy() for name, p in mlp(clgrad.nn).named_parameters()}
    host["x"] = np.random.default_rng(0).standard_normal((BATCH, SIZES[0])).astype(np.float32)
    label = f"MLP {'-'.join(map(str, SIZES))} batch {BATCH} fwd+bwd"
    refs = {}
    if torch:
        refs = torch_best(torch, lambda: 1 / best_time(mlp_step(torch, torch_device(), host),
                                                       repeat=args.repeat, number=5))
    for device in (dev, f"{dev} compiled", "cpu", "cpu compiled"):
        step = mlp_step(clgrad, device.split()[0], host)
        if device.endswith("compiled"):  # through clgrad.compile: captured at its second call
            step = clgrad.compile(step)
            step()
        ours = 1 / best_time(step, repeat=args.repeat, number=5, sync=sync)
        line = f"{label}, {device}: {ours:.1f} it/s"
        for k, v in refs.items():
            line += f"; {k} {v:.1f} it/s"
        if refs:
            line += f"; clgrad has {ours / max(refs.values()):.2f}x PyTorch's best throughput"
            if device == dev:
                line += " (issue 4 asks for at least 0.5x)"
        print(line)

    refs = {}
    if torch:
        refs = torch_best(torch, lambda: chain_backward_time(torch, torch_device(), args.repeat,
                                                             torch_sync))
    for device, limit in (("cpu", 3), (dev, 5)):
        ours = chain_backward_time(clgrad, device, args.repeat, sync)
        line = (f"backward of a {CHAIN}-node elementwise chain, {device}: {ours * 1e3:.2f} ms "
                f"({ours / CHAIN * 1e6:.1f} us/node)")
        for k, v in refs.items():
            line += f"; {k} {v * 1e3:.2f} ms ({v / CHAIN * 1e6:.2f} us/node)"
        if refs:
            line += (f"; clgrad takes {ours / min(refs.values()):.2f}x PyTorch's best time "
                     f"(issue 4 asks for at most {limit}x)")
        print(line)


if __name__ == "__main__":
    main()
