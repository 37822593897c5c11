"""Scans: cumsum, cumprod, cummax and cummin, as functions and Tensor methods, with the
gradient rules of cumsum and cumprod (PyTorch's derivatives.yaml formulas, in Tensor ops)."""
from __future__ import annotations

from .. import _dtype as dt
from .._tensor import Tensor, register
from ..autograd.graph import needs_grad, record
from . import reduce_grad as rg
from .pointwise import where
from .reduce_args import RETURN_TYPES, check_input, one_dim, sum_dtype

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]


# -- gradient rules ---------------------------------------------------------------------------
def _reversed_cumsum(t: Tensor, dim: int) -> Tensor:
    return t.flip(dim).cumsum(dim).flip(dim)


def cumsum_backward(g: Tensor, x: Tensor, dim: int) -> Tensor:
    if x.ndim == 0 or x.numel() <= 1:
        return g
    return _reversed_cumsum(g, dim)


def cumprod_backward(g: Tensor, x: Tensor, out: Tensor, dim: int) -> Tensor:
    """PyTorch's cumprod_backward, branch free: before the first zero of a row,
    reversed_cumsum(out * g) / x; at the first zero, the sum over later positions of g times
    the product of the others; after it, zero."""
    if x.ndim == 0 or x.numel() <= 1 or x._shape[dim] == 1:
        return g
    zero = x == 0
    count = zero.cumsum(dim)
    before = count == 0
    first = zero & (count == 1)
    part = _reversed_cumsum(out * g, dim) / where(before, x, 1.0)
    partial = where(first, 1.0, x).cumprod(dim)
    at_zero = (g * partial * (count >= 1)).sum(dim, keepdim=True)
    return where(before, part, 0.0) + where(first, at_zero, 0.0)


# -- the scans ------------------------------------------------------------------------------
def _scan(kind: str, input: Tensor, dim, dtype, op: str) -> Tensor:
    check_input(input, op)
    d = one_dim(input, dim)
    out_dt = sum_dtype(input, dtype)
    out = Tensor._empty(input._shape, out_dt, input.device)
    input._storage.backend.scan(kind, out, input, d)
    if needs_grad(input):
        if kind == "sum":
            record("CumsumBackward0", out, (input,),
                   lambda g: (cumsum_backward(g, input, d),))
        else:
            saved = out.detach()

            def rule(g):
                res = rg.saved_output(saved, lambda: cumprod(input, dim, dtype=dtype))
                return (cumprod_backward(g, input, res, d),)
            record("CumprodBackward0", out, (input,), rule, saved=(input, saved))
    return out


@register()
def cumsum(input: Tensor, dim, *, dtype=None) -> Tensor:
    """Cumulative sum along dim; ints and bool accumulate in int64."""
    return _scan("sum", input, dim, dtype, "cumsum")


@register()
def cumprod(input: Tensor, dim, *, dtype=None) -> Tensor:
    """Cumulative product along dim; ints and bool accumulate in int64."""
    return _scan("prod", input, dim, dtype, "cumprod")


def _cumext(kind: str, input: Tensor, dim):
    op = "cum" + kind
    check_input(input, op)
    d = one_dim(input, dim)
    values = Tensor._empty(input._shape, input.dtype, input.device)
    indices = Tensor._empty(input._shape, dt.int64, input.device)
    input._storage.backend.scan(kind, values, input, d, indices)
    if needs_grad(input):
        shape = input._shape

        def rule(g, _):
            if not shape:
                return (g,)
            return (rg.scatter_dim(g, d, indices, shape[d], accumulate=True),)
        record(op.capitalize() + "Backward0", (values, None), (input,), rule, saved=(indices,))
    return RETURN_TYPES[op](values, indices)


@register()
def cummax(input: Tensor, dim):
    """(values, indices) of the running maximum along dim (NaN propagates)."""
    return _cumext("max", input, dim)


@register()
def cummin(input: Tensor, dim):
    """(values, indices) of the running minimum along dim (NaN propagates)."""
    return _cumext("min", input, dim)
