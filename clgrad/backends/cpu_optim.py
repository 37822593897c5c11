"""numpy kernels of the optim family (mixed into CpuBackend)."""
from __future__ import annotations


class CpuOptim:
    pass
