"""gather / scatter and their relatives (index_select, index_add, take, put, masked ops,
nonzero), all over the index_map kernel family of clgrad.ops.indexing.

Forward values are computed without recording; gradients follow PyTorch's
derivatives.yaml with its node names. Out-of-range indices raise as PyTorch raises (an
IndexOutOfRange, both IndexError and RuntimeError, where PyTorch raises RuntimeError);
negative indices are out of range for gather, scatter, index_select, index_add and index_copy
(as PyTorch), and count from the end for index_fill, take, put and take_along_dim.
Accumulating modes (scatter_add, index_add, put_ with accumulate, reduce=) walk repeated
indices in order on one work-item: deterministic, no float atomics.
"""
from __future__ import annotations

import numbers

from .. import _dtype as dt
from .._checks import check_tensor
from .._strides import normalize_dim
from .._tensor import Tensor, register
from ..autograd.grad_mode import no_grad
from ..autograd.graph import needs_grad, record
from ..autograd.inplace import check_inplace, record_inplace
from .indexing import (IndexOutOfRange, as_index, broadcast_strides, index_raw, put_raw,
                       run_index_map)
from .pointwise_spec import torch_type_name

__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce", "index_select", "index_add",
           "index_copy", "index_fill", "masked_fill", "masked_select", "masked_scatter",
           "nonzero", "argwhere", "take", "take_along_dim", "put"]


def _dim_error(op: str = ""):
    def error(value, k, size):
        return IndexOutOfRange(f"{op}index {value} is out of bounds for dimension {k} with "
                               f"size {size}")
    return error


def _at_dim(error, dim: int, cls=None):
    def raise_(value, k, size):
        exc = error(value, dim, size)
        return cls(str(exc)) if cls else exc
    return raise_


def _zeros(shape, like: Tensor) -> Tensor:
    from .creation import zeros
    return zeros(shape, dtype=like.dtype, device=like.device)


def _scalar_tensor(value, like: Tensor) -> Tensor:
    from .creation import full
    if isinstance(value, Tensor):
        return value.to(like.dtype).to(like.device)
    return full((), value, dtype=like.dtype, device=like.device)


def _write_op(self: Tensor, inplace: bool, write, name: str, inputs: tuple, rule) -> Tensor:
    """What every op here with an in-place twin (scatter_, index_add_, put_, ...) does
    around its kernel: write into self after the in-place checks, or into a clone of it;
    bump self's version; record `name` with `rule` when an input needs grad (as an in-place
    node on self, or a new node on the clone)."""
    if inplace:
        check_inplace(self)
        out = self
    else:
        with no_grad():
            out = self.clone()
    write(out)
    if inplace:
        self._version_bump()
    if needs_grad(*inputs):
        (record_inplace if inplace else record)(name, out, inputs, rule)
    return out


# -- gather / scatter ----------------------------------------------------------------------------
def _check_index(op: str, self: Tensor, dim: int, index: Tensor, src: Tensor | None = None,
                 gather: bool = False) -> None:
    if index.dtype is not dt.int64 and not (gather and index.dtype is dt.int32):
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")
    if index.numel() == 0:
        return
    if index.dim() != self.dim() and max(index.dim(), 1) != max(self.dim(), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as "
                           f"{'input' if gather else 'self'} tensor")
    ishape, sshape = index._shape or (1,), self._shape or (1,)
    for d, (i, s) in enumerate(zip(ishape, sshape)):
        if d != dim and i > s:
            if gather:
                raise RuntimeError(f"Size does not match at dimension {d} expected index "
                                   f"{list(index._shape)} to be no larger than self "
                                   f"{list(self._shape)} apart from dimension {dim}")
            break
        if src is not None and i > (src._shape or (1,))[d]:
            break
    else:
        return
    msg = (f"Expected index {list(index._shape)} to be no larger than self "
           f"{list(self._shape)} apart from dimension {dim}")
    if src is not None:
        msg += f" and to be no larger size than src {list(src._shape)}"
    raise RuntimeError(msg)


