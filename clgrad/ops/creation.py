"""Creation functions: tensor, from_numpy, empty, zeros, ones, full and their _like/new_ forms,
and the ranges (arange, range, linspace, logspace, eye) computed on the device."""
from __future__ import annotations

import builtins
import math
import numbers
from typing import Sequence

import numpy as np

from .. import _dtype as dt
from .. import _memory_format as mf
from .._device import canonical
from .._tensor import Tensor, register
from ..autograd.graph import needs_grad
from ..autograd.inplace import check_inplace, record_inplace
from ..backends import backend_for
from ..autograd.inplace import check_multi_view

__all__ = ['tensor', 'as_tensor', 'from_numpy', 'empty', 'zeros', 'ones', 'full', 'empty_like',
           'zeros_like', 'ones_like', 'full_like', 'arange', 'range', 'linspace', 'logspace',
           'eye']


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
    """A new leaf, requiring grad when asked (floating point dtypes only)."""
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def from_host_array(array: np.ndarray, dtype, device) -> Tensor:
    """A new tensor on `device` holding a copy of a host array already of `dtype`."""
    backend = backend_for(device)
    flat = np.ascontiguousarray(array).reshape(-1)
    if backend.name == "cpu":
        flat = flat.copy() if np.shares_memory(flat, array) else flat
    data = backend.from_host(flat, dtype)
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
    cpu = canonical("cpu")
    if array.flags.c_contiguous:
        # The common case: a flat reshape is a view, ~100x cheaper than as_strided below.
        return Tensor._wrap(array.reshape(-1), array.size, dtype, cpu, backend_for(cpu),
                            tuple(array.shape))
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
    t = Tensor._wrap(flat, span, dtype, cpu, backend_for(cpu), tuple(array.shape))
    t._stride = strides
    t._contig = None
    return t


def _resolve(dtype, device):
    return (dt.get_default_dtype() if dtype is None else dtype), canonical(device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    dtype, device = _resolve(dtype, device)
    shape = parse_size(size, "empty")
    if memory_format is not None and memory_format is not mf.contiguous_format:
        if memory_format is mf.preserve_format:
            raise RuntimeError("unsupported memory format Preserve")
        return finish(mf.empty_strided_like(shape, mf.strides_for(shape, memory_format), dtype,
                                            device), requires_grad)
    return finish(Tensor._empty(shape, dtype, device), requires_grad)


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


def _empty_like(input: Tensor, dtype, device, memory_format) -> Tensor:
    """A new tensor shaped like input in memory_format (None: preserve_format, which keeps a
    dense, non-overlapping input's strides, as PyTorch does)."""
    dtype, device = _like(input, dtype, device)
    if memory_format is mf.contiguous_format or (memory_format is None and
                                                 input.is_contiguous()):
        return Tensor._empty(input._shape, dtype, device)
    return mf.empty_strided_like(input._shape, mf.target_strides(
        input._shape, input._stride, memory_format), dtype, device)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return finish(_empty_like(input, dtype, device, memory_format), requires_grad)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return full_like(input, 0, dtype=dtype, device=device, requires_grad=requires_grad,
                     memory_format=memory_format)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return full_like(input, 1, dtype=dtype, device=device, requires_grad=requires_grad,
                     memory_format=memory_format)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None) -> Tensor:
    t = _empty_like(input, dtype, device, memory_format)
    t.fill_(fill_value)
    return finish(t, requires_grad)


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
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.dim()} dimensions.")
        return fill_number(self, value.item(), "FillBackward3", (value,))
    return fill_number(self, value, "FillBackward2", ())


@register()
def zero_(self: Tensor) -> Tensor:
    return fill_number(self, 0, "ZeroBackward0", ())


def fill_number(self: Tensor, value, name: str, extra: tuple) -> Tensor:
    """self.fill_(value), recorded in place as `name` with inputs (self,) + extra: the
    gradient of self is zero, that of a 0-dim tensor value the sum of the gradient."""
    from .pointwise_table import COPY
    track = needs_grad(self, *extra)
    if track or self._requires_grad or self._base is not None:
        check_inplace(self)
    if track:
        check_multi_view(self)
    if not self.dtype.is_floating_point:
        # Convert as C does (truncating floats) so every backend gets a value of its type.
        from ..backends.cpu import as_compute_scalar
        value = as_compute_scalar(value, self.dtype.np).item()
    self._version[0] += 1
    self._storage.backend.pointwise(COPY, self, [value], self.dtype)
    if track:
        def rule(grad):
            zero = zeros_like(grad)
            if extra and isinstance(extra[0], Tensor):
                return zero, grad.sum().to(extra[0].device)
            return (zero,) + (None,) * len(extra)
        record_inplace(name, self, (self,) + extra, rule)
    return self


# -- ranges: computed by the backend from the element index (a kernel on cl) ------------------
def _number(value, op: str, name: str):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise TypeError(f"{op}(): argument '{name}' must be Number, not Tensor")
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value
    raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(value).__name__}")


def _acc_type(dtype) -> np.dtype:
    """PyTorch's CPU accumulation type: double for float/double, float for half, int64."""
    if dtype.is_floating_point:
        return np.dtype(np.float32 if dtype.name == "float16" else np.float64)
    return np.dtype(np.int64)


def _to_acc(value, acc: np.dtype):
    # Scalar.to<acc_t>(): a float truncates toward zero when the accumulator is an integer.
    return builtins.int(value) if acc.kind == "i" else builtins.float(value)


