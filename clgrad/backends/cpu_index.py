"""numpy kernels of the index family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuIndex:
    pass
