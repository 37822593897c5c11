"""OpenCL kernels of the creation family (mixed into ClBackend): arange, linspace/logspace,
eye, tril/triu.

Range tensors are computed on the device from the element index (kernels/creation.cl.mako),
so creating them uploads nothing but a few scalars.
"""
from __future__ import annotations

import numpy as np

from .programs import get_kernel

_T = "creation.cl.mako"
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
        kernel = get_kernel(self.rt, _T, "arange", (out.dtype.name, ctype),
                            dict(name="arange", out=out.dtype, A=ctype))
        # out is always a fresh contiguous tensor at offset 0 (see ops/creation.py).
        self.rt.launch(kernel, n, None, dict(n=n, out=out, start=cast(start), step=cast(step)))

    def linspace(self, out, start, end, step, halfway: int, base, log: bool, acc) -> None:
        n = out.numel()
        if n == 0:
            return
        ctype, cast = self._acc(acc)
        kernel = get_kernel(self.rt, _T, "linspace", (out.dtype.name, ctype, log),
                            dict(name="logspace" if log else "linspace", out=out.dtype,
                                 A=ctype, log=log))
        self.rt.launch(kernel, n, None, dict(n=n, out=out, start=cast(start), end=cast(end),
                                             step=cast(step), halfway=halfway,
                                             base=cast(base)))

    def eye(self, out) -> None:
        n = out.numel()
        if n == 0:
            return
        kernel = get_kernel(self.rt, _T, "eye", (out.dtype.name,),
                            dict(name="eye", out=out.dtype))
        self.rt.launch(kernel, n, None, dict(n=n, cols=out._shape[1], out=out))

    def tri(self, out, src, diagonal: int, upper: bool) -> None:
        """out = tril/triu(src); both contiguous with the same shape (they may alias)."""
        n = out.numel()
        if n == 0:
            return
        kernel = get_kernel(self.rt, _T, "tri", (out.dtype.name, upper),
                            dict(name="triu" if upper else "tril", dt=out.dtype, upper=upper))
        rows, cols = out._shape[-2:]
        self.rt.launch(kernel, n, None, dict(n=n, rows=rows, cols=cols, diagonal=diagonal,
                                             src=src, out=out))
