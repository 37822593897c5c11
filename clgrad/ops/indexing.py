"""Indexing with [] : basic keys (ints, slices, None, Ellipsis) give views; advanced keys
(integer or bool tensors, lists, Python bools) copy, through the index_map kernel family.

Under grad mode a basic key is applied as PyTorch applies it, one recorded view op per item
(SelectBackward0, SliceBackward0, UnsqueezeBackward0, or AliasBackward0 when the key selects
everything), and assignment writes in place through that view (CopySlices on the base). An
advanced key is split the same way: its basic items (and a full slice in place of each
tensor) make a view, then `index` / `index_put_` (aten's primitives, IndexBackward0 /
IndexPutBackward0) apply the index tensors to that view's dims.

Bounds: kernels skip out-of-range points. cpu raises IndexError with PyTorch's message at
the op; cl reports the bad index on its device-side error word and raises the same error at
the next synchronisation (a read, .item(), synchronize), as CUDA's device-side asserts: no
op waits for the device. Ops whose PyTorch form raises RuntimeError (gather, scatter,
index_add) raise IndexOutOfRange, both at once.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._tensor import Tensor, register
from ..autograd.graph import needs_grad, record
from .shape import record_view, select, strided_slice, unsqueeze

__all__ = ["index_put"]


def _is_int(item) -> bool:
    return isinstance(item, numbers.Integral) and not isinstance(item, bool)


def _is_basic(item) -> bool:
    return item is None or item is Ellipsis or isinstance(item, slice) or _is_int(item)


def _check_item(item) -> None:
    if isinstance(item, (float, np.floating, np.bool_)):
        # PyTorch refuses numpy bool scalars too (only Python's bool is a mask scalar).
        kind = type(item)
        name = kind.__name__ if kind is float else f"{kind.__module__}.{kind.__name__}"
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         f"Variables are valid indices (got {name})")
    if isinstance(item, slice):
        for part in (item.start, item.stop, item.step):
            if part is not None and not _is_int(part) and not isinstance(part, Tensor):
                raise TypeError("slice indices must be integers or None or have an __index__ "
                                "method")


def _split_key(key):
    """The key as a tuple of items, or None when it needs advanced indexing."""
    items = key if isinstance(key, tuple) else (key,)
    for item in items:
        _check_item(item)
    if all(_is_basic(item) for item in items):
        return items
    return None


def _slice_bounds(s: slice, size: int) -> tuple:
    step = 1 if s.step is None else int(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    start = 0 if s.start is None else int(s.start)
    stop = size if s.stop is None else int(s.stop)
    if start < 0:
        start = max(start + size, 0)
    if stop < 0:
        stop = max(stop + size, 0)
    start = min(start, size)
    stop = min(max(stop, start), size)
    return start, (stop - start + step - 1) // step, step


def basic_view(t: Tensor, items: tuple) -> Tensor:
    """The view t[items] for a tuple of ints, slices, None and Ellipsis."""
    ndim = t.dim()
    consumed = sum(1 for item in items if item is not None and item is not Ellipsis)
    if consumed > ndim:
        if ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                             "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    shape, stride = [], []
    offset = t._offset
    d = 0
    seen_ellipsis = False
    for item in items:
        if item is None:
            shape.append(1)
            stride.append(t._shape[d] * t._stride[d] if d < ndim else 1)
        elif item is Ellipsis:
            count = 0 if seen_ellipsis else ndim - consumed
            seen_ellipsis = True
            shape.extend(t._shape[d:d + count])
            stride.extend(t._stride[d:d + count])
            d += count
        elif isinstance(item, slice):
            start, length, step = _slice_bounds(item, t._shape[d])
            offset += start * t._stride[d]
            shape.append(length)
            stride.append(t._stride[d] * step)
            d += 1
        else:
            size = t._shape[d]
            index = int(item)
            if not -size <= index < size:
                raise IndexError(f"index {index} is out of bounds for dimension {d} with size "
                                 f"{size}")
            offset += (index % size) * t._stride[d]
            d += 1
    shape.extend(t._shape[d:])
    stride.extend(t._stride[d:])
    return t._view(tuple(shape), tuple(stride), offset)


def _alias(t: Tensor) -> Tensor:
    out = t._view(t._shape, t._stride)
    if needs_grad(t):
        record_view("AliasBackward0", out, t, lambda grad: (grad,))
    return out


def _apply_items(t: Tensor, items: tuple, single: bool):
    """t[items] as a chain of recorded view ops; with single=False (a tuple key) full slices
    are skipped and the result is None when no item changed anything (PyTorch's rules)."""
    ndim = t.dim()
    consumed = sum(1 for item in items if item is not None and item is not Ellipsis)
    result, d = t, 0
    for item in items:
        if item is None:
            result = unsqueeze(result, d)
            d += 1
        elif item is Ellipsis:
            d += ndim - consumed
        elif isinstance(item, slice):
            size = result._shape[d]
            start, length, step = _slice_bounds(item, size)
            if single or not (start == 0 and length == size and step == 1):
                result = strided_slice(result, d, start, length, step)
            d += 1
        else:
            result = select(result, d, int(item))
    return None if result is t else result


def tracked_view(t: Tensor, key, items: tuple) -> Tensor:
    """t[key] recorded as PyTorch records it (t requires grad, grad mode on)."""
    basic_view(t, items)  # validates the key with the usual errors
    result = _apply_items(t, items, not isinstance(key, tuple))
    return _alias(t) if result is None else result


class IndexOutOfRange(IndexError, RuntimeError):
    """An out-of-range index where PyTorch raises RuntimeError (gather, scatter, index_add):
    `except IndexError` and `except RuntimeError` both catch it."""


def _bounds_error(value: int, k: int, size: int) -> Exception:
    return IndexError(f"index {value} is out of bounds for dimension {k} with size {size}")


def _first_bad(idx: Tensor, size: int, wrap: bool = True):
    """The first value of idx (row-major) outside [-size, size) (wrap) or [0, size), or None
    (error path only)."""
    import numpy as np
    values = np.asarray(idx.detach()._host()).reshape(-1)
    bad = (values < (-size if wrap else 0)) | (values >= size)
    return int(values[bad.argmax()]) if bad.any() else None


def run_index_map(mode: str, target: Tensor, tstrides, indices: list, sizes: list,
                  astrides: list, other: Tensor, shape: tuple, serial: tuple = (),
                  error=_bounds_error, wrap: bool = True) -> None:
    """The backend's index_map over `shape` (see kernels/index.cl.mako); indices (int64, on
    target's device) and other (target's dtype) are views of `shape`. The `serial` dims (where
    repeated indices meet) are walked in order by one work-item. Raises error(value, k, size)
    for the first out-of-range value of the first bad index tensor k (a backend that checks
    on the device raises it at its next synchronisation instead). wrap: negative indices
    count from the end of their dim (x[-1]); else they are out of range (gather, index_select,
    where PyTorch refuses them)."""
    if serial:
        order = [d for d in range(len(shape)) if d not in serial] + list(serial)
        shape = tuple(shape[d] for d in order)
        tstrides = tuple(tstrides[d] for d in order)
        indices = [i._view(shape, tuple(i._stride[d] for d in order)) for i in indices]
        other = other._view(shape, tuple(other._stride[d] for d in order))
    ok = target._storage.backend.index_map(mode, target, tuple(tstrides), indices, list(sizes),
                                           list(astrides), other, shape, len(serial), wrap,
                                           error)
    if not ok:
        for k, (idx, size) in enumerate(zip(indices, sizes)):
            value = _first_bad(idx, size, wrap)
            if value is not None:
                raise error(value, k, size)


def broadcast_strides(t: Tensor, shape: tuple) -> tuple:
    """t's strides as a view broadcast to `shape` (0 on new and expanded dims)."""
    lead = len(shape) - t.dim()
    return (0,) * lead + tuple(0 if n == 1 and shape[lead + d] != 1 else st
                               for d, (n, st) in enumerate(zip(t._shape, t._stride)))


def as_index(t: Tensor, device) -> Tensor:
    """An index tensor as int64 on `device` (int32 and cross-device indices are converted)."""
    from .. import _dtype as dt
    if t.dtype is not dt.int64:
        t = t.to(dt.int64)
    return t.to(device) if t.device != device else t


def _index_geometry(v: Tensor, indices: list):
    """Iteration shape, v's strides over it, the broadcast index views, their dims' sizes and
    strides, and the iteration dims that hold the broadcast index shape (PyTorch's rule:
    adjacent indexed dims stay in place, separated ones go first)."""
    from .._strides import broadcast_shapes
    dims = [d for d, i in enumerate(indices) if i is not None]
    tensors = [as_index(indices[d], v.device) for d in dims]
    try:
        bshape = broadcast_shapes(*[i._shape for i in tensors])
    except RuntimeError:
        shapes = ", ".join(str(list(i._shape)) for i in tensors)
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         f"with shapes {shapes}") from None
    rest = [d for d in range(v.dim()) if d not in dims]
    if dims == list(range(dims[0], dims[-1] + 1)):
        pre = [d for d in rest if d < dims[0]]
        post = [d for d in rest if d > dims[-1]]
    else:
        pre, post = [], rest
    shape = (tuple(v._shape[d] for d in pre) + tuple(bshape)
             + tuple(v._shape[d] for d in post))
    nb, lp = len(bshape), len(pre)
    tstrides = ([v._stride[d] for d in pre] + [0] * nb + [v._stride[d] for d in post])
    views = [i._view(shape, (0,) * lp + broadcast_strides(i, bshape) + (0,) * len(post))
             for i in tensors]
    return (shape, tstrides, views, [v._shape[d] for d in dims], [v._stride[d] for d in dims],
            tuple(range(lp, lp + nb)))


