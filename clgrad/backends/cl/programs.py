"""Rendering kernels from the Mako templates, building them once, and caching them.

A kernel is named by (template file, def name, key) where the key holds everything the
rendering is specialised on (dtypes, rank, contiguity): never sizes, which are arguments. The
first request renders and builds; later ones are a dict lookup (get_kernel, the one kernel
cache). The driver keeps its own disk cache where it has one (PoCL, NVIDIA) and pyopencl's
cache covers the others. A kernel's arguments come from its template's SIGNATURES (see
kernels/signature.py): they render its parameter list and drive Kernel.pack.
"""
from __future__ import annotations

import sys
import time
import warnings
from functools import lru_cache
from pathlib import Path

from mako.lookup import TemplateLookup

from ...errors import KernelBuildError
from .kernel import Kernel  # first: importing it makes clgrad.kernels importable
from ...kernels.signature import c_params  # noqa: I100
from .runtime import DEBUG, cl, log


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
