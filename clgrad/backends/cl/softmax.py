"""OpenCL kernels of the softmax family (mixed into ClBackend): fused softmax/log-softmax
along a dim, forward and backward (kernels/softmax.cl.mako). Contiguous float32/float64 rows
on CPU devices take the rows kernels (vectors, exp once an element).

Kernels are specialised on dtype, log or not, and index width.
"""
from __future__ import annotations

from .programs import compute_ctype, get_kernel
from .runtime import index_t

_T = "softmax.cl.mako"


class ClSoftmax:
    # Vector width of the rows kernel on CPU devices (float32/float64 rows, one work-item
    # each); None: 32 bytes (8 floats, 4 doubles: an AVX2 register) on CPU devices other
    # than Oclgrind (which cannot simulate vector arithmetic), where it is 1. Not double8:
    # PoCL 3.0's LLVM 14 aborts the process generating its launch code on a Zen 4
    # ("Cannot emit physreg copy instruction"; PoCL 3.1 builds it).
    softmax_rows_vector = None

    def softmax(self, out, x, dims: tuple, log: bool) -> None:
        """out (fresh, contiguous) = (log_)softmax of contiguous x seen as (O, N, I)."""
        outer, size, inner = dims
        if outer * size * inner == 0:
            return
        it = index_t(x, out)
        V = self._rows_vector(x, inner)
        if V:
            kernel = get_kernel(self.rt, _T, "softmax_rows", (x.dtype.name, log, V, it),
                                lambda: dict(name="softmax_rows", dt=x.dtype,
                                             T=compute_ctype(x.dtype), log=log, V=V,
                                             index_t=it))
            self.rt.launch(kernel, *self._cpu_geometry(outer),
                           dict(O=outer, N=size, x=x, out=out))
            return
        kernel = get_kernel(self.rt, _T, "softmax_fwd", (x.dtype.name, log, it),
                            dict(name="softmax_fwd", dt=x.dtype, T=compute_ctype(x.dtype),
                                 log=log, index_t=it))
        self.rt.launch(kernel, outer * inner, None, dict(O=outer, N=size, I=inner, x=x, out=out))

    def _rows_vector(self, x, inner: int) -> int:
        """The rows kernels' vector width for x, or 0 for the (O, N, I) kernels: contiguous
        float32/float64 rows on CPU devices only (one work-item a row suits them)."""
        caps = self.rt.caps
        if inner != 1 or x.dtype.name not in ("float32", "float64") or \
                "CPU" not in caps.type.upper():
            return 0
        V = self.softmax_rows_vector
        if V is None:
            V = 1 if "oclgrind" in caps.platform.lower() else 32 // x.dtype.itemsize
        return V

    def softmax_backward(self, out, g, y, dims: tuple, log: bool) -> None:
        outer, size, inner = dims
        if outer * size * inner == 0:
            return
        it = index_t(g, y, out)
        V = self._rows_vector(y, inner)
        if V:
            kernel = get_kernel(self.rt, _T, "softmax_rows_bwd", (y.dtype.name, log, V, it),
                                lambda: dict(name="softmax_rows_bwd", dt=y.dtype,
                                             T=compute_ctype(y.dtype), log=log, V=V,
                                             index_t=it))
            self.rt.launch(kernel, *self._cpu_geometry(outer),
                           dict(O=outer, N=size, g=g, y=y, out=out))
            return
        kernel = get_kernel(self.rt, _T, "softmax_bwd", (y.dtype.name, log, it),
                            dict(name="softmax_bwd", dt=y.dtype, T=compute_ctype(y.dtype),
                                 log=log, index_t=it))
        self.rt.launch(kernel, outer * inner, None,
                       dict(O=outer, N=size, I=inner, g=g, y=y, out=out))
