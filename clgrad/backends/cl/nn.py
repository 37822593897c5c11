"""OpenCL kernels of the nn family (mixed into ClBackend)."""
from __future__ import annotations


class ClNn:
    pass
