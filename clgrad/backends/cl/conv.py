"""OpenCL kernels of the conv family (mixed into ClBackend): im2col and col2im for 2-d
windows (kernels/conv.cl.mako); the GEMM that follows is linalg.py's.

Every kernel is specialised on dtype, index width and work split only; sizes and the columns'
strides are arguments.
"""
from __future__ import annotations

from .programs import acc_ctype, compute_ctype, get_kernel
from .runtime import index_t

_T = "conv.cl.mako"
_GEOMETRY = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw", "oh", "ow")


class ClConv:
    def im2col(self, cols, x, geometry) -> None:
        """cols (N, C*kh*kw, oh*ow), any strides = the sliding windows of x (N, C, H, W)."""
        total = cols.numel()
        if total == 0:
            return
        n, c, h, w = x._shape
        it = index_t(x, cols)
        rows = self._cpu_device  # a work-item per row
        kernel = get_kernel(self.rt, _T, "im2col", (x.dtype.name, it, rows),
                            dict(name="nn_im2col", dt=x.dtype, T=compute_ctype(x.dtype),
                                 index_t=it, rows=rows))
        if rows:
            total //= geometry[-1]
        self.rt.launch(kernel, total, None, dict(total=total, x=x, C=c, H=h, W=w, cols=cols,
                                                 **dict(zip(_GEOMETRY, geometry))))

    def col2im(self, x, cols, geometry) -> None:
        """x (N, C, H, W), contiguous = the column elements (any strides) summed back where
        im2col read."""
        total = x.numel()
        if total == 0:
            return
        n, c, h, w = x._shape
        it = index_t(x, cols)
        T = acc_ctype(x.dtype)
        rows = self._cpu_device and T == x.dtype.ctype  # sums in place: no wider accumulator
        kernel = get_kernel(self.rt, _T, "col2im", (x.dtype.name, T, it, rows),
                            dict(name="nn_col2im", dt=x.dtype, T=T, index_t=it, rows=rows))
        if rows:
            total //= w
        self.rt.launch(kernel, total, None, dict(total=total, cols=cols, C=c, H=h, W=w, x=x,
                                                 **dict(zip(_GEOMETRY, geometry))))
