"""OpenCL kernels of the creation family (mixed into ClBackend).

Range tensors are computed on the device from the element index (kernels/creation.cl.mako),
so creating them uploads nothing but a few scalars.
"""
from __future__ import annotations

import numpy as np

from .programs import get_kernel

_ACC_CTYPE = {"float64": "double", "float32": "float", "int64": "long"}


class ClCreation:
    def _acc(self, acc) -> tuple:
        """(ctype, numpy type) of an accumulation type, float when the device lacks fp64."""
        name = np.dtype(acc).name
        if name == "float64" and not self.rt.caps.fp64:
            name = "float32"
        return _ACC_CTYPE[name], np.dtype(name).type

    def arange(self, out, start, step, acc) -> None:
        n = out.numel()
        if n == 0:
            return
        ctype, cast = self._acc(acc)
        kernel = get_kernel(self.rt, "creation.cl.mako", "arange", (out.dtype.name, ctype),
                            dict(name="arange", out=out.dtype, A=ctype),
                            [np.int64, None, cast, cast])
        self._launch(kernel, n, [n, out._storage.data, cast(start), cast(step)], "arange")
        # out is always a fresh contiguous tensor at offset 0 (see ops/creation.py).

    def linspace(self, out, start, end, step, halfway: int, base, log: bool, acc) -> None:
        n = out.numel()
        if n == 0:
            return
        ctype, cast = self._acc(acc)
        kernel = get_kernel(self.rt, "creation.cl.mako", "linspace",
                            (out.dtype.name, ctype, log),
                            dict(name="logspace" if log else "linspace", out=out.dtype, A=ctype,
                                 log=log),
                            [np.int64, None, cast, cast, cast, np.int64, cast])
        self._launch(kernel, n, [n, out._storage.data, cast(start), cast(end), cast(step),
                                 halfway, cast(base)], "linspace")

    def eye(self, out) -> None:
        n = out.numel()
        if n == 0:
            return
        kernel = get_kernel(self.rt, "creation.cl.mako", "eye", (out.dtype.name,),
                            dict(name="eye", out=out.dtype), [np.int64, np.int64, None])
        self._launch(kernel, n, [n, out._shape[1], out._storage.data], "eye")

    def tri(self, out, src, diagonal: int, upper: bool) -> None:
        """out = tril/triu(src); both contiguous with the same shape (they may alias)."""
        n = out.numel()
        if n == 0:
            return
        kernel = get_kernel(self.rt, "creation.cl.mako", "tri", (out.dtype.name, upper),
                            dict(name="triu" if upper else "tril", dt=out.dtype, upper=upper),
                            [np.int64] * 4 + [None, np.int64, None, np.int64])
        rows, cols = out._shape[-2:]
        self._launch(kernel, n, [n, rows, cols, diagonal, src._storage.data, src._offset,
                                 out._storage.data, out._offset], "tri")
