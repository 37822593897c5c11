"""numpy kernels of the nn family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuNn:
    pass
