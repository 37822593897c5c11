"""Creation functions: tensor, from_numpy, empty, zeros, ones, full and their _like/new_ forms."""
from __future__ import annotations

import builtins
import numbers
from typing import Sequence

import numpy as np

from .. import _dtype as dt
from .._device import canonical
from .._strides import numel
from .._tensor import Tensor, register
from ..backends import backend_for

__all__ = ['tensor', 'as_tensor', 'from_numpy', 'empty', 'zeros', 'ones', 'full', 'empty_like', 'zeros_like', 'ones_like', 'full_like']


def parse_size(size, op: str = "empty") -> tuple:
    """PyTorch's size arguments: f(2, 3), f((2, 3)), f([2, 3]) or f(Size)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    result = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.__index__()
        if isinstance(s, builtins.bool) or not isinstance(s, (numbers.Integral,)):
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        result.append(builtins.int(s))
    return tuple(result)


def finish(t: Tensor, requires_grad: bool) -> Tensor:
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_host_array(array: np.ndarray, dtype, device) -> Tensor:
    """A new tensor on `device` holding a copy of a host array already of `dtype`."""
    backend = backend_for(device)
    flat = np.ascontiguousarray(array).reshape(-1)
    if backend.name == "cpu":
        flat = flat.copy() if np.shares_memory(flat, array) else flat
    data = backend.from_host(flat)
    return Tensor._wrap(data, flat.size, dtype, device, backend, tuple(array.shape))


def _infer_dtype(data, array: np.ndarray):
    if array.dtype == np.bool_:
        return dt.bool
    if array.dtype.kind in "iu":
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            return dt.from_numpy_dtype(array.dtype)
        return dt.int64
    if array.dtype.kind == "f":
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            return dt.from_numpy_dtype(array.dtype)
        return dt.get_default_dtype()
    if array.dtype.kind == "c":
        raise TypeError("clgrad has no complex dtypes")
    raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def _to_host_array(data) -> np.ndarray:
    if isinstance(data, Tensor):
        return data.detach()._host()
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        return np.array([_to_host_array(x) for x in data])
    try:
        return np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"tensor(): {exc}") from None


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor with a copy of `data` (nested lists, numbers, numpy arrays, tensors)."""
    array = _to_host_array(data)
    if array.dtype == object:
        raise TypeError(f"tensor(): Could not infer dtype of {type(data).__name__}")
    if dtype is None:
        dtype = data.dtype if isinstance(data, Tensor) else _infer_dtype(data, array)
    device = canonical(device if device is not None else
                       (data.device if isinstance(data, Tensor) else None))
    return finish(from_host_array(array.astype(dtype.np, copy=False), dtype, device),
                  requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like tensor(), but returns `data` itself when it already matches."""
    if isinstance(data, Tensor):
        return data.to(device=canonical(device) if device is not None else data.device,
                       dtype=dtype or data.dtype)
    if isinstance(data, np.ndarray) and device is None and dtype in (None,) and \
            data.dtype in dt._BY_NP and canonical(None).type == "cpu":
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A cpu tensor sharing memory with a numpy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtype = dt.from_numpy_dtype(array.dtype)
    itemsize = array.itemsize
    if any(s < 0 for s in array.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    if any(s % itemsize for s in array.strides):
        raise ValueError("given numpy array strides not a multiple of the element byte size. "
                         "Copy the numpy array to reallocate the memory.")
    strides = tuple(s // itemsize for s in array.strides)
    span = 1 + sum((n - 1) * s for n, s in zip(array.shape, strides)) if array.size else 0
    # A flat view over exactly the memory the array spans; tensors view it like any storage.
    flat = np.lib.stride_tricks.as_strided(array, shape=(span,), strides=(itemsize,))
    backend = backend_for(canonical("cpu"))
    t = Tensor._wrap(flat, span, dtype, canonical("cpu"), backend, tuple(array.shape))
    t._stride = strides
    t._contig = None
    return t


def _resolve(dtype, device):
    return (dt.get_default_dtype() if dtype is None else dtype), canonical(device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    dtype, device = _resolve(dtype, device)
    return finish(Tensor._empty(parse_size(size, "empty"), dtype, device), requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dt.scalar_dtype(fill_value)
    dtype, device = _resolve(dtype, device)
    t = Tensor._empty(parse_size((size,), "full"), dtype, device)
    t.fill_(fill_value)
    return finish(t, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _resolve(dtype, device)
    t = Tensor._empty(parse_size(size, "zeros"), dtype, device)
    t.fill_(0)
    return finish(t, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _resolve(dtype, device)
    t = Tensor._empty(parse_size(size, "ones"), dtype, device)
    t.fill_(1)
    return finish(t, requires_grad)


def _like(t: Tensor, dtype, device):
    return (t.dtype if dtype is None else dtype), (t.device if device is None else
                                                   canonical(device))


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return empty(input._shape, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return zeros(input._shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return ones(input._shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    dtype, device = _like(input, dtype, device)
    return full(input._shape, fill_value, dtype=dtype, device=device,
                requires_grad=requires_grad)


@register()
def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(self, dtype, device)
    return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


@register()
def new_empty(self: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(self, dtype, device)
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@register()
def new_zeros(self: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(self, dtype, device)
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@register()
def new_ones(self: Tensor, *size, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype, device = _like(self, dtype, device)
    return ones(*size, dtype=dtype, device=device, requires_grad=requires_grad)


@register()
def new_full(self: Tensor, size: Sequence[int], fill_value, *, dtype=None, device=None,
             requires_grad=False) -> Tensor:
    dtype, device = _like(self, dtype, device)
    return full(size, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


@register()
def fill_(self: Tensor, value) -> Tensor:
    """Fill with a number (or a 0-dim tensor's value)."""
    from .table import COPY
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        value = value.item()
    self._version[0] += 1
    self._storage.backend.pointwise(COPY, self, [value], self.dtype)
    return self


@register()
def zero_(self: Tensor) -> Tensor:
    return self.fill_(0)
