"""Kernel signatures: each kernel's argument names and types, declared once.

Every `<%def>` that is a kernel has, right above it in its template, a module-level block
that declares its arguments as a function of the render parameters:

    <%!
    @declare(SIGNATURES)
    def eye(out, **_):
        return [scalar("long", "n", "cols"), buffer(out.ctype, "out", const=False)]
    %>

From that one list come both sides of the launch, so they cannot drift apart:
  - the template's parameter list: programs.render passes `signature`, the C parameter list,
    and the def writes `__kernel void ${name}(${signature})`;
  - the Python side: the scalar argument dtypes given to pyopencl, and Kernel.pack, which
    turns named values (`n=..., out=tensor`) into pyopencl's positional arguments.

Argument kinds and what a launch passes for them:
  scalar  `const T name`: a Python number.
  tensor  `__global [const] T *name, const I name_off[, const I name_s0, ...]`: a Tensor,
          packed in one step as its buffer, its offset and (when declared) its own strides.
  buffer  `__global [const] T *name`: a Tensor (its buffer; the kernel indexes from 0), a
          Storage, or a raw pyopencl buffer.
  local   `__local T *name`: a number of elements, packed as local memory of that size
          (declared with local_mem(): `local` is a name Mako reserves).

A kernel that checks values only the device sees (an index, a target, a divisor) declares
error_word() as its LAST arguments: `__global int *err, const int err_id`. The launch appends
them itself (DeviceRuntime.launch with a check); the kernel reports through common.report.

This module is plain Python over numpy (the templates import it), so it sits on the floor.
"""
from __future__ import annotations

import numpy as np

SCALAR, TENSOR, BUFFER, LOCAL = "scalar", "tensor", "buffer", "local"

# numpy types of the OpenCL C scalar types, for pyopencl's argument packing.
NP_OF_CTYPE = {"uchar": np.uint8, "char": np.int8, "short": np.int16, "ushort": np.uint16,
               "int": np.int32, "uint": np.uint32, "long": np.int64, "ulong": np.uint64,
               "float": np.float32, "double": np.float64}


class Arg:
    """One declared kernel argument (one or, for a tensor, several C parameters)."""

    __slots__ = ("name", "kind", "ctype", "const", "index_t", "strides", "offset", "itemsize")

    def __init__(self, name, kind, ctype, const=True, index_t=None, strides=(), offset=None):
        self.name = name
        self.offset = offset or f"{name}_off"
        self.kind = kind
        self.ctype = ctype
        self.const = const
        self.index_t = index_t
        self.strides = tuple(strides)
        self.itemsize = np.dtype(NP_OF_CTYPE[ctype]).itemsize if kind == LOCAL else 0

    def c_params(self) -> list[str]:
        """The C parameter declarations this argument stands for."""
        const = "const " if self.const else ""
        if self.kind == SCALAR:
            return [f"const {self.ctype} {self.name}"]
        if self.kind == LOCAL:
            return [f"__local {self.ctype} *{self.name}"]
        params = [f"__global {const}{self.ctype} *{self.name}"]
        if self.kind == TENSOR:
            params.append(f"const {self.index_t} {self.offset}")
            params += [f"const {self.index_t} {s}" for s in self.strides]
        return params

    def arg_dtypes(self) -> list:
        """pyopencl's scalar argument dtypes for the positional arguments it packs to."""
        if self.kind == SCALAR:
            return [NP_OF_CTYPE[self.ctype]]
        if self.kind == TENSOR:
            return [None] + [NP_OF_CTYPE[self.index_t]] * (1 + len(self.strides))
        return [None]

    def __repr__(self) -> str:
        return f"Arg({self.name!r}, {self.kind}, {self.ctype})"


def scalar(ctype: str, *names: str) -> list[Arg]:
    """Scalar arguments of one C type, in order."""
    return [Arg(name, SCALAR, ctype) for name in names]


def tensor(ctype: str, name: str, index_t: str, const: bool = True, strides=0,
           offset: str | None = None) -> Arg:
    """A tensor: pointer, offset (C name `offset`, default name_off), and its own strides.

    strides: a count (named name_s0, name_s1, ...) or the strides' C names.
    """
    if isinstance(strides, int):
        strides = [f"{name}_s{d}" for d in range(strides)]
    return Arg(name, TENSOR, ctype, const, index_t, strides, offset)


def buffer(ctype: str, name: str, const: bool = False) -> Arg:
    """A bare pointer, indexed from the start of the buffer."""
    return Arg(name, BUFFER, ctype, const)


def local_mem(ctype: str, name: str) -> Arg:
    """Local memory of ctype elements; a launch passes the element count."""
    return Arg(name, LOCAL, ctype)


def error_word() -> list[Arg]:
    """The queue's error word and this launch's id (always the last declared arguments)."""
    return [Arg("err", BUFFER, "int", const=False), Arg("err_id", SCALAR, "int")]


def flatten(args) -> list[Arg]:
    """args with nested lists (from scalar()) spliced in; names checked unique."""
    flat = []
    for a in args:
        flat.extend(a if isinstance(a, list) else [a])
    names = [a.name for a in flat]
    if len(set(names)) != len(names):
        raise ValueError(f"kernel signature repeats an argument name: {names}")
    return flat


def c_params(args) -> str:
    """The kernel's C parameter list."""
    return ",\n    ".join(p for a in args for p in a.c_params())


def declare(registry: dict):
    """Register a signature function under its name (the `<%def>` name it belongs to)."""
    def register(fn):
        registry[fn.__name__] = lambda **params: flatten(fn(**params))
        return fn
    return register
