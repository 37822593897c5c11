"""OpenCL kernels of the pool family (mixed into ClBackend): max and average pooling, plain
and adaptive, forward and backward (kernels/pool.cl.mako).

Planes are contiguous (P, H, W); 1-d pooling runs as H = 1. Kernels are specialised on the
mode, adaptivity, dtype and index width; sizes are arguments.
"""
from __future__ import annotations

from .programs import acc_ctype, get_kernel
from .runtime import index_t

_WINDOW = ("kh", "kw", "sh", "sw", "ph", "pw", "dh", "dw")


def _inside(geometry, H: int, W: int, oh: int, ow: int):
    """(kh, kw) when every window is undilated, unpadded and inside the input, and small: the
    forward kernel then unrolls it with no bounds checks (LeNet's 2x2 pooling runs about 2x
    faster on PoCL); else None."""
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    if kh * kw <= 16 and dh == dw == 1 and ph == pw == 0 and (oh - 1) * sh + kh <= H and \
            (ow - 1) * sw + kw <= W:
        return (kh, kw)
    return None


class ClPool:
    def _pool_kernel(self, which: str, mode: str, adaptive: bool, dtype, it: str, rows: bool,
                     inside=None):
        return get_kernel(self.rt, "pool.cl.mako", which,
                          (mode, adaptive, dtype.name, it, rows, inside),
                          dict(name=f"nn_{which}", dt=dtype, T=acc_ctype(dtype), mode=mode,
                               adaptive=adaptive, index_t=it, rows=rows,
                               **({"inside": inside} if inside else {})))

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
        rows = self._cpu_device  # a work-item per row
        kernel = self._pool_kernel("pool_fwd", mode, adaptive, x.dtype, index_t(x, out), rows,
                                   None if adaptive else _inside(geometry, H, W, oh, ow))
        if rows:
            total //= ow
        args = dict(total=total, x=x, H=H, W=W, oh=oh, ow=ow, count_include_pad=int(
            count_include_pad), divisor=divisor, out=out, **dict(zip(_WINDOW, geometry)))
        if mode == "max":
            args["idx"] = indices
        self.rt.launch(kernel, total, None, args)

    def pool_backward(self, mode: str, adaptive: bool, grad_in, grad_out, indices, geometry,
                      count_include_pad: bool = True, divisor: int = 0) -> None:
        """grad_in (P, H, W) = the gradient of pool_forward for grad_out (P, oh, ow)."""
        total = grad_in.numel()
        if total == 0:
            return
        H, W = grad_in._shape[-2:]
        oh, ow = grad_out._shape[-2:]
        kh, kw, sh, sw, _, _, dh, dw = geometry
        disjoint = not adaptive and (kh - 1) * dh < sh and (kw - 1) * dw < sw
        rows = disjoint and self._cpu_device
        kernel = self._pool_kernel("pool_bwd", mode, adaptive, grad_in.dtype,
                                   index_t(grad_in, grad_out), rows)
        if rows:  # max: a work-item per window row; else per input row
            total = total // (H * W) * oh if mode == "max" else total // W
        args = dict(total=total, gout=grad_out, H=H, W=W, oh=oh, ow=ow, count_include_pad=int(
            count_include_pad), divisor=divisor, gin=grad_in, **dict(zip(_WINDOW, geometry)))
        if mode == "max":
            args["idx"] = indices
        self.rt.launch(kernel, total, None, args)
