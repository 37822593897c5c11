"""GEMM parameters per device: a small built-in table, a per-device cache file, and the
bounded search space that clgrad/tune.py (`python -m clgrad tune`) measures.

Parameters (see kernels/gemm.cl.mako): per mode ("nn": B's columns contiguous, "nt": A and B
contiguous along K, with one entry per shape class in SHAPE_CLASSES, "lnt": A contiguous along
K and B staged in local memory, enabled by LK > 0), the register block TM x TN of C per
work-item, the vector width VW and the work-group shape WGM x WGN (0 x 0 lets the driver
choose); "pack" (the operand packing kernel): its block TB (TB8 for 8-byte elements) and
work-group WGX x WGY. `python -m clgrad tune`
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
            # nt (operands packed K-contiguous when they are not): a 4x4 block of 8-wide
            # dot products, 16 rows of blocks a group, led the sweeps at 256-2048 and at the
            # two-layer net's linear shapes (64x100x1000 forward: 3x3 blocks left half the
            # cores' time in 22 row blocks' setup); short K prefers taller blocks.
            "nt": dict(TM=4, TN=4, VW=8, WGM=16, WGN=1),
            "nt_skinny_m": dict(TM=4, TN=4, VW=8, WGM=16, WGN=1),
            "nt_skinny_k": dict(TM=6, TN=2, VW=8, WGM=16, WGN=1),
            "nt_batched": dict(TM=4, TN=4, VW=8, WGM=16, WGN=1),
            # Staging B in local memory measured 5-12 GFLOPS on PoCL (barriers split the
            # work-item loops): off (LK=0) on CPUs; a cache file may switch it on.
            "lnt": dict(TM=3, TN=3, VW=8, WGM=8, WGN=2, LK=0),
            "pack": dict(TB=16, TB8=16, WGX=4, WGY=4)},
    "gpu": {"nn": dict(TM=4, TN=4, VW=4, WGM=16, WGN=16),
            "nt": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16),
            "nt_skinny_m": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16),
            "nt_skinny_k": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16),
            "nt_batched": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16),
            # Untested on a GPU so far: off until `tune` or a measured table enables it.
            "lnt": dict(TM=2, TN=2, VW=4, WGM=16, WGN=16, LK=0),
            "pack": dict(TB=4, TB8=4, WGX=16, WGY=16)},
}

# CPUs with 8-float registers (AVX2: 16 of them) spill a 4x4 block of 8-wide accumulators:
# there the nt classes but the short-K one take 2x4 blocks. On an AMD EPYC (PoCL 3.0, quiet,
# bench_gemm.py) SGEMM 256 went 23 -> 40 GFLOPS, 1024 63 -> 91-104, 2048 65 -> 79, the
# two-layer net's linear forward 48 -> 67, batched 128s 24 -> 41; short K kept its 6x2 blocks
# (2x4 lost there). The 4x4 blocks were measured on AVX-512 Xeons.
NARROW_CPU_NT = dict(TM=2, TN=4, VW=8, WGM=16, WGN=1)

FORMAT = 1

# Operand packing (gemm's pack kernel into the nt layout): never below this many multiply-adds
# (a launch costs more than it saves), and only where the product does at least PACK_RATIO
# multiply-adds per packed element.
PACK_MIN_MACS = 1 << 15
PACK_RATIO = 8


def should_pack(M: int, N: int, K: int, nbatch: int, pack_a: bool, pack_b: bool) -> bool:
    """Whether gemm copies the operands not contiguous along K into the nt layout."""
    macs = M * N * K * nbatch
    packed = (M * K if pack_a else 0) + (N * K if pack_b else 0)
    return macs >= PACK_MIN_MACS and macs >= PACK_RATIO * packed * nbatch


# Shape classes of the nt kernel, each with its own parameters: many small matrices, a short
# K (a linear layer's input gradient, 64x100 @ 100x1000, and weight gradient over a batch of
# 64), a few rows or columns against a long K (a linear layer's forward, 64x1000 @ 1000x100),
# and the rest (square).
SHAPE_CLASSES = ("nt", "nt_skinny_m", "nt_skinny_k", "nt_batched")
# The tuner's representative shape of each: (batch, M, N, K).
CLASS_SHAPES = {"nt": (1, 1024, 1024, 1024), "nt_skinny_m": (1, 64, 100, 1000),
                "nt_skinny_k": (1, 64, 1000, 100), "nt_batched": (64, 128, 128, 128)}


def shape_class(mode: str, M: int, N: int, K: int, nbatch: int) -> str:
    """The parameter table entry gemm uses for this mode and shape."""
    if mode == "gen":
        return "nn"
    if mode != "nt":
        return mode
    if nbatch > 1 and M * N <= 256 * 256:
        return "nt_batched"
    if K <= 128:
        return "nt_skinny_k"
    if min(M, N) <= 128:
        return "nt_skinny_m"
    return "nt"


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
    if "TB" in p:  # the pack kernel: no work-group or local memory to fit
        return p
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
    if family(caps) == "cpu" and caps.native_float_width < 16:
        table.update({mode: dict(NARROW_CPU_NT) for mode in SHAPE_CLASSES
                      if mode != "nt_skinny_k"})
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
    """A bounded search space (a few dozen points per table entry: "nn", "lnt", the nt shape
    classes, "pack")."""
    out = []
    if mode == "pack":
        for tb in (8, 16, 32) if family == "cpu" else (2, 4, 8):
            for wgx, wgy in ((1, 1), (4, 4), (8, 8), (2, 8)) if family == "cpu" else \
                    ((8, 8), (16, 16), (16, 4)):
                out.append(dict(TB=tb, TB8=tb, WGX=wgx, WGY=wgy))
        return out
    if mode == "nn":
        blocks = [(4, 8, 8), (4, 16, 8), (6, 16, 8), (8, 16, 8), (4, 32, 8), (8, 8, 8),
                  (4, 16, 16), (2, 32, 16), (8, 4, 4), (4, 4, 4)]
        groups = [(1, 1), (4, 1), (8, 1), (16, 1)] if family == "cpu" else \
            [(8, 8), (16, 16), (8, 16)]
    else:
        blocks = [(4, 4, 8), (6, 2, 8), (2, 6, 8), (4, 2, 8), (2, 4, 8), (3, 3, 8), (4, 2, 16),
                  (2, 4, 16), (2, 2, 16), (4, 4, 4)]
        if mode == "nt_skinny_m":
            blocks += [(1, 4, 8), (2, 2, 8)]
        groups = [(1, 1), (4, 1), (8, 1), (16, 1)] if family == "cpu" else \
            [(8, 8), (16, 16), (4, 16)]
    lk = 32 if mode == "lnt" else 0
    for tm, tn, vw in blocks:
        for wgm, wgn in groups:
            out.append(dict(TM=tm, TN=tn, VW=vw, WGM=wgm, WGN=wgn, LK=lk))
    return out


def fmt(p: dict) -> str:
    """One line naming a parameter set."""
    if "TB" in p:
        return f"TB={p['TB']} TB8={p.get('TB8', p['TB'])} WG={p['WGX']}x{p['WGY']}"
    return (f"TM={p['TM']} TN={p['TN']} VW={p['VW']} WG={p['WGM']}x{p['WGN']} "
            f"LK={p.get('LK', 0)}")
