"""The numpy backend: storages are flat numpy arrays, kernels are numpy calls on views."""
from __future__ import annotations

import functools
import inspect
import warnings

import numpy as np

from ... import _dtype as _dt
from ..._strides import numel
from ..base import Backend
from . import heap
from .conv import CpuConv
from .creation import CpuCreation
from .index import CpuIndex
from .linalg import CpuLinalg
from .loss import CpuLoss
from .norm import CpuNorm
from .optim import CpuOptim
from .pool import CpuPool
from .random import CpuRandom
from .reduce import CpuReduce
from .softmax import CpuSoftmax
from .sort import CpuSort

# PyTorch computes inf and nan silently; numpy warns. A filter scoped to this package (the
# pattern matches the start of a module name, so every family module) costs nothing when no
# warning fires, unlike np.errstate on every call (2-3 us).
warnings.filterwarnings("ignore", category=RuntimeWarning,
                        module=__name__.rpartition(".")[0].replace(".", r"\."))


def as_compute_scalar(value, np_dtype):
    """A Python number as a numpy scalar of the compute dtype (wrapping like a C cast)."""
    try:
        return np_dtype.type(value)
    except OverflowError:
        return np.array(value).astype(np_dtype)[()]


_BF16 = _dt.bfloat16
_SCALARS = (int, float, bool)


