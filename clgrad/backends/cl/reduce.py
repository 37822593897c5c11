"""OpenCL kernels of the reduce family (mixed into ClBackend)."""
from __future__ import annotations


class ClReduce:
    pass
