"""im2col / col2im (PyTorch's unfold / fold) over (N, C, H, W): the convolution helpers.

Each is linear and the other's adjoint, so each one's gradient rule is the other one:
Im2ColBackward0 runs col2im and Col2ImBackward0 runs im2col, to any order.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.graph import needs_grad, record

__all__ = ["conv_out_size", "im2col", "col2im"]


def conv_out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Sliding-window positions along one dim (kernel k, stride s, padding p, dilation d)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def im2col(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, L); records Im2ColBackward0."""
    n, c, h, w = x._shape
    kh, kw = kernel
    oh = max(conv_out_size(h, kh, stride[0], padding[0], dilation[0]), 0)
    ow = max(conv_out_size(w, kw, stride[1], padding[1], dilation[1]), 0)
    cols = Tensor._empty((n, c * kh * kw, oh * ow), x.dtype, x.device)
    cols._storage.backend.im2col(cols, x, (kh, kw, *stride, *padding, *dilation, oh, ow))
    if needs_grad(x):
        record("Im2ColBackward0", cols, (x,), lambda g: (
            col2im(g, (h, w), kernel, stride, padding, dilation),))
    return cols


def col2im(cols: Tensor, size: tuple, kernel: tuple, stride: tuple, padding: tuple,
           dilation: tuple) -> Tensor:
    """(N, C*kh*kw, L) -> (N, C, H, W), overlapping windows added; records Col2ImBackward0."""
    n, ck, _ = cols._shape
    kh, kw = kernel
    h, w = size
    oh = conv_out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(w, kw, stride[1], padding[1], dilation[1])
    src = cols if cols.is_contiguous() else cols.detach().contiguous()
    out = Tensor._empty((n, ck // (kh * kw), h, w), cols.dtype, cols.device)
    out._storage.backend.col2im(out, src, (kh, kw, *stride, *padding, *dilation, oh, ow))
    if needs_grad(cols):
        record("Col2ImBackward0", out, (cols,), lambda g: (
            im2col(g, kernel, stride, padding, dilation),))
    return out
