"""clgrad.backends.opencl: whether the OpenCL backend can run here (pyopencl and a device)."""
from __future__ import annotations


def is_built() -> bool:
    """Whether pyopencl imports."""
    from .cl import runtime
    return runtime.IMPORT_ERROR is None


def is_available() -> bool:
    """Whether at least one OpenCL device exists."""
    from .cl import runtime
    return len(runtime.enumerate_devices()) > 0
