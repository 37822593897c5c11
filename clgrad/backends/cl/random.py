"""OpenCL kernels of the random family (mixed into ClBackend)."""
from __future__ import annotations


class ClRandom:
    pass
