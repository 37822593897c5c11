"""numpy kernels of the index family (mixed into CpuBackend): the same index_map contract
as the OpenCL backend, with numpy fancy indexing on the flat storage, nonzero, and the
dim-wise gather/scatter."""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt

_AT = {"add": np.add, "mul": np.multiply, "max": np.fmax, "min": np.fmin}


class CpuIndex:
    """index_map, nonzero and the dim-wise gather/scatter for the numpy backend."""

    def index_map(self, mode: str, target, tstrides: tuple, indices: list, sizes: list,
                  astrides: list, other, shape: tuple, serial: int, wrap: bool = True,
                  error=None) -> bool:
        """See ClIndex.index_map; ufunc.at applies repeated positions in order. The op raises
        `error` itself when this returns False."""
        if 0 in shape:
            return True
        pos = np.full(shape, target._offset, np.int64)
        for d, (n, st) in enumerate(zip(shape, tstrides)):
            if st:
                pos += (np.arange(n, dtype=np.int64) * st).reshape(
                    (1,) * d + (n,) + (1,) * (len(shape) - d - 1))
        ok = np.ones(shape, bool)
        for idx, size, ast in zip(indices, sizes, astrides):
            v = self.view(idx).astype(np.int64)
            if wrap:
                v = np.where(v < 0, v + size, v)
            good = (v >= 0) & (v < size)
            ok &= good
            pos += np.where(good, v, 0) * ast
        flat = self.flat(target)
        vals = self.view(other)
        if mode == "get":
            np.copyto(vals, np.where(ok, flat[pos], 0), casting="unsafe")
        else:
            pos, picked = pos[ok], np.broadcast_to(vals, shape)[ok]
            if mode == "set":
                flat[pos] = picked
            elif mode in ("max", "min") and flat.dtype.kind == "f":
                # NaN wins, as in PyTorch's amax/amin.
                ufunc = np.maximum if mode == "max" else np.minimum
                ufunc.at(flat, pos, picked)
            else:
                _AT[mode].at(flat, pos, picked)
        return bool(ok.all())

    def nonzero(self, x):
        """The (count, ndim) int64 coordinates of x's nonzero elements, in row-major order."""
        coords = np.argwhere(self.view(x)).astype(np.int64)
        # The result is a Tensor of x's class: the backend itself imports no Tensor.
        return type(x)._wrap(coords.reshape(-1), coords.size, dt.int64, x.device, self,
                             coords.shape)

    def scatter_dim(self, out, src, idx, dim: int, accumulate: bool) -> None:
        """out (zero) at idx along dim = (or +=) src (see the cl backend)."""
        if src.numel() == 0:
            return
        target, values, index = self.view(out), self.view(src), self.view(idx)
        if not accumulate:
            np.put_along_axis(target, index, values, axis=dim)
            return
        grid = list(np.indices(index.shape, sparse=True))
        grid[dim] = index
        np.add.at(target, tuple(grid), values)

    def gather_dim(self, out, src, idx, dim: int) -> None:
        """out = src at idx along dim."""
        if out.numel() == 0:
            return
        picked = np.take_along_axis(self.view(src), self.view(idx), axis=dim)
        np.copyto(self.view(out), picked, casting="unsafe")
