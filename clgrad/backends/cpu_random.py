"""numpy kernels of the random family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuRandom:
    pass
