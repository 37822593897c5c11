"""`python -m clgrad info`: versions, OpenCL platforms and devices, caches, compile stats.

It must work, and say why, on a machine without pyopencl or without any OpenCL platform, so
everything OpenCL-related is asked for inside try blocks and reported as text.
"""
from __future__ import annotations

import os
import platform as _platform
import sys
from importlib import metadata
from pathlib import Path

# Variables that change what clgrad or the OpenCL drivers do; `info` shows the ones set.
ENV_VARS = ("CLGRAD_DEVICE", "CLGRAD_CL_PLATFORM", "CLGRAD_TEST_DEVICES", "CLGRAD_DEBUG",
            "OCL_ICD_VENDORS", "OCL_ICD_FILENAMES", "POCL_CACHE_DIR", "POCL_DEVICES",
            "XDG_CACHE_HOME", "PYOPENCL_NO_CACHE")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _bytes(n: float) -> str:
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n / 1024:.1f} TiB"


def versions() -> list[tuple[str, str]]:
    """(name, version) of clgrad and what it runs on; 'not installed' where absent."""
    import numpy
    import clgrad
    rows = [("clgrad", clgrad.__version__),
            ("python", f"{_platform.python_version()} ({sys.executable})"),
            ("numpy", numpy.__version__)]
    try:
        import mako
        rows.append(("mako", mako.__version__))
    except ImportError:
        rows.append(("mako", "not installed"))
    from .backends.cl import runtime
    if runtime.cl is None:
        rows.append(("pyopencl", f"not available ({runtime.IMPORT_ERROR!r})"))
    else:
        rows.append(("pyopencl", runtime.cl.VERSION_TEXT))
    rows.append(("pocl-binary-distribution",
                 _version("pocl-binary-distribution") or "not installed"))
    return rows


def cache_dirs() -> list[tuple[str, Path]]:
    """Where compiled kernels are kept between runs, by whom."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    pocl = Path(os.environ["POCL_CACHE_DIR"]) if os.environ.get("POCL_CACHE_DIR") \
        else xdg / "pocl" / "kcache"
    try:  # pyopencl's own rule (pyopencl/cache.py), used where the driver has no cache
        import platformdirs
        pyopencl_dir = Path(platformdirs.user_cache_dir("pyopencl", "pyopencl"))
    except ImportError:
        pyopencl_dir = xdg / "pyopencl"
    return [("PoCL kernel cache", pocl), ("pyopencl program cache", pyopencl_dir)]


def _dir_summary(path: Path) -> str:
    if not path.is_dir():
        return "absent"
    count = size = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                size += os.path.getsize(os.path.join(root, name))
                count += 1
            except OSError:
                pass
    return f"{count} files, {_bytes(size)}"


def _capability_lines(caps) -> list[str]:
    major, minor = caps.opencl_c_version
    return [
        f"type: {caps.type}; vendor: {caps.vendor}; driver: {caps.driver_version}",
        f"version: {caps.opencl_version}; OpenCL C {major}.{minor} "
        f"(builds with {' '.join(caps.build_options)})",
        f"float64: {'yes' if caps.fp64 else 'no (float64 tensors raise TypeError)'}; "
        f"float16 arithmetic: {'yes' if caps.fp16 else 'no (stored as half, computed in float)'}",
        f"compute units: {caps.compute_units}; max work-group size: {caps.max_work_group_size}; "
        f"local memory: {_bytes(caps.local_mem_size)}",
        f"global memory: {_bytes(caps.global_mem_size)}; "
        f"max allocation: {_bytes(caps.max_alloc_size)}",
    ]


def device_lines() -> list[str]:
    """Every platform and device, with the `cl:N` name clgrad gives each one it uses."""
    from .backends.cl import runtime
    cl = runtime.cl
    if cl is None:
        return ["pyopencl is not available: clgrad runs on 'cpu' (numpy) only.",
                "Install it with: pip install 'clgrad[pocl]' (pyopencl plus a CPU OpenCL "
                "driver)."]
    try:
        platforms = cl.get_platforms()
    except Exception as exc:
        platforms, error = [], exc
    else:
        error = None
    if not platforms:
        return [f"No OpenCL platform found ({error or 'the ICD loader lists none'}); "
                f"OCL_ICD_VENDORS={os.environ.get('OCL_ICD_VENDORS', '(unset)')}.",
                "clgrad runs on 'cpu' (numpy) only; install clgrad[pocl] for a CPU OpenCL "
                "device."]
    used = {pair[1].int_ptr: index for index, pair in enumerate(runtime.enumerate_devices())}
    lines = []
    for p_index, plat in enumerate(platforms):
        lines.append(f"platform {p_index}: {plat.name.strip()} ({plat.version.strip()}, "
                     f"{plat.vendor.strip()})")
        try:
            devices = plat.get_devices()
        except Exception as exc:
            lines.append(f"  no devices ({exc})")
            continue
        for dev in devices:
            index = used.get(dev.int_ptr)
            name = f"cl:{index}" if index is not None else "not used (CLGRAD_CL_PLATFORM)"
            lines.append(f"  {name}: {dev.name.strip()}")
            try:
                caps = runtime._probe(dev, plat)
            except Exception as exc:
                lines.append(f"    capability probe failed: {exc!r}")
                continue
            lines.extend("    " + line for line in _capability_lines(caps))
    if not used:
        lines.append(f"No device matches CLGRAD_CL_PLATFORM="
                     f"{os.environ.get('CLGRAD_CL_PLATFORM')!r}: clgrad runs on 'cpu' only.")
    return lines


def report() -> str:
    """The whole `python -m clgrad info` text."""
    import clgrad
    lines = ["Versions"]
    lines += [f"  {name}: {value}" for name, value in versions()]
    lines += ["", "OpenCL devices (order of cl:N: GPUs, then accelerators, then CPUs)"]
    lines += ["  " + line for line in device_lines()]
    lines += ["", "Default device"]
    try:
        default = str(clgrad.get_default_device())
    except Exception as exc:  # e.g. CLGRAD_DEVICE naming a device that does not exist
        default = f"invalid ({exc})"
    lines.append(f"  creation functions: {default} "
                 f"(CLGRAD_DEVICE={os.environ.get('CLGRAD_DEVICE', '(unset)')})")
    if clgrad.cl.is_available():
        lines.append(f"  'cl' means: cl:{clgrad.cl.current_device()}")
    else:
        lines.append("  'cl' means: nothing, no OpenCL device is available")
    lines += ["", "Kernel caches"]
    lines += [f"  {who}: {path} ({_dir_summary(path)})" for who, path in cache_dirs()]
    stats = clgrad.cl.compile_stats()
    lines += ["", "Compile stats (this process)",
              f"  programs built: {stats['programs']}; seconds building: {stats['seconds']:.2f}"]
    fallbacks = clgrad.cl.fallback_stats()
    lines.append(f"  numpy fallbacks: {fallbacks or 'none'}")
    set_vars = [f"  {name}={os.environ[name]}" for name in ENV_VARS if name in os.environ]
    lines += ["", "Environment"] + (set_vars or ["  (no clgrad or OpenCL variables set)"])
    return "\n".join(lines)
