"""Process-wide settings and type predicates that PyTorch keeps at the top level: threads,
determinism, float32 matmul precision, is_tensor / is_storage / typename, _assert.

clgrad's kernels are deterministic already (no float atomics), and its float32 GEMM always
computes in float32, so the determinism and precision settings are recorded and reported as
PyTorch reports them but change no result."""
from __future__ import annotations

import os
import warnings

from ._storage import Storage
from ._tensor import Tensor

__all__ = ["is_tensor", "is_storage", "typename", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_num_threads",
           "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
           "set_float32_matmul_precision", "get_float32_matmul_precision", "_assert"]

_state = {"deterministic": False, "warn_only": False, "threads": None, "interop": None,
          "matmul_precision": "highest"}


def is_tensor(obj) -> bool:
    """True if ``obj`` is a clgrad Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def is_storage(obj) -> bool:
    """True if ``obj`` is a tensor storage."""
    return isinstance(obj, Storage)


def typename(obj) -> str:
    """A tensor's type name ('clgrad.FloatTensor'), else the object's qualified class name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if name is None:
        name = type(obj).__qualname__
        module = type(obj).__module__
    return name if module in ("", "builtins") else f"{module}.{name}"


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the flag; every clgrad kernel is deterministic, so nothing else changes."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"use_deterministic_algorithms expects a bool, but got "
                           f"{type(mode).__name__}")
    _state["deterministic"], _state["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def _check_threads(name: str, n) -> int:
    if not isinstance(n, int) or n <= 0:
        raise RuntimeError(f"{name}: Expected a positive number of threads, got {n}")
    return n


def set_num_threads(n: int) -> None:
    """The thread count of the cpu device's numpy/BLAS calls (through threadpoolctl where
    it is installed; otherwise only recorded)."""
    _state["threads"] = _check_threads("set_num_threads", n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(n)


def get_num_threads() -> int:
    """The count set last, else the cores this process may run on (PyTorch's default)."""
    if _state["threads"]:
        return _state["threads"]
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_num_interop_threads(n: int) -> None:
    _state["interop"] = _check_threads("set_num_interop_threads", n)


def get_num_interop_threads() -> int:
    return _state["interop"] or get_num_threads()


def set_float32_matmul_precision(precision: str) -> None:
    """'highest', 'high' or 'medium'; clgrad computes float32 products in float32 always."""
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _state["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["matmul_precision"]


def _assert(condition, message) -> None:
    """``assert`` that symbolic tracers can see (PyTorch's torch._assert)."""
    if not bool(condition):
        raise AssertionError(message)
