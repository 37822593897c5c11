"""OpenCL platforms and devices: enumeration, capability probe, contexts, queues, pools, and
DeviceRuntime.launch, the one place where clgrad enqueues a kernel.

Everything here is created lazily on first use, so importing clgrad on a machine without
pyopencl or without any OpenCL platform costs nothing and leaves the cpu device working.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from ..._storage import Storage
from ..._strides import contiguous_strides, numel
from ...errors import OutOfMemoryError
from .checks import ErrorWord

try:  # pyopencl is optional: without it clgrad is numpy-only.
    import pyopencl as cl
    from pyopencl.tools import ImmediateAllocator, MemoryPool
    IMPORT_ERROR: Exception | None = None
    # enqueue_nd_range_kernel(queue, kernel, global, local, offset, wait_for, g_times_l,
    # allow_empty_ndrange): positional, as pyopencl's own invoker calls it.
    _enqueue = cl.enqueue_nd_range_kernel
except Exception as exc:  # pragma: no cover - exercised by the cpu-only tox env
    cl = None
    IMPORT_ERROR = exc

log = logging.getLogger("clgrad.cl")

DEBUG = int(os.environ.get("CLGRAD_DEBUG", "0") or 0)
# CLGRAD_LAUNCH_BLOCKING=1: wait for every launch and raise a device-side check's error at it.
LAUNCH_BLOCKING = os.environ.get("CLGRAD_LAUNCH_BLOCKING", "0") not in ("", "0")
if DEBUG and not logging.getLogger().handlers:
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")

# The largest element index an `int` kernel index holds; beyond it kernels index with long.
INT32_LIMIT = 2 ** 31 - 1

# PoCL (3.0) compiles a kernel apart for grids whose every dimension is narrower than this
# ("smallgrid", USHRT_MAX on its CPU devices), and for each work-group size it meets.
SMALL_GRID = 65535
# The work-group size of wide 1-D grids with fixed groups (at most; see DeviceRuntime.geometry):
# 4096 (PoCL's own usual pick) measured up to 40% slower than the driver on 300k elements,
# 1024 within noise of it.
LARGE_GROUP = 1024


def index_t(*tensors) -> str:
    """The kernel index type covering every element of the tensors' storages."""
    for t in tensors:
        if t is not None and t._storage.numel > INT32_LIMIT:
            return "long"
    return "int"


def pow2_at_most(n: int) -> int:
    return 1 << (max(n, 1).bit_length() - 1)


def next_pow2(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


class Scratch:
    """A contiguous tensor-shaped view of a buffer the backend allocates for itself (sort keys,
    partial sums): what kernels and pointwise copies read from a tensor, without Tensor."""

    __slots__ = ("_storage", "_shape", "_stride", "_offset", "_contig", "dtype")

    def __init__(self, storage: Storage, shape: tuple, dtype):
        self._storage = storage
        self._shape = shape
        self._stride = contiguous_strides(shape)
        self._offset = 0
        self._contig = True
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self._shape)

    def numel(self) -> int:
        return numel(self._shape)

    def is_contiguous(self) -> bool:
        return True


def _log_launch(kernel, global_size, local_size, args) -> None:
    log.debug("launch %s global=%s local=%s", kernel.name, global_size, local_size)


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
    # floats in one native vector register (CPU devices: 8 with AVX2, 16 with AVX-512)
    native_float_width: int = 1

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
        global_mem_size=device.global_mem_size, max_alloc_size=device.max_mem_alloc_size,
        native_float_width=device.native_vector_width_float)


def _type_rank(device) -> int:
    if device.type & cl.device_type.GPU:
        return 0
    if device.type & cl.device_type.ACCELERATOR:
        return 1
    return 2


def is_pocl(platform) -> bool:
    return "portable computing language" in platform.name.lower()