def index_raw(v: Tensor, indices: list, error=_bounds_error, wrap: bool = True) -> Tensor:
    """aten::index without recording: v at the index tensors given per leading dim."""
    shape, tstrides, views, sizes, astrides, _ = _index_geometry(v, indices)
    out = Tensor._empty(shape, v.dtype, v.device)
    run_index_map("get", v, tstrides, views, sizes, astrides, out, shape, error=error,
                  wrap=wrap)
    return out


def index(v: Tensor, indices: list) -> Tensor:
    """aten::index: v at the index tensors given per leading dim (None: the whole dim)."""
    out = index_raw(v, indices)
    if needs_grad(v):
        vshape = v._shape

        def rule(g):
            from .creation import zeros
            base = zeros(vshape, dtype=g.dtype, device=g.device)
            return (index_put_impl(base, indices, g, True),)
        record("IndexBackward0", out, (v,), rule)
    return out


def _sum_to(g: Tensor, shape: tuple) -> Tensor:
    lead = g.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape)
                                      if n == 1 and g._shape[lead + d] != 1)
    return g.sum(dims, keepdim=True).reshape(shape) if dims else g.reshape(shape)


def put_raw(target: Tensor, indices: list, values: Tensor, mode: str,
            error=_bounds_error, wrap: bool = True) -> Tensor:
    """Write values (broadcast to the indexing result) at the index tensors of target
    without recording; returns values with surplus leading size-1 dims dropped."""
    from .._strides import broadcast_shapes
    shape, tstrides, views, sizes, astrides, serial = _index_geometry(target, indices)
    vals = values
    while vals.dim() > len(shape) and vals._shape[0] == 1:
        vals = vals._view(vals._shape[1:], vals._stride[1:])
    try:
        if vals.dim() > len(shape) or broadcast_shapes(vals._shape, shape) != shape:
            raise RuntimeError
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values._shape)} cannot "
                           f"be broadcast to indexing result of shape {list(shape)}") from None
    if values.device != target.device:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                           f"two devices, {target.device} and {values.device}!")
    other = vals._view(shape, broadcast_strides(vals, shape))
    run_index_map(mode, target, tstrides, views, sizes, astrides, other, shape,
                  serial if mode != "set" else (), error, wrap)
    return vals


