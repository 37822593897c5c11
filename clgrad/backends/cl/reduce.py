"""OpenCL kernels of the reduce family (mixed into ClBackend): reductions and scans.

Reductions read the input in place through a permuted strided view: the kept ("outer") dims
and the reduced ("inner") dims are coalesced separately, and the kernel is specialised on
their ranks and on whether the inner range is contiguous, never on sizes. Many outputs get
one work-item each; few outputs over a long range get a two-stage reduction (work-groups
in local memory writing partials, then a small second pass that also applies the finalize).
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as dt
from ..._strides import coalesce
from .programs import get_kernel
from .runtime import index_t as index_type
from .runtime import pow2_at_most

_ACC_CTYPE = {"float32": "float", "float64": "double", "int64": "long"}
_ACC_DTYPE = {"float": dt.float32, "double": dt.float64, "long": dt.int64}
_NP_OF = {"float": np.float32, "double": np.float64, "long": np.int64, "int": np.int32}
# Maps that mean the same over OpenCL C vectors (x a vector, a a scalar or a vector) as over
# scalars, and the combines the chunks kernel takes vectors for: max and min (a scalar
# NaN-propagating select is several instructions an element; PoCL 3.0's vloads made sums
# slower than 16 scalar accumulators, which already run at memory speed).
_VECTOR_MAPS = {"x", "x * x", "fabs(x)", "(x - a) * (x - a)"}
_VECTOR_COMBINES = {"max", "min"}
_VECTOR_INPUTS = {"float32", "float64", "float16"}


def key_ctype(dtype) -> str:
    """The type sort keys and scan extremes are held in: floats in their compute type, the
    rest in long."""
    if dtype.is_floating_point:
        return "double" if dtype.name == "float64" else "float"
    return "long"


def _dims(prefix: str, strides, sizes) -> dict:
    """Named stride and size arguments <prefix>s<d>, <prefix>n<d> (see reduce.cl.mako)."""
    args = {f"{prefix}s{d}": s for d, s in enumerate(strides)}
    args.update((f"{prefix}n{d}", s) for d, s in enumerate(sizes))
    return args


class ClReduce:
    # Two-stage geometry (see benchmarks/reduce_sum.py): total work-groups aimed for, and
    # the longest reduced range handled by one work-item per output.
    reduce_groups_per_unit = 4
    reduce_two_stage_min = 4096
    reduce_two_stage_max_outputs = 64
    reduce_unroll = 8
    reduce_cpu_local = 16
    reduce_chunked = None  # None: chunked on CPU devices, strided elsewhere
    # CPU devices (chunked): work-items aimed for per compute unit, the fewest reduced
    # elements a work-item takes, and how many adjacent outputs one reads side by side when
    # the reduced dims are strided and the kept ones contiguous (see the chunks kernel).
    reduce_cpu_items_per_unit = 8
    reduce_cpu_min_chunk = 16384
    reduce_cpu_lanes = 32
    reduce_cpu_unroll = 16
    # Vector width of the chunks kernel's loops for maps that are safe on vectors; None: 32
    # bytes of the compute type (8 floats, 4 doubles: an AVX2 register) on CPU devices other
    # than Oclgrind (which cannot simulate vector arithmetic), 0 there. Not double8: PoCL
    # 3.0's LLVM 14 aborts the process generating a double8 max's launch code on a Zen 4
    # (AVX-512, which it compiles for as a Zen 3): "Cannot emit physreg copy instruction".
    reduce_cpu_vector = None

    # -- helpers -------------------------------------------------------------------------------
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
        key = (in_dt.name, out_dt.name if out_dt else None, T, map_expr, combine, arg,
               finalize, orank, irank, icontig, index_t, has_aux, has_out, has_idx, idx_in)
        return get_kernel(self.rt, "reduce.cl.mako", "reduce", key, dict(
            name="reduce_k", in_dt=in_dt, out_dt=out_dt, T=T, map_expr=map_expr,
            combine=combine, arg=arg, floating=T != "long", finalize=finalize,
            outer_rank=orank, inner_rank=irank, inner_contig=icontig, index_t=index_t,
            has_aux=has_aux, has_out=has_out, has_idx=has_idx, idx_in=idx_in))

    def _partial_kernel(self, in_dt, T, map_expr, combine, arg, orank, irank, icontig,
                        index_t, has_aux, chunked):
        key = (in_dt.name, T, map_expr, combine, arg, orank, irank, icontig, index_t, has_aux,
               chunked)
        return get_kernel(self.rt, "reduce.cl.mako", "partial", key, dict(
            name="partial_k", in_dt=in_dt, T=T, map_expr=map_expr, combine=combine, arg=arg,
            floating=T != "long", outer_rank=orank, inner_rank=irank, inner_contig=icontig,
            index_t=index_t, has_aux=has_aux, chunked=chunked, unroll=self.reduce_unroll))

    def _chunks_kernel(self, in_dt, out_dt, T, map_expr, combine, finalize, orank, irank,
                       icontig, index_t, has_aux, lanes, final):
        vec = self.reduce_cpu_vector
        if vec is None:
            vec = 0 if "oclgrind" in self.rt.caps.platform.lower() else \
                4 if T == "double" else 8
        if not (map_expr in _VECTOR_MAPS and combine in _VECTOR_COMBINES and T != "long"
                and in_dt.name in _VECTOR_INPUTS):
            vec = 0
        key = (in_dt.name, out_dt.name if final else None, T, map_expr, combine,
               finalize if final else None, orank, irank, icontig, index_t, has_aux, lanes,
               self.reduce_cpu_unroll, final, vec)
        return get_kernel(self.rt, "reduce.cl.mako", "chunks", key, lambda: dict(
            name="chunks_k", in_dt=in_dt, out_dt=out_dt, T=T, map_expr=map_expr,
            combine=combine, floating=T != "long", finalize=finalize, outer_rank=orank,
            inner_rank=irank, inner_contig=icontig, index_t=index_t, has_aux=has_aux,
            lanes=lanes, unroll=self.reduce_cpu_unroll, final=final, vec=vec))

    def _run_chunks(self, x, osz, ost, isz, ist, n_out, m, T, map_expr, combine, finalize,
                    aux, pval, out, index_t) -> None:
        """CPU devices, no index: the chunks kernel, then (when the reduced range is split)
        a second pass over the partials with the same kernel."""
        icontig = len(isz) <= 1 and (not ist or ist[0] == 1)
        irank = 0 if icontig else len(isz)
        lanes = self.reduce_cpu_lanes if (not icontig and ost and ost[-1] == 1
                                          and osz[-1] > 1) else 0
        if lanes:
            nl = osz[-1]
            blocks = n_out // nl * -(-nl // lanes)
            min_chunk = max(1, self.reduce_cpu_min_chunk // min(lanes, nl))
        else:
            blocks = n_out
            min_chunk = self.reduce_cpu_min_chunk
        target = self.rt.caps.compute_units * self.reduce_cpu_items_per_unit
        groups = max(1, min(-(-target // blocks), m // min_chunk))
        chunk = -(-m // groups)
        if not lanes:
            chunk = -(-chunk // self.reduce_cpu_unroll) * self.reduce_cpu_unroll
        groups = -(-m // chunk)
        final = groups == 1
        args = {"n_out": n_out, "m": m, "n_total": m, "groups": groups, "chunk": chunk,
                "run": m if icontig else (isz[-1] if ist[-1] == 1 else 1), "p": pval, "in": x,
                **_dims("o", ost, osz)}
        if not icontig:
            args.update(_dims("i", ist, isz))
        if aux is not None:
            args["aux"] = aux
        acc_dt = _ACC_DTYPE[T]
        if final:
            args["out"] = out
        else:
            part = self.scratch((groups * n_out,), acc_dt)
            args["part"] = part
        kernel = self._chunks_kernel(x.dtype, out.dtype, T, map_expr, combine, finalize,
                                     len(osz), irank, icontig, index_t, aux is not None, lanes,
                                     final)
        self.rt.launch(kernel, *self._cpu_geometry(blocks * groups), args)
        if final:
            return
        # The partials: part[c * n_out + o], columns of a (groups, n_out) matrix.
        lanes2 = self.reduce_cpu_lanes if n_out > 1 else 0
        second = self._chunks_kernel(acc_dt, out.dtype, T, "x", combine, finalize,
                                     1 if n_out > 1 else 0, 0 if n_out == 1 else 1,
                                     n_out == 1, index_t, aux is not None, lanes2, True)
        args = {"n_out": n_out, "m": groups, "n_total": m, "groups": 1, "chunk": groups,
                "run": groups, "p": pval, "in": part, "out": out}
        if n_out > 1:
            args.update(os0=1, on0=n_out, is0=n_out, in0=groups)
        if aux is not None:
            args["aux"] = aux
        self.rt.launch(second, *self._cpu_geometry(-(-n_out // lanes2) if lanes2 else 1),
                       args)

    def _cpu_geometry(self, items: int):
        """(global, local) sizes for `items` work-items on a CPU device: work-groups are what
        the driver's threads share out, so few items get small groups (an int global size
        rounded up to 256 with the driver's choice of group ran in ONE group, on one core)."""
        per_unit = max(1, items // (self.rt.caps.compute_units * 8))
        local = max(1, min(pow2_at_most(per_unit), 64, self.rt.group_size))
        return (-(-items // local) * local,), (local,)

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
        index_t = index_type(x, out, out_idx)
        icontig = len(isz) <= 1 and (not ist or ist[0] == 1)
        irank = 0 if icontig else len(isz)
        dims_args = _dims("o", ost, osz)
        if not icontig:
            dims_args.update(_dims("i", ist, isz))
        pval = _NP_OF[T](param)
        has_aux = aux is not None
        aux_arg = {"aux": aux} if has_aux else {}
        outs = {}
        if out is not None:
            outs["out"] = out
        if out_idx is not None:
            outs["out_idx"] = out_idx

        chunked = self.reduce_chunked
        if chunked is None:
            chunked = "CPU" in self.rt.caps.type.upper()
        if chunked and not arg and m > 0 and out is not None:
            self._run_chunks(x, osz, ost, isz, ist, n_out, m, T, map_expr, combine, finalize,
                             aux, pval, out, index_t)
            return
        if m < self.reduce_two_stage_min or n_out > self.reduce_two_stage_max_outputs:
            kernel = self._reduce_kernel(x.dtype, out.dtype if out is not None else None, T,
                                         map_expr, combine, arg, finalize, len(osz), irank,
                                         icontig, index_t, has_aux, out is not None,
                                         out_idx is not None, False)
            self.rt.launch(kernel, n_out, None, {"n_out": n_out, "m": m, "n_total": m, "p": pval,
                                                 "in": x, **dims_args, **aux_arg, **outs})
            return

        # Two stages: `groups` work-groups per output write partials, a second pass folds them.
        # On CPU devices work-items take contiguous chunks: strided access, right for GPUs,
        # makes every work-item of a CPU thread walk all cache lines.
        partial = self._partial_kernel(x.dtype, T, map_expr, combine, arg, len(osz), irank,
                                       icontig, index_t, has_aux, chunked)
        item_bytes = np.dtype(_NP_OF[T]).itemsize + (8 if arg else 0)
        L = self.rt.group_limit(partial, item_bytes)
        if chunked:
            L = min(L, self.reduce_cpu_local)
        target = max(self.rt.caps.compute_units * self.reduce_groups_per_unit // n_out, 1)
        groups = max(1, min(target, -(-m // (L * 4))))
        chunk = -(-m // (groups * L))
        chunk = -(-chunk // self.reduce_unroll) * self.reduce_unroll
        acc_dt = _ACC_DTYPE[T]
        part = self.scratch((n_out * groups,), acc_dt)
        first = {"n_out": n_out, "m": m, "groups": groups, "chunk": chunk, "p": pval, "in": x,
                 **dims_args, **aux_arg, "part": part, "lacc": L}
        if arg:
            part_idx = self.scratch((n_out * groups,), dt.int64)
            first.update(part_idx=part_idx, lidx=L)
        self.rt.launch(partial, (n_out * groups * L,), (L,), first)
        second = self._reduce_kernel(acc_dt, out.dtype if out is not None else None, T, "x",
                                     combine, arg, finalize, 1 if n_out > 1 else 0, 0, True,
                                     index_t, has_aux, out is not None, out_idx is not None,
                                     arg)
        args = {"n_out": n_out, "m": groups, "n_total": m, "p": pval, "in": part, **aux_arg,
                **outs}
        if arg:
            args["in_idx"] = part_idx
        if n_out > 1:
            args.update(os0=groups, on0=n_out)
        self.rt.launch(second, n_out, None, args)

    # -- scans --------------------------------------------------------------------------------
    def scan(self, kind: str, out, x, dim: int, indices=None) -> None:
        """out = inclusive scan (sum, prod, max, min) of x along dim; indices for max/min."""
        if out.numel() == 0:
            return
        rows_dims = [d for d in range(x.ndim) if d != dim]
        sizes, (ist, ost) = coalesce(tuple(x._shape[d] for d in rows_dims),
                                     [tuple(x._stride[d] for d in rows_dims),
                                      tuple(out._stride[d] for d in rows_dims)])
        m = x._shape[dim] if x.ndim else 1
        n_rows = out.numel() // max(m, 1)
        if kind in ("sum", "prod"):
            T = _ACC_CTYPE.get(out.dtype.name) or (
                "float" if out.dtype in (dt.float16, dt.bfloat16) else "long")
        else:
            T = key_ctype(x.dtype)
        index_t = index_type(x, out)
        rank = len(sizes)
        kernel = get_kernel(self.rt, "scan.cl.mako", "scan",
                            (x.dtype.name, out.dtype.name, T, kind, rank, index_t),
                            dict(name="scan_k", in_dt=x.dtype, out_dt=out.dtype, T=T, kind=kind,
                                 floating=x.dtype.is_floating_point, rank=rank,
                                 index_t=index_t))
        args = {"n_rows": n_rows, "m": m, "in": x, "in_step": x._stride[dim] if x.ndim else 0,
                "out": out, "out_step": out._stride[dim] if x.ndim else 0}
        args.update((f"is{d}", s) for d, s in enumerate(ist))
        args.update((f"os{d}", s) for d, s in enumerate(ost))
        args.update((f"n{d}", s) for d, s in enumerate(sizes))
        if kind in ("max", "min"):
            args["idx"] = indices
        self.rt.launch(kernel, n_rows, None, args)
