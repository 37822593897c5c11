"""numpy kernels of the linalg family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuLinalg:
    pass
