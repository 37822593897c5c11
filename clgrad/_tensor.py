"""The Tensor: a strided view (shape, strides, offset) of a Storage on some device.

Operations are defined in clgrad/ops/* and attached to Tensor there (movement between devices
and dtypes, `to()` and its shorthands, in ops/conversion.py); autograd attaches backward and
the gradient hooks, clgrad/legacy.py the legacy constructor. This module holds what a tensor
*is*: its metadata, its autograd attributes and its host reads.
"""
from __future__ import annotations

import builtins

import numpy as np

from . import _dtype as dt
from ._device import device as Device
from ._memory_format import contiguous_format, is_contiguous_as
from ._storage import Storage
from ._strides import contiguous_strides, is_contiguous, normalize_dim, numel
from .backends import backend_for


class Tensor:
    """A multi-dimensional array on a device, with PyTorch's API."""

    __slots__ = ("_storage", "_shape", "_stride", "_offset", "_contig", "_version",
                 "_requires_grad", "_grad", "_grad_fn", "_retains_grad", "_base",
                 "_grad_accumulator", "__dict__", "__weakref__")
    # Let numpy defer to Tensor's reflected operators (ndarray + Tensor -> Tensor.__radd__).
    __array_priority__ = 1000

    # Tensor(data) / Tensor(*sizes), PyTorch's legacy constructor, is Tensor.__new__, set by
    # clgrad/legacy.py; tensors built here come from object.__new__ and skip it.
    def __init__(self, *args, **kwargs):
        pass  # everything happens in __new__

    # -- construction (internal) -----------------------------------------------------------
    @classmethod
    def _wrap(cls, data, count: int, dtype, device, backend, shape: tuple) -> "Tensor":
        """A contiguous tensor of `shape` over a fresh storage holding `data`."""
        t = object.__new__(cls)
        t._storage = Storage(data, count, dtype, device, backend)
        t._shape = shape
        t._stride = contiguous_strides(shape)
        t._offset = 0
        t._contig = True
        t._version = [0]
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._retains_grad = False
        t._base = None
        t._grad_accumulator = None
        return t

    @classmethod
    def _empty(cls, shape: tuple, dtype, device) -> "Tensor":
        backend = backend_for(device)
        count = numel(shape)
        return cls._wrap(backend.empty(count, dtype), count, dtype, device, backend, shape)

    def _view(self, shape: tuple, stride: tuple, offset: int | None = None) -> "Tensor":
        """A view sharing storage and version counter (autograd is layered on top)."""
        t = object.__new__(Tensor)
        t._storage = self._storage
        t._shape = shape
        t._stride = stride
        t._offset = self._offset if offset is None else offset
        t._contig = None
        t._version = self._version
        t._requires_grad = False
        t._grad = None
        t._grad_fn = None
        t._retains_grad = False
        t._base = self if self._base is None else self._base
        t._grad_accumulator = None
        return t

    # -- metadata --------------------------------------------------------------------------
    @property
    def shape(self) -> "Size":
        return Size(self._shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._shape)
        return self._shape[normalize_dim(dim, len(self._shape), "size")]

    def stride(self, dim: int | None = None):
        if dim is None:
            return self._stride
        return self._stride[normalize_dim(dim, len(self._shape), "stride")]

    @property
    def dtype(self) -> dt.dtype:
        return self._storage.dtype

    @property
    def device(self) -> Device:
        return self._storage.device

    @property
    def is_cl(self) -> bool:
        return self._storage.device.type == "cl"

    is_cuda = is_cl

    # Devices clgrad never has: ported code tests these flags.
    is_xpu = is_mps = is_meta = is_sparse = is_quantized = is_mkldnn = property(
        lambda self: False)

    @property
    def is_cpu(self) -> bool:
        return self._storage.device.type == "cpu"

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def dim(self) -> int:
        return len(self._shape)

    ndimension = dim

    def numel(self) -> int:
        return numel(self._shape)

    nelement = numel

    def element_size(self) -> int:
        return self._storage.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._storage.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.numel() * self._storage.dtype.itemsize

    def storage_offset(self) -> int:
        return self._offset

    def is_contiguous(self, memory_format=None) -> bool:
        if memory_format is not None:
            if memory_format is not contiguous_format:
                return is_contiguous_as(self._shape, self._stride, memory_format)
        contig = self._contig
        if contig is None:
            contig = self._contig = is_contiguous(self._shape, self._stride)
        return contig

    def is_floating_point(self) -> bool:
        return self._storage.dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self._storage.dtype.is_signed

    def data_ptr(self) -> int:
        if self.is_cl:
            return self._storage.data.int_ptr + self._offset * self.itemsize
        return self._storage.data.ctypes.data + self._offset * self.itemsize

    def untyped_storage(self):
        return self._storage

    def get_device(self) -> int:
        return -1 if self.is_cpu else self._storage.device.index

    def _version_bump(self) -> None:
        self._version[0] += 1

    @property
    def _version_count(self) -> int:
        return self._version[0]

    # -- autograd attributes (backward, hooks and retain_grad are attached by autograd) -----
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if value and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = builtins.bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    def __deepcopy__(self, memo: dict) -> "Tensor":
        # copy.deepcopy(model) on any device: a fresh storage (a cl buffer cannot be pickled).
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        import copy
        new = self.detach().clone()  # detached: the copy records nothing
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = new
        return new

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value._shape != self._shape:
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(value._shape)} vs {list(self._shape)}")
            if value.device != self.device:
                raise RuntimeError(f"assigned grad has data located on a different device: "
                                   f"{value.device} vs {self.device}")
            if value.dtype is not self.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: "
                                   f"{value.dtype} vs {self.dtype}")
        self._grad = value

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> "Tensor":
        """A view of the same data outside the graph (shares the version counter)."""
        t = self._view(self._shape, self._stride)
        t._base = self._base
        t._contig = self._contig
        return t

    def detach_(self) -> "Tensor":
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        t = self.detach()
        t._version = [0]  # as in PyTorch, .data is not tracked by the version counter
        return t

    @data.setter
    def data(self, other: "Tensor") -> None:
        if not isinstance(other, Tensor):
            raise TypeError("data must be set to a Tensor")
        for slot in ("_storage", "_shape", "_stride", "_offset", "_contig"):
            setattr(self, slot, getattr(other, slot))

    # -- host reads (the only places that wait for the device) -----------------------------
    def _host(self) -> np.ndarray:
        """A numpy array of this tensor's values (a view on cpu, a copy from cl)."""
        backend = self._storage.backend
        if backend.name == "cpu":
            return backend.view(self)
        return backend.to_host(self)

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A numpy array sharing memory with this cpu tensor (cl tensors need .cpu() first)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self.is_cl:
            if force:
                return self._host()
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        if self._storage.dtype is dt.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")  # numpy has no bfloat16
        return self._storage.backend.view(self)

    def __array__(self, dtype=None, copy=None):
        arr = self.detach()._host()
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __len__(self) -> int:
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __iter__(self):
        if not self._shape:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is "
                               "ambiguous")
        return builtins.bool(self.item())

    def __float__(self) -> float:
        return builtins.float(self._scalar("float"))

    def __int__(self) -> int:
        return builtins.int(self._scalar("int"))

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self.item())

    def _scalar(self, what: str):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self, *, tensor_contents=None) -> str:
        from ._formatting import tensor_repr
        return tensor_repr(self, tensor_contents=tensor_contents)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self.dim() == 0:  # PyTorch formats a 0-dim tensor as its Python number
            return self.item().__format__(spec)
        return object.__format__(self.__repr__(), spec)


dt.register_tensor_class(Tensor)


class Size(tuple):
    """torch.Size: a tuple of dims that prints as ``clgrad.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"clgrad.Size({list(self)})"

    __str__ = __repr__

    def numel(self) -> int:
        return numel(self)

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def register(*names):
    """Attach a function as Tensor method(s): ops modules use this to extend Tensor."""
    def deco(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
        return fn
    return deco