# PoCL settings clgrad makes when the user has not: {variable: value}.
POCL_DEFAULTS = {
    # PoCL's CPU devices generate code for a kernel at its first launch with each work-group
    # size (and grid class) it meets, 0.05-0.3 s each: a LeNet step's first launches cost
    # 40 code generations. 0: one generic work-group function per kernel, whatever the
    # launch, which a program's binary query (programs.pregenerate) also produces ahead of
    # any launch. PoCL reads it at each first launch, so it must be set before the first
    # one; setting it here, at device enumeration, is before any. The steady-state cost was
    # measured within noise (benchmarks, PoCL 3.0: see README's cold-start notes).
    "POCL_WORK_GROUP_SPECIALIZATION": "0",
}


def pocl_defaults() -> None:
    """Apply POCL_DEFAULTS where the environment does not set the variable: the user's own
    setting always wins."""
    for name, value in POCL_DEFAULTS.items():
        os.environ.setdefault(name, value)


def pocl_generic_groups() -> bool:
    """Whether PoCL launches generic work-group functions (specialisation off): PoCL takes
    the option as true when its value starts with "1", and true when unset."""
    return not os.environ.get("POCL_WORK_GROUP_SPECIALIZATION", "1").startswith("1")


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
        if is_pocl(platform):
            pocl_defaults()
        found.extend((platform, device) for device in devices)
    found.sort(key=lambda pair: _type_rank(pair[1]))  # stable: keeps the driver's order
    return tuple(found)


