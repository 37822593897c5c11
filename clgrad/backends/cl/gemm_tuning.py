"""GEMM parameters per device: a small built-in table, a per-device cache file, the search.

Parameters (see kernels/gemm.cl.mako): per mode ("nn": B's columns contiguous, "nt": A and B
contiguous along K, "lnt": A contiguous along K and B staged in local memory, enabled by
LK > 0), the register block TM x TN of C per work-item, the vector width VW and
the work-group shape WGM x WGN (0 x 0 lets the driver choose). `python -m clgrad tune`
measures candidates on the current device and writes the winner to
~/.cache/clgrad/gemm-<device hash>.json (XDG_CACHE_HOME respected; CLGRAD_CACHE_DIR
overrides), which later processes read on first use.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

# Measured defaults. CPU devices (PoCL): a work-item owns a register block of a few rows by
# two AVX vectors of columns; small work-groups keep a B panel hot in L2 while the rows
# sweep it. GPUs: a classic 4x4 block with 16x16 work-groups (within every device's limits).
DEFAULTS = {
    "cpu": {"nn": dict(TM=8, TN=16, VW=8, WGM=16, WGN=1),
            "nt": dict(TM=3, TN=3, VW=8, WGM=8, WGN=1),
            # Staging B in local memory measured 5-12 GFLOPS on PoCL (barriers split the
            # work-item loops): off (LK=0) on CPUs; a cache file may switch it on.
            "lnt": dict(TM=3, TN=3, VW=8, WGM=8, WGN=2, LK=0)},
    "gpu": {"nn": dict(TM=4, TN=4, VW=4, WGM=16, WGN=16),
            "nt": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16),
            # Untested on a GPU so far: off until `tune` or a measured table enables it.
            "lnt": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16, LK=0)},
}

FORMAT = 1


def device_key(caps) -> str:
    """A stable identifier of a device and driver (what a tuning result is valid for)."""
    text = "|".join((caps.platform, caps.name, caps.vendor, caps.driver_version,
                     str(caps.compute_units)))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def cache_dir() -> Path:
    explicit = os.environ.get("CLGRAD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "clgrad"


def cache_file(caps) -> Path:
    return cache_dir() / f"gemm-{device_key(caps)}.json"


def _family(caps) -> str:
    return "cpu" if "CPU" in caps.type.upper() else "gpu"


def fit(params: dict, caps) -> dict:
    """params with the work-group and local tile shrunk to the device's limits."""
    p = dict(params)
    p.setdefault("LK", 0)
    while p["WGM"] * p["WGN"] > caps.max_work_group_size:
        if p["WGM"] >= p["WGN"]:
            p["WGM"] = max(p["WGM"] // 2, 1)
        else:
            p["WGN"] = max(p["WGN"] // 2, 1)
    # The local tile (LK x TN*WGN, at most 8-byte elements) within half the local memory.
    while p["LK"] > 8 and p["LK"] * p["TN"] * p["WGN"] * 8 > caps.local_mem_size // 2:
        p["LK"] //= 2
    return p


def load(caps) -> dict:
    """{"nn": params, "nt": params} for this device: the tuned file, else the table."""
    table = {mode: dict(p) for mode, p in DEFAULTS[_family(caps)].items()}
    if os.environ.get("CLGRAD_GEMM_NO_CACHE"):
        return {mode: fit(p, caps) for mode, p in table.items()}
    path = cache_file(caps)
    try:
        saved = json.loads(path.read_text())
        if saved.get("format") == FORMAT:
            for mode in table:
                if mode in saved.get("params", {}):
                    table[mode].update(saved["params"][mode])
    except (OSError, ValueError, AttributeError):
        pass
    return {mode: fit(p, caps) for mode, p in table.items()}


def save(caps, params: dict, results: dict) -> Path:
    path = cache_file(caps)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "device": caps.name, "platform": caps.platform,
               "driver": caps.driver_version, "params": params, "gflops": results}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2))
    tmp.replace(path)
    return path


def candidates(mode: str, family: str) -> list[dict]:
    """A bounded search space (a few dozen points per mode)."""
    out = []
    if mode == "nn":
        blocks = [(4, 8, 8), (4, 16, 8), (6, 16, 8), (8, 16, 8), (4, 32, 8), (8, 8, 8),
                  (4, 16, 16), (2, 32, 16), (8, 4, 4), (4, 4, 4)]
        groups = [(1, 1), (4, 1), (8, 1), (16, 1)] if family == "cpu" else \
            [(8, 8), (16, 16), (8, 16)]
    else:
        blocks = [(4, 2, 8), (2, 4, 8), (4, 4, 8), (3, 3, 8), (4, 2, 16), (2, 2, 16),
                  (4, 4, 4)]
        groups = [(1, 1), (4, 1), (8, 1)] if family == "cpu" else [(8, 8), (16, 16)]
    for tm, tn, vw in blocks:
        for wgm, wgn in groups:
            out.append(dict(TM=tm, TN=tn, VW=vw, WGM=wgm, WGN=wgn, LK=0))
    return out


def tune(device: str = "cl", size: int = 1024, budget_s: float = 90.0,
         verbose: bool = True) -> dict:
    """Search GEMM parameters for `device`, store the winner, return {mode: (params, gflops)}."""
    import clgrad
    from clgrad.backends import backend_for

    dev = clgrad.empty(1, device=device).device  # canonical (cl -> cl:N)
    backend = backend_for(dev)
    caps = backend.rt.caps
    family = _family(caps)
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
        default = fit(DEFAULTS[family][mode], caps)
        trials = [default] + [fit(p, caps) for p in candidates(mode, family) if p != default]
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
                print(f"  {mode} {_fmt(params)}: {gflops:.1f} GFLOPS", flush=True)
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
            print(f"{mode}: default {_fmt(default)} {default_gflops:.1f} GFLOPS -> "
                  f"chosen {_fmt(params)} {gflops:.1f} GFLOPS", flush=True)
    path = save(caps, best_params, results)
    backend._gemm_params = None  # re-read on the next call
    if verbose:
        print(f"saved {path}")
    return {mode: (best_params[mode], results[mode]) for mode in best_params}


def _fmt(p: dict) -> str:
    return (f"TM={p['TM']} TN={p['TN']} VW={p['VW']} WG={p['WGM']}x{p['WGN']} "
            f"LK={p.get('LK', 0)}")


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
