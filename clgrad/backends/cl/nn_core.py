"""OpenCL kernels of the core nn layers (mixed into ClBackend through ClNn): fused
softmax/log-softmax forward and backward along a dim (kernels/softmax.cl.mako) and the
negative log-likelihood forward and backward (kernels/loss.cl.mako).

Kernels are specialised on dtype, the variant (log, weights, reduction) and index width.
"""
from __future__ import annotations

import numpy as np

from .programs import get_kernel
from .runtime import cl

INT32_LIMIT = 2 ** 31 - 1
_NP = {"int": np.int32, "long": np.int64, "float": np.float32, "double": np.float64}


def _compute(dtype) -> str:
    return "float" if dtype.name in ("float16", "bfloat16") else dtype.ctype


def _pow2_at_most(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


class ClNnCore:
    def _core_index_t(self, *tensors) -> str:
        big = any(t is not None and t._storage.numel > INT32_LIMIT for t in tensors)
        return "long" if big else "int"

    def _core_launch(self, kernel, n: int, args: list) -> None:
        group = self.group_size
        kernel(self.queue, ((n + group - 1) // group * group,), None, *args)

    # -- softmax ----------------------------------------------------------------------------
    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out (fresh, contiguous) = (log_)softmax of contiguous x seen as (O, N, I)."""
        O, N, I = dims
        if O * N * I == 0:
            return
        index_t = self._core_index_t(x, out)
        it = _NP[index_t]
        kernel = get_kernel(self.rt, "softmax.cl.mako", "softmax_fwd",
                            (x.dtype.name, log, index_t),
                            dict(name="softmax_fwd", dt=x.dtype, T=_compute(x.dtype), log=log,
                                 index_t=index_t), [it, it, it, None, it, None])
        self._core_launch(kernel, O * I, [O, N, I, x._storage.data, x._offset,
                                          out._storage.data])

    def softmax_backward(self, out, g, y, dims: tuple, log: bool) -> None:
        O, N, I = dims
        if O * N * I == 0:
            return
        index_t = self._core_index_t(g, y, out)
        it = _NP[index_t]
        kernel = get_kernel(self.rt, "softmax.cl.mako", "softmax_bwd",
                            (y.dtype.name, log, index_t),
                            dict(name="softmax_bwd", dt=y.dtype, T=_compute(y.dtype), log=log,
                                 index_t=index_t), [it, it, it, None, it, None, it, None])
        self._core_launch(kernel, O * I, [O, N, I, g._storage.data, g._offset,
                                          y._storage.data, y._offset, out._storage.data])

    # -- negative log-likelihood --------------------------------------------------------------
    def nll(self, out, tw, x, target, weight, ignore: int, reduction: str, dims: tuple) -> None:
        """See CpuNnCore.nll; out-of-range targets give NaN instead of raising."""
        N, C, D = dims
        dt = x.dtype
        T = _compute(dt)
        has_w = weight is not None
        index_t = self._core_index_t(x, target, out)
        it = _NP[index_t]
        w_args = [weight._storage.data, weight._offset] if has_w else []
        w_types = [None, it] if has_w else []
        args = [N, C, D, x._storage.data, x._offset, target._storage.data, target._offset]
        types = [it, it, it, None, it, None, it] + w_types + [np.int64, None]
        if reduction == "none":
            if N * D == 0:
                return
            kernel = get_kernel(self.rt, "loss.cl.mako", "nll_none", (dt.name, has_w, index_t),
                                dict(name="nll_none", dt=dt, T=T, has_w=has_w,
                                     index_t=index_t), types)
            self._core_launch(kernel, N * D, args + w_args + [ignore, out._storage.data])
            return
        mean = reduction == "mean"
        kernel = get_kernel(self.rt, "loss.cl.mako", "nll_reduce",
                            (dt.name, has_w, mean, index_t),
                            dict(name="nll_reduce", dt=dt, T=T, has_w=has_w, mean=mean,
                                 index_t=index_t), types + [None, None])
        limit = kernel.get_work_group_info(cl.kernel_work_group_info.WORK_GROUP_SIZE,
                                           self.rt.device)
        size = np.dtype(_NP[T]).itemsize
        local = max(self.rt.caps.local_mem_size // (4 * size), 1)
        L = _pow2_at_most(min(256, self.rt.caps.max_work_group_size, limit, local,
                              max(N * D, 1)))
        kernel(self.queue, (L,), (L,), *(args + w_args + [ignore, out._storage.data,
                                                          tw._storage.data,
                                                          cl.LocalMemory(2 * L * size)]))

    def nll_backward(self, out, g, tw, target, weight, ignore: int, reduction: str,
                     dims: tuple) -> None:
        N, C, D = dims
        if N * C * D == 0:
            return
        dt = out.dtype
        has_w = weight is not None
        reduced = reduction != "none"
        mean = reduction == "mean"
        index_t = self._core_index_t(out, g, target)
        it = _NP[index_t]
        types = [it, it, it, None, it, None, it] + ([None, it] if has_w else []) + \
            [np.int64] + ([None] if mean else []) + [None]
        kernel = get_kernel(self.rt, "loss.cl.mako", "nll_bwd",
                            (dt.name, has_w, reduced, mean, index_t),
                            dict(name="nll_bwd", dt=dt, T=_compute(dt), has_w=has_w,
                                 reduced=reduced, mean=mean, index_t=index_t), types)
        args = [N, C, D, g._storage.data, g._offset, target._storage.data, target._offset]
        if has_w:
            args += [weight._storage.data, weight._offset]
        args.append(ignore)
        if mean:
            args.append(tw._storage.data)
        args.append(out._storage.data)
        self._core_launch(kernel, N * C * D, args)