class DryLaunch(Exception):
    """Raised by a dry run's stand-in kernel when launch sets its arguments: the launch is
    then over, and nothing was enqueued."""


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
        # PoCL with generic work-group functions: building a program's binary generates every
        # kernel's launch code, so a warm-up can pay the first launches without launching.
        self.pregenerate = is_pocl(platform) and pocl_generic_groups()
        # PoCL builds in parallel in several processes, which share its disk cache (see
        # build_worker), not in threads.
        self.parallel_builds = is_pocl(platform)
        self.context = cl.Context([device])
        self.queue = cl.CommandQueue(self.context)
        self.pool = MemoryPool(ImmediateAllocator(self.queue))
        self.kernels: dict = {}  # (template, def, key) -> kernel.Kernel
        self.launches = 0  # kernels enqueued on this device so far (see launch_count())
        # Called as launch_hook(kernel, global_size, local_size, args) before every enqueue:
        # the point where capture/replay records launches and device-side checks attach.
        # CLGRAD_DEBUG sets a logger; None costs one attribute test per launch.
        self.launch_hook = _log_launch if DEBUG else None
        # The queue's device-side error word (see checks.py).
        self.errors = ErrorWord(self.context)
        if LAUNCH_BLOCKING:  # an instance attribute: the normal path tests nothing for it
            self.launch = self._launch_blocking
        self._launch_lock = threading.Lock()
        self.allocated = 0
        self.peak_allocated = 0
        # Work-group size used by 1-D launches: big enough to fill a SIMD unit, never above
        # what the device reports.
        self.group_size = min(256, self.caps.max_work_group_size)
        # PoCL's CPU devices with specialisation on (the user's choice, see POCL_DEFAULTS):
        # 1-D launches get an explicit work-group size from two, one for grids below PoCL's
        # "small grid" width and one above (see geometry), instead of the driver's choice,
        # which follows each global size, while PoCL generates code per kernel and work-group
        # size at the first launch (~0.05-0.3 s each): a LeNet step's first launches went from
        # 40 code generations to 35 (61 to 48 with a dry run's no-op). With generic work-group
        # functions this saves nothing, and the driver's sizes measured up to ~10-30% faster
        # on 30k-300k elements, so they stay.
        self.fixed_groups = (is_pocl(platform) and not self.pregenerate
                             and "CPU" in self.caps.type.upper())
        self.large_group = pow2_at_most(min(
            self.caps.max_work_group_size, LARGE_GROUP,
            max(self.group_size, SMALL_GRID // max(self.caps.compute_units, 1))))

    def launch(self, kernel, global_size, local_size, args, check=None) -> None:
        """Enqueue `kernel`: every kernel clgrad runs on this device goes through here.

        global_size: a tuple, or an int n for a 1-D launch of n work-items rounded up to
        the runtime's group size (the kernel guards its tail); local_size: a tuple or None
        (the driver chooses). args: a dict of the kernel's declared arguments by name, or the
        positional list Kernel.pack returns (hot paths pack their own). check: a checks.Check
        for a kernel that declares signature.error_word() (last): the launch appends the
        queue's error word and a launch id, and remembers what the id's errors mean.
        """
        if check is not None:
            launch_id = self.errors.record(check)
            if args.__class__ is dict:
                args = dict(args, err=self.errors.buffer, err_id=launch_id)
            else:
                args = args + [self.errors.buffer, launch_id]
        if args.__class__ is dict:
            args = kernel.pack(args)
        if global_size.__class__ is int:
            if self.fixed_groups:
                global_size, local_size = self.geometry(global_size, local_size)
            else:  # geometry's common case inline: this is every 1-D launch's path
                group = self.group_size
                global_size = ((global_size + group - 1) // group * group,)
        self.launches += 1
        if self.launch_hook is not None:
            self.launch_hook(kernel, global_size, local_size, args)
        k = kernel.cl
        try:
            # Not the invoker kernel(queue, size, local, *args): the same argument setting
            # (set_args is the body pyopencl generated for the declared dtypes) without its
            # call overhead, then the enqueue with positional arguments (about 2.5 us less
            # per launch on PoCL).
            # Setting a kernel's arguments and enqueueing it is one step for other threads (a
            # background warm-up's dry run launches the same cached kernels): between them,
            # another thread's set_args would make this launch run with its arguments.
            with self._launch_lock:
                k.set_args(*args)
                _enqueue(self.queue, k, global_size, local_size, None, None, False, False)
        except DryLaunch:  # a dry run's stand-in (programs._Nothing): nothing to run
            pass
        except Exception as exc:  # name the kernel and argument, keep the type
            exc.add_note(_explain(kernel, args, exc))
            raise

    def geometry(self, n: int, local_size=None) -> tuple:
        """(global, local) sizes of a 1-D launch of n work-items (the kernel guards the
        tail): n rounded up to the group size; with fixed_groups, when the caller leaves the
        group size open, group_size for grids narrower than PoCL's small-grid limit (it
        compiles those apart) and large_group for wider ones, so that a kernel meets at most
        two work-group setups whatever its sizes."""
        group = self.group_size
        rounded = (n + group - 1) // group * group
        if local_size is not None or not self.fixed_groups or rounded == 0:
            return (rounded,), local_size
        if rounded < SMALL_GRID:
            return (rounded,), (group,)
        group = self.large_group
        return ((n + group - 1) // group * group,), (group,)

    def enqueue_preset(self, launches: list) -> None:
        """Enqueue recorded kernels whose arguments are already set, (cl kernel, global size,
        local size) each: a capture's replay (backends/cl/capture.py), the one other way a
        kernel reaches the queue. Nothing is packed or checked again."""
        queue = self.queue
        enqueue = cl.enqueue_nd_range_kernel
        for kernel, global_size, local_size in launches:
            enqueue(queue, kernel, global_size, local_size)
        self.launches += len(launches)

    def _launch_blocking(self, kernel, global_size, local_size, args, check=None) -> None:
        """launch, then wait and raise a device-side check's error here (LAUNCH_BLOCKING)."""
        DeviceRuntime.launch(self, kernel, global_size, local_size, args, check)
        self.synchronize()

    def synchronize(self) -> None:
        """Wait for every command of the queue; raise a device-side check's error."""
        self.queue.finish()
        if self.errors.armed:
            self.errors.check(self.queue)

    # -- host transfers: the only other commands clgrad enqueues ------------------------------
    def write(self, buf, array, offset: int = 0, blocking: bool = True) -> None:
        """Copy the host array into buf from byte `offset` (blocking: array may be reused)."""
        cl.enqueue_copy(self.queue, buf, array, dst_offset=offset, is_blocking=blocking)

    def copy(self, dst, src, nbytes: int) -> None:
        """The first nbytes of buffer src into buffer dst, on the device (no wait)."""
        cl.enqueue_copy(self.queue, dst, src, byte_count=nbytes)

    def read(self, array, buf, offset: int = 0) -> None:
        """Copy buf from byte `offset` into the host array (waits for the device); raises a
        device-side check's error (its word is read in the same wait)."""
        errors = self.errors
        if errors.armed:
            errors.enqueue_read(self.queue)
            cl.enqueue_copy(self.queue, array, buf, src_offset=offset, is_blocking=True)
            errors.raise_pending(self.queue)
            return
        cl.enqueue_copy(self.queue, array, buf, src_offset=offset, is_blocking=True)

    def _out_of_memory(self, nbytes: int) -> OutOfMemoryError:
        # PyTorch's form: "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total
        # capacity of ... Of the allocated memory ... is allocated by PyTorch, ..."
        # getattr: a test's pool stand-in may not count what it holds.
        reserved = getattr(self.pool, "managed_bytes", self.allocated)
        return OutOfMemoryError(
            f"cl:{self.index} out of memory. Tried to allocate {format_size(nbytes)}. Device "
            f"{self.index} ({self.caps.name}) has a total capacity of "
            f"{format_size(self.caps.global_mem_size)} and allocates at most "
            f"{format_size(self.caps.max_alloc_size)} at once. Of the allocated memory "
            f"{format_size(self.allocated)} is allocated by clgrad, and "
            f"{format_size(max(reserved - self.allocated, 0))} is reserved by clgrad but "
            "unallocated.")

    def group_limit(self, kernel, bytes_per_item: int) -> int:
        """The largest power-of-two work-group `kernel` may use here, holding bytes_per_item
        of local memory per work-item within half the device's local memory."""
        local_items = max(self.caps.local_mem_size // max(bytes_per_item, 1) // 2, 1)
        return pow2_at_most(min(256, self.caps.max_work_group_size,
                                kernel.max_group(self.device), local_items))

    def allocate(self, nbytes: int):
        """A pooled buffer of nbytes; every kind of allocation failure (the pool's, the
        driver's INVALID_BUFFER_SIZE or MEM_OBJECT_ALLOCATION_FAILURE, a size above the
        device's largest allocation) raises OutOfMemoryError, after one retry with the pool's
        cached blocks returned to the driver."""
        if nbytes < 1:
            nbytes = 1
        if nbytes > self.caps.max_alloc_size:
            raise self._out_of_memory(nbytes)
        try:
            buf = self.pool.allocate(nbytes)
        except cl.Error as exc:
            if not _allocation_failure(exc):
                raise
            self.pool.free_held()
            try:
                buf = self.pool.allocate(nbytes)
            except cl.Error as again:
                if not _allocation_failure(again):
                    raise
                raise self._out_of_memory(nbytes) from again
        self.allocated += nbytes
        if self.allocated > self.peak_allocated:
            self.peak_allocated = self.allocated
        return buf


def _allocation_failure(exc) -> bool:
    """Whether a pyopencl error says the device could not provide the memory."""
    code = getattr(exc, "code", None)
    return isinstance(exc, cl.MemoryError) or code in (
        cl.status_code.MEM_OBJECT_ALLOCATION_FAILURE, cl.status_code.INVALID_BUFFER_SIZE,
        cl.status_code.OUT_OF_RESOURCES, cl.status_code.OUT_OF_HOST_MEMORY)


def format_size(nbytes: int) -> str:
    """A byte count as PyTorch's allocator messages write it."""
    if nbytes < 1024:
        return f"{nbytes} bytes"
    for unit, scale in (("KiB", 2 ** 10), ("MiB", 2 ** 20), ("GiB", 2 ** 30)):
        if nbytes < scale * 1024 or unit == "GiB":
            return f"{nbytes / scale:.2f} {unit}"


def _explain(kernel, args: list, exc: Exception) -> str:
    """Which declared argument a pyopencl launch error is about, when it says."""
    match = re.search(r"arg#?\s*(\d+)", str(exc))
    if match:  # pyopencl counts from 1
        position = int(match.group(1)) - 1
        return (f"launching kernel {kernel.description}: argument "
                f"{kernel.argument_at(position)} (positional {position})")
    return f"launching kernel {kernel.description} with {len(args)} arguments"


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


def launch_count() -> int:
    """Kernels enqueued so far on every started device (what benchmarks report as launches)."""
    return sum(rt.launches for rt in _runtimes.values())
