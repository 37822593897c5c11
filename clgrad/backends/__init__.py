"""Backends: where tensor memory lives and kernels run. `cpu` is numpy, `cl` is pyopencl.

A backend offers a small interface (allocate, copy to and from the host, and kernel
families); everything above it is written once for all of them. The cl backend is imported
on first use so that a machine without pyopencl never touches it.
"""
from __future__ import annotations

from .cpu import CpuBackend

_cpu = CpuBackend()
_cl_backends: dict = {}


def backend_for(device):
    """The backend instance serving a canonical device."""
    if device.type == "cpu":
        return _cpu
    backend = _cl_backends.get(device.index)
    if backend is None:
        from .cl.backend import ClBackend
        backend = _cl_backends[device.index] = ClBackend(device)
    return backend
