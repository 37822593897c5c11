"""Storage: one flat allocation that tensors view through (shape, strides, offset)."""
from __future__ import annotations


class Storage:
    """A flat buffer of `numel` elements of `dtype` on `device`.

    `data` is a 1-D numpy array on cpu and a pyopencl buffer on cl. Views share one Storage.
    """

    __slots__ = ("data", "numel", "dtype", "device", "backend", "__weakref__")

    def __init__(self, data, numel: int, dtype, device, backend):
        self.data = data
        self.numel = numel
        self.dtype = dtype
        self.device = device
        self.backend = backend

    @property
    def nbytes(self) -> int:
        return self.numel * self.dtype.itemsize

    def __del__(self):
        # A backend that counts the bytes tensors hold (cl's memory_allocated()) is told.
        if self.backend.counts_memory:
            self.backend.release(self.numel * self.dtype.itemsize)
