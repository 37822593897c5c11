"""numpy kernels of the creation family (mixed into CpuBackend).

The arithmetic mirrors kernels/creation.cl.mako: values come from the element index in the
accumulation type `acc` (a numpy dtype) and are cast to the output's dtype on store.
"""
from __future__ import annotations

import numpy as np


class CpuCreation:
    def arange(self, out, start, step, acc) -> None:
        """out[i] = start + step * i (out is contiguous)."""
        idx = np.arange(out.numel(), dtype=acc)
        values = acc.type(start) + acc.type(step) * idx
        self.view(out).reshape(-1)[...] = values.astype(out.dtype.np, copy=False)

    def linspace(self, out, start, end, step, halfway: int, base, log: bool, acc) -> None:
        """Two halves, as PyTorch computes them: from start up, and from end down."""
        n = out.numel()
        idx = np.arange(n, dtype=acc)
        start, end, step = acc.type(start), acc.type(end), acc.type(step)
        values = np.where(idx < halfway, start + step * idx, end - step * (acc.type(n - 1) - idx))
        if log:
            values = np.power(acc.type(base), values)
        with np.errstate(invalid="ignore", over="ignore"):
            self.view(out).reshape(-1)[...] = values.astype(out.dtype.np, copy=False)

    def eye(self, out) -> None:
        rows, cols = out._shape
        self.view(out)[...] = np.eye(rows, cols, dtype=out.dtype.np)

    def tri(self, out, src, diagonal: int, upper: bool) -> None:
        """out = tril/triu(src) over the last two dims (any strides; out may alias src)."""
        rows, cols = src._shape[-2:]
        diff = np.arange(cols)[None, :] - np.arange(rows)[:, None]
        keep = diff >= diagonal if upper else diff <= diagonal
        values = np.where(keep, self.view(src), np.zeros((), src.dtype.np))
        self.view(out)[...] = values
