"""OpenCL kernels of the linalg family (mixed into ClBackend)."""
from __future__ import annotations


class ClLinalg:
    pass
