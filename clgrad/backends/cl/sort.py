"""OpenCL kernels of the sort family (mixed into ClBackend): sort/argsort, the selections
built on it (median, nanmedian, topk-like ranges) and bincount (kernels/sort.cl.mako).

Rows are sorted by a bitonic network over (key, index) pairs in work buffers padded to a
power of two; selection kernels then read the sorted rows.
"""
from __future__ import annotations

from ... import _dtype as dt
from ..._strides import coalesce
from .programs import get_kernel
from .reduce import key_ctype
from .runtime import INT32_LIMIT, next_pow2

_T = "sort.cl.mako"
_KEY_DTYPE = {"float": dt.float32, "double": dt.float64, "long": dt.int64}


class ClSort:
    def _sorted_rows(self, x, dim: int, descending: bool):
        """Work buffers (keys, idx) holding each row of x along dim sorted, padded to P."""
        rows_dims = [d for d in range(x.ndim) if d != dim]
        sizes, (ist,) = coalesce(tuple(x._shape[d] for d in rows_dims),
                                 [tuple(x._stride[d] for d in rows_dims)])
        n = x._shape[dim] if x.ndim else 1
        rows = x.numel() // max(n, 1)
        P = next_pow2(n)
        K = key_ctype(x.dtype)
        keys = self.scratch((rows * P,), _KEY_DTYPE[K])
        idx = self.scratch((rows * P,), dt.int64)
        index_t = "long" if max(x._storage.numel, rows * P) > INT32_LIMIT else "int"
        rank = len(sizes)
        init = get_kernel(self.rt, _T, "sort_init", (x.dtype.name, K, rank, index_t),
                          dict(name="sort_init", in_dt=x.dtype, K=K, rank=rank,
                               index_t=index_t))
        args = dict(rows=rows, n=n, P=P, src=x, in_step=x._stride[dim] if x.ndim else 0,
                    keys=keys, idx=idx)
        args.update((f"is{d}", s) for d, s in enumerate(ist))
        args.update((f"n{d}", s) for d, s in enumerate(sizes))
        self.rt.launch(init, rows * P, None, args)
        if P > 1:
            floating = x.dtype.is_floating_point
            step = get_kernel(self.rt, _T, "sort_step", (K, floating, descending, index_t),
                              dict(name="sort_step", K=K, floating=floating,
                                   descending=descending, index_t=index_t))
            k = 2
            while k <= P:
                j = k // 2
                while j >= 1:
                    self.rt.launch(step, rows * P // 2, None,
                                   dict(rows=rows, n=n, P=P, k=k, j=j, keys=keys, idx=idx))
                    j //= 2
                k *= 2
        return keys, idx, rows, n, P, K, index_t

    def sort(self, x, dim: int, descending: bool, values, indices, mode: str = "range",
             start: int = 0) -> None:
        """Write sorted positions of each row of x along dim into values/indices.

        values/indices share one layout with x's rank; their size along dim is the count of
        positions written: start.. in "range" mode, one position for "median"/"nanmedian".
        values may be None (argsort).
        """
        if indices.numel() == 0:
            return
        keys, idx, rows, n, P, K, index_t = self._sorted_rows(x, dim, descending)
        cnt = indices._shape[dim] if x.ndim else 1
        rows_dims = [d for d in range(x.ndim) if d != dim]
        sizes, (ost,) = coalesce(tuple(indices._shape[d] for d in rows_dims),
                                 [tuple(indices._stride[d] for d in rows_dims)])
        rank = len(sizes)
        has_vals = values is not None
        floating = x.dtype.is_floating_point
        out_dt = values.dtype if has_vals else None
        kernel = get_kernel(
            self.rt, _T, "sort_select",
            (out_dt.name if out_dt else None, K, floating, mode, has_vals, rank, index_t),
            dict(name="sort_select", out_dt=out_dt, K=K, floating=floating, mode=mode,
                 has_vals=has_vals, rank=rank, index_t=index_t))
        args = dict(rows=rows, cnt=cnt, n=n, P=P, start=start, keys=keys, idx=idx,
                    oidx=indices, out_step=indices._stride[dim] if x.ndim else 0)
        if has_vals:
            args["vals"] = values
        args.update((f"os{d}", s) for d, s in enumerate(ost))
        args.update((f"n{d}", s) for d, s in enumerate(sizes))
        self.rt.launch(kernel, rows * cnt, None, args)

    def bincount(self, x, weights, out) -> None:
        """out[b] = count (or weight sum) of b in the 1-d non-negative integer tensor x."""
        nbins = out.numel()
        if nbins == 0:
            return
        if x.numel() == 0:
            self._fill(out, 0)
            return
        keys, idx, _, n, _, _, index_t = self._sorted_rows(x, 0, False)
        has_w = weights is not None
        w_dt = weights.dtype if has_w else None
        W = "double" if out.dtype.name == "float64" else "float"
        kernel = get_kernel(
            self.rt, _T, "bincount",
            (w_dt.name if w_dt else None, out.dtype.name, W, has_w, index_t),
            dict(name="bincount_k", w_dt=w_dt, out_dt=out.dtype, W=W, has_w=has_w,
                 index_t=index_t))
        args = dict(nbins=nbins, n=n, keys=keys, idx=idx, out=out)
        if has_w:
            args["w"] = weights
        self.rt.launch(kernel, nbins, None, args)
