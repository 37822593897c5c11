"""What the reductions, scans and sorts share: dims, result tensors, accumulator dtypes, and
PyTorch's named-tuple return types (clgrad.return_types.max, ...)."""
from __future__ import annotations

import operator
from collections import namedtuple

from .. import _dtype as dt
from .._checks import not_tensor
from .._strides import contiguous_strides, normalize_dim
from .._tensor import Tensor
from .reduce_table import ReduceSpec


def _return_type(name: str, fields=("values", "indices")):
    """A namedtuple printed as PyTorch prints clgrad.return_types.<name>."""
    cls = namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"clgrad.return_types.{name}(\n{body})"
    cls.__repr__ = __repr__
    cls.__module__ = "clgrad.return_types"
    return cls


RETURN_TYPES = {name: _return_type(name) for name in (
    "max", "min", "cummax", "cummin", "sort", "topk", "kthvalue", "median", "nanmedian", "mode")}
RETURN_TYPES["aminmax"] = _return_type("aminmax", ("min", "max"))


def check_input(x, op: str) -> None:
    """PyTorch's TypeError when `x`, the op's first argument, is not a Tensor."""
    if not isinstance(x, Tensor):
        raise not_tensor(op, x)


def reduced_dims(x: Tensor, dim) -> tuple:
    """Sorted reduced dims; None or () mean every dim. A 0-d tensor reduces nothing."""
    nd = x.ndim
    if dim is None:
        return tuple(range(nd))
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return tuple(range(nd))
        raw = [operator.index(d) for d in dim]
    else:
        raw = [operator.index(dim)]
    seen = []
    for d in raw:
        d = normalize_dim(d, nd)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.append(d)
    return tuple(sorted(seen)) if nd else ()


def one_dim(x: Tensor, dim) -> int:
    """The one dim an op takes (a tuple is a TypeError), made non-negative."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"expected dim to be an int, got {type(dim).__name__}")
    return normalize_dim(operator.index(dim), x.ndim)


def _result_shapes(x: Tensor, dims: tuple, keepdim: bool):
    kshape = tuple(1 if d in dims else s for d, s in enumerate(x._shape))
    fshape = kshape if keepdim else tuple(s for d, s in enumerate(x._shape) if d not in dims)
    return kshape, fshape


def outputs(x: Tensor, dims: tuple, keepdim: bool, *dtypes):
    """Fresh result tensors and keepdim-shaped views of them for the backend."""
    kshape, fshape = _result_shapes(x, dims, keepdim)
    results, views = [], []
    for d in dtypes:
        out = Tensor._empty(fshape, d, x.device)
        results.append(out)
        views.append(out if keepdim else out._view(kshape, contiguous_strides(kshape), 0))
    return results, views


def acc_of(d: dt.dtype) -> dt.dtype:
    """The accumulator dtype of a reduction over `d`: float32, float64 or int64."""
    if d.is_floating_point:
        return dt.float64 if d is dt.float64 else dt.float32
    return dt.int64


def run_reduce(spec: ReduceSpec, x: Tensor, dims: tuple, keepdim: bool, out_dtype: dt.dtype,
               acc: dt.dtype, aux: Tensor | None = None, param: float = 0.0) -> Tensor:
    """A fresh result of `spec` over dims of x, accumulated in `acc`."""
    (out,), (view,) = outputs(x, dims, keepdim, out_dtype)
    x._storage.backend.reduce(spec, view, x, dims, acc, aux, param)
    return out


def reduced_count(x: Tensor, dims: tuple) -> int:
    """How many elements of x each result reduces."""
    n = 1
    for d in dims:
        n *= x._shape[d]
    return n


def require_nonempty(x: Tensor, dims: tuple, op: str, sep: str = "()") -> None:
    for d in dims:
        if x._shape[d] == 0:
            raise IndexError(f"{op}{sep}: Expected reduction dim {d} to have non-zero size.")


def sum_dtype(x: Tensor, dtype) -> dt.dtype:
    """The result dtype of sum, prod and the scans: dtype=, else ints and bool give int64."""
    if dtype is not None:
        return dtype
    return x.dtype if x.dtype.is_floating_point else dt.int64
