"""OpenCL kernels of the reduce family (mixed into ClBackend): reductions, scans, sorting.

Reductions read the input in place through a permuted strided view: the kept ("outer") dims
and the reduced ("inner") dims are coalesced separately, and the kernel is specialised on
their ranks and on whether the inner range is contiguous, never on sizes. Many outputs get
one work-item each; few outputs over a long range get a two-stage reduction (work-groups
in local memory writing partials, then a small second pass that also applies the finalize).
"""
from __future__ import annotations

import numpy as np

from ..._strides import coalesce
from .programs import get_kernel
from .runtime import cl

INT32_LIMIT = 2 ** 31 - 1

_ACC_CTYPE = {"float32": "float", "float64": "double", "int64": "long"}
_NP_OF = {"float": np.float32, "double": np.float64, "long": np.int64, "int": np.int32}


def _acc_dtype(ctype: str):
    from ... import _dtype as dt
    return {"float": dt.float32, "double": dt.float64, "long": dt.int64}[ctype]


def _key_ctype(dtype) -> str:
    """The type sort keys are held in: floats in their compute type, the rest in long."""
    if dtype.is_floating_point:
        return "double" if dtype.name == "float64" else "float"
    return "long"


def _pow2_at_most(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


def _next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


class ClReduce:
    # Two-stage geometry (see benchmarks/reduce_sum.py): total work-groups aimed for, and
    # the longest reduced range handled by one work-item per output.
    reduce_groups_per_unit = 4
    reduce_two_stage_min = 4096
    reduce_two_stage_max_outputs = 64
    reduce_unroll = 8
    reduce_cpu_local = 16
    reduce_chunked = None  # None: chunked on CPU devices, strided elsewhere

    # -- helpers -------------------------------------------------------------------------------
    def _index_t(self, *tensors) -> str:
        big = any(t._storage.numel > INT32_LIMIT for t in tensors)
        return "long" if big else "int"

    def _group_limit(self, kernel, bytes_per_item: int) -> int:
        """The largest power-of-two work-group size this kernel may use on this device."""
        cache = self.__dict__.setdefault("_wg_limits", {})
        limit = cache.get(kernel)
        if limit is None:
            limit = kernel.get_work_group_info(cl.kernel_work_group_info.WORK_GROUP_SIZE,
                                               self.rt.device)
            cache[kernel] = limit
        local_items = max(self.rt.caps.local_mem_size // max(bytes_per_item, 1) // 2, 1)
        return _pow2_at_most(min(256, self.rt.caps.max_work_group_size, limit, local_items))

    @staticmethod
    def _split(x, dims):
        """(outer sizes, outer strides, inner sizes, inner strides), each coalesced."""
        keep = [d for d in range(x.ndim) if d not in dims]
        osz, (ost,) = coalesce(tuple(x._shape[d] for d in keep),
                               [tuple(x._stride[d] for d in keep)])
        isz, (ist,) = coalesce(tuple(x._shape[d] for d in dims),
                               [tuple(x._stride[d] for d in dims)])
        return osz, ost, isz, ist

    def _reduce_kernel(self, in_dt, out_dt, T, map_expr, combine, arg, finalize, orank, irank,
                       icontig, index_t, has_aux, has_out, has_idx, idx_in):
        floating = T != "long"
        key = (in_dt.name, out_dt.name if out_dt else None, T, map_expr, combine, arg,
               finalize, orank, irank, icontig, index_t, has_aux, has_out, has_idx, idx_in)
        it = _NP_OF[index_t]
        types = [it, it, it, _NP_OF[T], None, it] + ([None, it] if idx_in else [])
        types += [it] * (2 * orank + 2 * irank) + [None] * has_aux
        types += [None, it] * has_out + [None, it] * has_idx
        return get_kernel(self.rt, "reduce.cl.mako", "reduce", key, dict(
            name="reduce_k", in_dt=in_dt, out_dt=out_dt, T=T, map_expr=map_expr,
            combine=combine, arg=arg, floating=floating, finalize=finalize,
            outer_rank=orank, inner_rank=irank, inner_contig=icontig, index_t=index_t,
            has_aux=has_aux, has_out=has_out, has_idx=has_idx, idx_in=idx_in), types)

    def _partial_kernel(self, in_dt, T, map_expr, combine, arg, orank, irank, icontig,
                        index_t, has_aux, chunked):
        key = (in_dt.name, T, map_expr, combine, arg, orank, irank, icontig, index_t, has_aux,
               chunked)
        it = _NP_OF[index_t]
        types = [it, it, it, it, _NP_OF[T], None, it] + [it] * (2 * orank + 2 * irank)
        types += [None] * has_aux + [None] + [None] * arg + [None] + [None] * arg
        return get_kernel(self.rt, "reduce.cl.mako", "partial", key, dict(
            name="partial_k", in_dt=in_dt, T=T, map_expr=map_expr, combine=combine, arg=arg,
            floating=T != "long", outer_rank=orank, inner_rank=irank, inner_contig=icontig,
            index_t=index_t, has_aux=has_aux, chunked=chunked, unroll=self.reduce_unroll),
            types)

    # -- reductions ---------------------------------------------------------------------------
    def reduce(self, spec, out, x, dims, acc, aux=None, param=0.0) -> None:
        """out (x's shape with dims kept as 1, contiguous) = spec reduced over dims of x.

        acc: the accumulator dtype; aux: an optional per-output tensor of dtype acc, shaped
        like out, that the map and finalize expressions read as `a`; param: their `p`.
        """
        self._run_reduce(x, dims, acc, spec.opencl_c_map_expr(acc), spec.combine, False,
                         spec.opencl_c_finalize_expr(acc), aux, param, out, None)

    def arg_reduce(self, kind: str, values, indices, x, dims) -> None:
        """values/indices (either may be None) of the max or min over dims (first index)."""
        from ... import _dtype as dt
        acc = x.dtype if x.dtype.is_floating_point else dt.int64
        acc = dt.float32 if acc in (dt.float16, dt.bfloat16) else acc
        self._run_reduce(x, dims, acc, "x", kind, True, "acc", None, 0.0, values, indices)

    def _run_reduce(self, x, dims, acc, map_expr, combine, arg, finalize, aux, param,
                    out, out_idx) -> None:
        T = _ACC_CTYPE[acc.name]
        osz, ost, isz, ist = self._split(x, dims)
        n_out = 1
        for s in osz:
            n_out *= s
        m = 1
        for s in isz:
            m *= s
        if n_out == 0:
            return
        targets = [t for t in (out, out_idx) if t is not None]
        index_t = self._index_t(x, *targets)
        it = _NP_OF[index_t]
        icontig = len(isz) <= 1 and (not ist or ist[0] == 1)
        irank = 0 if icontig else len(isz)
        inner_args = [] if icontig else list(ist) + list(isz)
        outer_args = list(ost) + list(osz)
        pval = _NP_OF[T](param)
        aux_args = [aux._storage.data] if aux is not None else []
        has_aux = aux is not None
        out_args = []
        if out is not None:
            out_args += [out._storage.data, out._offset]
        if out_idx is not None:
            out_args += [out_idx._storage.data, out_idx._offset]

        if m < self.reduce_two_stage_min or n_out > self.reduce_two_stage_max_outputs:
            kernel = self._reduce_kernel(x.dtype, out.dtype if out is not None else None, T,
                                         map_expr, combine, arg, finalize, len(osz), irank,
                                         icontig, index_t, has_aux, out is not None,
                                         out_idx is not None, False)
            args = [n_out, m, m, pval, x._storage.data, x._offset] + outer_args + inner_args
            self._launch(kernel, n_out, args + aux_args + out_args, "reduce")
            return

        # Two stages: `groups` work-groups per output write partials, a second pass folds them.
        # On CPU devices work-items take contiguous chunks: strided access, right for GPUs,
        # makes every work-item of a CPU thread walk all cache lines.
        chunked = self.reduce_chunked
        if chunked is None:
            chunked = "CPU" in self.rt.caps.type.upper()
        partial = self._partial_kernel(x.dtype, T, map_expr, combine, arg, len(osz), irank,
                                       icontig, index_t, has_aux, chunked)
        item_bytes = np.dtype(_NP_OF[T]).itemsize + (8 if arg else 0)
        L = self._group_limit(partial, item_bytes)
        if chunked:
            L = min(L, self.reduce_cpu_local)
        target = max(self.rt.caps.compute_units * self.reduce_groups_per_unit // n_out, 1)
        groups = max(1, min(target, -(-m // (L * 4))))
        chunk = -(-m // (groups * L))
        chunk = -(-chunk // self.reduce_unroll) * self.reduce_unroll
        acc_dt = _acc_dtype(T)
        from ..._tensor import Tensor
        part = Tensor._empty((n_out * groups,), acc_dt, x.device)
        part_idx = Tensor._empty((n_out * groups,), _acc_dtype("long"), x.device) if arg \
            else None
        args = [n_out, m, groups, chunk, pval, x._storage.data, x._offset]
        args += outer_args + inner_args + aux_args + [part._storage.data]
        if arg:
            args.append(part_idx._storage.data)
        args.append(cl.LocalMemory(L * np.dtype(_NP_OF[T]).itemsize))
        if arg:
            args.append(cl.LocalMemory(L * 8))
        partial(self.queue, (n_out * groups * L,), (L,), *args)
        second = self._reduce_kernel(acc_dt, out.dtype if out is not None else None, T, "x",
                                     combine, arg, finalize, 1 if n_out > 1 else 0, 0, True,
                                     index_t, has_aux, out is not None, out_idx is not None,
                                     arg)
        args = [n_out, groups, m, pval, part._storage.data, 0]
        if arg:
            args += [part_idx._storage.data, 0]
        if n_out > 1:
            args += [groups, n_out]
        self._launch(second, n_out, args + aux_args + out_args, "reduce2")

    # -- scans --------------------------------------------------------------------------------
    def scan(self, kind: str, out, x, dim: int, indices=None) -> None:
        """out = inclusive scan (sum, prod, max, min) of x along dim; indices for max/min."""
        if out.numel() == 0:
            return
        from ... import _dtype as dt
        rows_dims = [d for d in range(x.ndim) if d != dim]
        sizes, (ist, ost) = coalesce(tuple(x._shape[d] for d in rows_dims),
                                     [tuple(x._stride[d] for d in rows_dims),
                                      tuple(out._stride[d] for d in rows_dims)])
        m = x._shape[dim] if x.ndim else 1
        in_step = x._stride[dim] if x.ndim else 0
        out_step = out._stride[dim] if x.ndim else 0
        n_rows = out.numel() // max(m, 1)
        if kind in ("sum", "prod"):
            T = _ACC_CTYPE.get(out.dtype.name) or (
                "float" if out.dtype in (dt.float16, dt.bfloat16) else "long")
        else:
            T = _key_ctype(x.dtype)
        index_t = self._index_t(x, out)
        it = _NP_OF[index_t]
        rank = len(sizes)
        key = (x.dtype.name, out.dtype.name, T, kind, rank, index_t)
        with_idx = kind in ("max", "min")
        types = [it, it, None, it, it] + [it] * rank + [None, it, it] + [it] * rank
        types += [None, it] * with_idx + [it] * rank
        kernel = get_kernel(self.rt, "scan.cl.mako", "scan", key, dict(
            name="scan_k", in_dt=x.dtype, out_dt=out.dtype, T=T, kind=kind,
            floating=x.dtype.is_floating_point, rank=rank, index_t=index_t), types)
        args = [n_rows, m, x._storage.data, x._offset, in_step] + list(ist)
        args += [out._storage.data, out._offset, out_step] + list(ost)
        if with_idx:
            args += [indices._storage.data, indices._offset]
        self._launch(kernel, n_rows, args + list(sizes), "scan")

    # -- sorting ------------------------------------------------------------------------------
    def _sorted_rows(self, x, dim: int, descending: bool):
        """Work buffers (keys, idx) holding each row of x along dim sorted, padded to P."""
        from ..._tensor import Tensor
        from ... import _dtype as dt
        rows_dims = [d for d in range(x.ndim) if d != dim]
        sizes, (ist,) = coalesce(tuple(x._shape[d] for d in rows_dims),
                                 [tuple(x._stride[d] for d in rows_dims)])
        n = x._shape[dim] if x.ndim else 1
        step = x._stride[dim] if x.ndim else 0
        rows = x.numel() // max(n, 1)
        P = _next_pow2(n)
        K = _key_ctype(x.dtype)
        keys = Tensor._empty((rows * P,), _acc_dtype(K), x.device)
        idx = Tensor._empty((rows * P,), dt.int64, x.device)
        index_t = "long" if max(x._storage.numel, rows * P) > INT32_LIMIT else "int"
        it = _NP_OF[index_t]
        rank = len(sizes)
        init = get_kernel(self.rt, "sort.cl.mako", "sort_init",
                          (x.dtype.name, K, rank, index_t),
                          dict(name="sort_init", in_dt=x.dtype, K=K, rank=rank,
                               index_t=index_t),
                          [it, it, it, None, it, it] + [it] * rank + [None, None] + [it] * rank)
        self._launch(init, rows * P, [rows, n, P, x._storage.data, x._offset, step] + list(ist)
                     + [keys._storage.data, idx._storage.data] + list(sizes), "sort_init")
        if P > 1:
            floating = x.dtype.is_floating_point
            step_k = get_kernel(self.rt, "sort.cl.mako", "sort_step",
                                (K, floating, descending, index_t),
                                dict(name="sort_step", K=K, floating=floating,
                                     descending=descending, index_t=index_t),
                                [it] * 5 + [None, None])
            k = 2
            while k <= P:
                j = k // 2
                while j >= 1:
                    self._launch(step_k, rows * P // 2, [rows, n, P, k, j, keys._storage.data,
                                                         idx._storage.data], "sort_step")
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
        out_step = indices._stride[dim] if x.ndim else 0
        rank = len(sizes)
        it = _NP_OF[index_t]
        has_vals = values is not None
        floating = x.dtype.is_floating_point
        out_dt = values.dtype if has_vals else None
        kernel = get_kernel(
            self.rt, "sort.cl.mako", "sort_select",
            (out_dt.name if out_dt else None, K, floating, mode, has_vals, rank, index_t),
            dict(name="sort_select", out_dt=out_dt, K=K, floating=floating, mode=mode,
                 has_vals=has_vals, rank=rank, index_t=index_t),
            [it] * 5 + [None, None] + [None, it] * has_vals + [None, it, it] + [it] * (2 * rank))
        args = [rows, cnt, n, P, start, keys._storage.data, idx._storage.data]
        if has_vals:
            args += [values._storage.data, values._offset]
        args += [indices._storage.data, indices._offset, out_step] + list(ost) + list(sizes)
        self._launch(kernel, rows * cnt, args, "sort_select")

    def bincount(self, x, weights, out) -> None:
        """out[b] = count (or weight sum) of b in the 1-d non-negative integer tensor x."""
        nbins = out.numel()
        if nbins == 0:
            return
        if x.numel() == 0:
            from ...ops.pointwise_table import COPY
            self.pointwise(COPY, out, [0], out.dtype)
            return
        keys, idx, _, n, _, _, index_t = self._sorted_rows(x, 0, False)
        it = _NP_OF[index_t]
        has_w = weights is not None
        w_dt = weights.dtype if has_w else None
        W = "double" if out.dtype.name == "float64" else "float"
        kernel = get_kernel(
            self.rt, "sort.cl.mako", "bincount",
            (w_dt.name if w_dt else None, out.dtype.name, W, has_w, index_t),
            dict(name="bincount_k", w_dt=w_dt, out_dt=out.dtype, W=W, has_w=has_w,
                 index_t=index_t),
            [it, it, None, None] + [None, it, it] * has_w + [None])
        args = [nbins, n, keys._storage.data, idx._storage.data]
        if has_w:
            args += [weights._storage.data, weights._offset, weights._stride[0]]
        self._launch(kernel, nbins, args + [out._storage.data], "bincount")

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
        O, I = self._dim_split(src._shape, dim)
        K, N = src._shape[dim], out._shape[dim]
        if O * K * I == 0:
            return
        index_t = self._index_t(out, src, idx)
        it = _NP_OF[index_t]
        kernel = get_kernel(self.rt, "sort.cl.mako", "scatter_dim",
                            (out.dtype.name, accumulate, index_t),
                            dict(name="scatter_dim", dt=out.dtype, accumulate=accumulate,
                                 index_t=index_t), [it] * 4 + [None, it, None, it, None])
        self._launch(kernel, O * I if accumulate else O * K * I,
                     [O, K, N, I, src._storage.data, src._offset, idx._storage.data, idx._offset,
                      out._storage.data],
                     "scatter_dim")

    def gather_dim(self, out, src, idx, dim: int) -> None:
        """out (fresh) = src at idx along dim; src and idx contiguous, idx shaped as out."""
        O, I = self._dim_split(out._shape, dim)
        K, N = out._shape[dim], src._shape[dim]
        if O * K * I == 0:
            return
        index_t = self._index_t(out, src, idx)
        it = _NP_OF[index_t]
        kernel = get_kernel(self.rt, "sort.cl.mako", "gather_dim", (out.dtype.name, index_t),
                            dict(name="gather_dim", dt=out.dtype, index_t=index_t),
                            [it] * 4 + [None, it, None, it, None])
        self._launch(kernel, O * K * I,
                     [O, K, N, I, src._storage.data, src._offset, idx._storage.data, idx._offset,
                      out._storage.data],
                     "gather_dim")