def _dim_map(mode: str, target: Tensor, dim: int, index: Tensor, other: Tensor) -> None:
    """target along dim at index (shaped like other): get into other, or write other."""
    shape = index._shape
    t = target if target.dim() else target._view((1,), (1,))
    idx = as_index(index, target.device)
    if not shape:
        shape = (1,)
        idx = idx._view(shape, (0,))
        other = other._view(shape, (0,) if other.dim() == 0 else other._stride)
    tstrides = tuple(0 if d == dim else st for d, st in enumerate(t._stride))
    run_index_map(mode, t, tstrides, [idx], [t._shape[dim]], [t._stride[dim]], other, shape,
                  (dim,) if mode not in ("get", "set") else (), _at_dim(_dim_error(), dim),
                  wrap=False)


@register()
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of input along dim at index: out[i][j] = input[index[i][j]][j] (dim 0)."""
    check_tensor("gather", input)
    dim = normalize_dim(dim, input.dim())
    _check_index("gather", input, dim, index, gather=True)
    out = Tensor._empty(index._shape, input.dtype, input.device)
    _dim_map("get", input, dim, index, out)
    if needs_grad(input):
        shape = input._shape
        record("GatherBackward0", out, (input,),
               lambda g: (_zeros(shape, g).scatter_add(dim, index, g),))
    return out


_REDUCE_MODES = {"add": "add", "multiply": "mul", "sum": "add", "prod": "mul", "amax": "max",
                 "amin": "min", "mean": "add"}


def _src_view(src: Tensor, index: Tensor) -> Tensor:
    """src's leading block of index's shape (scatter reads only that much of src)."""
    if src.dim() == 0:
        return src._view(index._shape, (0,) * index.dim())
    return src._view(index._shape, src._stride)


def _scatter_raw(out: Tensor, dim: int, index: Tensor, src, mode: str) -> None:
    if isinstance(src, Tensor):
        values = _src_view(src, index)
    else:
        values = _scalar_tensor(src, out)
        values = values._view(index._shape, (0,) * index.dim())
    _dim_map(mode, out, dim, index, values)


def _scatter_args(op: str, self: Tensor, dim: int, index: Tensor, src, value):
    if src is None:
        src = value
    if src is None:
        raise TypeError(f"{op}() missing required argument 'src' or 'value'")
    dim = normalize_dim(dim, self.dim())
    if isinstance(src, Tensor):
        if src.dtype is not self.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
        _check_index(op, self, dim, index, src)
    else:
        _check_index(op, self, dim, index)
    return dim, src


def _scatter(self: Tensor, dim, index, src, value, reduce, inplace: bool) -> Tensor:
    dim, src = _scatter_args("scatter", self, dim, index, src, value)
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    is_tensor = isinstance(src, Tensor)
    mode = "set" if reduce is None else _REDUCE_MODES[reduce]
    if reduce is not None:
        def rule(g, *_):
            raise NotImplementedError("the derivative for 'scatter' with reduce= is not "
                                      "implemented")
        name = "NotImplemented"
    elif is_tensor:
        def rule(g):
            return g.scatter(dim, index, 0), g.gather(dim, index)
        name = "ScatterBackward0"
    else:
        def rule(g):
            return (g.scatter(dim, index, 0),)
        name = "ScatterBackward1"
    return _write_op(self, inplace, lambda out: _scatter_raw(out, dim, index, src, mode), name,
                     (self, src) if is_tensor else (self,), rule)


@register()
def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *,
            reduce: str | None = None) -> Tensor:
    """A copy of input with src (a tensor or number) written along dim at index."""
    return _scatter(input, dim, index, src, value, reduce, False)


@register()
def scatter_(self: Tensor, dim: int, index: Tensor, src=None, value=None, *,
             reduce: str | None = None) -> Tensor:
    return _scatter(self, dim, index, src, value, reduce, True)


def _scatter_add(self: Tensor, dim, index, src, inplace: bool) -> Tensor:
    dim, src = _scatter_args("scatter_add", self, dim, index, src, None)
    return _write_op(self, inplace, lambda out: _scatter_raw(out, dim, index, src, "add"),
                     "ScatterAddBackward0", (self, src), lambda g: (g, g.gather(dim, index)))


@register()
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src added along dim at index (repeated indices add up)."""
    return _scatter_add(input, dim, index, src, False)


@register()
def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    return _scatter_add(self, dim, index, src, True)


