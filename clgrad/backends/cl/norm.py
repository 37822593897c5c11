"""OpenCL kernels of the norm family (mixed into ClBackend): one-pass normalisation moments,
their application with the affine parameters, and the backward (kernels/norm.cl.mako).

Every kernel is specialised on dtype, index width and which affine parameters exist.
"""
from __future__ import annotations

import numpy as np

from .programs import acc_ctype, get_kernel
from .runtime import index_t, next_pow2

_T = "norm.cl.mako"
_NP = {"float": np.float32, "double": np.float64}


class ClNorm:
    # CPU devices: the fewest elements of a statistics group one work-item of moments takes.
    norm_cpu_min_share = 4096

    def _tree_group(self, kernel, bytes_per_item: int, m: int) -> int:
        """A power-of-two work-group size for a tree over m items per group."""
        return max(1, min(self.rt.group_limit(kernel, bytes_per_item), next_pow2(m)))

    def norm_moments(self, mean, rstd, var, x, layout, eps: float) -> None:
        """Per statistics group (see kernels/norm.cl.mako): mean, 1/sqrt(var + eps), var.

        layout: (A, B, sa, sg); x contiguous; mean, rstd, var contiguous of the accumulator
        dtype, one element per group.
        """
        groups = mean.numel()
        if groups == 0:
            return
        A, B, sa, sg = layout
        it = index_t(x)
        T = acc_ctype(x.dtype)
        chunked = "CPU" in self.rt.caps.type.upper()
        kernel = get_kernel(self.rt, _T, "moments", (x.dtype.name, T, it, chunked),
                            dict(name="nn_moments", dt=x.dtype, T=T, index_t=it,
                                 chunked=chunked))
        L = self._tree_group(kernel, 3 * np.dtype(_NP[T]).itemsize, A * B)
        if chunked:  # a share of at least norm_cpu_min_share elements per work-item
            L = min(L, next_pow2(max(1, A * B // self.norm_cpu_min_share)))
        self.rt.launch(kernel, (groups * L,), (L,),
                       dict(A=A, B=B, sa=sa, sg=sg, eps=eps, x=x, mean_out=mean, rstd_out=rstd,
                            var_out=var, lcount=L, lmean=L, lm2=L))

    def norm_apply(self, y, x, mean, rstd, stat_map, weight, bias, affine_map) -> None:
        """y = (x - mean[s]) * rstd[s] * weight[f] + bias[f], s and f from the index maps."""
        total = y.numel()
        if total == 0:
            return
        it = index_t(x, y)
        T = acc_ctype(x.dtype)
        has_w, has_b = weight is not None, bias is not None
        chunked = "CPU" in self.rt.caps.type.upper()
        kernel = get_kernel(self.rt, _T, "apply", (x.dtype.name, T, it, has_w, has_b, chunked),
                            dict(name="nn_apply", dt=x.dtype, T=T, index_t=it, has_w=has_w,
                                 has_b=has_b, chunked=chunked))
        args = dict(total=total, x=x, mean=mean, rstd=rstd, st_div=stat_map[0],
                    st_mod=stat_map[1], af_div=affine_map[0], af_mod=affine_map[1], y=y)
        if has_w:
            args["w"] = weight
        if has_b:
            args["bias"] = bias
        if chunked:
            self._launch_runs(kernel, total, args)
            return
        self.rt.launch(kernel, total, None, args)

    def norm_bwd_sums(self, s1, s2, grad, x, mean, rstd, layout, weight, affine_map) -> None:
        """Per statistics group: s1 = sum(grad * w), s2 = sum(grad * w * xhat)."""
        groups = s1.numel()
        if groups == 0:
            return
        A, B, sa, sg = layout
        it = index_t(x)
        T = acc_ctype(x.dtype)
        has_w = weight is not None
        chunked = "CPU" in self.rt.caps.type.upper()
        kernel = get_kernel(self.rt, _T, "bwd_sums", (x.dtype.name, T, it, has_w, chunked),
                            dict(name="nn_bwd_sums", dt=x.dtype, T=T, index_t=it, has_w=has_w,
                                 chunked=chunked))
        L = self._tree_group(kernel, 2 * np.dtype(_NP[T]).itemsize, A * B)
        if chunked:
            L = min(L, next_pow2(max(1, A * B // self.norm_cpu_min_share)))
        args = dict(A=A, B=B, sa=sa, sg=sg, gy=grad, x=x, mean=mean, rstd=rstd,
                    af_div=affine_map[0], af_mod=affine_map[1], s1_out=s1, s2_out=s2, l1=L,
                    l2=L)
        if has_w:
            args["w"] = weight
        self.rt.launch(kernel, (groups * L,), (L,), args)

    def norm_bwd_apply(self, dx, grad, x, mean, rstd, s1, s2, count: int, stat_map, weight,
                       affine_map) -> None:
        """dx = rstd * (grad * w - (s1 + xhat * s2) / count)."""
        total = dx.numel()
        if total == 0:
            return
        it = index_t(x, dx)
        T = acc_ctype(x.dtype)
        has_w = weight is not None
        chunked = "CPU" in self.rt.caps.type.upper()
        kernel = get_kernel(self.rt, _T, "bwd_apply", (x.dtype.name, T, it, has_w, chunked),
                            dict(name="nn_bwd_apply", dt=x.dtype, T=T, index_t=it,
                                 has_w=has_w, chunked=chunked))
        args = dict(total=total, n=count, gy=grad, x=x, mean=mean, rstd=rstd, s1=s1, s2=s2,
                    st_div=stat_map[0], st_mod=stat_map[1], af_div=affine_map[0],
                    af_mod=affine_map[1], dx=dx)
        if has_w:
            args["w"] = weight
        if chunked:
            self._launch_runs(kernel, total, args)
            return
        self.rt.launch(kernel, total, None, args)

    def _launch_runs(self, kernel, total: int, args: dict) -> None:
        """Launch an apply kernel's chunked form: work-items of norm_cpu_min_share
        consecutive elements, at most 64 a compute unit."""
        items = max(1, min(-(-total // self.norm_cpu_min_share),
                           self.rt.caps.compute_units * 64))
        args["per"] = -(-total // items)
        self.rt.launch(kernel, *self._cpu_geometry(items), args)
