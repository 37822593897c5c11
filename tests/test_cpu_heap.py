"""backends/cpu/heap.py: glibc's mmap and trim thresholds set once, at the cpu backend's
creation, so that a training loop's freed arrays stay in the heap; the user's own malloc
settings, or CLGRAD_CPU_HEAP=0, leave glibc alone."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json
import clgrad
from clgrad.backends.cpu import heap
x = clgrad.ones(3) + 1
print(json.dumps({"done": heap._done, "again": heap.tune(), "sum": x.sum().item()}))
"""
SET = """
import json
from clgrad.backends.cpu import heap
print(json.dumps({"set": heap.tune()}))
"""


def _child(code: str, **env) -> dict:
    full = {k: v for k, v in os.environ.items()
            if k not in ("CLGRAD_CPU_HEAP", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    full.update(env, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_cpu_backend_tunes_the_heap_once():
    got = _child(CHILD)
    assert got == {"done": True, "again": False, "sum": 6.0}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_thresholds_are_set_on_linux_unless_the_user_says_otherwise():
    import ctypes.util
    if not ctypes.util.find_library("c"):
        pytest.skip("no libc to load")
    assert _child(SET) == {"set": True}
    assert _child(SET, CLGRAD_CPU_HEAP="0") == {"set": False}
    assert _child(SET, MALLOC_TRIM_THRESHOLD_="1000000") == {"set": False}
    assert _child(SET, MALLOC_MMAP_THRESHOLD_="1000000") == {"set": False}
