"""im2col / col2im (PyTorch's unfold / fold) over (N, C, H, W): the convolution helpers.

Each is linear and the other's adjoint, so each one's gradient rule is the other one:
Im2ColBackward0 runs col2im and Col2ImBackward0 runs im2col, to any order.

vol2col / col2vol are the 3-d forms over (N, C, D, H, W), built on the 2-d kernels: the
depth windows are gathered first (a strided view of x, copied once: kd / sd times x's size,
far less than the columns), then each (depth window, plane) is one 2-d im2col. Both are
Tensor ops and im2col/col2im, so they differentiate to any order.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.graph import needs_grad, record

__all__ = ["conv_out_size", "im2col", "col2im", "vol2col", "col2vol"]


def conv_out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Sliding-window positions along one dim (kernel k, stride s, padding p, dilation d)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _windows(size: tuple, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple):
    return tuple(max(conv_out_size(*args), 0) for args in zip(size, kernel, stride, padding,
                                                              dilation))


def im2col(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
           windows: tuple | None = None, rows_first: bool = False) -> Tensor:
    """(N, C, H, W) -> (N, C*kh*kw, oh*ow); records Im2ColBackward0.

    windows: (oh, ow), the first window positions taken; all that fit by default (a
    transposed convolution's gradient takes only its input's size: with output_padding past
    the stride more would fit). rows_first: the result is a view of (C*kh*kw, N, oh*ow)
    contiguous memory, the layout in which one GEMM covers the whole batch.
    """
    n, c, h, w = x._shape
    kh, kw = kernel
    oh, ow = windows or _windows((h, w), kernel, stride, padding, dilation)
    if rows_first:
        cols = Tensor._empty((c * kh * kw, n, oh * ow), x.dtype, x.device).transpose(0, 1)
    else:
        cols = Tensor._empty((n, c * kh * kw, oh * ow), x.dtype, x.device)
    cols._storage.backend.im2col(cols, x, (kh, kw, *stride, *padding, *dilation, oh, ow))
    if needs_grad(x):
        record("Im2ColBackward0", cols, (x,), lambda g: (
            col2im(g, (h, w), kernel, stride, padding, dilation, (oh, ow)),))
    return cols


def col2im(cols: Tensor, size: tuple, kernel: tuple, stride: tuple, padding: tuple,
           dilation: tuple, windows: tuple | None = None) -> Tensor:
    """(N, C*kh*kw, oh*ow), any strides -> (N, C, H, W), overlapping windows added; records
    Col2ImBackward0. windows: (oh, ow) as im2col's."""
    n, ck, _ = cols._shape
    kh, kw = kernel
    h, w = size
    oh, ow = windows or _windows((h, w), kernel, stride, padding, dilation)
    out = Tensor._empty((n, ck // (kh * kw), h, w), cols.dtype, cols.device)
    out._storage.backend.col2im(out, cols, (kh, kw, *stride, *padding, *dilation, oh, ow))
    if needs_grad(cols):
        record("Col2ImBackward0", out, (cols,), lambda g: (
            im2col(g, kernel, stride, padding, dilation, (oh, ow)),))
    return out


def _unfold_depth(x: Tensor, kd: int, sd: int, pd: int, dd: int, od: int) -> Tensor:
    """(N, C, D, H, W) -> (N, od, C, kd, H, W), contiguous, [n, o, c, a] = depth o*sd + a*dd
    - pd of x (zero in the padding)."""
    from ..creation import zeros
    from ..join import cat
    n, c, _, h, w = x._shape
    if pd:
        edge = zeros((n, c, pd, h, w), dtype=x.dtype, device=x.device)
        x = cat((edge, x, edge), 2)
    windows = x.unfold(2, (kd - 1) * dd + 1, sd).narrow(2, 0, od)  # (N, C, od, H, W, span)
    if dd > 1:
        windows = windows[..., ::dd]
    return windows.permute(0, 2, 1, 5, 3, 4).contiguous()


def _fold_depth(u: Tensor, depth: int, sd: int, pd: int, dd: int) -> Tensor:
    """The adjoint of _unfold_depth: (N, od, C, kd, H, W) -> (N, C, depth, H, W), each window
    element added back where it was read (one strided slice add per kernel offset)."""
    from ..creation import zeros
    n, od, c, kd, h, w = u._shape
    total = max(depth + 2 * pd, (od - 1) * sd + (kd - 1) * dd + 1)
    acc = zeros((n, c, total, h, w), dtype=u.dtype, device=u.device)
    for a in range(kd):
        start = a * dd
        acc[:, :, start:start + (od - 1) * sd + 1:sd] += u[:, :, :, a].transpose(1, 2)
    return acc if total == depth else acc[:, :, pd:pd + depth].contiguous()


def _one_pixel(kernel: tuple, stride: tuple, padding: tuple, size: tuple, windows: tuple):
    """Whether every (H, W) window is the one pixel under it: no gather needed."""
    return kernel[1:] == (1, 1) and stride[1:] == (1, 1) and padding[1:] == (0, 0) and \
        tuple(size[1:]) == tuple(windows[1:])


def vol2col(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
            windows: tuple) -> Tensor:
    """(N, C, D, H, W) -> (N, od, C*kd*kh*kw, oh*ow): the columns of a 3-d convolution, one
    block of rows per output depth; windows = (od, oh, ow), the window positions taken."""
    n, c, _, h, w = x._shape
    kd, kh, kw = kernel
    od = windows[0]
    u = _unfold_depth(x, kd, stride[0], padding[0], dilation[0], od)
    planes = u.view(n * od, c * kd, h, w)
    if _one_pixel(kernel, stride, padding, x._shape[2:], windows):
        return planes.view(n, od, c * kd, h * w)
    cols = im2col(planes, kernel[1:], stride[1:], padding[1:], dilation[1:], windows[1:])
    return cols.view(n, od, c * kd * kh * kw, cols._shape[2])


def col2vol(cols: Tensor, size: tuple, kernel: tuple, stride: tuple, padding: tuple,
            dilation: tuple, windows: tuple) -> Tensor:
    """The adjoint of vol2col: (N, od, C*kd*kh*kw, oh*ow) -> (N, C, *size)."""
    n, od, ck, length = cols._shape
    kd, kh, kw = kernel
    c = ck // (kd * kh * kw)
    d, h, w = size
    flat = cols.reshape(n * od, ck, length)
    if _one_pixel(kernel, stride, padding, size, windows):
        planes = flat.view(n * od, c * kd, h, w)
    else:
        planes = col2im(flat, (h, w), kernel[1:], stride[1:], padding[1:], dilation[1:],
                        windows[1:])
    return _fold_depth(planes.view(n, od, c, kd, h, w), d, stride[0], padding[0], dilation[0])
