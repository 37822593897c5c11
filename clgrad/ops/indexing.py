"""Indexing with [] : basic keys (ints, slices, None, Ellipsis) give views.

Keys holding anything else (integer or bool tensors, lists, Python bools) are advanced
indexing, routed to `advanced_getitem` / `advanced_setitem`. Under grad mode a basic key is
applied as PyTorch applies it, one recorded view op per item (SelectBackward0,
SliceBackward0, UnsqueezeBackward0, or AliasBackward0 when the key selects everything), and
assignment writes in place through that view (CopySlices on the base).
"""
from __future__ import annotations

import numbers

from .._tensor import Tensor, register
from ..autograd.graph import needs_grad
from .shape import record_view, select, strided_slice, unsqueeze

__all__: list = []


def _is_int(item) -> bool:
    return isinstance(item, numbers.Integral) and not isinstance(item, bool)


def _is_basic(item) -> bool:
    return item is None or item is Ellipsis or isinstance(item, slice) or _is_int(item)


def _check_item(item) -> None:
    if isinstance(item, float):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                         "Variables are valid indices (got float)")
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


def advanced_getitem(t: Tensor, key) -> Tensor:
    """t[key] for keys with integer/bool tensors, lists or bools (not supported yet)."""
    raise IndexError(f"clgrad: advanced indexing (key of type {type(key).__name__}) is not "
                     "supported yet; use ints, slices, None and Ellipsis")


def advanced_setitem(t: Tensor, key, value) -> None:
    """t[key] = value for advanced keys (not supported yet)."""
    raise IndexError(f"clgrad: advanced indexing (key of type {type(key).__name__}) is not "
                     "supported yet; use ints, slices, None and Ellipsis")


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
