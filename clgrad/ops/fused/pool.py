"""Max and average pooling (plain and adaptive) over (..., H, W) planes and (..., D, H, W)
volumes, with their backward.

Max pooling saves the flat index of each maximum; its backward gathers through those
indices (deterministic, no atomics) and its double backward gathers gg at them again.
Average pooling's backward is linear and its adjoint is the forward pooling itself.

3-d pooling is separable and runs on the 2-d kernels exactly: a box max (or mean) is the max
(mean) over the depth window of the plane windows' maxima (means). The 2-d kernel pools each
(H, W) plane, then pools the depth on planes (D, oh*ow) with a (kd, 1) window. For max, the
plane pass keeps the first maximum of each plane (or its last NaN) and the depth pass the
first plane holding the largest (the last NaN), which is PyTorch's scan-order winner; the
backward runs the two passes' backward kernels in reverse.
"""
from __future__ import annotations

from ... import _dtype as dt
from ..._strides import contiguous_strides, numel
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...autograd.graph import needs_grad, record
from ..creation import zeros_like

__all__ = ["pool2d", "pool3d", "pool3d_indices"]


def _planes(x: Tensor) -> Tensor:
    """x as contiguous data (shape kept); the kernels index planes of H x W."""
    return x if x.is_contiguous() else x.detach().contiguous()


def _double_name(name: str) -> str:
    return name.replace("Backward0", "BackwardBackward0")


def _zero_grad(x: Tensor):
    """The backward's derivative in its input x: zero (PyTorch records x and returns zeros)."""
    return zeros_like(x) if x._requires_grad else None


def pool2d(mode: str, adaptive: bool, x: Tensor, geometry: tuple, out_hw: tuple, name: str,
           count_include_pad: bool = True, divisor: int = 0):
    """(..., H, W) -> (out (..., oh, ow), int64 indices or None); records `name`.

    mode is "max" or "avg"; geometry is (kh, kw, sh, sw, ph, pw, dh, dw), unused (zeros) when
    adaptive; divisor (avg, nonzero) overrides the window size.
    """
    out = Tensor._empty(x._shape[:-2] + tuple(out_hw), x.dtype, x.device)
    idx = Tensor._empty(out._shape, dt.int64, x.device) if mode == "max" else None
    out._storage.backend.pool_forward(mode, adaptive, out, idx, _planes(x), geometry,
                                      count_include_pad, divisor)
    if needs_grad(x):
        if mode == "max":
            record(name, out, (x,), lambda g: (
                _max_backward(g, x, idx, geometry, adaptive, name),))
        else:
            record(name, out, (x,), lambda g: (
                _avg_backward(g, x, geometry, adaptive, count_include_pad, divisor, name),))
    return out, idx


def _max_backward(g: Tensor, x: Tensor, idx: Tensor, geometry, adaptive: bool,
                  name: str) -> Tensor:
    gin = Tensor._empty(x._shape, g.dtype, g.device)
    gin._storage.backend.pool_backward("max", adaptive, gin, _planes(g), idx, geometry)
    if needs_grad(g, x):
        def rule(gg):
            flat = gg.reshape(gg._shape[:-2] + (-1,))
            picked = flat.gather(-1, idx.reshape(idx._shape[:-2] + (-1,)))
            return picked.reshape(idx._shape), _zero_grad(x)
        record(_double_name(name), gin, (g, x), rule)
    return gin


def _avg_backward(g: Tensor, x: Tensor, geometry, adaptive: bool, count_include_pad: bool,
                  divisor: int, name: str) -> Tensor:
    gin = Tensor._empty(x._shape, g.dtype, g.device)
    gin._storage.backend.pool_backward("avg", adaptive, gin, _planes(g), None, geometry,
                                       count_include_pad, divisor)
    if needs_grad(g, x):
        out_hw = g._shape[-2:]
        record(_double_name(name), gin, (g, x), lambda gg: (
            pool2d("avg", adaptive, gg, geometry, out_hw, name, count_include_pad,
                   divisor)[0], _zero_grad(x)))
    return gin


# -- 3-d: two passes of the 2-d kernels --------------------------------------------------------
def _as(t: Tensor, shape: tuple) -> Tensor:
    """Contiguous t seen as `shape` (same elements), outside autograd: a kernel's plane view."""
    return t._view(shape, contiguous_strides(shape), t._offset)


