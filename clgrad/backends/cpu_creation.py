"""numpy kernels of the creation family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuCreation:
    pass
