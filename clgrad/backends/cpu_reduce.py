"""numpy kernels of the reduce family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuReduce:
    pass