def _write_out(result: Tensor, out, requires_grad: bool) -> Tensor:
    if out is None:
        return finish(result, requires_grad)
    if out.device != result.device:
        raise RuntimeError(f"Expected out tensor to be on {result.device} but got {out.device}")
    out.resize_(result._shape)
    out.copy_(result)
    return out


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (inclusive) to end (exclusive) every step.

    Integers give int64 unless dtype says otherwise, floats the default dtype; the length is
    ceil((end - start) / step) as in PyTorch.
    """
    if end is None:
        start, end = 0, start
    start = _number(start, "arange", "start")
    end = _number(end, "arange", "end")
    step = _number(step, "arange", "step")
    if dtype is None:
        if out is not None:
            dtype = out.dtype
        elif any(isinstance(v, builtins.float) for v in (start, end, step)):
            dtype = dt.get_default_dtype()
        else:
            dtype = dt.int64
    device = canonical(device if device is not None else
                       (out.device if out is not None else None))
    if dtype is dt.bool:
        raise NotImplementedError('"arange_cpu" not implemented for \'Bool\'')
    acc = _acc_type(dtype)
    xstart, xend, xstep = (_to_acc(v, acc) for v in (start, end, step))
    # PyTorch checks int64 ranges on the truncated values and the others in double.
    cstart, cend, cstep = ((xstart, xend, xstep) if dtype is dt.int64 else
                           (builtins.float(start), builtins.float(end), builtins.float(step)))
    if not (cstep > 0 or cstep < 0):
        if step:
            raise ValueError("step must be nonzero")
        raise RuntimeError("step must be nonzero")
    if not (math.isfinite(cstart) and math.isfinite(cend)):
        raise RuntimeError(f"unsupported range: {cstart} -> {cend}")
    if not ((cstep > 0 and cend >= cstart) or (cstep < 0 and cend <= cstart)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is dt.int64:
        sgn = (xstep > 0) - (xstep < 0)
        num = xend - xstart + xstep - sgn
        size = abs(num) // abs(xstep) * (1 if (num >= 0) == (xstep > 0) else -1)
    else:
        size = math.ceil((builtins.float(end) - builtins.float(start)) / builtins.float(step))
    if size < 0:
        raise RuntimeError("invalid size, possible overflow?")
    result = Tensor._empty((size,), dtype, device)
    result._storage.backend.arange(result, xstart, xstep, acc)
    return _write_out(result, out, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False) -> Tensor:
    """Deprecated in PyTorch: like arange but including end, and float by default."""
    import warnings
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    start = _number(start, "range", "start")
    end = _number(end, "range", "end")
    step = _number(step, "range", "step")
    dtype = dt.get_default_dtype() if dtype is None else dtype
    device = canonical(device)
    acc = _acc_type(dtype)
    xstart, xend, xstep = (_to_acc(v, acc) for v in (start, end, step))
    if not (xstep > 0 or xstep < 0):
        raise RuntimeError("step must be nonzero")
    if not ((xstep > 0 and xend >= xstart) or (xstep < 0 and xend <= xstart)):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    size = builtins.int(math.floor((builtins.float(xend) - xstart) / xstep)) + 1
    result = Tensor._empty((size,), dtype, device)
    result._storage.backend.arange(result, xstart, xstep, acc)
    return _write_out(result, out, requires_grad)


def _spaced(op: str, start, end, steps, base, log: bool, out, dtype, device,
            requires_grad: bool) -> Tensor:
    start = _number(start, op, "start")
    end = _number(end, op, "end")
    steps = _number(steps, op, "steps")
    if not isinstance(steps, numbers.Integral) or isinstance(steps, builtins.bool):
        raise TypeError(f"{op}(): argument 'steps' must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if dtype is None:
        dtype = out.dtype if out is not None else dt.get_default_dtype()
    device = canonical(device if device is not None else
                       (out.device if out is not None else None))
    result = Tensor._empty((steps,), dtype, device)
    # PyTorch first converts start and end to the output dtype.
    if dtype.is_floating_point:
        start, end = builtins.float(start), builtins.float(end)
        start, end = (builtins.float(dtype.np.type(v)) for v in (start, end))
    else:
        start, end = (builtins.int(v) for v in (start, end))
        start, end = (builtins.int(np.array(v).astype(dtype.np)) for v in (start, end))
    if log or not dtype.is_floating_point:
        acc = np.dtype(np.float64)  # logspace always, and linspace on integers: double
    else:
        acc = np.dtype(np.float32 if dtype.name == "float16" else dtype.np)
    if steps == 1:
        step = 0.0
    elif steps:
        a = acc.type
        if log and not dtype.is_floating_point:
            step = (builtins.float(end) - start) / (steps - 1)
        else:
            step = builtins.float((a(end) - a(start)) / a(steps - 1))
    if steps:
        # A single step is `start` (PyTorch fills it), so the first half must cover index 0.
        halfway = 1 if steps == 1 else steps // 2
        result._storage.backend.linspace(result, start, end, step, halfway, base, log, acc)
    return _write_out(result, out, requires_grad)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` values evenly spaced from start to end, both included."""
    return _spaced("linspace", start, end, steps, 1.0, False, out, dtype, device,
                   requires_grad)


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None,
             device=None, requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    return _spaced("logspace", start, end, steps, builtins.float(base), True, out, dtype,
                   device, requires_grad)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """A 2-D tensor with ones on the diagonal and zeros elsewhere."""
    m = n if m is None else m
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    if dtype is None:
        dtype = out.dtype if out is not None else dt.get_default_dtype()
    device = canonical(device if device is not None else
                       (out.device if out is not None else None))
    result = Tensor._empty((builtins.int(n), builtins.int(m)), dtype, device)
    result._storage.backend.eye(result)
    return _write_out(result, out, requires_grad)
