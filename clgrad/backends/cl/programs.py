"""Rendering kernels from the Mako templates, building them once, and caching them.

A kernel is named by (template file, def name, key) where the key holds everything the
rendering is specialised on (dtypes, rank, contiguity): never sizes, which are arguments. The
first request renders and builds; later ones are a dict lookup. The driver keeps its own disk
cache where it has one (PoCL, NVIDIA) and pyopencl's cache covers the others.
"""
from __future__ import annotations

import logging
import os
import time
import warnings
from functools import lru_cache
from pathlib import Path

from mako.lookup import TemplateLookup

from ...errors import KernelBuildError
from .runtime import cl

log = logging.getLogger("clgrad.cl")

DEBUG = int(os.environ.get("CLGRAD_DEBUG", "0") or 0)
if DEBUG and not logging.getLogger().handlers:
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")


class BuildStats:
    """Totals shown by `python -m clgrad info` and reported by the benchmarks."""

    programs = 0
    seconds = 0.0


def template_dir() -> Path:
    """The installed clgrad.kernels package, or the source tree's kernels/ folder."""
    try:
        import clgrad.kernels as installed
        return Path(installed.__file__).parent
    except ImportError:
        return Path(__file__).resolve().parents[3] / "kernels"


@lru_cache(maxsize=1)
def _lookup() -> TemplateLookup:
    return TemplateLookup(directories=[str(template_dir())], strict_undefined=True)


def render(template: str, def_name: str, **params) -> str:
    """The OpenCL C source of one `<%def>` of kernels/<template>, with the common prelude."""
    lookup = _lookup()
    prelude = lookup.get_template("common.cl.mako").get_def("prelude").render(**params)
    body = lookup.get_template(template).get_def(def_name).render(**params)
    return prelude + "\n" + body


def build(rt, source: str, kernel_name: str, description: str):
    """Build `source` for the runtime's device and return the named kernel object."""
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


def get_kernel(rt, template: str, def_name: str, key: tuple, params: dict,
               scalar_arg_dtypes: list | None = None):
    """The cached kernel for (template, def, key), rendering and building it on a miss."""
    full_key = (template, def_name) + key
    kernel = rt.kernels.get(full_key)
    if kernel is None:
        name = params["name"]
        source = render(template, def_name, caps=rt.caps, **params)
        kernel = build(rt, source, name, f"{template}:{def_name} {key}")
        if scalar_arg_dtypes is not None:
            kernel.set_scalar_arg_dtypes(scalar_arg_dtypes)
        rt.kernels[full_key] = kernel
    return kernel
