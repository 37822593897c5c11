"""Building programs in helper processes, for PoCL's disk cache (cold start, issue 12 item 4).

PoCL builds a program in the thread that asks, and threads of one process do not build in
parallel (measured: two programs in two threads 3.2 s, one after the other 3.4 s), but
processes do, and they share PoCL's disk cache, which is keyed on the source, the options
and the device. So build_many, with a cold cache and several cores, hands some of its
programs to helper processes that build them (and their launch code, see
programs._pregenerate) into the cache; it builds its own share meanwhile, then builds the
helpers' programs itself, which are cache hits by then (~0.05 s each instead of 1-3 s).
A helper only warms the cache: whatever it does, the parent builds every program, so a
helper that fails or is slow costs time, never a kernel.

This file is also the helper: `python build_worker.py` (run by path, with `runpy`, so that
it imports pyopencl and nothing of clgrad: ~0.3 s to start) reads one job, JSON on stdin:
{"platform": index, "device": index, "names": [platform, device] to check, "options": [...],
"sources": [...], "binaries": bool (also generate the launch code)}, builds each source, and
exits 0 when all built.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

# Off with CLGRAD_PARALLEL_BUILD=0; at most this many processes build at once.
MAX_PROCESSES = 4
# Fewer kernels than this in all: one process (the helper's start would cost more than it saves).
MIN_KERNELS = 8
# A program of the parent's share built faster than this was a cache hit: the cache is warm,
# and the helpers are stopped (they would only find their programs cached too).
CACHED_SECONDS = 0.15
HELPER_TIMEOUT = 600.0
_BOOT = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def processes(rt, kernels: int) -> int:
    """How many processes should build `kernels` kernels on rt's device: 1 unless it is PoCL
    with its disk cache on, on several cores, with enough kernels."""
    if not getattr(rt, "parallel_builds", False) or kernels < MIN_KERNELS:
        return 1
    if os.environ.get("CLGRAD_PARALLEL_BUILD", "1") == "0":
        return 1
    if os.environ.get("POCL_KERNEL_CACHE", "1") == "0":  # nothing would carry the builds over
        return 1
    if not os.path.basename(sys.executable or "").lower().startswith("python"):
        return 1  # an application embedding Python: its executable is not a Python to run
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES, kernels // (MIN_KERNELS // 2)))


def start(cl, rt, shares: list, binaries: bool) -> list:
    """A Helper per share (a list of sources), as many as could start: a helper is only
    an optimisation, so one that cannot (no Python executable, a device pyopencl lists
    differently) is left out, and this process builds its share."""
    helpers = []
    for sources in shares:
        try:
            helpers.append(Helper(cl, rt, sources, binaries))
        except (OSError, ValueError, StopIteration) as exc:
            logging.getLogger("clgrad.cl").debug("no build helper: %r", exc)
    return helpers


class Helper:
    """One helper process building `sources` for rt's device."""

    def __init__(self, cl, rt, sources: list, binaries: bool):
        platforms = cl.get_platforms()
        platform = next(n for n, p in enumerate(platforms) if p == rt.device.platform)
        job = {"platform": platform,
               "device": platforms[platform].get_devices().index(rt.device),
               "names": [rt.device.platform.name, rt.device.name],
               "options": list(rt.caps.build_options), "sources": sources,
               "binaries": binaries}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, os.path.abspath(__file__)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.errors = ""  # its stderr, once it has ended
        try:
            self.process.stdin.write(json.dumps(job).encode())
            self.process.stdin.close()
        except OSError:  # it died at its start; wait() reports it
            pass

    def wait(self, stop=None, timeout: float = HELPER_TIMEOUT) -> bool:
        """Wait for it to finish (stop: a threading.Event that ends the wait); True when it
        built everything. Past the timeout, or when stopped, it is killed."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                self.stop()
                break
            try:
                self.process.wait(0.05)
            except subprocess.TimeoutExpired:
                pass
        self._collect()
        return self.process.returncode == 0

    def stop(self) -> None:
        """Kill it if it still runs."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._collect()

    def _collect(self) -> None:
        if not self.process.stderr.closed:
            self.errors = self.process.stderr.read().decode(errors="replace")
            self.process.stderr.close()


def _main() -> int:
    import warnings

    import pyopencl as cl

    job = json.load(sys.stdin)
    platform = cl.get_platforms()[job["platform"]]
    device = platform.get_devices()[job["device"]]
    if [platform.name, device.name] != job["names"]:
        print(f"device mismatch: {platform.name!r}, {device.name!r}", file=sys.stderr)
        return 2
    context = cl.Context([device])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # build notes; the parent reports what matters
        for source in job["sources"]:
            program = cl.Program(context, source).build(options=job["options"])
            if job["binaries"]:
                program.get_info(cl.program_info.BINARY_SIZES)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
