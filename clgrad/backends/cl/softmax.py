"""OpenCL kernels of the softmax family (mixed into ClBackend): fused softmax/log-softmax
along a dim, forward and backward (kernels/softmax.cl.mako).

Kernels are specialised on dtype, log or not, and index width.
"""
from __future__ import annotations

from .programs import compute_ctype, get_kernel
from .runtime import index_t

_T = "softmax.cl.mako"


class ClSoftmax:
    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out (fresh, contiguous) = (log_)softmax of contiguous x seen as (O, N, I)."""
        outer, size, inner = dims
        if outer * size * inner == 0:
            return
        it = index_t(x, out)
        kernel = get_kernel(self.rt, _T, "softmax_fwd", (x.dtype.name, log, it),
                            dict(name="softmax_fwd", dt=x.dtype, T=compute_ctype(x.dtype),
                                 log=log, index_t=it))
        self.rt.launch(kernel, outer * inner, None, dict(O=outer, N=size, I=inner, x=x, out=out))

    def softmax_backward(self, out, g, y, dims: tuple, log: bool) -> None:
        outer, size, inner = dims
        if outer * size * inner == 0:
            return
        it = index_t(g, y, out)
        kernel = get_kernel(self.rt, _T, "softmax_bwd", (y.dtype.name, log, it),
                            dict(name="softmax_bwd", dt=y.dtype, T=compute_ctype(y.dtype),
                                 log=log, index_t=it))
        self.rt.launch(kernel, outer * inner, None,
                       dict(O=outer, N=size, I=inner, g=g, y=y, out=out))
