"""The numpy backend: storages are flat numpy arrays, kernels are numpy calls on views."""
from __future__ import annotations

import warnings

import numpy as np

from .._strides import numel

# PyTorch computes inf and nan silently; numpy warns. A filter scoped to this module costs
# nothing when no warning fires, unlike np.errstate on every call (2-3 us).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)


def as_compute_scalar(value, np_dtype):
    """A Python number as a numpy scalar of the compute dtype (wrapping like a C cast)."""
    try:
        return np_dtype.type(value)
    except OverflowError:
        return np.array(value).astype(np_dtype)[()]


from .cpu_creation import CpuCreation
from .cpu_index import CpuIndex
from .cpu_linalg import CpuLinalg
from .cpu_nn import CpuNn
from .cpu_optim import CpuOptim
from .cpu_random import CpuRandom
from .cpu_reduce import CpuReduce


class CpuBackend(CpuReduce, CpuRandom, CpuCreation, CpuIndex, CpuLinalg, CpuNn, CpuOptim):
    """numpy backend; kernel families beyond pointwise come from the mixins."""

    name = "cpu"

    # -- memory -----------------------------------------------------------------------------
    def empty(self, numel: int, dtype):
        return np.empty(numel, dtype.np)

    def from_host(self, flat: np.ndarray):
        """Take ownership of a flat host array (already a private copy or a shared view)."""
        return flat

    @staticmethod
    def view(t) -> np.ndarray:
        """A numpy view of tensor t sharing its storage."""
        data = t._storage.data
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

    def to_host(self, t) -> np.ndarray:
        return np.array(self.view(t), copy=True, order="C")

    def write_host(self, t, array: np.ndarray) -> None:
        """Copy a host array of t's shape into t's elements."""
        np.copyto(self.view(t), array, casting="unsafe")

    # -- kernels ----------------------------------------------------------------------------
    def pointwise(self, op, out, operands, compute) -> None:
        """out = op(*operands); tensor operands already broadcast to out's shape."""
        cnp = compute.np
        arrays = []
        for x in operands:
            if hasattr(x, "_storage"):
                arr = self.view(x)
                arrays.append(arr if arr.dtype == cnp else arr.astype(cnp))
            else:
                arrays.append(as_compute_scalar(x, cnp))
        target = self.view(out)
        if op.ufunc is not None and target.dtype == cnp:
            op.ufunc(*arrays, out=target)
        else:
            np.copyto(target, op.numpy(*arrays), casting="unsafe")
