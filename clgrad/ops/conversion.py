"""Movement between devices and dtypes as Tensor methods: to() and its shorthands (cpu, cl,
float, long, ..., type_as, type). The copies themselves are copy.convert's."""
from __future__ import annotations

import builtins

from .. import _dtype as dt
from .._device import canonical, device as Device
from .._memory_format import preserve_format, suggest
from .._tensor import Tensor, register
from .._typenames import parse_type_name, qualified_type_name
from ..backends import is_accelerator
from .copy import convert

__all__: list = []  # Tensor methods only


@register()
def to(self: Tensor, *args, **kwargs) -> Tensor:
    """to(device=None, dtype=None, non_blocking=False, copy=False), to(other), to(dtype)."""
    target_device, target_dtype = None, None
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    memory_format = kwargs.pop("memory_format", None)
    for arg in list(args) + list(kwargs.values()):
        if isinstance(arg, Tensor):
            target_device, target_dtype = arg.device, arg.dtype
        elif isinstance(arg, dt.dtype):
            target_dtype = arg
        elif isinstance(arg, (str, Device, builtins.int)) and not isinstance(arg, builtins.bool):
            target_device = canonical(arg)
        elif isinstance(arg, builtins.bool):
            continue  # positional non_blocking / copy flags of the old signature
        elif arg is not None:
            raise TypeError(f"to() received an invalid combination of arguments: "
                            f"{type(arg).__name__}")
    target_device = self.device if target_device is None else target_device
    target_dtype = self.dtype if target_dtype is None else target_dtype
    if target_device == self.device and target_dtype is self.dtype and not copy:
        return self if memory_format is None else _in_format(self, memory_format)
    out = convert(self, target_device, target_dtype)
    return out if memory_format is None else _in_format(out, memory_format)


def _in_format(t: Tensor, memory_format) -> Tensor:
    """t, or a copy of it laid out in memory_format: as PyTorch's to(), a tensor already
    strided in that format (by suggest_memory_format's reading) is kept."""
    if memory_format is preserve_format or suggest(t._shape, t._stride) is memory_format:
        return t
    return t.clone(memory_format=memory_format)


@register()
def cpu(self: Tensor) -> Tensor:
    return self.to("cpu")


@register("cl", "cuda")
def cl(self: Tensor, device=None) -> Tensor:
    return self.to(canonical("cl" if device is None else device if not isinstance(
        device, builtins.int) else Device("cl", device)))


@register()
def type_as(self: Tensor, other: Tensor) -> Tensor:
    # PyTorch's self.type(other.type()): the type names the device too (cl.LongTensor)
    return self.to(other.device, other.dtype)


def _shorthand(name: str, dtype: dt.dtype):
    def convert_to(self: Tensor) -> Tensor:
        return self.to(dtype)
    convert_to.__name__ = convert_to.__qualname__ = name
    convert_to.__doc__ = f"self.to(clgrad.{dtype.name})"
    return convert_to


# Methods named after builtins (float, int, bool): made by _shorthand, never bound here.
for _name, _dtype in (("float", dt.float32), ("double", dt.float64), ("half", dt.float16),
                      ("bfloat16", dt.bfloat16), ("int", dt.int32), ("long", dt.int64),
                      ("short", dt.int16), ("char", dt.int8), ("byte", dt.uint8),
                      ("bool", dt.bool)):
    register(_name)(_shorthand(_name, _dtype))


def _type(self: Tensor, dtype=None, non_blocking: builtins.bool = False, **kwargs):
    """The legacy type name ('clgrad.FloatTensor'), or a copy converted to `dtype`: a
    dtype, a legacy type, or a name ('torch.FloatTensor', 'clgrad.cl.LongTensor', ...)."""
    if dtype is None:
        return qualified_type_name(self.dtype, self.is_cl)
    if isinstance(dtype, str):
        target, on_cl = parse_type_name(dtype)
    elif isinstance(dtype, dt.dtype):
        return self.to(dtype)
    elif hasattr(dtype, "_device_type") and isinstance(getattr(dtype, "dtype", None),
                                                       dt.dtype):
        target, on_cl = dtype.dtype, is_accelerator(dtype._device_type)
    else:
        raise TypeError(f"type() received an invalid combination of arguments - got "
                        f"({type(dtype).__name__})")
    if on_cl:
        return self.to(self.device if self.is_cl else "cl", target)
    return self.to("cpu", target)


_type.__name__ = _type.__qualname__ = "type"  # `type` itself stays the builtin here
register("type")(_type)