class _Passes:
    """The two passes of one 3-d pooling: shapes and the 2-d kernels' geometries."""

    def __init__(self, x_shape: tuple, geometry, out_dhw: tuple, adaptive: bool):
        self.lead = x_shape[:-3]
        self.planes = numel(self.lead)
        self.size = x_shape[-3:]
        self.out = tuple(out_dhw)
        od, oh, ow = out_dhw
        self.mid = self.lead + (self.size[0], oh, ow)  # each plane pooled, depth kept
        self.mid_rows = self.lead + (self.size[0], oh * ow)
        self.out_rows = self.lead + (od, oh * ow)
        if adaptive:
            self.plane_geometry = self.depth_geometry = (0,) * 8
        else:
            kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw = geometry
            self.plane_geometry = (kh, kw, sh, sw, ph, pw, dh, dw)
            self.depth_geometry = (kd, 1, sd, 1, pd, 0, dd, 1)


def pool3d(mode: str, adaptive: bool, x: Tensor, geometry: tuple, out_dhw: tuple, name: str,
           count_include_pad: bool = True, divisor: int = 0):
    """(..., D, H, W) -> (out (..., od, oh, ow), saved indices for pool3d_indices or None).

    geometry is (kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw), unused when adaptive;
    divisor (avg, nonzero) overrides the window size. Records `name`.
    """
    passes = _Passes(x._shape, geometry, out_dhw, adaptive)
    backend = x._storage.backend
    mid = Tensor._empty(passes.mid, x.dtype, x.device)
    out = Tensor._empty(passes.lead + passes.out, x.dtype, x.device)
    saved = None
    if mode == "max":
        saved = (Tensor._empty(passes.mid, dt.int64, x.device),
                 Tensor._empty(passes.out_rows, dt.int64, x.device))
    # An override divides once, in the depth pass; the plane pass then only sums.
    backend.pool_forward(mode, adaptive, mid, saved and saved[0], _planes(x),
                         passes.plane_geometry, count_include_pad, 1 if divisor else 0)
    backend.pool_forward(mode, adaptive, _as(out, passes.out_rows), saved and saved[1],
                         _as(mid, passes.mid_rows), passes.depth_geometry, count_include_pad,
                         divisor)
    if needs_grad(x):
        record(name, out, (x,), lambda g: (_backward3d(
            mode, adaptive, g, x, saved, passes, geometry, count_include_pad, divisor, name),))
    return out, saved


def pool3d_indices(saved: tuple, x_shape: tuple, out_dhw: tuple) -> Tensor:
    """The flat d*H*W + h*W + w index of each maximum of a max pool3d, from its saved pair."""
    plane_idx, depth_idx = saved
    passes = _Passes(x_shape, None, out_dhw, True)
    d, h, w = passes.size
    row = out_dhw[1] * out_dhw[2]
    with no_grad():
        # depth_idx holds depth * row + column in the mid rows; plane_idx there says where in
        # its (H, W) plane that maximum sits.
        flat = _as(depth_idx, (passes.planes, numel(depth_idx._shape[len(passes.lead):])))
        within = _as(plane_idx, (passes.planes, d * row)).gather(1, flat)
        found = (flat // row) * (h * w) + within
    return _as(found, passes.lead + passes.out)


def _backward3d(mode: str, adaptive: bool, g: Tensor, x: Tensor, saved, passes: _Passes,
                geometry, count_include_pad: bool, divisor: int, name: str) -> Tensor:
    backend = g._storage.backend
    g_mid = Tensor._empty(passes.mid, g.dtype, g.device)
    backend.pool_backward(mode, adaptive, _as(g_mid, passes.mid_rows),
                          _as(_planes(g), passes.out_rows), saved and saved[1],
                          passes.depth_geometry, count_include_pad, divisor)
    gin = Tensor._empty(x._shape, g.dtype, g.device)
    backend.pool_backward(mode, adaptive, gin, g_mid, saved and saved[0], passes.plane_geometry,
                          count_include_pad, 1 if divisor else 0)
    if needs_grad(g, x):
        if mode == "max":
            def rule(gg):
                where = pool3d_indices(saved, x._shape, passes.out)
                picked = gg.reshape(passes.planes, -1).gather(1, where.reshape(passes.planes, -1))
                return picked.reshape(where._shape), _zero_grad(x)
        else:
            def rule(gg):
                return pool3d("avg", adaptive, gg, geometry, passes.out, name, count_include_pad,
                              divisor)[0], _zero_grad(x)
        record(_double_name(name), gin, (g, x), rule)
    return gin
