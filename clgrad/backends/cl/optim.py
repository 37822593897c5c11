"""OpenCL kernels of the optim family (mixed into ClBackend): one fused launch per parameter.

Each optimizer's update rule is one `<%def>` of kernels/optim.cl.mako, specialised on the
parameter dtype and the optimizer's flags (maximize, weight decay kind, amsgrad, ...), never
on sizes. Scalars (lr, betas, bias corrections) arrive as kernel arguments computed on the
host from Python numbers, so a step never waits for the device.
"""
from __future__ import annotations

from .programs import get_kernel

_INT32_LIMIT = 2 ** 31 - 1


class ClOptim:
    def optim_step(self, kind: str, flags: tuple, param, grad, states: list,
                   scalars: list) -> None:
        """One fused update of `param` (and its `states`) in place; all contiguous, one dtype."""
        n = param.numel()
        if n == 0:
            return
        from .backend import NP_OF_CTYPE, compute_ctype
        tensors = [param, grad] + states
        big = any(t._offset + n > _INT32_LIMIT for t in tensors)
        index_t = "long" if big else "int"
        dt = param.dtype
        key = (kind, dt.name, flags, index_t)
        kernel = self._optim_kernels.get(key) if hasattr(self, "_optim_kernels") else None
        if kernel is None:
            T = compute_ctype(dt)
            itype, ftype = NP_OF_CTYPE[index_t], NP_OF_CTYPE[T]
            arg_types = [itype] + [None, itype] * len(tensors) + [ftype] * len(scalars)
            kernel = get_kernel(self.rt, "optim.cl.mako", kind, key,
                                dict(name=f"optim_{kind}", dt=dt, T=T, index_t=index_t,
                                     flags=dict(flags)), arg_types)
            if not hasattr(self, "_optim_kernels"):
                self._optim_kernels = {}
            self._optim_kernels[key] = kernel
        args = [n]
        for t in tensors:
            args.append(t._storage.data)
            args.append(t._offset)
        args.extend(scalars)
        group = self.group_size
        kernel(self.queue, ((n + group - 1) // group * group,), None, *args)
