"""numpy kernels of the sort family (mixed into CpuBackend): sort, the k-th/median
selections built on it, and bincount.

Orders and tie-breaks match the OpenCL backend (stable sorts, NaN largest), so results agree
bit for bit.
"""
from __future__ import annotations

import numpy as np


def stable_argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort with NaN largest; descending keeps equal elements in input order."""
    if not descending:
        return np.argsort(a, axis=axis, kind="stable")
    rev = np.flip(a, axis=axis)
    order = np.flip(np.argsort(rev, axis=axis, kind="stable"), axis=axis)
    return a.shape[axis] - 1 - order


class CpuSort:
    def sort(self, x, dim: int, descending: bool, values, indices, mode: str = "range",
             start: int = 0) -> None:
        if indices.numel() == 0:
            return
        a = self.view(x)
        if a.ndim == 0:
            a, dim = a.reshape(1), 0
        order = stable_argsort(a, dim, descending)
        srt = np.take_along_axis(a, order, axis=dim)
        n = a.shape[dim]
        if mode == "range":
            cnt = indices._shape[dim] if x.ndim else 1
            pos = np.arange(start, start + cnt)
            shape = [1] * a.ndim
            shape[dim] = cnt
            pos = np.broadcast_to(pos.reshape(shape), srt.shape[:dim] + (cnt,)
                                  + srt.shape[dim + 1:])
        else:
            valid = (~np.isnan(srt)).sum(axis=dim, keepdims=True) if a.dtype.kind == "f" \
                else np.full(srt.shape[:dim] + (1,) + srt.shape[dim + 1:], n)
            if mode == "median":
                pos = np.where(valid < n, valid, (n - 1) // 2)
            else:
                pos = np.where(valid > 0, (valid - 1) // 2, 0)
        if values is not None:
            picked = np.take_along_axis(srt, pos, axis=dim)
            np.copyto(self.view(values), picked.reshape(values._shape), casting="unsafe")
        picked_idx = np.take_along_axis(order, pos, axis=dim)
        np.copyto(self.view(indices), picked_idx.reshape(indices._shape), casting="unsafe")

    def bincount(self, x, weights, out) -> None:
        if out.numel() == 0:
            return
        w = self.view(weights).astype(np.float64) if weights is not None else None
        counts = np.bincount(self.view(x), weights=w, minlength=out.numel())
        np.copyto(self.view(out), counts, casting="unsafe")
