"""Kernel: a built OpenCL kernel with its declared arguments, and their packing.

Separate from programs.py (rendering, building, caching) because the packing is the eager
hot path: every launch that passes named arguments goes through Kernel.pack.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from ..._storage import Storage
from .runtime import cl


def _find_kernels_package() -> None:
    """Make `clgrad.kernels` importable: the installed package (setup.cfg maps kernels/ to it),
    or, when clgrad runs from a source checkout (a script started in the repository shadows
    the installed wheel), the kernels/ folder beside clgrad/. The templates import
    clgrad.kernels.signature themselves, so the name must resolve either way."""
    try:
        import clgrad.kernels  # noqa: F401
    except ImportError:
        folder = Path(__file__).resolve().parents[3] / "kernels"
        spec = importlib.util.spec_from_file_location(
            "clgrad.kernels", folder / "__init__.py", submodule_search_locations=[str(folder)])
        module = importlib.util.module_from_spec(spec)
        sys.modules["clgrad.kernels"] = module
        spec.loader.exec_module(module)


_find_kernels_package()
from ...kernels.signature import BUFFER, LOCAL, SCALAR, TENSOR  # noqa: E402


class Kernel:
    """A built kernel with its declared arguments; runtime.launch enqueues it.

    pack() turns named values into pyopencl's positional arguments, one declared argument
    at a time, so call sites never list buffers, offsets or types by position.
    """

    __slots__ = ("cl", "name", "args", "description", "template", "def_name", "params",
                 "_max_group", "check", "_packer")

    def __init__(self, cl_kernel, name: str, args: list, description: str, template: str,
                 def_name: str, params: dict):
        self.cl = cl_kernel
        self.name = name
        self.args = args
        self.description = description
        # What it was rendered from: capture/replay and the signature tests render it again.
        self.template = template
        self.def_name = def_name
        self.params = params
        self._max_group = None
        # The checks.Check its launches pass when it declares the error word (get_kernel's
        # `check` parameter); callers that always check pass their own.
        self.check = None
        self._packer = None  # the generated pack for this signature, made on first use
        cl_kernel.set_scalar_arg_dtypes([t for a in args for t in a.arg_dtypes()])

    def max_group(self, device) -> int:
        """The largest work-group this kernel may run with on `device` (asked once)."""
        limit = self._max_group
        if limit is None:
            limit = self._max_group = self.cl.get_work_group_info(
                cl.kernel_work_group_info.WORK_GROUP_SIZE, device)
        return limit

    def pack(self, values: dict) -> list:
        """The positional arguments for `values`, a dict of declared name -> value.

        Runs the packer generated for this signature (one expression per argument, no loop
        or dispatch on kinds: 3-4 times cheaper); on any failure the general packing below
        runs instead and raises the error that names the argument.
        """
        packer = self._packer
        if packer is None:
            packer = self._packer = _make_packer(self.args)
        try:
            return packer(values)
        except Exception:
            return self._pack_checked(values)

    def _pack_checked(self, values: dict) -> list:
        """pack() one declared argument at a time, raising TypeErrors that name the kernel
        and the argument (also the reference the generated packers are tested against)."""
        args = self.args
        if len(values) != len(args):
            raise self._mismatch(values)
        flat = []
        append = flat.append
        arg = value = None
        try:
            for arg in args:
                value = values[arg.name]
                kind = arg.kind
                if kind is SCALAR:
                    append(value)
                elif kind is TENSOR:
                    append(value._storage.data)
                    append(value._offset)
                    if arg.strides:
                        strides = value._stride
                        if len(strides) != len(arg.strides):
                            raise TypeError(f"kernel {self.name}: argument {arg.name} has "
                                            f"{len(arg.strides)} strides, got a tensor of rank "
                                            f"{len(strides)}")
                        flat.extend(strides)
                elif kind is BUFFER:
                    append(_buffer_of(value, self, arg))
                elif kind is LOCAL:
                    append(cl.LocalMemory(value * arg.itemsize))
        except KeyError:
            raise self._mismatch(values) from None
        except AttributeError:
            raise TypeError(f"kernel {self.name}: argument {arg.name} ({arg.kind} of "
                            f"{arg.ctype}) cannot take a {type(value).__name__}") from None
        return flat

    def _mismatch(self, values: dict) -> TypeError:
        declared = [a.name for a in self.args]
        missing = [n for n in declared if n not in values]
        extra = [n for n in values if n not in declared]
        return TypeError(f"kernel {self.name}: missing arguments {missing}, unknown "
                         f"arguments {extra} (declared: {', '.join(declared)})")

    def argument_at(self, position: int) -> str:
        """The declared argument a 0-based positional argument belongs to."""
        for arg in self.args:
            width = len(arg.arg_dtypes())
            if position < width:
                return arg.name
            position -= width
        return "?"

    def __repr__(self) -> str:
        return f"<Kernel {self.description}>"


class _Mismatch(Exception):
    """Raised by a generated packer for values it cannot pack (the general path explains)."""


def _bare_buffer(value):
    """What a bare buffer argument passes: a tensor's buffer (at offset 0), a storage's, or
    the value itself (a pyopencl buffer)."""
    storage = getattr(value, "_storage", None)
    if storage is not None:
        if value._offset:
            raise _Mismatch
        return storage.data
    if isinstance(value, Storage):
        return value.data
    return value


def _make_packer(args: list):
    """A function packing a dict of this signature's values into pyopencl's positional
    arguments, generated once per Kernel: the same order and values as Kernel._pack_checked,
    each argument one expression."""
    lines = ["def pack(values):", f"    if len(values) != {len(args)}:", "        raise _Mismatch"]
    items = []
    for i, arg in enumerate(args):
        value = f"v{i}"
        lines.append(f"    {value} = values[{arg.name!r}]")
        if arg.kind is SCALAR:
            items.append(value)
        elif arg.kind is TENSOR:
            items += [f"{value}._storage.data", f"{value}._offset"]
            if arg.strides:
                lines += [f"    if len({value}._stride) != {len(arg.strides)}:",
                          "        raise _Mismatch"]
                items.append(f"*{value}._stride")
        elif arg.kind is BUFFER:
            items.append(f"_bare_buffer({value})")
        elif arg.kind is LOCAL:
            items.append(f"_local({value} * {arg.itemsize})")
        else:
            raise ValueError(f"argument {arg.name}: unknown kind {arg.kind!r}")
    lines.append(f"    return [{', '.join(items)}]")
    namespace = {"_Mismatch": _Mismatch, "_bare_buffer": _bare_buffer,
                 "_local": cl.LocalMemory if cl is not None else None}
    exec(compile("\n".join(lines), "<clgrad kernel packer>", "exec"), namespace)
    return namespace["pack"]


def _buffer_of(value, kernel: Kernel, arg):
    storage = getattr(value, "_storage", None)
    if storage is not None:  # a Tensor: the kernel indexes its buffer from 0
        if value._offset:
            raise TypeError(f"kernel {kernel.name}: argument {arg.name} is a bare buffer, "
                            f"got a tensor at offset {value._offset}")
        return storage.data
    if isinstance(value, Storage):
        return value.data
    return value