def _identity(reduce: str, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.is_floating_point:
        return float("-inf") if reduce == "amax" else float("inf")
    if dtype is dt.bool:
        return reduce == "amin"
    info = dt.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _scatter_reduce_forward(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str,
                            include_self: bool, out: Tensor) -> None:
    from .creation import ones, zeros
    if not include_self:
        _scatter_raw(out, dim, index, _identity(reduce, self.dtype), "set")
    _scatter_raw(out, dim, index, src, _REDUCE_MODES[reduce])
    if reduce == "mean":
        count = (ones if include_self else zeros)(self._shape, dtype=self.dtype,
                                                  device=self.device)
        _scatter_raw(count, dim, index, 1, "add")
        count = count.clamp(min=1)
        if self.dtype.is_floating_point:
            out.copy_(out / count)
        else:
            out.copy_(out.div(count, rounding_mode="floor"))


def _scatter_reduce(self, dim, index, src, reduce, include_self, inplace) -> Tensor:
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    dim, src = _scatter_args("scatter_reduce", self, dim, index, src, None)
    track = needs_grad(self, src)
    # The backward needs self as it was before the write and the result as it is after it.
    before = self.detach().clone() if inplace and track else self.detach()
    saved = {}

    def write(out):
        with no_grad():
            _scatter_reduce_forward(self, dim, index, src, reduce, include_self, out)
        if track:
            saved["result"] = out.detach().clone()

    def rule(g):
        return _scatter_reduce_backward(g, before, dim, index, src.detach(), reduce,
                                        include_self, saved["result"])
    return _write_op(self, inplace, write, "ScatterReduceBackward0", (self, src), rule)


def _scatter_reduce_backward(g, x, dim, index, src, reduce, include_self, result):
    """PyTorch's scatter_reduce_backward for sum, mean, amax and amin."""
    if reduce == "sum":
        g_self = g if include_self else g.scatter(dim, index, 0)
        return g_self, g.gather(dim, index)
    if reduce == "mean":
        count = x.new_ones(x._shape) if include_self else x.new_zeros(x._shape)
        count = count.scatter_add(dim, index, src.new_ones(index._shape)).clamp(min=1)
        g_self = g / count if include_self else (g / count).scatter(dim, index, 0)
        return g_self, (g / count).gather(dim, index)
    if reduce in ("amax", "amin"):
        value = result.gather(dim, index)
        self_is = (x == result).to(g.dtype)
        if not include_self:
            self_is = self_is.scatter(dim, index, 0)
        src_is = (_src_view(src, index) == value).to(g.dtype)
        count = self_is.scatter_add(dim, index, src_is)
        share = g / count
        return self_is * share, src_is * share.gather(dim, index)
    raise NotImplementedError("clgrad: the derivative of scatter_reduce with reduce='prod' is "
                              "not implemented")


@register()
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """A copy of input with src reduced in along dim at index (sum, prod, mean, amax, amin)."""
    return _scatter_reduce(input, dim, index, src, reduce, include_self, False)


@register()
def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    return _scatter_reduce(self, dim, index, src, reduce, include_self, True)


# -- index_select / index_add / index_copy / index_fill ----------------------------------------
def _vector_index(op: str, index: Tensor) -> Tensor:
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32 or int64 for index")
    if index.dim() > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return index.reshape(-1) if index.dim() == 0 else index


def _along(t: Tensor, dim: int, index: Tensor) -> tuple:
    """(t viewed at least 1-D, index list placing index at dim)."""
    if t.dim() == 0:
        t = t._view((1,), (1,))
    return t, [None] * dim + [index]


def _index_out_of_range(value, k, size):
    return IndexError("index out of range in self")


def _out_of_data_bounds(value, k, size):
    # PyTorch's cpu index_select along dim 1 of a tensor of 2 or more dims (its fast path).
    return IndexOutOfRange(f"INDICES element is out of DATA bounds, id={value} axis_dim={size}")


@register()
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries of input along dim at index (a vector)."""
    dim = normalize_dim(dim, input.dim())
    index = _vector_index("index_select", index)
    t, indices = _along(input, dim, index)
    error = _out_of_data_bounds if dim == 1 and input.dim() > 1 else _index_out_of_range
    out = index_raw(t, indices, error, wrap=False)
    if input.dim() == 0:
        out = out.reshape(())
    if needs_grad(input):
        shape = input._shape
        record("IndexSelectBackward0", out, (input,),
               lambda g: (_zeros(shape, g).index_add(dim, index, g),))
    return out


def _index_write(op: str, self: Tensor, dim: int, index: Tensor, source: Tensor, mode: str,
                 error) -> None:
    """index_add_ / index_copy_'s write (negative indices are out of range, as PyTorch's)."""
    t, indices = _along(self, dim, index)
    expected = list(t._shape)
    expected[dim] = index.numel()
    src = source if source.dim() else source.reshape((1,) * len(expected))
    if list(src._shape) != expected and not (source.dim() == 0 and index.numel() == 1):
        if mode == "add":
            raise RuntimeError(f"index_add_(): Number of indices ({index.numel()}) should be "
                               f"equal to source.size(dim): ({source._shape[dim]}), for dim: "
                               f"{dim}" if source.dim() > dim and source.dim() == self.dim()
                               else "index_add_(): Source/destination tensor must have same "
                               "slice shapes.")
        raise IndexError(f"index_copy_(): Number of indices ({index.numel()}) should be equal "
                         f"to source.size(dim) ({source._shape[dim] if source.dim() > dim else 1})"
                         if source.dim() > dim else
                         "index_copy_(): Source/destination tensor must have same slice shapes.")
    put_raw(t, indices, src, mode, _at_dim(error, dim), wrap=False)


def _index_add(self, dim, index, source, alpha, inplace: bool) -> Tensor:
    dim = normalize_dim(dim, self.dim())
    index = _vector_index("index_add", index)
    if source.dtype is not self.dtype:
        raise RuntimeError(f"index_add_(): self ({torch_type_name(self.dtype)}) and source "
                           f"({torch_type_name(source.dtype)}) must have the same scalar type")
    with no_grad():
        scaled = source if alpha == 1 else source * alpha
    shape = source._shape

    def rule(g):
        picked = g.index_select(dim, index) if g.dim() else g.reshape(1)
        picked = picked.reshape(shape)
        return g, picked if alpha == 1 else picked * alpha
    return _write_op(self, inplace,
                     lambda out: _index_write("index_add", out, dim, index, scaled, "add",
                                              _dim_error()),
                     "IndexAddBackward0", (self, source), rule)


@register()
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,
              alpha: numbers.Number = 1) -> Tensor:
    """A copy of input with alpha * source added along dim at index (repeats add up)."""
    return _index_add(input, dim, index, source, alpha, False)


@register()
def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *,
               alpha: numbers.Number = 1) -> Tensor:
    return _index_add(self, dim, index, source, alpha, True)


def _index_copy(self, dim, index, source, inplace: bool) -> Tensor:
    dim = normalize_dim(dim, self.dim())
    index = _vector_index("index_copy", index)
    if source.dtype is not self.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {torch_type_name(self.dtype)} and (source) "
                           f"{torch_type_name(source.dtype)}")

    def error(v, k, n):
        return IndexError(f"index_copy_(): index {v} is out of bounds for dimension {k} with "
                          f"size {n}")
    shape = source._shape

    def rule(g):
        picked = g.index_select(dim, index) if g.dim() else g.reshape(1)
        return g.index_fill(dim, index, 0), picked.reshape(shape)
    return _write_op(self, inplace,
                     lambda out: _index_write("index_copy", out, dim, index, source.detach(),
                                              "set", error),
                     "IndexCopyBackward0", (self, source), rule)


@register()
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's slices copied along dim at index."""
    return _index_copy(input, dim, index, source, False)


