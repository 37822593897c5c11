"""OpenCL platforms and devices: enumeration, capability probe, contexts, queues, pools.

Everything here is created lazily on first use, so importing clgrad on a machine without
pyopencl or without any OpenCL platform costs nothing and leaves the cpu device working.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

from ...errors import OutOfMemoryError

try:  # pyopencl is optional: without it clgrad is numpy-only.
    import pyopencl as cl
    from pyopencl.tools import ImmediateAllocator, MemoryPool
    IMPORT_ERROR: Exception | None = None
except Exception as exc:  # pragma: no cover - exercised by the cpu-only tox env
    cl = None
    IMPORT_ERROR = exc


@dataclass(frozen=True)
class Capabilities:
    """What code generation needs to know about a device, probed once."""

    name: str
    platform: str
    vendor: str
    type: str
    driver_version: str
    opencl_version: str
    opencl_c_version: tuple[int, int]
    fp64: bool
    fp16: bool
    max_work_group_size: int
    local_mem_size: int
    compute_units: int
    global_mem_size: int
    max_alloc_size: int

    @property
    def build_options(self) -> tuple[str, ...]:
        # -cl-std follows the device's OpenCL C version, never the platform's.
        major, minor = min(self.opencl_c_version, (1, 2))
        return (f"-cl-std=CL{major}.{minor}",)


def _probe(device, platform) -> Capabilities:
    ext = device.extensions.split()
    match = re.search(r"OpenCL C (\d+)\.(\d+)", device.opencl_c_version)
    c_version = (int(match.group(1)), int(match.group(2))) if match else (1, 2)
    return Capabilities(
        name=device.name.strip(), platform=platform.name.strip(), vendor=device.vendor.strip(),
        type=cl.device_type.to_string(device.type), driver_version=device.driver_version,
        opencl_version=device.version, opencl_c_version=c_version,
        fp64="cl_khr_fp64" in ext or device.double_fp_config != 0,
        fp16="cl_khr_fp16" in ext, max_work_group_size=device.max_work_group_size,
        local_mem_size=device.local_mem_size, compute_units=device.max_compute_units,
        global_mem_size=device.global_mem_size, max_alloc_size=device.max_mem_alloc_size)


def _type_rank(device) -> int:
    if device.type & cl.device_type.GPU:
        return 0
    if device.type & cl.device_type.ACCELERATOR:
        return 1
    return 2


@lru_cache(maxsize=None)
def enumerate_devices() -> tuple:
    """Every (platform, device) pair, GPUs first, otherwise in the driver's order.

    CLGRAD_CL_PLATFORM (a case-insensitive substring of the platform name) restricts the
    list, e.g. to the Oclgrind simulator beside PoCL.
    """
    if cl is None:
        return ()
    wanted = os.environ.get("CLGRAD_CL_PLATFORM", "").lower()
    try:
        platforms = cl.get_platforms()
    except Exception:  # no ICD at all raises a LogicError/RuntimeError depending on the loader
        return ()
    found = []
    for platform in platforms:
        if wanted and wanted not in platform.name.lower():
            continue
        try:
            devices = platform.get_devices()
        except Exception:
            continue
        found.extend((platform, device) for device in devices)
    found.sort(key=lambda pair: _type_rank(pair[1]))  # stable: keeps the driver's order
    return tuple(found)


class DeviceRuntime:
    """One OpenCL device: its context, in-order queue, memory pool and kernel cache."""

    def __init__(self, index: int):
        pairs = enumerate_devices()
        if index >= len(pairs):
            raise RuntimeError(
                f"cl:{index}: invalid device index, {len(pairs)} OpenCL device(s) available")
        platform, device = pairs[index]
        self.index = index
        self.device = device
        self.caps = _probe(device, platform)
        self.context = cl.Context([device])
        self.queue = cl.CommandQueue(self.context)
        self.pool = MemoryPool(ImmediateAllocator(self.queue))
        self.kernels: dict = {}
        self.allocated = 0
        self.peak_allocated = 0
        # Work-group size used by 1-D launches: big enough to fill a SIMD unit, never above
        # what the device reports.
        self.group_size = min(256, self.caps.max_work_group_size)

    def allocate(self, nbytes: int):
        if nbytes < 1:
            nbytes = 1
        try:
            buf = self.pool.allocate(nbytes)
        except cl.MemoryError:
            self.pool.free_held()
            try:
                buf = self.pool.allocate(nbytes)
            except cl.MemoryError as exc:
                raise OutOfMemoryError(
                    f"cl:{self.index} ({self.caps.name}): out of memory allocating {nbytes} "
                    f"bytes; {self.allocated} bytes allocated by tensors") from exc
        self.allocated += nbytes
        if self.allocated > self.peak_allocated:
            self.peak_allocated = self.allocated
        return buf


_runtimes: dict[int, DeviceRuntime] = {}


def runtime(index: int) -> DeviceRuntime:
    rt = _runtimes.get(index)
    if rt is None:
        if cl is None:
            raise RuntimeError(f"cl:{index}: pyopencl is not installed ({IMPORT_ERROR}); "
                               "install clgrad[pocl] or use device='cpu'")
        rt = _runtimes[index] = DeviceRuntime(index)
    return rt


def started_runtimes() -> list[DeviceRuntime]:
    return list(_runtimes.values())
