"""PyTorch's legacy tensor types: clgrad.FloatTensor(...), clgrad.cl.LongTensor(...), ...

Old tutorials still build tensors with these; each is a callable type (not a Tensor
subclass, as in PyTorch) that makes a tensor of its dtype on cpu or on the cl device, and
`isinstance(t, clgrad.FloatTensor)` tests dtype and device as PyTorch's tensortype does.
"""
from __future__ import annotations

import builtins

from . import _dtype as dt
from ._typenames import SCALAR_NAMES, tensor_type_name
from .backends import is_accelerator

_LEGACY_DTYPES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16",
                  "int8", "uint8", "bool")


def new_legacy(dtype, device, args: tuple, kwargs: dict, any_device: bool = False):
    """What Tensor(*args) / FloatTensor(*args) builds: sizes, data, another tensor, or ().

    any_device: device= may name any device (clgrad.Tensor); a typed constructor keeps its
    own device type, as PyTorch's do."""
    from ._device import canonical
    from ._tensor import Tensor
    from .ops.creation import empty, tensor
    given = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"new() received an invalid combination of arguments - got keyword "
                        f"argument '{next(iter(kwargs))}'")
    if given is not None:
        given = canonical(given)
        if given.type != device.type and not any_device:
            raise RuntimeError(f"legacy constructor expects device type: {device.type} but "
                               f"device type: {given.type} was passed")
        device = given
    if not args:
        return empty(0, dtype=dtype, device=device)
    if builtins.all(isinstance(a, builtins.int) and not isinstance(a, builtins.bool)
                    for a in args):
        return empty(*args, dtype=dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype is not dtype or other.device.type != device.type:
            raise TypeError(f"expected {SCALAR_NAMES[dtype.name]} on {device.type} (got "
                            f"{SCALAR_NAMES[other.dtype.name]} on {other.device.type})")
        return other.detach()
    if len(args) == 1 and not isinstance(args[0], (str, bytes)) and hasattr(args[0], "__len__"):
        return tensor(args[0], dtype=dtype, device=device)
    what = type(args[0]).__name__
    if isinstance(args[0], (builtins.float, builtins.bool)):
        raise TypeError(f"new(): data must be a sequence (got {what})")
    raise TypeError(f"new(): invalid data type '{what}'")


class _TensorType(type):
    """The metaclass: instance checks by dtype and device type."""

    def __instancecheck__(cls, obj) -> bool:
        from ._tensor import Tensor
        return (isinstance(obj, Tensor) and obj.dtype is cls.dtype
                and obj.device.type == cls._device_type)

    def __repr__(cls) -> str:
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make(dtype: dt.dtype, device_type: str, module: str) -> type:
    from ._device import device as Device

    def __new__(cls, *args, **kwargs):
        return new_legacy(cls.dtype, Device(cls._device_type), args, dict(kwargs))

    name = tensor_type_name(dtype)
    return _TensorType(name, (), {"__new__": __new__, "dtype": dtype,
                                  "_device_type": device_type,
                                  "is_cuda": is_accelerator(device_type), "is_sparse": False,
                                  "__module__": module, "__qualname__": name,
                                  "__doc__": f"Legacy constructor of {dtype} tensors on "
                                             f"{device_type}."})


def _types(device_type: str, module: str) -> dict:
    return {tensor_type_name(getattr(dt, n)): _make(getattr(dt, n), device_type, module)
            for n in _LEGACY_DTYPES if hasattr(dt, n)}


CPU_TYPES = _types("cpu", "clgrad")
CL_TYPES = _types("cl", "clgrad.cl")
__all__ = list(CPU_TYPES)
globals().update(CPU_TYPES)


# -- legacy Tensor methods that tutorials still call ------------------------------------------
def _attach_legacy_methods() -> None:
    import warnings

    import numpy as np

    from ._device import CPU
    from ._tensor import Size, Tensor

    def resize(self, *sizes):
        """Deprecated: a reshaped copy of the same number of elements (as PyTorch's)."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        sizes = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
        count = 1
        for s in sizes:
            count *= s
        if count != self.numel():
            shown = "x".join(str(s) for s in self.shape)
            raise RuntimeError(
                f"requested resize to {'x'.join(str(s) for s in sizes)} ({count} elements in "
                f"total), but the given tensor has a size of {shown} ({self.numel()} elements). "
                f"autograd's resize can only change the shape of a given tensor, while "
                f"preserving the number of elements. ")
        return self.reshape(sizes).clone()

    def pin_memory(self, device=None):
        """clgrad's host tensors need no pinning (pyopencl copies from any host memory), so a
        cpu tensor is returned as it is; a device tensor cannot be pinned, as in PyTorch."""
        if self.device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be "
                               f"pinned")
        return self

    def is_pinned(self, device=None) -> bool:
        return False

    def _cpu_only(self, name: str) -> None:
        if self.device.type != "cpu":
            raise TypeError(f"{name} is only implemented on CPU tensors")

    def apply_(self, callable):
        """Apply a Python function to each element in place (cpu only, slow: for tests)."""
        _cpu_only(self, "apply_")
        values = self.detach().numpy()
        mapped = np.vectorize(callable, otypes=[values.dtype])(values) if values.size else values
        self.copy_(_host(mapped))
        return self

    def map_(self, tensor, callable):
        """self[i] = callable(self[i], tensor[i]) in place, ``tensor`` broadcast (cpu only)."""
        _cpu_only(self, "map_")
        values = self.detach().numpy()
        other = np.broadcast_to(tensor.detach().cpu().numpy(), values.shape)
        mapped = np.vectorize(callable, otypes=[values.dtype])(values, other) \
            if values.size else values
        self.copy_(_host(mapped))
        return self

    def _host(array):
        from .ops.creation import tensor
        return tensor(array)

    def __new__(cls, *args, **kwargs):
        """PyTorch's legacy constructor: Tensor(data), Tensor(*sizes), Tensor(), in the
        default dtype on cpu (or the device= given); prefer clgrad.tensor / clgrad.empty."""
        return new_legacy(dt.get_default_dtype(), CPU, args, dict(kwargs), any_device=True)

    def new(self, *args, **kwargs):
        """PyTorch's legacy ``x.new(...)``: sizes (uninitialised), data, or () in x's dtype
        and on x's device (or the device= given); prefer x.new_empty / x.new_tensor."""
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        return new_legacy(self.dtype, self.device, args, dict(kwargs), any_device=True)

    Tensor.__new__ = staticmethod(__new__)
    for fn in (resize, pin_memory, is_pinned, apply_, map_, new):
        setattr(Tensor, fn.__name__, fn)


_attach_legacy_methods()
