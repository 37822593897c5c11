"""Shared timing helpers: best-of-N wall time, device description, optional PyTorch."""
from __future__ import annotations

import sys
import time
from pathlib import Path

try:
    import clgrad
except ImportError:  # running from a source checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import clgrad


def best_time(fn, repeat: int = 5, number: int = 1, sync=None) -> float:
    """The best of `repeat` runs of `number` calls, in seconds per call.

    `sync` is called before the clock stops, so asynchronous devices are timed honestly.
    """
    fn()
    if sync:
        sync()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if sync:
            sync()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def cl_device_or_exit() -> str:
    if not clgrad.cl.is_available():
        raise SystemExit("no OpenCL device: these benchmarks need one (pip install clgrad[pocl])")
    return "cl"


def describe_device(dev: str = "cl") -> str:
    props = clgrad.cl.get_device_properties(clgrad.device(dev).index or 0)
    return f"{dev}: {props.name} on {props.platform} ({props.opencl_version}, driver " \
           f"{props.driver_version})"


def torch_or_none():
    try:
        import torch
        torch.set_num_threads(torch.get_num_threads())
        return torch
    except ImportError:
        return None


def report(name: str, ours: float, others: dict, unit: str = "s", higher_is_better=False):
    """Print one line: our figure and the ratio of each reference to it (>1 = we are faster)."""
    parts = [f"{name:<38} clgrad {ours:.4g} {unit}"]
    for label, value in others.items():
        if value is None:
            continue
        ratio = ours / value if higher_is_better else value / ours
        parts.append(f"{label} {value:.4g} {unit} (clgrad is {ratio:.2f}x {label})")
    print("; ".join(parts))
