"""PyTorch's legacy tensor type names (FloatTensor, ...), one table for the whole package.

Error messages quote them ("'Long'", "torch.FloatTensor"); Tensor.type() prints them and
accepts them back; the legacy constructors (clgrad.FloatTensor, ...) are named by them.
"""
from __future__ import annotations

from . import _dtype as dt

# dtype name -> the scalar part of PyTorch's type name ("Float" in FloatTensor).
SCALAR_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                "float64": "Double", "bfloat16": "BFloat16"}


def scalar_name(d: dt.dtype) -> str:
    """'Float' for float32: the name PyTorch's kernels quote in dtype errors."""
    return SCALAR_NAMES[d.name]


def tensor_type_name(d: dt.dtype) -> str:
    """'FloatTensor' for float32."""
    return SCALAR_NAMES[d.name] + "Tensor"


def qualified_type_name(d: dt.dtype, on_cl: bool) -> str:
    """What Tensor.type() returns: 'clgrad.FloatTensor' or 'clgrad.cl.FloatTensor'."""
    return f"clgrad.{'cl.' if on_cl else ''}{tensor_type_name(d)}"


def parse_type_name(name: str):
    """(dtype, on_cl) for 'torch.FloatTensor', 'clgrad.cl.LongTensor', 'torch.cuda.X', ...

    Raises ValueError for anything else, as PyTorch does for an unknown type string.
    """
    parts = name.split(".")
    if len(parts) in (2, 3) and parts[0] in ("torch", "clgrad"):
        on_cl = len(parts) == 3
        if not on_cl or parts[1] in ("cl", "cuda"):
            for dtype_name, scalar in SCALAR_NAMES.items():
                if parts[-1] == scalar + "Tensor" and hasattr(dt, dtype_name):
                    return getattr(dt, dtype_name), on_cl
    raise ValueError(f"invalid type: '{name}'")