@register()
def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    return _index_copy(self, dim, index, source, True)


def _index_fill(self, dim, index, value, inplace: bool) -> Tensor:
    dim = normalize_dim(dim, self.dim())
    index = _vector_index("index_fill", index)
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    tensor_value = isinstance(value, Tensor)

    def write(out):
        t, indices = _along(out, dim, index)
        fill = _scalar_tensor(value.detach() if tensor_value else value, out)
        put_raw(t, indices, fill, "set", _at_dim(lambda v, k, n: IndexError(
            f"index {v} is out of bounds for dimension {k} with size {n}"), dim))

    if tensor_value:
        def rule(g):
            return g.index_fill(dim, index, 0), g.index_select(dim, index).sum()
    else:
        def rule(g):
            return (g.index_fill(dim, index, 0),)
    return _write_op(self, inplace, write,
                     "IndexFillBackward1" if tensor_value else "IndexFillBackward0",
                     (self, value) if tensor_value else (self,), rule)


@register()
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """A copy of input with value written along dim at index."""
    return _index_fill(input, dim, index, value, False)


@register()
def index_fill_(self: Tensor, dim: int, index: Tensor, value) -> Tensor:
    return _index_fill(self, dim, index, value, True)


# -- masked ops ------------------------------------------------------------------------------
def _check_mask(op: str, mask: Tensor) -> None:
    if mask.dtype is not dt.bool:
        raise RuntimeError(f"{op} only supports boolean masks, but got mask with dtype "
                           f"{torch_type_name(mask.dtype)}")