def index_put_impl(target: Tensor, indices: list, values: Tensor, accumulate: bool) -> Tensor:
    """aten::index_put_: target at the index tensors = (or += with accumulate) values,
    broadcast to the indexing result's shape. Repeated indices accumulate in order."""
    from ..autograd.inplace import check_inplace, record_inplace
    check_inplace(target)
    vals = put_raw(target, indices, values, "add" if accumulate else "set")
    target._version_bump()
    if needs_grad(target, values):
        vshape, stripped = values._shape, vals._shape

        def rule(g):
            if accumulate:
                g_self = g
            else:
                g_self = index_put_impl(g.clone(), indices, g.new_zeros(()), False)
            g_vals = None
            if values._requires_grad:
                g_vals = _sum_to(index(g, indices), stripped).reshape(vshape)
            return g_self, g_vals
        record_inplace("IndexPutBackward0", target, (target, values), rule)
    return target


# -- keys --------------------------------------------------------------------------------------
_INDEX_DTYPE_ERROR = "tensors used as indices must be long, int, byte or bool tensors"


def _as_key_tuple(key) -> tuple:
    if isinstance(key, tuple):
        return key
    # PyTorch's (numpy's legacy) rule: a short list holding sequences, slices, None, Ellipsis
    # or tensors is a tuple of indices; any other list is one index tensor.
    if isinstance(key, list) and len(key) < 32 and any(
            isinstance(i, (list, tuple, range, slice, Tensor, np.ndarray)) or i is None
            or i is Ellipsis for i in key):
        return tuple(key)
    return (key,)


