"""OpenCL kernels of the index family (mixed into ClBackend)."""
from __future__ import annotations


class ClIndex:
    pass
