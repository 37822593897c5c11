"""`python -m clgrad tune`: measure GEMM parameters on a device and store the fastest.

The search space, the built-in table and the per-device cache file are the cl backend's
(backends/cl/gemm_params.py); the timing loop lives here, above the op layer, because it
runs Tensor ops (random operands, matmuls through the backend) that a backend never imports.
"""
from __future__ import annotations

import time

import clgrad
from .backends import backend_for
from .backends.cl import gemm_params


def tune(device: str = "cl", size: int = 1024, budget_s: float = 90.0,
         verbose: bool = True) -> dict:
    """Search GEMM parameters for `device`, store the winner, return {mode: (params, gflops)}."""
    dev = clgrad.empty(1, device=device).device  # canonical (cl -> cl:N)
    backend = backend_for(dev)
    caps = backend.rt.caps
    family = gemm_params.family(caps)
    deadline = time.perf_counter() + budget_s
    a = clgrad.randn(size, size, device=dev)
    b = clgrad.randn(size, size, device=dev)
    c = clgrad.empty(size, size, device=dev)
    flops = 2.0 * size ** 3
    operands = {"nn": (a, b), "nt": (a, b.t())}
    per_mode_budget = budget_s / len(operands)
    best_params, results = {}, {}
    for mode, (x, y) in operands.items():
        mode_deadline = min(deadline, time.perf_counter() + per_mode_budget)
        default = gemm_params.fit(gemm_params.DEFAULTS[family][mode], caps)
        candidates = gemm_params.candidates(mode, family)
        trials = [default] + [gemm_params.fit(p, caps) for p in candidates if p != default]
        scores = []
        for params in trials:
            if time.perf_counter() > mode_deadline:
                break
            try:
                seconds = _time(backend, c, x, y, params)
            except Exception as exc:  # a block too big for this device's registers/limits
                if verbose:
                    print(f"  {mode} {params}: failed ({type(exc).__name__})")
                continue
            gflops = flops / seconds / 1e9
            scores.append((gflops, params))
            if verbose:
                print(f"  {mode} {gemm_params.fmt(params)}: {gflops:.1f} GFLOPS", flush=True)
        if not scores:
            continue
        # Re-time the three best: the first pass is noisy on a shared CPU.
        scores.sort(key=lambda s: -s[0])
        final = []
        for _, params in scores[:3]:
            final.append((flops / _time(backend, c, x, y, params, repeat=5) / 1e9, params))
        default_gflops = flops / _time(backend, c, x, y, default, repeat=5) / 1e9
        final.append((default_gflops, default))
        gflops, params = max(final, key=lambda s: s[0])
        best_params[mode] = params
        results[mode] = {"tuned": round(gflops, 2), "default": round(default_gflops, 2)}
        if verbose:
            print(f"{mode}: default {gemm_params.fmt(default)} {default_gflops:.1f} GFLOPS -> "
                  f"chosen {gemm_params.fmt(params)} {gflops:.1f} GFLOPS", flush=True)
    path = gemm_params.save(caps, best_params, results)
    backend._gemm_params = None  # re-read on the next call
    if verbose:
        print(f"saved {path}")
    return {mode: (best_params[mode], results[mode]) for mode in best_params}


def _time(backend, c, a, b, params, repeat: int = 2) -> float:
    backend.gemm(c, a, b, params=params)  # build + warm
    backend.synchronize()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        backend.gemm(c, a, b, params=params)
        backend.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def main(args) -> int:
    """`python -m clgrad tune [--device cl] [--size 1024] [--budget 90]`."""
    print(f"clgrad tune: searching GEMM parameters on {args.device} "
          f"(size {args.size}, about {args.budget:.0f} s)")
    tune(args.device, args.size, args.budget)
    return 0
