"""Adam's step over a 10M-parameter model: clgrad on the OpenCL device vs PyTorch CPU.

The model is a list of float32 parameters shaped like a small MLP/CNN stack (10,000,000
elements in all). clgrad runs one fused kernel per parameter per step; PyTorch runs
torch.optim.Adam with its defaults (foreach=None and fused=None, which on CPU tensors select
the single-tensor for-loop implementation; the fused CPU kernel is timed too).

Run: python benchmarks/bench_adam.py   (ratios > 1 mean clgrad is faster)
"""
from __future__ import annotations

import numpy as np

from _common import best_time, cl_device_or_exit, clgrad, parse_args, parser, report, torch_or_none
from clgrad import optim

SHAPES = [(2048, 2048), (2048,), (1024, 2048), (1024,), (1024, 1024), (1024,),
          (256, 512, 3, 3), (256,), (1441, 1024), (1, 384)]
TOTAL = sum(int(np.prod(s)) for s in SHAPES)


def main() -> None:
    assert TOTAL == 10_000_000, TOTAL
    parse_args(parser(__doc__.splitlines()[0]))
    dev = cl_device_or_exit()
    rng = np.random.default_rng(0)
    host = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [rng.standard_normal(s).astype(np.float32) * 1e-2 for s in SHAPES]
    sync = clgrad.cl.synchronize

    params = [clgrad.tensor(h, device=dev, requires_grad=True) for h in host]
    for p, g in zip(params, grads):
        p.grad = clgrad.tensor(g, device=dev)
    opt = optim.Adam(params, lr=1e-3)
    ours = best_time(opt.step, repeat=7, number=3, sync=sync)
    others = {}
    torch = torch_or_none()
    if torch:
        for label, kw in (("torch (default)", {}), ("torch (fused=True)", {"fused": True})):
            tparams = [torch.tensor(h, requires_grad=True) for h in host]
            for p, g in zip(tparams, grads):
                p.grad = torch.tensor(g)
            topt = torch.optim.Adam(tparams, lr=1e-3, **kw)
            others[label] = TOTAL / best_time(topt.step, repeat=7, number=3) / 1e6
    report(f"Adam step, {TOTAL / 1e6:.0f}M params (Mparams/s)", TOTAL / ours / 1e6, others,
           "Mparams/s", higher_is_better=True)
    from clgrad.backends.cl.runtime import launch_count
    before = launch_count()
    opt.step()
    launches = launch_count() - before
    print(f"clgrad step time {ours * 1e3:.1f} ms, {launches} kernel launches per step")


if __name__ == "__main__":
    main()
