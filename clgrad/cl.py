"""clgrad.cl: the OpenCL devices, as torch.cuda is for CUDA devices."""
from __future__ import annotations

from .backends.cl import runtime as _rt
from .backends import device_type as _device_type
from .backends.cl.programs import BuildStats

# The registry's entry for cl holds the current index, which "cl" without one means.
_CL = _device_type("cl")


def is_available() -> bool:
    """Whether pyopencl is installed and at least one OpenCL device exists."""
    return len(_rt.enumerate_devices()) > 0


def device_count() -> int:
    return len(_rt.enumerate_devices())


def _index(device) -> int:
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    from ._device import device as Device
    dev = Device(device) if not isinstance(device, Device) else device
    if dev.type != _CL.name:
        raise ValueError(f"Expected a cl device, but got: {dev}")
    return current_device() if dev.index is None else dev.index


def _check(index: int) -> int:
    count = device_count()
    if count == 0:
        raise RuntimeError("clgrad.cl: no OpenCL device found"
                           + (f" (pyopencl failed to import: {_rt.IMPORT_ERROR})"
                              if _rt.IMPORT_ERROR else "; install clgrad[pocl] for a CPU one"))
    if not 0 <= index < count:
        raise RuntimeError(f"clgrad.cl: invalid device ordinal {index}; {count} device(s)")
    return index


def current_device() -> int:
    return _CL.current


def set_device(device) -> None:
    _CL.current = _check(_index(device))


def get_device_name(device=None) -> str:
    return get_device_properties(device).name


def get_device_properties(device=None) -> "_rt.Capabilities":
    index = _check(_index(device))
    platform, dev = _rt.enumerate_devices()[index]
    return _rt._probe(dev, platform)


def get_device_capability(device=None) -> tuple:
    """The device's OpenCL C version, standing in for CUDA's compute capability."""
    return get_device_properties(device).opencl_c_version


def _runtime(device):
    return _rt.runtime(_check(_index(device)))


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the device has finished; raise the error of a
    device-side check (an index, target or divisor out of range) met since the last wait."""
    _runtime(device).synchronize()


def memory_allocated(device=None) -> int:
    """Bytes held by live tensors on the device."""
    return _runtime(device).allocated


def max_memory_allocated(device=None) -> int:
    return _runtime(device).peak_allocated


def reset_peak_memory_stats(device=None) -> None:
    rt = _runtime(device)
    rt.peak_allocated = rt.allocated


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds from the driver (in use or cached for reuse)."""
    pool = _runtime(device).pool
    return pool.managed_bytes


def empty_cache() -> None:
    """Return cached, unused blocks of every device's pool to the driver."""
    for rt in _rt.started_runtimes():
        rt.pool.free_held()


def fallback_stats() -> dict:
    """How often each op ran through the numpy fallback on an OpenCL device."""
    from .backends.cl.fallback import STATS
    return dict(STATS)


def compile_stats() -> dict:
    """Programs built in this process and the seconds spent building them."""
    return {"programs": BuildStats.programs, "seconds": BuildStats.seconds}


def warmup(device="cl", ops=None, progress=None, async_=False, dtype=None, dry_run=None):
    """Build kernels ahead of their first use, as `python -m clgrad warmup` does.

    ops: (label, callable()) pairs to run (a model's first step, say) instead of the default
    training-step and common ops (whose kernels are found first and built a few programs at
    a time); progress(done, total, label), when given, replaces the bar drawn on stderr.
    Returns {"programs": built, "seconds": ..., "skipped": [...]}. async_=True: do it in a
    daemon thread (call it at the first device use, before loading data and building the
    model) and return a clgrad.warmup.Warmup at once (done(), wait() -> the counts); the main
    thread's ops wait for a kernel the warm-up is building rather than build it twice.
    dtype: the floating dtype of the default ops (the default dtype if None). dry_run (the
    default without ops): run the ops once with stand-ins for missing kernels to learn them
    all and build them together, then (given ops) for real; ops then run twice.
    """
    from .warmup import warmup as _warmup
    return _warmup(device, ops=ops, progress=progress, async_=async_, dtype=dtype,
                   dry_run=dry_run)


def manual_seed(seed: int) -> None:
    from . import random
    random.manual_seed(seed)


manual_seed_all = manual_seed


def is_initialized() -> bool:
    """Whether a device runtime (context and queue) has been started in this process."""
    return bool(_rt.started_runtimes())


def init() -> None:
    """Start the current device's runtime now rather than at its first use."""
    _runtime(None)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """bfloat16 is a storage dtype on every OpenCL device (computed in float32), so it is
    supported wherever a device is, emulated: no OpenCL device has native bfloat16 math."""
    return including_emulation and is_available()


def max_memory_reserved(device=None) -> int:
    """The pool's size from the driver; clgrad keeps no separate peak of it, and the pool
    only grows until empty_cache(), so its current size is its peak since then."""
    return memory_reserved(device)


reset_max_memory_allocated = reset_peak_memory_stats


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of the device's global memory, free as total less what the pool
    holds (OpenCL reports no other process's use)."""
    total = _runtime(device).device.global_mem_size
    return total - memory_reserved(device), total


class Event:
    """torch.cuda.Event for timing: record() marks the device's queue; elapsed_time() gives
    milliseconds between two recorded events once both have completed. OpenCL markers carry
    no timestamps on a queue without profiling, so record() waits for the queue and reads the
    host clock: timings include the wait, as a synchronising timer would."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):
        self.enable_timing = enable_timing
        self._time = None

    def record(self, stream=None) -> None:
        import time
        synchronize()
        self._time = time.perf_counter()

    def query(self) -> bool:
        return self._time is not None

    def synchronize(self) -> None:
        synchronize()

    def wait(self, stream=None) -> None:
        synchronize()

    def elapsed_time(self, end_event: "Event") -> float:
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end_event._time - self._time) * 1000.0


# Legacy typed constructors on the cl device (clgrad.cl.FloatTensor(2, 3), ...), as
# torch.cuda.FloatTensor makes cuda tensors.
from .legacy import CL_TYPES as _CL_TYPES  # noqa: E402
globals().update(_CL_TYPES)

# torch.cuda.OutOfMemoryError, as ported code catches it.
from .errors import OutOfMemoryError  # noqa: E402,F401

# cl graphs: torch.cuda's CUDA-graph API (capture and replay of a region's kernels).
from .cl_graphs import (  # noqa: E402,F401
    CLGraph, graph, graph_pool_handle, is_current_stream_capturing, make_graphed_callables)