def _masked_fill(self: Tensor, mask: Tensor, value, inplace: bool) -> Tensor:
    from .pointwise import where
    _check_mask("masked_fill_", mask)
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.dim()} dimension(s).")
    tensor_value = isinstance(value, Tensor)
    with no_grad():
        fill = _scalar_tensor(value.detach() if tensor_value else value, self)
        filled = where(mask.to(self.device), fill, self)
    inputs = (self, value) if tensor_value else (self,)
    name = "MaskedFillBackward1" if tensor_value else "MaskedFillBackward0"
    if inplace:
        if filled._shape != self._shape:
            raise RuntimeError(f"masked_fill_: mask of shape {list(mask._shape)} cannot be "
                               f"broadcast to self of shape {list(self._shape)}")
        check_inplace(self)
        with no_grad():
            self.copy_(filled)
        out = self
    else:
        out = filled
    if needs_grad(*inputs):
        def rule(g):
            zero = g.masked_fill(mask, 0)
            if tensor_value:
                from .pointwise import where
                return zero, where(mask.to(g.device), g, 0).sum()
            return (zero,)
        (record_inplace if inplace else record)(name, out, inputs, rule)
    return out


@register()
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """A copy of input with value (a number or 0-dim tensor) where mask is True."""
    return _masked_fill(input, mask, value, False)


@register()
def masked_fill_(self: Tensor, mask: Tensor, value) -> Tensor:
    return _masked_fill(self, mask, value, True)


def _broadcast_pair(a: Tensor, b: Tensor) -> tuple:
    from .._strides import broadcast_shapes
    shape = broadcast_shapes(a._shape, b._shape)
    return (a._view(shape, broadcast_strides(a, shape)),
            b._view(shape, broadcast_strides(b, shape)), shape)


@register()
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """A 1-D tensor of input's elements where mask (broadcast with input) is True."""
    _check_mask("masked_select:", mask)
    x, m, shape = _broadcast_pair(input, mask.to(input.device))
    if not shape:
        x, m = x._view((1,), (0,)), m._view((1,), (0,))
    coords = m._storage.backend.nonzero(m)
    out = index_raw(x, [coords[:, j] for j in range(m.dim())])
    if needs_grad(input):
        def rule(g):
            return (_zeros(shape, g).masked_scatter(mask, g),)
        record("MaskedSelectBackward0", out, (input,), rule)
    return out


def _masked_scatter(self: Tensor, mask: Tensor, source: Tensor, inplace: bool) -> Tensor:
    from .pointwise import where
    _check_mask("masked_scatter_", mask)
    if source.dtype is not self.dtype:
        raise RuntimeError("masked_scatter_: expected self and source to have same dtypes but "
                           f"got {torch_type_name(self.dtype)} and "
                           f"{torch_type_name(source.dtype)}")
    with no_grad():
        x, m, shape = _broadcast_pair(self, mask.to(self.device))
        if inplace and shape != self._shape:
            raise RuntimeError(f"masked_scatter_: mask of shape {list(mask._shape)} cannot be "
                               f"broadcast to self of shape {list(self._shape)}")
        flat_mask = m.reshape(-1)
        pos = flat_mask.cumsum(0) - 1 if flat_mask.numel() else flat_mask.long()
        pos = where(flat_mask, pos, 0)
        src = source.detach().contiguous().reshape(-1)

        def error(value, k, size):
            return IndexOutOfRange("Number of elements of source < number of ones in mask")
        if src.numel() == 0:
            src = _zeros((1,), src)
            picked = index_raw(src, [pos], error) if not flat_mask.any().item() else None
            if picked is None:
                raise error(0, 0, 0)
        else:
            picked = index_raw(src, [pos], error)
        result = where(m, picked.reshape(shape), x)
        if inplace:
            check_inplace(self)
            self.copy_(result)
            result = self
    if needs_grad(self, source):
        count = source.numel()
        sshape = source._shape

        def rule(g):
            from .join import cat
            picked = g.masked_select(mask)
            pad = count - picked.numel()
            if pad > 0:
                picked = cat([picked, _zeros((pad,), g)])
            return g.masked_fill(mask, 0), picked[:count].reshape(sshape)
        (record_inplace if inplace else record)("MaskedScatterBackward0", result,
                                                (self, source), rule)
    return result


