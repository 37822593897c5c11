"""Sorting, selection and counting: sort, argsort, topk, kthvalue, median, nanmedian and
bincount, as functions and Tensor methods (the backends' sort family)."""
from __future__ import annotations

import builtins
import math
import operator

from .. import _dtype as dt
from .._strides import contiguous_strides
from .._tensor import Tensor, register
from .._typenames import SCALAR_NAMES as _TYPE_NAMES
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from . import reduce_grad as rg
from .creation import full
from .reduce import aminmax
from .reduce_args import RETURN_TYPES, check_input, one_dim, require_nonempty

__all__ = ["sort", "argsort", "topk", "kthvalue", "median", "nanmedian", "bincount"]


def _select(input: Tensor, d: int, descending: bool, count: int, keepdim: bool = True,
            mode: str = "range", start: int = 0, with_values: bool = True):
    """Run the backend's sort writing `count` positions per row along d."""
    shape = list(input._shape)
    if input.ndim:
        shape[d] = count
    shape = tuple(shape)
    final = shape if keepdim or not input.ndim else shape[:d] + shape[d + 1:]
    values = Tensor._empty(final, input.dtype, input.device) if with_values else None
    indices = Tensor._empty(final, dt.int64, input.device)
    strides = contiguous_strides(shape)
    vv = values if values is None or keepdim else values._view(shape, strides, 0)
    iv = indices if keepdim else indices._view(shape, strides, 0)
    input._storage.backend.sort(input, d, descending, vv, iv, mode, start)
    return values, indices


def _dim_size(input: Tensor, d: int) -> int:
    return input._shape[d] if input.ndim else 1


@register()
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along dim; always stable, NaN sorts as the largest."""
    check_input(input, "sort")
    d = one_dim(input, dim)
    values, indices = _select(input, d, builtins.bool(descending), _dim_size(input, d))
    if needs_grad(input):
        rg.record_select("SortBackward0", values, indices, input, d, True)
    return RETURN_TYPES["sort"](values, indices)


@register()
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """The indices that sort input along dim (stable)."""
    check_input(input, "argsort")
    d = one_dim(input, dim)
    return _select(input, d, builtins.bool(descending), _dim_size(input, d),
                   with_values=False)[1]


@register()
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """The k largest (or smallest) elements along dim, in sorted order."""
    check_input(input, "topk")
    d = one_dim(input, dim)
    k = operator.index(k)
    if not 0 <= k <= _dim_size(input, d):
        raise RuntimeError("selected index k out of range")
    values, indices = _select(input, d, builtins.bool(largest), k)
    if needs_grad(input):
        rg.record_select("TopkBackward0", values, indices, input, d, True)
    return RETURN_TYPES["topk"](values, indices)


@register()
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element along dim."""
    check_input(input, "kthvalue")
    d = one_dim(input, dim)
    require_nonempty(input, (d,) if input.ndim else (), "kthvalue")
    k = operator.index(k)
    if not 1 <= k <= _dim_size(input, d):
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    values, indices = _select(input, d, False, 1, keepdim, start=k - 1)
    if needs_grad(input):
        rg.record_select("KthvalueBackward0", values, indices, input, d, keepdim)
    return RETURN_TYPES["kthvalue"](values, indices)


def _median(mode: str, input: Tensor, dim, keepdim: bool):
    check_input(input, mode)
    name = mode.capitalize()
    if dim is None:
        with no_grad():
            flat = input.reshape(-1)
        if flat.numel() == 0:
            value = full((), math.nan, dtype=input.dtype, device=input.device)
        else:
            value = _select(flat, 0, False, 1, False, mode=mode)[0]
        if needs_grad(input):
            saved = value.detach()
            record(name + "Backward0", value, (input,),
                   lambda g: (rg.evenly_distribute(g, input, saved),), saved=(input, saved))
        return value
    d = one_dim(input, dim)
    require_nonempty(input, (d,) if input.ndim else (), mode)
    values, indices = _select(input, d, False, 1, keepdim, mode=mode)
    if needs_grad(input):
        rg.record_select(name + "Backward1", values, indices, input, d, keepdim)
    return RETURN_TYPES[mode](values, indices)


@register()
def median(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median (NaN when a NaN is present); with dim, (values, indices)."""
    return _median("median", input, dim, keepdim)


@register()
def nanmedian(input: Tensor, dim=None, keepdim: bool = False):
    """The lower median of the non-NaN elements; with dim, (values, indices)."""
    return _median("nanmedian", input, dim, keepdim)


# -- bincount (sort-based on cl: deterministic, no atomics) ---------------------------------
@register()
def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Counts (or weight sums) of each value of a 1-d non-negative integer tensor."""
    check_input(input, "bincount")
    if input.dtype.is_floating_point or input.dtype is dt.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{_TYPE_NAMES[input.dtype.name]}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None:
        if weights.ndim != 1 or weights._shape[0] != input._shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        out_dt = dt.float32 if weights.dtype is dt.float32 else dt.float64
    else:
        out_dt = dt.int64
    nbins = minlength
    if input.numel():
        low, high = aminmax(input)
        if low.item() < 0:
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        nbins = builtins.max(nbins, high.item() + 1)
    out = Tensor._empty((nbins,), out_dt, input.device)
    input._storage.backend.bincount(input, weights, out)
    if weights is not None and needs_grad(weights):
        rg.not_implemented("NotImplemented", out, weights,
                           "derivative for aten::bincount is not implemented", RuntimeError)
    return out
