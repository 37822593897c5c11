"""Rendering kernels from the Mako templates, building them once, and caching them.

A kernel is named by (template file, def name, key) where the key holds everything the
rendering is specialised on (dtypes, rank, contiguity): never sizes, which are arguments. The
first request renders and builds; later ones are a dict lookup (get_kernel, the one kernel
cache). The driver keeps its own disk cache where it has one (PoCL, NVIDIA) and pyopencl's
cache covers the others. A kernel's arguments come from its template's SIGNATURES (see
kernels/signature.py): they render its parameter list and drive Kernel.pack.
"""
from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from functools import lru_cache
from pathlib import Path

from mako.lookup import TemplateLookup

from ..._storage import Storage
from ...errors import KernelBuildError


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
from ...kernels.signature import BUFFER, LOCAL, SCALAR, TENSOR, c_params  # noqa: E402
from .runtime import DEBUG, cl, log  # noqa: E402


class BuildStats:
    """Totals shown by `python -m clgrad info` and reported by the benchmarks."""

    programs = 0
    seconds = 0.0


def template_dir() -> Path:
    """The folder of the clgrad.kernels package (installed, or the source tree's kernels/)."""
    return Path(sys.modules["clgrad.kernels"].__file__).parent


@lru_cache(maxsize=1)
def _lookup() -> TemplateLookup:
    return TemplateLookup(directories=[str(template_dir())], strict_undefined=True)


def compute_ctype(dtype) -> str:
    """The OpenCL C type arithmetic on `dtype` runs in: half and bfloat16 compute in float."""
    return "float" if dtype.name in ("float16", "bfloat16") else dtype.ctype


def acc_ctype(dtype) -> str:
    """Accumulators of floating kernels: double for float64, float otherwise."""
    return "double" if dtype.name == "float64" else "float"


def signature(template: str, def_name: str, params: dict) -> list:
    """The declared arguments of kernels/<template>:<def_name> for these render parameters."""
    declared = getattr(_lookup().get_template(template).module, "SIGNATURES", {}).get(def_name)
    if declared is None:
        raise LookupError(f"kernels/{template}: kernel {def_name} declares no signature")
    return declared(**params)


def render(template: str, def_name: str, **params) -> tuple[str, list]:
    """(OpenCL C source, declared arguments) of one kernel `<%def>` of kernels/<template>.

    The def's parameter list is the `signature` keyword, rendered from its declaration.
    """
    lookup = _lookup()
    args = signature(template, def_name, params)
    prelude = lookup.get_template("common.cl.mako").get_def("prelude").render(**params)
    kernel_def = lookup.get_template(template).get_def(def_name)
    body = kernel_def.render(signature=c_params(args), **params)
    return prelude + "\n" + body, args


def build(rt, source: str, kernel_name: str, description: str):
    """Build `source` for the runtime's device and return the named pyopencl kernel."""
    start = time.perf_counter()
    options = list(rt.caps.build_options)
    try:
        with warnings.catch_warnings():
            # PoCL prints harmless notes on success; a failure raises with the log below.
            warnings.simplefilter("ignore")
            program = cl.Program(rt.context, source).build(options=options)
    except cl.RuntimeError as exc:
        try:
            build_log = cl.Program(rt.context, source).get_build_info(
                rt.device, cl.program_build_info.LOG)
        except Exception:
            build_log = str(exc)
        raise KernelBuildError(f"clgrad: building {description} for {rt.caps.name} failed",
                               build_log or str(exc), source) from None
    BuildStats.seconds += time.perf_counter() - start
    BuildStats.programs += 1
    if DEBUG >= 2:
        log.debug("built %s in %.3f s:\n%s", description, time.perf_counter() - start, source)
    elif DEBUG:
        log.debug("built %s in %.3f s", description, time.perf_counter() - start)
    return getattr(program, kernel_name)


class Kernel:
    """A built kernel with its declared arguments; runtime.launch enqueues it.

    pack() turns named values into pyopencl's positional arguments, one declared argument
    at a time, so call sites never list buffers, offsets or types by position.
    """

    __slots__ = ("cl", "name", "args", "description", "template", "def_name", "params",
                 "_max_group", "check")

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
        cl_kernel.set_scalar_arg_dtypes([t for a in args for t in a.arg_dtypes()])

    def max_group(self, device) -> int:
        """The largest work-group this kernel may run with on `device` (asked once)."""
        limit = self._max_group
        if limit is None:
            limit = self._max_group = self.cl.get_work_group_info(
                cl.kernel_work_group_info.WORK_GROUP_SIZE, device)
        return limit

    def pack(self, values: dict) -> list:
        """The positional arguments for `values`, a dict of declared name -> value."""
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


def get_kernel(rt, template: str, def_name: str, key: tuple, params) -> Kernel:
    """The cached kernel for (template, def, key), rendering and building it on a miss.

    The key holds everything the rendering depends on besides the device. params: the render
    parameters (with `name`, the kernel's C name), or a function returning them, which hot
    paths pass so that a cache hit builds nothing. A `check` parameter (a checks.Check) is
    not rendered: it becomes the kernel's `check`, what its launches pass.
    """
    full_key = (template, def_name, key)
    kernel = rt.kernels.get(full_key)
    if kernel is None:
        if callable(params):
            params = params()
        check = params.get("check")
        if check is not None:
            params = {k: v for k, v in params.items() if k != "check"}
        name = params["name"]
        description = f"{template}:{def_name} {key}"
        source, args = render(template, def_name, caps=rt.caps, **params)
        kernel = Kernel(build(rt, source, name, description), name, args, description,
                        template, def_name, params)
        kernel.check = check
        rt.kernels[full_key] = kernel
    return kernel