_NUMPY_INDEX_TYPES = ("float64, float32, float16, complex64, complex128, int64, int32, int16, "
                      "int8, uint64, uint32, uint16, uint8, and bool")
_INT64_RANGE = (-2.0 ** 63, 2.0 ** 63)  # as doubles: PyTorch's checked conversion


def _index_from_data(data, device) -> Tensor:
    """A list, tuple or numpy array index as PyTorch's indexing_tensor_from_data makes it: bool
    and uint8 data stay (masks), anything else becomes int64, floats truncated."""
    from .. import _dtype as dt
    from .creation import tensor
    if isinstance(data, np.ndarray):
        kind = data.dtype.kind
        if kind == "b" or data.dtype == np.uint8:
            return tensor(data, device=device)
        if kind == "c":
            warnings.warn("Casting complex values to real discards the imaginary part",
                          UserWarning, stacklevel=6)
            data, kind = data.real, "f"
        if kind not in "iuf":
            raise TypeError(f"can't convert np.ndarray of type numpy.{data.dtype.type.__name__}"
                            f". The only supported types are: {_NUMPY_INDEX_TYPES}.")
        with np.errstate(invalid="ignore"):  # numpy's cast, as PyTorch's: NaN -> INT64_MIN
            return tensor(data.astype(np.int64), device=device)
    if not data:
        return tensor([], dtype=dt.int64, device=device)
    try:
        host = tensor(data)
    except TypeError:
        _refuse_non_integers(data)
        raise
    if host.dtype in (dt.bool, dt.uint8):
        return host.to(device)
    if host.dtype.is_floating_point:
        _refuse_non_integers(data)
        values = host.numpy()
        if not (np.isfinite(values).all() and (values >= _INT64_RANGE[0]).all()
                and (values <= _INT64_RANGE[1]).all()):
            raise RuntimeError("value cannot be converted to type int64 without overflow")
        with np.errstate(invalid="ignore"):  # 2**63 passes PyTorch's check and wraps
            return tensor(values.astype(np.int64), device=device)
    return host.to(device=device, dtype=dt.int64)


