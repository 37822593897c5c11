"""Keeping freed numpy buffers in the process heap (glibc), where a training loop reuses them.

glibc serves an allocation above its mmap threshold with fresh pages from the OS and gives
them back when it is freed; it raises the threshold as it meets larger frees (to 32 MiB at
most) and trims the heap's free top above twice that. A training step allocates and frees
the same 1-10 MB arrays (activations, columns, gradients) every step, and with the moving
thresholds many came fresh from the OS each time: a page fault per 4 KiB at their first
write, about a third of a LeNet step on the cpu device (36 -> 28 ms here). tune() sets the
two thresholds where glibc's own policy tops out (32 and 64 MiB) from the start, so those
arrays stay in the heap; at most 64 MiB of free heap top stays with the process. Larger
arrays still come from, and go back to, the OS.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 64 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # malloc.h
_done = False


def tune() -> bool:
    """Set glibc's thresholds once per process; True when set. Nothing off Linux glibc, or
    when the user set either threshold (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_) or
    CLGRAD_CPU_HEAP=0."""
    global _done
    if _done:
        return False
    _done = True
    if not sys.platform.startswith("linux") or os.environ.get("CLGRAD_CPU_HEAP") == "0" or \
            "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
