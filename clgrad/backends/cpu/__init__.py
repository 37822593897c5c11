"""The numpy backend, one module per kernel family (the same module names as backends/cl/)."""
from __future__ import annotations

from .backend import CpuBackend, as_compute_scalar

__all__ = ["CpuBackend", "as_compute_scalar"]
