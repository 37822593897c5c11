"""OpenCL kernels of the creation family (mixed into ClBackend)."""
from __future__ import annotations


class ClCreation:
    pass