def _refuse_non_integers(data) -> None:
    """PyTorch reads each element of a float-valued index list as a Python float or through
    __index__: numpy's own float scalars and complex numbers have neither."""
    for item in data:
        if isinstance(item, (list, tuple)):
            _refuse_non_integers(item)
        elif isinstance(item, (complex, np.floating, np.complexfloating)) and \
                not isinstance(item, float):
            name = type(item).__name__ if type(item).__module__ == "builtins" else \
                f"numpy.{type(item).__name__}"
            raise TypeError(f"'{name}' object cannot be interpreted as an integer")


def _classify(item, device):
    """("basic", item) | ("index", int64 tensor) | ("mask", bool tensor)."""
    from .. import _dtype as dt
    from .creation import tensor
    if isinstance(item, bool):
        return ("mask", tensor(item, device=device))
    if isinstance(item, range):
        item = list(item)
    if isinstance(item, (list, tuple, np.ndarray)):
        item = _index_from_data(item, device)  # then classified as the tensor it becomes
    if isinstance(item, Tensor):
        if item.dtype is dt.uint8:
            warnings.warn("indexing with dtype clgrad.uint8 is now deprecated, please use a "
                          "dtype clgrad.bool instead.", UserWarning, stacklevel=5)
            return ("mask", item.to(dt.bool))
        if item.dtype is dt.bool:
            return ("mask", item)
        if item.dtype not in (dt.int64, dt.int32):
            raise IndexError(_INDEX_DTYPE_ERROR)
        if item.dim() == 0:
            return ("basic", int(item.item()))
        return ("index", item)
    return ("basic", item)


def _parse(t: Tensor, key):
    """The basic items of the view the index tensors apply to, and per view dim the mask or
    index tensor (or None)."""
    raw = _as_key_tuple(key)
    for item in raw:
        _check_item(item)
    parts = [_classify(item, t.device) for item in raw]
    ndim = t.dim()
    consumed = 0
    for kind, item in parts:
        if kind == "mask":
            consumed += item.dim()
        elif kind == "index" or (item is not None and item is not Ellipsis):
            consumed += 1
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv, vd, seen_ellipsis = [], [], 0, False
    for kind, item in parts:
        if kind == "basic":
            basic.append(item)
            if item is None or isinstance(item, slice):
                vd += 1
            elif item is Ellipsis:
                vd += 0 if seen_ellipsis else ndim - consumed
                seen_ellipsis = True
        elif kind == "index":
            basic.append(slice(None))
            adv.append((vd, item))
            vd += 1
        elif item.dim() == 0:
            basic.append(None)  # a bool scalar adds a dim of size 1, kept or emptied
            adv.append((vd, item))
            vd += 1
        else:
            basic.extend([slice(None)] * item.dim())
            adv.append((vd, item))
            vd += item.dim()
    return tuple(basic), adv


def _view_for(t: Tensor, items: tuple, grad: bool) -> Tensor:
    view = basic_view(t, items)
    if grad:
        view = _apply_items(t, items, False)
        return t if view is None else view
    return view


def _indices_for(view: Tensor, adv: list) -> list:
    """Per dim of view: None or an int64 index tensor (masks become nonzero columns)."""
    from .. import _dtype as dt
    indices: list = []
    for vd, item in adv:
        indices.extend([None] * (vd - len(indices)))
        if item.dtype is not dt.bool:
            indices.append(item)
            continue
        if item.dim() == 0:
            from .creation import zeros
            n = 1 if bool(item.item()) else 0
            indices.append(zeros(n, dtype=dt.int64, device=view.device))
            continue
        for j, n in enumerate(item._shape):
            if view._shape[vd + j] != n:
                raise IndexError(f"The shape of the mask {list(item._shape)} at index {j} does "
                                 "not match the shape of the indexed tensor "
                                 f"{list(view._shape)} at index {vd + j}")
        coords = item._storage.backend.nonzero(item)
        indices.extend(coords[:, j] for j in range(item.dim()))
    return indices