class CpuBackend(CpuReduce, CpuSort, CpuRandom, CpuCreation, CpuIndex, CpuLinalg, CpuConv, CpuPool,
                 CpuNorm, CpuSoftmax, CpuLoss, CpuOptim, Backend):
    """numpy backend; kernel families beyond pointwise come from the mixins.

    bfloat16 storages hold uint16 bit patterns. Inside a kernel call, view() of such a tensor
    is a float32 view of a float32 shadow of its whole storage (one shadow per storage, so
    aliasing views stay aliased); when the outermost call returns, the shadow elements that
    changed are rounded (nearest even) back into the storage. So every kernel computes
    bfloat16 in float32 and rounds once per stored result, as PyTorch's CPU kernels do.
    """

    name = "cpu"
    counts_memory = False

    def __init__(self, device=None):
        heap.tune()
        self.device = device
        self._depth = 0
        self._shadows: dict = {}

    # -- memory -----------------------------------------------------------------------------
    def check_dtype(self, dtype) -> None:
        """numpy holds every clgrad dtype: nothing to refuse."""

    def empty(self, numel: int, dtype):
        """A flat uninitialised numpy array (bfloat16 as its uint16 bits)."""
        return np.empty(numel, dtype.storage_np)

    def release(self, nbytes: int) -> None:
        """No count to keep: numpy frees the array (counts_memory is False)."""

    def synchronize(self) -> None:
        """numpy calls finish before they return: nothing to wait for."""

    def copy_bytes(self, dst, src, nbytes: int) -> None:
        dst.view("u1")[:nbytes] = src.view("u1")[:nbytes]

    def from_host(self, flat: np.ndarray, dtype=None):
        """Take ownership of a flat host array (already a private copy or a shared view)."""
        if dtype is _BF16:
            return _dt.to_bfloat16_bits(flat)
        return flat

    def view(self, t) -> np.ndarray:
        """A numpy view of tensor t sharing its storage."""
        data = t._storage.data
        if t._storage.dtype is _BF16:
            return self._bf16_view(t)
        if t._contig or (t._contig is None and t.is_contiguous()):
            # Slicing and reshaping a flat array is several times cheaper than np.ndarray().
            shape = t._shape
            if t._offset == 0 and len(shape) == 1 and data.shape[0] == shape[0]:
                return data
            offset = t._offset
            return data[offset:offset + numel(shape)].reshape(shape)
        itemsize = t.dtype.itemsize
        return np.ndarray(t._shape, t.dtype.np, buffer=t._storage.data,
                          offset=t._offset * itemsize,
                          strides=tuple(s * itemsize for s in t._stride))

    def flat(self, t) -> np.ndarray:
        """t's whole storage as a flat numpy array (a bfloat16 storage's float32 shadow)."""
        if t._storage.dtype is _BF16:
            return self._shadow(t._storage)
        return t._storage.data

    def _shadow(self, storage) -> np.ndarray:
        entry = self._shadows.get(id(storage))
        if entry is None:
            wide = _dt.from_bfloat16_bits(storage.data)
            entry = self._shadows[id(storage)] = (storage, wide, wide.copy())
        return entry[2]

    def _bf16_view(self, t) -> np.ndarray:
        strides = tuple(s * 4 for s in t._stride)
        if self._depth == 0:
            # A host read outside any kernel: a float32 copy of just these elements.
            raw = np.ndarray(t._shape, np.uint16, buffer=t._storage.data,
                             offset=t._offset * 2, strides=tuple(s * 2 for s in t._stride))
            return _dt.from_bfloat16_bits(raw)
        return np.ndarray(t._shape, np.float32, buffer=self._shadow(t._storage),
                          offset=t._offset * 4, strides=strides)

    def _commit(self) -> None:
        for storage, wide, shadow in self._shadows.values():
            changed = shadow.view(np.uint32) != wide.view(np.uint32)
            if changed.any():
                storage.data[changed] = _dt.to_bfloat16_bits(shadow[changed])
        self._shadows.clear()

    def to_host(self, t) -> np.ndarray:
        """A contiguous copy of t's elements (bfloat16 widened to float32)."""
        return np.array(self.view(t), copy=True, order="C")

    def write_host(self, t, array: np.ndarray) -> None:
        """Copy a host array of t's shape into t's elements."""
        np.copyto(self.view(t), array, casting="unsafe")

    # -- kernels ----------------------------------------------------------------------------
    def pointwise(self, op, out, operands, compute) -> None:
        """out = op(*operands); tensor operands already broadcast to out's shape."""
        if out._storage.dtype is _BF16 and not self._depth:
            # Only a bfloat16 output needs a shadow (reads outside a call are fresh float32
            # copies), so the hot path skips the committing wrapper.
            return self._pointwise_committed(op, out, operands, compute)
        cnp = compute.np
        ufunc = op.ufunc
        shape = out._shape
        if ufunc is not None and out._contig is True and out._storage.dtype is compute and \
                compute is not _BF16:
            # The hot path: C-contiguous tensors of out's shape and of the compute dtype (not
            # bfloat16, whose storage holds bits), and numbers. A pointwise op does not care
            # about shape, so it runs on the flat blocks of the storages: no view is made.
            count = 1
            for size in shape:
                count *= size
            arrays = []
            for x in operands:
                if x.__class__ in _SCALARS:
                    arrays.append(as_compute_scalar(x, cnp))
                elif x._contig is True and x._storage.dtype is compute and x._shape == shape:
                    data = x._storage.data
                    offset = x._offset
                    arrays.append(data if offset == 0 and data.shape[0] == count
                                  else data[offset:offset + count])
                else:
                    break
            else:
                data = out._storage.data
                offset = out._offset
                ufunc(*arrays, out=data if offset == 0 and data.shape[0] == count
                      else data[offset:offset + count])
                return
        arrays = []
        for x in operands:
            if hasattr(x, "_storage"):
                arr = self.view(x)
                arrays.append(arr if arr.dtype == cnp else arr.astype(cnp))
            else:
                arrays.append(as_compute_scalar(x, cnp))
        target = self.view(out)
        if ufunc is not None and target.dtype == cnp:
            ufunc(*arrays, out=target)
        else:
            np.copyto(target, op.numpy(*arrays), casting="unsafe")

    def copy(self, dst, src) -> None:
        """dst[...] = src (same shape, any dtypes and strides), a C-style cast on store."""
        np.copyto(self.view(dst), self.view(src), casting="unsafe")


def _committing(fn):
    """Wrap a kernel method so that bfloat16 shadows are written back when it returns."""
    @functools.wraps(fn)
    def method(self, *args, **kwargs):
        self._depth += 1
        try:
            return fn(self, *args, **kwargs)
        finally:
            self._depth -= 1
            if not self._depth and self._shadows:
                self._commit()
    return method


# Every kernel entry point (public methods other than memory and raw views) commits shadows.
# Backend's own stubs are left unwrapped, so a method missing here still shows as missing.
_NOT_KERNELS = ("check_dtype", "empty", "release", "synchronize", "from_host", "view", "flat",
                "to_host", "philox_raw", "pointwise")
for _name in dir(CpuBackend):
    _static = inspect.getattr_static(CpuBackend, _name)
    if (not _name.startswith("_") and callable(_static) and _name not in _NOT_KERNELS
            and not isinstance(_static, staticmethod)
            and _static is not Backend.__dict__.get(_name)):
        setattr(CpuBackend, _name, _committing(_static))
del _name, _static
CpuBackend._pointwise_committed = _committing(CpuBackend.pointwise)
