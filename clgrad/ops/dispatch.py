"""Running a pointwise primitive: device checks, promotion, broadcasting, output, launch."""
from __future__ import annotations

import numbers

from .. import _dtype as dt
from .._strides import broadcast_shapes
from .._tensor import Tensor
from .spec import torch_type_name

Number = (int, float, bool)


def check_same_device(op_name: str, tensors) -> None:
    first = tensors[0].device
    for t in tensors[1:]:
        if t.device != first:
            raise RuntimeError(f"{op_name}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {first} and {t.device}!")


def scalar_value(x):
    """A Python number from a number-like operand (numpy scalars included)."""
    if isinstance(x, Number):
        return x
    if isinstance(x, numbers.Number) and not isinstance(x, complex):
        return x.item() if hasattr(x, "item") else x
    return None


def as_operands(op_name: str, inputs) -> list:
    """Tensors stay tensors, numbers become Python scalars; anything else is a TypeError.

    A 0-dim cpu tensor meeting cl tensors is read as a number (PyTorch allows cpu scalars
    beside accelerator tensors).
    """
    result = []
    for x in inputs:
        if isinstance(x, Tensor):
            result.append(x)
            continue
        value = scalar_value(x)
        if value is None:
            raise TypeError(f"{op_name}(): expected Tensor or Number as argument, got "
                            f"{type(x).__name__}")
        result.append(value)
    tensors = [x for x in result if isinstance(x, Tensor)]
    if len(tensors) > 1 and any(t.device != tensors[0].device for t in tensors):
        devices = {t.device.type for t in tensors}
        if devices == {"cpu", "cl"}:
            result = [x.item() if isinstance(x, Tensor) and x.is_cpu and x.dim() == 0
                      and any(t.is_cl for t in tensors) else x for x in result]
        check_same_device(op_name, [x for x in result if isinstance(x, Tensor)])
    return result


def check_out_target(op_name: str, target: Tensor, shape: tuple, result: dt.dtype) -> None:
    if shape != target._shape:
        raise RuntimeError(f"{op_name}: output with shape {list(target._shape)} doesn't match "
                           f"the broadcast shape {list(shape)}")
    if not dt.can_cast(result, target.dtype):
        raise RuntimeError(f"{op_name}: result type {torch_type_name(result)} can't be cast to "
                           f"the desired output type {torch_type_name(target.dtype)}")


_SIMPLE_SCALARS = (int, float)


def _same_kind_operands(inputs):
    """The common dtype when promotion is trivial (the per-op fast path), else None.

    Trivial: tensors of one dtype, shape and device, plus Python numbers that cannot raise the
    category (a float number with a float tensor, an int number with an int or float tensor).
    """
    first = inputs[0]
    if not isinstance(first, Tensor):
        return None
    storage = first._storage
    dtype = storage.dtype
    for x in inputs[1:]:
        if isinstance(x, Tensor):
            other = x._storage
            if other.dtype is not dtype or other.device is not storage.device or \
                    x._shape != first._shape:
                return None
        elif type(x) is float:
            if dtype.category != dt.FLOAT:
                return None
        elif type(x) is not int or dtype.category == dt.BOOL:
            return None
    return dtype


def run(op, inputs, out: Tensor | None = None, dtypes: tuple | None = None) -> Tensor:
    """Apply pointwise primitive `op` to tensors and numbers with PyTorch's rules.

    out: write into this tensor (`out=`; in-place forms pass their first input); dtypes:
    (compute, result) overriding the op's promotion rule.
    """
    if out is None and dtypes is None:
        dtype = _same_kind_operands(inputs)
        if dtype is not None:
            compute, result = op.dtypes(dtype)
            first = inputs[0]
            out = Tensor._empty(first._shape, result, first._storage.device)
            out._storage.backend.pointwise(op, out, inputs, compute)
            return out
    operands = as_operands(op.name, inputs)
    tensors = [x for x in operands if isinstance(x, Tensor)]
    if not tensors:
        raise TypeError(f"{op.name}(): expected at least one Tensor argument")
    if dtypes is None:
        compute, result = op.dtypes(dt.result_dtype(operands))
    else:
        compute, result = dtypes
    first = tensors[0]
    shape = first._shape
    for t in tensors[1:]:
        if t._shape != shape:
            shape = broadcast_shapes(*(t._shape for t in tensors))
            break
    if out is None:
        out = Tensor._empty(shape, result, first.device)
    else:
        if out.device != first.device:
            raise RuntimeError(f"{op.name}: Expected out tensor to be on {first.device} but "
                               f"got {out.device}")
        if out._shape != shape and out is not inputs[0] and out.numel() == 0:
            out.resize_(shape)
        check_out_target(op.name, out, shape, result)
        out._version[0] += 1
    expanded = [x if not isinstance(x, Tensor) or x._shape == shape else x.expand(shape)
                for x in operands]
    out._storage.backend.pointwise(op, out, expanded, compute)
    return out
