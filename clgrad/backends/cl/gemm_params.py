"""GEMM parameters per device: a small built-in table, a per-device cache file, and the
bounded search space that clgrad/tune.py (`python -m clgrad tune`) measures.

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


def family(caps) -> str:
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
    table = {mode: dict(p) for mode, p in DEFAULTS[family(caps)].items()}
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


def fmt(p: dict) -> str:
    """One line naming a parameter set."""
    return (f"TM={p['TM']} TN={p['TN']} VW={p['VW']} WG={p['WGM']}x{p['WGN']} "
            f"LK={p.get('LK', 0)}")
