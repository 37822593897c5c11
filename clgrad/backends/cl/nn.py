"""OpenCL kernels of the nn family (mixed into ClBackend): im2col/col2im for convolutions,
pooling forward and backward, and one-pass normalisation statistics with their backward.

Every kernel is specialised on dtype and index width only; sizes are arguments.
"""
from __future__ import annotations

import numpy as np

from .programs import get_kernel
from .runtime import cl

INT32_LIMIT = 2 ** 31 - 1
_NP = {"int": np.int32, "long": np.int64, "float": np.float32, "double": np.float64}


def compute_ctype(dtype) -> str:
    return "float" if dtype.name in ("float16", "bfloat16") else dtype.ctype


def _acc_ctype(dtype) -> str:
    """Accumulators: float for half and float, double for double."""
    return "double" if dtype.name == "float64" else "float"


def _next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


from .nn_core import ClNnCore  # noqa: E402


class ClNn(ClNnCore):
    """Kernels behind clgrad.nn.functional's convolution, pooling and normalisation."""

    # -- helpers ----------------------------------------------------------------------------
    def _nn_kernel(self, template: str, def_name: str, key: tuple, params: dict, types: list):
        return get_kernel(self.rt, template, def_name, (def_name,) + key,
                          dict(name=f"nn_{def_name}", **params), types)

    @staticmethod
    def _nn_index_t(*tensors) -> str:
        big = any(t is not None and t._storage.numel > INT32_LIMIT for t in tensors)
        return "long" if big else "int"

    def _nn_group(self, kernel, bytes_per_item: int, m: int) -> int:
        """A power-of-two work-group size for a tree over m items per group."""
        limit = self._group_limit(kernel, bytes_per_item)
        return max(1, min(limit, _next_pow2(m)))

    # -- convolution helpers ----------------------------------------------------------------
    def im2col(self, cols, x, geometry) -> None:
        """cols (N, C*kh*kw, oh*ow), contiguous = the sliding windows of x (N, C, H, W)."""
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        total = cols.numel()
        if total == 0:
            return
        n, c, h, w = x._shape
        I = self._nn_index_t(x, cols)
        it = _NP[I]
        kernel = self._nn_kernel("conv.cl.mako", "im2col", (x.dtype.name, I),
                                 dict(dt=x.dtype, T=compute_ctype(x.dtype), index_t=I),
                                 [it, None] + [it] * 18 + [None])
        args = [total, x._storage.data, x._offset, *x._stride, c, h, w, kh, kw, sh, sw, ph, pw,
                dh, dw, oh, ow, cols._storage.data]
        self._launch(kernel, total, args, "im2col")

    def col2im(self, x, cols, geometry) -> None:
        """x (N, C, H, W), contiguous = the column elements summed back where im2col read."""
        kh, kw, sh, sw, ph, pw, dh, dw, oh, ow = geometry
        total = x.numel()
        if total == 0:
            return
        n, c, h, w = x._shape
        I = self._nn_index_t(x, cols)
        it = _NP[I]
        T = _acc_ctype(x.dtype)
        kernel = self._nn_kernel("conv.cl.mako", "col2im", (x.dtype.name, T, I),
                                 dict(dt=x.dtype, T=T, index_t=I),
                                 [it, None] + [it] * 14 + [None])
        self._launch(kernel, total, [total, cols._storage.data, cols._offset, c, h, w, kh, kw,
                                     sh, sw, ph, pw, dh, dw, oh, ow, x._storage.data], "col2im")

    # -- pooling ----------------------------------------------------------------------------
    def _pool_kernel(self, which: str, mode: str, adaptive: bool, dtype, I: str):
        it = _NP[I]
        types = [it, None, it] + [it] * 12 + [np.int32, it, None] + [None] * (mode == "max")
        return self._nn_kernel("pool.cl.mako", which, (mode, adaptive, dtype.name, I),
                               dict(dt=dtype, T=_acc_ctype(dtype), mode=mode,
                                    adaptive=adaptive, index_t=I), types)

    def pool_forward(self, mode: str, adaptive: bool, out, indices, x, geometry,
                     count_include_pad: bool = True, divisor: int = 0) -> None:
        """out (P, oh, ow) and, for max, indices = the pooled windows of x (P, H, W).

        x, out and indices are contiguous; geometry is (kh, kw, sh, sw, ph, pw, dh, dw).
        """
        total = out.numel()
        if total == 0:
            return
        H, W = x._shape[-2:]
        oh, ow = out._shape[-2:]
        I = self._nn_index_t(x, out)
        kernel = self._pool_kernel("pool_fwd", mode, adaptive, x.dtype, I)
        args = [total, x._storage.data, x._offset, H, W, oh, ow, *geometry,
                int(count_include_pad), divisor, out._storage.data]
        if mode == "max":
            args.append(indices._storage.data)
        self._launch(kernel, total, args, "pool_fwd")

    def pool_backward(self, mode: str, adaptive: bool, grad_in, grad_out, indices, geometry,
                      count_include_pad: bool = True, divisor: int = 0) -> None:
        """grad_in (P, H, W) = the gradient of pool_forward for grad_out (P, oh, ow)."""
        total = grad_in.numel()
        if total == 0:
            return
        H, W = grad_in._shape[-2:]
        oh, ow = grad_out._shape[-2:]
        I = self._nn_index_t(grad_in, grad_out)
        kernel = self._pool_kernel("pool_bwd", mode, adaptive, grad_in.dtype, I)
        args = [total, grad_out._storage.data, grad_out._offset, H, W, oh, ow, *geometry,
                int(count_include_pad), divisor, grad_in._storage.data]
        if mode == "max":
            args.append(indices._storage.data)
        self._launch(kernel, total, args, "pool_bwd")

    # -- normalisation ----------------------------------------------------------------------
    def norm_moments(self, mean, rstd, var, x, layout, eps: float) -> None:
        """Per statistics group (see kernels/norm.cl.mako): mean, 1/sqrt(var + eps), var.

        layout: (A, B, sa, sg); x contiguous; mean, rstd, var contiguous of the accumulator
        dtype, one element per group.
        """
        groups = mean.numel()
        if groups == 0:
            return
        A, B, sa, sg = layout
        I = self._nn_index_t(x)
        it = _NP[I]
        T = _acc_ctype(x.dtype)
        tnp = _NP[T]
        kernel = self._nn_kernel("norm.cl.mako", "moments", (x.dtype.name, T, I),
                                 dict(dt=x.dtype, T=T, index_t=I),
                                 [it] * 4 + [tnp, None, it] + [None] * 6)
        size = np.dtype(tnp).itemsize
        L = self._nn_group(kernel, 3 * size, A * B)
        kernel(self.queue, (groups * L,), (L,), A, B, sa, sg, eps, x._storage.data, x._offset,
               mean._storage.data, rstd._storage.data, var._storage.data,
               cl.LocalMemory(L * size), cl.LocalMemory(L * size), cl.LocalMemory(L * size))

    def norm_apply(self, y, x, mean, rstd, stat_map, weight, bias, affine_map) -> None:
        """y = (x - mean[s]) * rstd[s] * weight[f] + bias[f], s and f from the index maps."""
        total = y.numel()
        if total == 0:
            return
        I = self._nn_index_t(x, y)
        it = _NP[I]
        T = _acc_ctype(x.dtype)
        has_w, has_b = weight is not None, bias is not None
        types = [it, None, it, None, None, it, it] + [None, it] * has_w + [None, it] * has_b
        kernel = self._nn_kernel("norm.cl.mako", "apply", (x.dtype.name, T, I, has_w, has_b),
                                 dict(dt=x.dtype, T=T, index_t=I, has_w=has_w, has_b=has_b),
                                 types + [it, it, None])
        args = [total, x._storage.data, x._offset, mean._storage.data, rstd._storage.data,
                *stat_map]
        for p in (weight, bias):
            if p is not None:
                args += [p._storage.data, p._offset]
        args += [*affine_map, y._storage.data]
        self._launch(kernel, total, args, "norm_apply")

    def norm_bwd_sums(self, s1, s2, grad, x, mean, rstd, layout, weight, affine_map) -> None:
        """Per statistics group: s1 = sum(grad * w), s2 = sum(grad * w * xhat)."""
        groups = s1.numel()
        if groups == 0:
            return
        A, B, sa, sg = layout
        I = self._nn_index_t(x)
        it = _NP[I]
        T = _acc_ctype(x.dtype)
        size = np.dtype(_NP[T]).itemsize
        has_w = weight is not None
        types = [it] * 4 + [None, it, None, it, None, None] + [None, it] * has_w + [it, it]
        kernel = self._nn_kernel("norm.cl.mako", "bwd_sums", (x.dtype.name, T, I, has_w),
                                 dict(dt=x.dtype, T=T, index_t=I, has_w=has_w),
                                 types + [None] * 4)
        L = self._nn_group(kernel, 2 * size, A * B)
        args = [A, B, sa, sg, grad._storage.data, grad._offset, x._storage.data, x._offset,
                mean._storage.data, rstd._storage.data]
        if has_w:
            args += [weight._storage.data, weight._offset]
        args += [*affine_map, s1._storage.data, s2._storage.data, cl.LocalMemory(L * size),
                 cl.LocalMemory(L * size)]
        kernel(self.queue, (groups * L,), (L,), *args)

    def norm_bwd_apply(self, dx, grad, x, mean, rstd, s1, s2, count: int, stat_map, weight,
                       affine_map) -> None:
        """dx = rstd * (grad * w - (s1 + xhat * s2) / count)."""
        total = dx.numel()
        if total == 0:
            return
        I = self._nn_index_t(x, dx)
        it = _NP[I]
        T = _acc_ctype(x.dtype)
        has_w = weight is not None
        types = [it, _NP[T], None, it, None, it] + [None] * 4 + [it, it]
        types += [None, it] * has_w + [it, it, None]
        kernel = self._nn_kernel("norm.cl.mako", "bwd_apply", (x.dtype.name, T, I, has_w),
                                 dict(dt=x.dtype, T=T, index_t=I, has_w=has_w), types)
        args = [total, count, grad._storage.data, grad._offset, x._storage.data, x._offset,
                mean._storage.data, rstd._storage.data, s1._storage.data, s2._storage.data,
                *stat_map]
        if has_w:
            args += [weight._storage.data, weight._offset]
        args += [*affine_map, dx._storage.data]
        self._launch(kernel, total, args, "norm_bwd_apply")
