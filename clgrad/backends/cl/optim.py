"""OpenCL kernels of the optim family (mixed into ClBackend)."""
from __future__ import annotations


class ClOptim:
    pass
