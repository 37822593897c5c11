"""Host buffers for MPI: cpu tensors are numpy views; other devices are staged through host."""
from __future__ import annotations

import numpy as np


def host_dtype(dtype) -> np.dtype:
    """The numpy dtype MPI sees: half and bfloat16 travel as float32, bool as uint8."""
    if dtype.is_floating_point and dtype.itemsize == 2:
        return np.dtype(np.float32)
    if dtype.np == np.bool_:
        return np.dtype(np.uint8)
    return np.dtype(dtype.np)


def direct_view(t):
    """A writable numpy view sharing t's memory, or None when t must be staged."""
    if not t.is_cpu or not t.is_contiguous() or host_dtype(t.dtype) != np.dtype(t.dtype.np):
        return None
    return t.detach().numpy()


def read(t, out: np.ndarray | None = None) -> np.ndarray:
    """t's values as a flat contiguous host array (into `out` when given: a reused buffer)."""
    values = t.detach()._host().reshape(-1)
    if out is None:
        return np.ascontiguousarray(values, dtype=host_dtype(t.dtype))
    np.copyto(out, values, casting="unsafe")
    return out


def write(t, values: np.ndarray) -> None:
    """Copy a flat host array back into t's elements (any device, any layout)."""
    from ..ops.creation import from_numpy
    from ..autograd import no_grad
    src = from_numpy(np.ascontiguousarray(values).reshape(t.shape))
    with no_grad():
        t.copy_(src)