@register()
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of input with source's leading elements, in order, where mask is True."""
    return _masked_scatter(input, mask, source, False)


@register()
def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    return _masked_scatter(self, mask, source, True)


# -- nonzero ---------------------------------------------------------------------------------
@register()
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """The indices of input's nonzero elements: (count, ndim) int64, or one tensor per dim."""
    x = input.detach()
    if as_tuple:
        if x.dim() == 0:
            x = x.reshape(1)
        coords = x._storage.backend.nonzero(x)
        return tuple(coords[:, j].contiguous() for j in range(x.dim()))
    return x._storage.backend.nonzero(x)


@register()
def argwhere(input: Tensor) -> Tensor:
    """nonzero(input) as a (count, ndim) tensor."""
    return nonzero(input)


# -- take / put --------------------------------------------------------------------------------
def _flat_error(numel: int):
    def error(value, k, size):
        return IndexError(f"out of range: tried to access index {value} on a tensor of {numel} "
                          "elements.")
    return error


@register()
def take(input: Tensor, index: Tensor) -> Tensor:
    """input treated as 1-D, at index; shaped like index."""
    if index.dtype is not dt.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{torch_type_name(index.dtype)}")
    with no_grad():
        flat = input.detach().contiguous().reshape(-1)
    n = flat.numel()
    out = index_raw(flat, [index], _flat_error(n))
    if needs_grad(input):
        shape = input._shape
        record("TakeBackward0", out, (input,),
               lambda g: (_zeros(shape, g).put_(index, g, accumulate=True),))
    return out


def _put(self: Tensor, index: Tensor, source: Tensor, accumulate: bool, inplace: bool):
    if index.dtype is not dt.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{torch_type_name(index.dtype)}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {torch_type_name(self.dtype)} and source.dtype = "
                           f"{torch_type_name(source.dtype)}")
    if source.numel() != index.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")

    def write(out):
        with no_grad():
            work = out if out.is_contiguous() else out.contiguous()
            flat = work._view((work.numel(),), (1,))
            put_raw(flat, [index.reshape(-1)], source.detach().reshape(-1),
                    "add" if accumulate else "set", _flat_error(flat.numel()))
            if work is not out:
                out.copy_(work)

    def rule(g):
        g_self = g if accumulate else g.put(index, g.new_zeros(source._shape))
        return g_self, g.take(index).reshape(source._shape)
    return _write_op(self, inplace, write, "PutBackward0", (self, source), rule)


@register()
def put_(self: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """self treated as 1-D: self[index] = source (or += with accumulate)."""
    return _put(self, index, source, accumulate, True)


@register()
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    return _put(input, index, source, accumulate, False)


def _wrapped(indices: Tensor, size: int) -> Tensor:
    """Negative indices counted from the end of a dim of `size` (take_along_dim takes them,
    gather does not: PyTorch's take_along_dim wraps them before its gather)."""
    from .pointwise import where
    return where(indices < 0, indices + size, indices)


@register()
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of input at indices along dim (broadcasting the other dims), or of the
    flattened input at the flattened indices when dim is None."""
    if indices.dtype is not dt.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{torch_type_name(indices.dtype)}")
    if dim is None:
        flat = input.reshape(-1)
        return gather(flat, 0, _wrapped(indices.reshape(-1), flat._shape[0]))
    dim = normalize_dim(dim, input.dim())
    if input.dim() != indices.dim():
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.dim()} dimensions for input, "
                           f"and {indices.dim()} dimensions for indices")
    from .._strides import broadcast_shapes
    ishape, xshape = list(indices._shape), list(input._shape)
    ishape[dim] = xshape[dim] = 1
    shape = list(broadcast_shapes(tuple(ishape), tuple(xshape)))
    xs, js = list(shape), list(shape)
    xs[dim], js[dim] = input._shape[dim], indices._shape[dim]
    x = input if tuple(xs) == input._shape else input.expand(xs)
    j = indices if tuple(js) == indices._shape else indices.expand(js)
    return gather(x, dim, _wrapped(j, input._shape[dim]))
