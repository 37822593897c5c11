"""Max and average pooling (plain and adaptive) over (..., H, W) planes, with their backward.

Max pooling saves the flat index of each maximum; its backward gathers through those
indices (deterministic, no atomics) and its double backward gathers gg at them again.
Average pooling's backward is linear and its adjoint is the forward pooling itself.
"""
from __future__ import annotations

from ... import _dtype as dt
from ..._tensor import Tensor
from ...autograd.graph import needs_grad, record
from ..creation import zeros_like

__all__ = ["pool2d"]


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