def advanced_getitem(t: Tensor, key) -> Tensor:
    """t[key] for keys with integer/bool tensors, lists or bools: a new tensor."""
    items, adv = _parse(t, key)
    view = _view_for(t, items, needs_grad(t))
    if not adv:
        return view if view is not t else basic_view(t, items)
    return index(view, _indices_for(view, adv))


def _value_tensor(target: Tensor, value) -> Tensor:
    from .creation import full
    if isinstance(value, Tensor):
        if value.dtype is not target.dtype:
            value = value.to(target.dtype)
        return value.to(target.device) if value.device != target.device else value
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return full((), value, dtype=target.dtype, device=target.device)
    raise TypeError(f"can't assign a {type(value).__name__} to a {target.type()}")


def advanced_setitem(t: Tensor, key, value) -> None:
    """t[key] = value for advanced keys (index_put_ semantics, accumulate=False)."""
    items, adv = _parse(t, key)
    view = _view_for(t, items, needs_grad(t, value))
    if not adv:
        assign(view, value)
        return
    index_put_impl(view, _indices_for(view, adv), _value_tensor(view, value), False)


def _put_indices(self: Tensor, indices) -> list:
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put_(): argument 'indices' must be tuple of Tensors")
    if len(indices) > self.dim():
        raise IndexError(f"too many indices for tensor of dimension {self.dim()} (got "
                         f"{len(indices)})")
    adv = []
    vd = 0
    for item in indices:
        if item is None:
            vd += 1
            continue
        if isinstance(item, Tensor) and item.dim() == 0 and not item.dtype.is_floating_point \
                and item.dtype.name not in ("bool", "uint8"):
            kind, t = "index", item  # a 0-dim index broadcasts
        else:
            kind, t = _classify(item, self.device)
        adv.append((vd, t))
        vd += t.dim() if kind == "mask" else 1
    return _indices_for(self, adv)


@register()
def index_put_(self: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """self[indices] = values (or += with accumulate, repeated indices adding up)."""
    if values.dtype is not self.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{_type_name(self.dtype)} for the destination and "
                           f"{_type_name(values.dtype)} for the source.")
    return index_put_impl(self, _put_indices(self, indices), values, accumulate)


@register("index_put")
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """Out-of-place index_put_."""
    return input.clone().index_put_(indices, values, accumulate)


def _type_name(dtype) -> str:
    from .pointwise_spec import torch_type_name
    return torch_type_name(dtype)


@register()
def __getitem__(self: Tensor, key) -> Tensor:
    items = _split_key(key)
    if items is None:
        return advanced_getitem(self, key)
    if needs_grad(self):
        return tracked_view(self, key, items)
    return basic_view(self, items)


@register()
def __setitem__(self: Tensor, key, value) -> None:
    items = _split_key(key)
    if items is None:
        advanced_setitem(self, key, value)
        return
    if needs_grad(self, value):
        # As PyTorch: a key that selects everything writes into self itself, not a view.
        basic_view(self, items)
        target = _apply_items(self, items, not isinstance(key, tuple))
        assign(self if target is None else target, value)
        return
    assign(basic_view(self, items), value)


def assign(target: Tensor, value) -> None:
    """target[...] = value: a number fills, a tensor is broadcast, cast and copied in."""
    if isinstance(value, Tensor):
        if value._shape != target._shape:
            if value.dim() == 0 and value.is_cpu:
                target.fill_(value)
                return
            # PyTorch drops the value's leading size-1 dims, then broadcasts it.
            lead = 0
            while lead < value.dim() and value._shape[lead] == 1:
                lead += 1
            value = value.view(value._shape[lead:])
            if value._shape != target._shape:
                value = value.expand(target._shape)
        target.copy_(value)
    elif isinstance(value, numbers.Number) and not isinstance(value, complex):
        from .creation import fill_number
        # PyTorch fills with the number as a 0-dim tensor: FillBackward3, empty value edge.
        fill_number(target, value.item() if hasattr(value, "item") else value,
                    "FillBackward3", (value,))
    else:
        raise TypeError(f"can't assign a {type(value).__name__} to a {target.type()}")
