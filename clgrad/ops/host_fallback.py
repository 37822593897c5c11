"""Ops that run on the host: mode, unique and histc read the input back, compute with numpy
and upload the result; on cl each call is counted as a fallback (backends/cl/fallback.py)."""
from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as dt
from .._strides import normalize_dim
from .._tensor import Tensor, register
from .._typenames import SCALAR_NAMES as _TYPE_NAMES
from ..autograd.graph import needs_grad
from . import reduce_grad as rg
from .creation import from_host_array
from .reduce_args import RETURN_TYPES, check_input, one_dim, require_nonempty

__all__ = ["mode", "unique", "histc"]


def _host(input: Tensor, op: str) -> np.ndarray:
    if input.is_cl:
        from ..backends.cl.fallback import note_fallback
        note_fallback(op, input.device)
    return input.detach()._host()


def _device_tensor(array: np.ndarray, dtype: dt.dtype, device) -> Tensor:
    return from_host_array(np.ascontiguousarray(array, dtype=dtype.np), dtype, device)


@register()
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the most frequent value along dim (the smallest on ties; the
    index of its last occurrence)."""
    check_input(input, "mode")
    d = one_dim(input, dim)
    require_nonempty(input, (d,) if input.ndim else (), "mode")
    a = _host(input, "mode")
    a = a.reshape(1) if a.ndim == 0 else a
    rows = np.moveaxis(a, d, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    vals = np.empty(flat.shape[0], a.dtype)
    idxs = np.empty(flat.shape[0], np.int64)
    for r, row in enumerate(flat):
        uniq, counts = np.unique(row, return_counts=True)
        best = uniq[np.argmax(counts)]
        vals[r] = best
        idxs[r] = np.flatnonzero(row == best)[-1]
    shape = rows.shape[:-1]
    vals, idxs = vals.reshape(shape), idxs.reshape(shape)
    if keepdim and input.ndim:
        vals, idxs = np.expand_dims(vals, d), np.expand_dims(idxs, d)
    values = _device_tensor(vals, input.dtype, input.device)
    indices = _device_tensor(idxs, dt.int64, input.device)
    if needs_grad(input):
        rg.record_select("ModeBackward0", values, indices, input, d, keepdim)
    return RETURN_TYPES["mode"](values, indices)


@register()
def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim=None):
    """The sorted unique elements (along dim: unique slices), optionally with the inverse
    indices and the counts."""
    check_input(input, "unique")
    a = _host(input, "unique")
    axis = None if dim is None else normalize_dim(operator.index(dim), input.ndim)
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(a.shape)
    result = [_device_tensor(values, input.dtype, input.device)]
    if return_inverse:
        result.append(_device_tensor(inverse.reshape(-1) if axis is not None else inverse,
                                     dt.int64, input.device))
    if return_counts:
        result.append(_device_tensor(counts, dt.int64, input.device))
    if needs_grad(input):
        # PyTorch records a node whose backward raises.
        op = "_unique2" if axis is None else "unique_dim"
        rg.not_implemented("Unique2Backward0" if axis is None else "UniqueDimBackward0",
                           tuple(result), input, f"the derivative for '{op}' is not "
                           "implemented.")
    return result[0] if len(result) == 1 else tuple(result)


@register()
def histc(input: Tensor, bins: int = 100, min=0, max=0) -> Tensor:
    """A histogram of `bins` equal bins over [min, max] (the data's range when equal)."""
    check_input(input, "histc")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_TYPE_NAMES[input.dtype.name]}'")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    a = _host(input, "histc").reshape(-1)
    lo, hi = float(min), float(max)
    if lo > hi:
        raise RuntimeError("torch.histc: max must be larger than min")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = a[(a >= lo) & (a <= hi)]
    pos = ((inside - lo) / (hi - lo) * bins).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    counts = np.bincount(pos, minlength=bins)[:bins]
    return _device_tensor(counts, input.dtype, input.device)
