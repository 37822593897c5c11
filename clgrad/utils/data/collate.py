"""default_collate / default_convert: samples -> batches, with PyTorch's rules.

In a worker process the collated arrays stay numpy (`HostBatch`, cheap to pickle and free of
any device state, so a forked worker never touches OpenCL); the main process turns them into
clgrad cpu tensors with `to_tensors`.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Callable, Dict, Optional, Tuple, Type, Union

import numpy as np

from ... import _tensor
from ...ops import creation

__all__ = ["default_collate", "default_convert", "collate"]

np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")

# Set to True in DataLoader worker processes (see _worker.py).
IN_WORKER = False


class HostBatch:
    """A collated numpy array waiting (in a worker) to become a clgrad cpu tensor."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def __reduce__(self):
        return (HostBatch, (self.array,))


_CPU = None


def host_tensor(array: np.ndarray) -> _tensor.Tensor:
    """A cpu tensor over a numpy array (shared memory): `from_numpy`, with a short path for
    C-contiguous arrays, which is what collation and ToTensor make (from_numpy's general
    stride handling costs more than the copy of a small image)."""
    global _CPU
    if not array.flags.c_contiguous or array.dtype.byteorder not in "=|":
        return creation.from_numpy(array)
    if _CPU is None:
        from ..._device import canonical
        from ...backends import backend_for
        device = canonical("cpu")
        _CPU = (device, backend_for(device))
    from ... import _dtype as dt
    device, backend = _CPU
    return _tensor.Tensor._wrap(array.reshape(-1), array.size,
                                dt.from_numpy_dtype(array.dtype), device, backend, array.shape)


def _as_result(array: np.ndarray):
    if IN_WORKER:
        return HostBatch(array)
    return host_tensor(np.ascontiguousarray(array))


def to_tensors(data):
    """Replace every `HostBatch` in a collated structure by a clgrad cpu tensor."""
    if isinstance(data, HostBatch):
        return host_tensor(np.ascontiguousarray(data.array))
    if isinstance(data, (str, bytes, np.ndarray, _tensor.Tensor)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: to_tensors(value) for key, value in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(to_tensors(d) for d in data))
    if isinstance(data, (tuple, list)):
        converted = [to_tensors(d) for d in data]
        if type(data) in (tuple, list):
            return type(data)(converted)
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


def _tensor_host(t: _tensor.Tensor, op: str) -> np.ndarray:
    if t.device.type != "cpu":
        raise RuntimeError(f"{op}: cannot collate tensors on {t.device} in a DataLoader worker "
                           "process (workers must not use OpenCL); keep the dataset's "
                           "tensors on cpu and move batches with .to(device)")
    return (t.detach() if t.requires_grad else t).numpy()


def _stack(arrays, shapes_from) -> np.ndarray:
    first = shapes_from[0]
    for i, shape in enumerate(shapes_from):
        if shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(shape)} at entry {i}")
    return np.stack(arrays)


def collate_tensor_fn(batch, *, collate_fn_map=None):
    if not IN_WORKER and any(t.device.type != "cpu" for t in batch):
        from ...ops.join import stack
        return stack(list(batch), 0)
    arrays = [_tensor_host(t, "default_collate") for t in batch]
    return _as_result(_stack(arrays, [tuple(t.shape) for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return _as_result(_stack(batch, [a.shape for a in batch]))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _as_result(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    return _as_result(np.asarray(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    # PyTorch's torch.tensor(batch): all bools -> bool, ints -> int64, any float -> float32.
    if all(isinstance(b, bool) for b in batch):
        return _as_result(np.asarray(batch, dtype=np.bool_))
    if any(isinstance(b, float) for b in batch):
        return _as_result(np.asarray(batch, dtype=np.float32))
    return _as_result(np.asarray(batch, dtype=np.int64))


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map: Dict[Union[Type, Tuple[Type, ...]], Callable] = {
    _tensor.Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    np.memmap: collate_numpy_array_fn,
    (np.bool_, np.number): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch, *, collate_fn_map: Optional[Dict[Union[Type, Tuple[Type, ...]],
                                                    Callable]] = None):
    """The general collate function behind `default_collate`; ``collate_fn_map`` maps
    element types to collate functions for them."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: collate([d[key] for d in batch],
                                           collate_fn_map=collate_fn_map) for key in elem})
                return clone
            return elem_type({key: collate([d[key] for d in batch],
                                           collate_fn_map=collate_fn_map) for key in elem})
        except TypeError:
            return {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
                    for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map)
                           for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = collate(samples, collate_fn_map=collate_fn_map)
                return clone
            return elem_type([collate(samples, collate_fn_map=collate_fn_map)
                              for samples in transposed])
        except TypeError:
            return [collate(samples, collate_fn_map=collate_fn_map) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_collate(batch):
    """Stack a list of samples into a batch, keeping the samples' structure.

    Tensors and numpy arrays are stacked into a tensor with a new first dimension; Python
    floats become float64 tensors, ints int64 tensors, bools bool tensors; strings stay a
    list; dicts, namedtuples, tuples and lists are collated field by field.
    """
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """Convert numpy arrays (and numpy scalars) in a sample into tensors, without batching:
    the collate function used when ``batch_size=None``."""
    elem_type = type(data)
    if isinstance(data, _tensor.Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" \
                and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return _as_result(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
