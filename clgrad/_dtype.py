"""dtypes, PyTorch's type promotion, finfo and iinfo."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np


class dtype:
    """A tensor element type. `repr` is ``clgrad.<name>`` as PyTorch prints ``torch.<name>``."""

    __slots__ = ("name", "np", "storage_np", "itemsize", "is_floating_point", "is_signed",
                 "ctype", "category", "_rank")

    def __init__(self, name: str, np_dtype: Any, ctype: str, category: int, rank: int,
                 storage_np: Any = None):
        self.name = name
        # np: the numpy dtype values take on the host and in numpy arithmetic; storage_np: the
        # one elements are stored as. They differ only for bfloat16, which numpy lacks: it is
        # stored as its uint16 bit pattern and reaches the host as float32.
        self.np = np.dtype(np_dtype)
        self.storage_np = self.np if storage_np is None else np.dtype(storage_np)
        self.itemsize = self.storage_np.itemsize
        self.is_floating_point = category == FLOAT
        self.is_signed = name not in ("bool", "uint8")
        # OpenCL C storage type: bool lives in a uchar, half is only loaded and stored.
        self.ctype = ctype
        self.category = category
        self._rank = rank

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def itemsize_bits(self) -> int:
        return self.itemsize * 8

    def to_complex(self):
        raise TypeError(f"{self!r} has no complex counterpart in clgrad")

    def __repr__(self) -> str:
        return f"clgrad.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


BOOL, INT, FLOAT = 0, 1, 2

bool = dtype("bool", np.bool_, "uchar", BOOL, 0)
uint8 = dtype("uint8", np.uint8, "uchar", INT, 1)
int8 = dtype("int8", np.int8, "char", INT, 2)
int16 = dtype("int16", np.int16, "short", INT, 3)
int32 = dtype("int32", np.int32, "int", INT, 4)
int64 = dtype("int64", np.int64, "long", INT, 5)
float16 = dtype("float16", np.float16, "half", FLOAT, 6)
float32 = dtype("float32", np.float32, "float", FLOAT, 7)
float64 = dtype("float64", np.float64, "double", FLOAT, 8)
# bfloat16 shares float16's rank: the two promote to float32 (neither holds the other).
bfloat16 = dtype("bfloat16", np.float32, "ushort", FLOAT, 6, storage_np=np.uint16)

short, int, long = int16, int32, int64
half, float, double = float16, float32, float64

all_dtypes = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NAME = {d.name: d for d in all_dtypes + (bfloat16,)}
# bfloat16 has no numpy dtype: a float32 array is float32.
_BY_NP = {d.np: d for d in all_dtypes}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """The clgrad dtype of a numpy dtype; TypeError for ones clgrad lacks (as torch does)."""
    found = _BY_NP.get(np.dtype(np_dtype))
    if found is None:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
            "supported types are: float64, float32, float16, int64, int32, int16, int8, "
            "uint8, and bool.")
    return found


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == INT:
        # uint8 with a signed type needs the next signed type holding both ranges.
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
    if a._rank == b._rank:
        return float32  # float16 with bfloat16
    return a if a._rank > b._rank else b


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """The smallest dtype both can be cast to without leaving their category."""
    return _promote_pair(type1, type2)


_default_dtype = float32


def get_default_dtype() -> dtype:
    return _default_dtype


def set_default_dtype(d: dtype) -> None:
    global _default_dtype
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def scalar_dtype(value: Any) -> dtype:
    """The dtype a Python scalar takes in promotion (a 'wrapped number' in PyTorch)."""
    if isinstance(value, builtins.bool):
        return bool
    if isinstance(value, builtins.int):
        return int64
    if isinstance(value, builtins.float):
        return _default_dtype
    if isinstance(value, np.bool_):
        return bool
    if isinstance(value, np.integer):
        return int64
    if isinstance(value, np.floating):
        return _default_dtype
    raise TypeError(f"expected a number, got {type(value).__name__}")


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # Mirrors c10's combine_categories: a lower-priority participant only matters if it is of
    # a higher category than everything above it.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == FLOAT:
        return higher
    if higher is bool or lower.category == FLOAT:
        return _promote_pair(higher, lower)
    return higher


# Promotion tells tensors from numbers, but this module lies below the Tensor layer:
# clgrad/_tensor.py registers its class here as it defines it.
_Tensor = None


def register_tensor_class(cls: type) -> None:
    """Called once by clgrad/_tensor.py: the class result_dtype treats as a tensor."""
    global _Tensor
    _Tensor = cls


def result_dtype(operands) -> dtype:
    """PyTorch's result_type over tensors and Python scalars.

    Dimensioned tensors decide within a category; zero-dim tensors and Python numbers only
    raise the category (an int tensor plus a float scalar gives the default float dtype).
    """
    dim_result = zero_result = wrapped_result = None
    for op in operands:
        if isinstance(op, _Tensor):
            d = op.dtype
            if op.ndim > 0:
                dim_result = d if dim_result is None else _promote_pair(dim_result, d)
            else:
                zero_result = d if zero_result is None else _promote_pair(zero_result, d)
        elif op is not None:
            d = scalar_dtype(op)
            wrapped_result = d if wrapped_result is None else _promote_pair(wrapped_result, d)
    result = _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))
    if result is None:
        raise TypeError("result_type needs at least one tensor or number")
    return result


def result_type(tensor1, tensor2) -> dtype:
    """Like torch.result_type."""
    return result_dtype((tensor1, tensor2))


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether PyTorch allows this cast in operations with an `out=` or in-place target."""
    return from_.category <= to.category


class finfo:
    """Machine limits of a floating dtype, as torch.finfo."""

    def __init__(self, type: dtype | None = None):
        type = _default_dtype if type is None else type
        if not type.is_floating_point:
            raise TypeError(f"finfo(): {type} is not a floating point dtype")
        if type is bfloat16:
            self._bfloat16()
            return
        info = np.finfo(type.np)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = builtins.float(info.tiny)
        self.smallest_normal = self.tiny
        self.resolution = builtins.float(info.resolution)

    def _bfloat16(self) -> None:
        # float32's exponent with 8 significant bits; numpy's finfo cannot describe it.
        self.dtype = "bfloat16"
        self.bits = 16
        self.eps = 2.0 ** -7
        self.max = (2.0 - 2.0 ** -7) * 2.0 ** 127
        self.min = -self.max
        self.tiny = 2.0 ** -126
        self.smallest_normal = self.tiny
        self.resolution = 0.01

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype, as torch.iinfo."""

    def __init__(self, type: dtype):
        if type.is_floating_point:
            raise TypeError(f"iinfo(): {type} is not an integer dtype")
        if type is bool:
            self.bits, self.min, self.max = 8, 0, 1
        else:
            info = np.iinfo(type.np)
            self.bits, self.min, self.max = info.bits, builtins.int(info.min), builtins.int(
                info.max)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def to_bfloat16_bits(values) -> np.ndarray:
    """bfloat16 bit patterns (uint16) of values, rounded to nearest even as PyTorch does.

    Values go through float32 first (as PyTorch converts a double); NaN becomes 0x7FC0.
    """
    f = np.ascontiguousarray(values, dtype=np.float32)
    u = f.view(np.uint32)
    rounded = ((u + (np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1)))) >> 16).astype(np.uint16)
    return np.where(np.isnan(f), np.uint16(0x7FC0), rounded)


def from_bfloat16_bits(bits: np.ndarray) -> np.ndarray:
    """float32 values of bfloat16 bit patterns (exact: the bits are float32's top half)."""
    return (np.asarray(bits).astype(np.uint32) << 16).view(np.float32)
