"""OpenCL kernels of the optim family (mixed into ClBackend): one fused launch per parameter.

Each optimizer's update rule is one `<%def>` of kernels/optim.cl.mako, specialised on the
parameter dtype and the optimizer's flags (maximize, weight decay kind, amsgrad, ...), never
on sizes. Scalars (lr, betas, bias corrections) arrive as kernel arguments computed on the
host from Python numbers, so a step never waits for the device.
"""
from __future__ import annotations

from .programs import compute_ctype, get_kernel
from .runtime import INT32_LIMIT


class ClOptim:
    def optim_step(self, kind: str, flags: tuple, param, grad, states: list,
                   scalars: list) -> None:
        """One fused update of `param` (and its `states`) in place; all contiguous, one dtype.

        states and scalars come in the order kernels/optim.cl.mako's STEPS declares them.
        """
        n = param.numel()
        if n == 0:
            return
        tensors = [param, grad] + states
        big = any(t._offset + n > INT32_LIMIT for t in tensors)
        index_t = "long" if big else "int"
        dt = param.dtype
        kernel = get_kernel(self.rt, "optim.cl.mako", kind, (dt.name, flags, index_t),
                            lambda: dict(name=f"optim_{kind}", dt=dt, T=compute_ctype(dt),
                                         index_t=index_t, flags=dict(flags)))
        # A step per parameter is a hot path: packed in the declared order (n, param, grad,
        # states, scalars) here rather than by name, the count checked against the signature.
        if len(kernel.args) != 1 + len(tensors) + len(scalars):
            raise TypeError(f"kernel {kernel.name}: {len(states)} states and {len(scalars)} "
                            f"scalars do not match its declared arguments "
                            f"{[a.name for a in kernel.args]}")
        args = [n]
        for t in tensors:
            args.append(t._storage.data)
            args.append(t._offset)
        args.extend(scalars)
        self.rt.launch(kernel, n, None, args)
