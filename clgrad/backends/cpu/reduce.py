"""numpy kernels of the reduce family (mixed into CpuBackend): reductions, arg-reductions
and scans.

The interface mirrors the OpenCL backend's reduce module; tie-breaks are the same on both
backends (first index of an extreme), so results agree bit for bit where the arithmetic does.
"""
from __future__ import annotations

import numpy as np


def _moved(a: np.ndarray, dims) -> np.ndarray:
    """a with dims moved last and flattened into one: shape (*kept, prod(dims))."""
    dims = tuple(dims)
    moved = np.moveaxis(a, dims, tuple(range(a.ndim - len(dims), a.ndim)))
    return moved.reshape(moved.shape[:a.ndim - len(dims)] + (-1,))


class CpuReduce:
    def reduce(self, spec, out, x, dims, acc, aux=None, param=0.0) -> None:
        """out (x's shape with dims kept as 1) = spec reduced over dims of x (see ClReduce)."""
        a = self.view(x)
        if a.dtype != acc.np:
            a = a.astype(acc.np)
        aux_arr = self.view(aux) if aux is not None else None
        count = 1
        for d in dims:
            count *= x._shape[d]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = spec.numpy(a, tuple(dims), aux_arr, param, count)
        np.copyto(self.view(out), np.reshape(result, out._shape), casting="unsafe")

    def arg_reduce(self, kind: str, values, indices, x, dims) -> None:
        target = indices if indices is not None else values
        if target.numel() == 0:
            return
        a = self.view(x)
        flat = a.reshape(1) if a.ndim == 0 else _moved(a, dims)
        pick = np.argmax if kind == "max" else np.argmin
        idx = pick(flat, axis=-1)
        if values is not None:
            picked = np.take_along_axis(flat, idx[..., None], axis=-1)[..., 0]
            np.copyto(self.view(values), picked.reshape(values._shape), casting="unsafe")
        if indices is not None:
            np.copyto(self.view(indices), idx.reshape(indices._shape), casting="unsafe")

    def scan(self, kind: str, out, x, dim: int, indices=None) -> None:
        a = self.view(x)
        if a.ndim == 0:
            a = a.reshape(1)
        target = self.view(out).reshape(a.shape)
        if kind in ("sum", "prod"):
            acc = out.dtype.np if out.dtype.name != "float16" else np.float32
            fn = np.cumsum if kind == "sum" else np.cumprod
            np.copyto(target, fn(a.astype(acc), axis=dim), casting="unsafe")
            return
        ufunc = np.maximum if kind == "max" else np.minimum
        vals = ufunc.accumulate(a, axis=dim) if a.size else a.copy()
        # PyTorch moves the index on ties (>=, <=) and on every NaN: the last position so far
        # holding the running value.
        same = a == vals
        if a.dtype.kind == "f":
            same |= np.isnan(a) & np.isnan(vals)
        shape = [1] * a.ndim
        shape[dim] = a.shape[dim]
        pos = np.where(same, np.arange(a.shape[dim]).reshape(shape), 0)
        idx = np.maximum.accumulate(pos, axis=dim) if a.size else pos
        np.copyto(target, vals, casting="unsafe")
        np.copyto(self.view(indices).reshape(a.shape), idx, casting="unsafe")
