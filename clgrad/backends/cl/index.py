"""OpenCL kernels of the index family (mixed into ClBackend): advanced indexing through one
index-map kernel, gather/scatter along a dim, and nonzero (kernels/index.cl.mako).

Bounds: index_map kernels skip out-of-range points and report the first one on the queue's
device-side error word (checks.py): the op itself never waits, and the host raises the op's
PyTorch error at its next synchronisation, as CUDA's device-side asserts. No kernel reads or
writes outside a buffer.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from .checks import INDEX, Check
from .programs import get_kernel
from .runtime import Scratch, index_t

_T = "index.cl.mako"


class _NonZero:
    """x != 0 as a pointwise primitive (bool result), for nonzero's mask."""

    name = "clgrad_nonzero_mask"
    helpers = ()

    @staticmethod
    def opencl_c_expr(T, compute) -> str:
        return "a != (" + T + ")0"


class _IndexCheck(Check):
    """What an index_map launch's error means: the kernel reports INDEX + (k << 8) with the
    bad value of index tensor k, and the op's error(value, k, size) builds PyTorch's
    exception for it (built only when raised: nothing is formatted on the hot path)."""

    __slots__ = ("make", "sizes")

    def __init__(self, mode: str, make, sizes: list):
        self.op = f"index_map ({mode})"
        self.conditions = {}
        self.make = make
        self.sizes = sizes

    def error(self, code: int, value: int) -> Exception:
        k = code >> 8
        if (code & 0xFF) == INDEX and self.make is not None and k < len(self.sizes):
            return self.make(value, k, self.sizes[k])
        return Check.error(self, code & 0xFF, value)


class ClIndex:
    """index_map, gather/scatter along a dim and nonzero for the OpenCL backend."""

    def index_map(self, mode: str, target, tstrides: tuple, indices: list, sizes: list,
                  astrides: list, other, shape: tuple, serial: int, wrap: bool = True,
                  error=None) -> bool:
        """Run kernels/index.cl.mako:index_map over `shape` (the last `serial` dims walked in
        order by one work-item); indices and other are tensors of `shape`. Negative indices
        count from the end of their dim when `wrap`, else they are out of range. An index
        out of range skips its point and raises error(value, k, size) at the queue's next
        synchronisation (the device-side error word), so this returns True without waiting."""
        n = 1
        for s in shape:
            n *= s
        if n == 0:
            return True
        rank, K = len(shape), len(indices)
        S = 1
        for s in shape[rank - serial:]:
            S *= s
        kernel = get_kernel(self.rt, _T, "index_map",
                            (target.dtype.name, mode, K, rank, bool(serial), wrap),
                            dict(name=f"index_{mode}", dt=target.dtype, mode=mode, K=K,
                                 rank=rank, serial=bool(serial), wrap=wrap))
        args = dict(P=n // S, S=S, tgt=target, oth=other)
        args.update((f"tst{d}", s) for d, s in enumerate(tstrides))
        args.update((f"n{d}", s) for d, s in enumerate(shape))
        for k, (idx, size, ast) in enumerate(zip(indices, sizes, astrides)):
            args[f"idx{k}"] = idx
            args[f"size{k}"] = size
            args[f"ast{k}"] = ast
        self.rt.launch(kernel, n // S, None, args, _IndexCheck(mode, error, sizes))
        return True

    def nonzero(self, x):
        """The (count, ndim) int64 coordinates of x's nonzero elements, in row-major order."""
        n = x.numel()
        rank = x.dim()
        mask = self.scratch(x._shape, dt.bool)
        pos = self.scratch((n,), dt.int64)
        count = 0
        if n:
            self.pointwise(_NonZero, mask, [x], x.dtype)
            self.scan("sum", pos, Scratch(mask._storage, (n,), dt.bool), 0)
            last = np.empty(1, np.int64)
            self.rt.read(last, pos._storage.data, (n - 1) * 8)
            count = int(last[0])
        # The result is a Tensor of x's class: the backend itself imports no Tensor.
        out = type(x)._empty((count, rank), dt.int64, x.device)
        if count == 0 or rank == 0:
            return out
        kernel = get_kernel(self.rt, _T, "nonzero", (rank,), dict(name="nonzero", rank=rank))
        args = dict(n=n, mask=mask, pos=pos, out=out)
        args.update((f"n{d}", s) for d, s in enumerate(x._shape))
        self.rt.launch(kernel, n, None, args)
        return out

    # -- placing values at indices along a dim (gradients of index-selecting ops) ------------
    @staticmethod
    def _dim_split(shape, dim: int):
        outer = inner = 1
        for s in shape[:dim]:
            outer *= s
        for s in shape[dim + 1:]:
            inner *= s
        return outer, inner

    def scatter_dim(self, out, src, idx, dim: int, accumulate: bool) -> None:
        """out (zero, fresh) at idx along dim = (or +=) src; src and idx contiguous."""
        outer, inner = self._dim_split(src._shape, dim)
        K, N = src._shape[dim], out._shape[dim]
        if outer * K * inner == 0:
            return
        it = index_t(out, src, idx)
        kernel = get_kernel(self.rt, _T, "scatter_dim", (out.dtype.name, accumulate, it),
                            dict(name="scatter_dim", dt=out.dtype, accumulate=accumulate,
                                 index_t=it))
        self.rt.launch(kernel, outer * inner if accumulate else outer * K * inner, None,
                       dict(O=outer, K=K, N=N, I=inner, src=src, idx=idx, out=out))

    def gather_dim(self, out, src, idx, dim: int) -> None:
        """out (fresh) = src at idx along dim; src and idx contiguous, idx shaped as out."""
        outer, inner = self._dim_split(out._shape, dim)
        K, N = out._shape[dim], src._shape[dim]
        if outer * K * inner == 0:
            return
        it = index_t(out, src, idx)
        kernel = get_kernel(self.rt, _T, "gather_dim", (out.dtype.name, it),
                            dict(name="gather_dim", dt=out.dtype, index_t=it))
        self.rt.launch(kernel, outer * K * inner, None, dict(O=outer, K=K, N=N, I=inner, src=src,
                                                             idx=idx, out=out))
