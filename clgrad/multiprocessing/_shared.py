"""cpu tensors in shared memory, and their pickling between processes by shared-memory name.

A cpu Storage holds a flat numpy array; share_memory_ moves it into a
multiprocessing.shared_memory block (every view of the storage follows, since views share
the Storage object). Forked children map the same pages; a tensor pickled for another process
(Queue, spawn arguments) travels as the block's name and is mapped again on arrival, so both
processes read and write one memory (the Hogwild pattern).
"""
from __future__ import annotations

import os
import weakref
from multiprocessing import shared_memory
from multiprocessing.reduction import ForkingPickler

import numpy as np

from .._tensor import Tensor, register

# id(storage) -> SharedMemory: keeps each block open for as long as its storage lives.
_BLOCKS: dict = {}
# name -> pid of the process that created the block (the only one that unlinks it).
_CREATED: dict = {}
# Storages moved to shared memory only to be pickled: kept alive here so the block outlives
# the sender's tensor, since any number of receivers may map it later (one pickled Process
# argument goes to every process started with it). The creator unlinks each block when its
# storage dies or at exit, never a receiver: a receiver cannot know it is the last.
_IN_TRANSIT: list = []


def _release(key: int, owner: bool) -> None:
    block = _BLOCKS.pop(key, None)
    if block is None:
        return
    try:
        block.close()
    except BufferError:
        pass  # a numpy view still exports the buffer; the OS unmaps it at exit
    if owner and _CREATED.get(block.name) == os.getpid():
        try:
            block.unlink()
        except FileNotFoundError:
            pass


def _check_cpu(t: Tensor, op: str) -> None:
    if t.device.type != "cpu":
        raise RuntimeError(f"{op}: only cpu tensors can be placed in shared memory, got a "
                           f"tensor on {t.device}; move it with .cpu() first (OpenCL buffers "
                           "cannot be shared between processes)")


@register()
def is_shared(t: Tensor) -> bool:
    """Whether t's storage lives in shared memory."""
    return id(t._storage) in _BLOCKS


@register()
def share_memory_(t: Tensor) -> Tensor:
    """Move t's storage into shared memory (a no-op when it already is); returns t."""
    _check_cpu(t, "share_memory_")
    storage = t._storage
    if id(storage) in _BLOCKS:
        return t
    data = storage.data
    block = shared_memory.SharedMemory(create=True, size=max(1, data.nbytes))
    shared = np.ndarray(data.shape, data.dtype, buffer=block.buf)
    shared[...] = data
    storage.data = shared
    _BLOCKS[id(storage)] = block
    _CREATED[block.name] = os.getpid()
    weakref.finalize(storage, _release, id(storage), True)
    return t


def _attach(name: str, numel: int, np_dtype: str, dtype_name: str, shape: tuple,
            stride: tuple, offset: int, requires_grad: bool) -> Tensor:
    """Rebuild a pickled shared tensor over the same block in this process."""
    from .. import _dtype
    from .._device import device as _device  # the Device class
    from ..backends import backend_for
    block = shared_memory.SharedMemory(name=name)
    # No resource_tracker.unregister here: multiprocessing children share their parent's
    # tracker, and the creating process unlinks the block when its storage dies.
    data = np.ndarray((numel,), np.dtype(np_dtype), buffer=block.buf)
    dev = _device("cpu")
    dtype = getattr(_dtype, dtype_name)
    base = Tensor._wrap(data, numel, dtype, dev, backend_for(dev), (numel,))
    _BLOCKS[id(base._storage)] = block
    weakref.finalize(base._storage, _release, id(base._storage), False)
    t = base._view(tuple(shape), tuple(stride), offset)
    t._contig = None
    t._base = None
    if requires_grad:
        t.requires_grad_(True)
    return t


# True in DataLoader worker processes: each batch they send has exactly one receiver, so an
# unshared tensor travels by value through the pipe. A shared-memory block made for it would
# stay in _IN_TRANSIT, one per batch, and outlive the worker (its creator never unlinks it).
SEND_BY_VALUE = False


def _host_copy(t: Tensor) -> np.ndarray:
    """A C-contiguous copy of t's elements in its storage's host representation."""
    data = t._storage.data
    view = np.lib.stride_tricks.as_strided(data[t._offset:], tuple(t._shape),
                                           tuple(s * data.itemsize for s in t._stride))
    return np.ascontiguousarray(view)


def _from_host(array: np.ndarray, dtype_name: str, requires_grad: bool) -> Tensor:
    """Rebuild a tensor sent by value (the inverse of _host_copy)."""
    from .. import _dtype
    from .._device import device as _device
    from ..backends import backend_for
    dev = _device("cpu")
    t = Tensor._wrap(array.reshape(-1), array.size, getattr(_dtype, dtype_name), dev,
                     backend_for(dev), array.shape)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _reduce_tensor(t: Tensor):
    _check_cpu(t, "pickling a tensor for another process")
    if t.requires_grad and not t.is_leaf:
        raise RuntimeError("Cowardly refusing to serialize non-leaf tensor which requires_grad, "
                           "since autograd does not support crossing process boundaries.  If "
                           "you just want to transfer the data, call detach() on the tensor "
                           "before serializing (e.g., putting it on the queue).")
    if not is_shared(t):
        if SEND_BY_VALUE:
            return (_from_host, (_host_copy(t), t.dtype.name, bool(t.requires_grad)))
        share_memory_(t)
        _IN_TRANSIT.append(t._storage)
    block = _BLOCKS[id(t._storage)]
    data = t._storage.data
    return (_attach, (block.name, int(data.shape[0]), data.dtype.str, t.dtype.name,
                      tuple(t._shape), tuple(t._stride), int(t._offset),
                      bool(t.requires_grad)))


def init_reductions() -> None:
    """Register the shared-memory pickling of tensors with multiprocessing's pickler."""
    ForkingPickler.register(Tensor, _reduce_tensor)
