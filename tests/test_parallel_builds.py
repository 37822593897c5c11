"""Programs built in helper processes (backends/cl/build_worker.py, issue 12 item 4): PoCL
builds in parallel only across processes, which share its disk cache, so build_many deals
a cold warm-up's programs into shares, helpers build theirs into the cache, and this process
then builds every program itself (cache hits for the helpers' ones)."""
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import clgrad
from clgrad.backends import backend_for
from clgrad.backends.cl import build_worker, programs

ROOT = Path(__file__).resolve().parents[1]


def _part(name: str, length: int):
    """A stand-in for build_many's per-kernel tuple: key first, bundled source sixth."""
    return ((name, "def", ()), {}, None, "prelude", "body", "x" * length, [], "")


def test_shares_hold_every_kernel_once_in_order_and_balanced():
    big = [_part(f"k{n}", 400 * (n % 7) + 100) for n in range(20)]
    small = [_part(f"s{n}", 100) for n in range(3)]
    keys = {part[0] for part in big + small}
    shares = programs._shares([big, small], 2, keys)
    assert len(shares) == 2
    kernels = [part for share in shares for program in share for part in program]
    assert sorted(part[0] for part in kernels) == sorted(keys)
    for share in shares:
        for program in share:  # a program keeps its chunk's order, and one prelude
            chunk = big if program[0] in big else small
            assert [chunk.index(part) for part in program] == sorted(
                chunk.index(part) for part in program)
            assert all(part in chunk for part in program)
    costs = [sum(programs._cost(part) for program in share for part in program)
             for share in shares]
    assert abs(costs[0] - costs[1]) <= max(map(programs._cost, big + small))
    assert programs._shares([big, small], 2, keys) == shares  # the same every run


def test_shares_drop_programs_of_only_cached_kernels():
    chunk = [_part(f"k{n}", 100) for n in range(8)]
    mine = {chunk[0][0]}
    shares = programs._shares([chunk], 2, mine)
    assert [part[0] for share in shares for program in share for part in program
            if part[0] in mine] == [chunk[0][0]]
    assert len(shares) == 1  # the other half held none of mine: not built


@pytest.fixture
def pocl_rt(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/usr/bin/python3")
    monkeypatch.delenv("CLGRAD_PARALLEL_BUILD", raising=False)
    monkeypatch.delenv("POCL_KERNEL_CACHE", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    return types.SimpleNamespace(parallel_builds=True)


def test_processes_follow_cores_kernels_and_switches(pocl_rt, monkeypatch):
    assert build_worker.processes(pocl_rt, 100) == build_worker.MAX_PROCESSES
    assert build_worker.processes(pocl_rt, build_worker.MIN_KERNELS - 1) == 1
    assert build_worker.processes(pocl_rt, build_worker.MIN_KERNELS) == 2
    assert build_worker.processes(types.SimpleNamespace(parallel_builds=False), 100) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert build_worker.processes(pocl_rt, 100) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert build_worker.processes(pocl_rt, 100) == 2
    monkeypatch.setenv("CLGRAD_PARALLEL_BUILD", "0")
    assert build_worker.processes(pocl_rt, 100) == 1
    monkeypatch.delenv("CLGRAD_PARALLEL_BUILD")
    monkeypatch.setenv("POCL_KERNEL_CACHE", "0")  # nothing would carry a helper's build over
    assert build_worker.processes(pocl_rt, 100) == 1
    monkeypatch.delenv("POCL_KERNEL_CACHE")
    monkeypatch.setattr(sys, "executable", "/opt/app/bin/blender")  # Python embedded in an app
    assert build_worker.processes(pocl_rt, 100) == 1


@pytest.fixture
def rt(cl_device):
    return backend_for(clgrad.empty(1, device=cl_device).device).rt


def test_a_helper_builds_a_program_and_reports_a_failing_one(rt):
    from clgrad.backends.cl.runtime import cl
    good = build_worker.Helper(cl, rt, ["__kernel void ok(__global int *x) { x[0] = 1; }"],
                               binaries=rt.pregenerate)
    bad = build_worker.Helper(cl, rt, ["__kernel void broken(__global int *x) { x[0] = ; }"],
                              binaries=False)
    assert good.wait(timeout=120) is True
    assert bad.wait(timeout=120) is False
    assert bad.errors  # pyopencl's build failure, with the driver's log


# A warm-up of 12 int16/int8 kernels in a new process with an empty driver cache, two
# processes building; then the ops for real against numpy.
WARMUP = """
import json, os
import numpy as np
import clgrad
from clgrad.backends.cl import build_worker
DEVICE = os.environ["DEVICE"]
build_worker.processes = lambda rt, kernels: 2
build_worker.CACHED_SECONDS = 0.0  # an empty cache: the helper is never judged useless
if os.environ.get("BREAK_HELPER"):
    build_worker._BOOT = "import sys; sys.exit(3)"
results = []
real = build_worker.Helper.wait
def wait(self, *args, **kwargs):
    results.append(real(self, *args, **kwargs))
    return results[-1]
build_worker.Helper.wait = wait
ops = []
for dtype in (clgrad.int16, clgrad.int8):
    a = clgrad.arange(6, dtype=dtype, device=DEVICE)
    ops += [lambda a=a: a * 3, lambda a=a: -a, lambda a=a: a + 7, lambda a=a: a.abs(),
            lambda a=a: a.clamp(1, 4), lambda a=a: a.cumsum(0)]
clgrad.cl.warmup(DEVICE, ops=[(str(n), op) for n, op in enumerate(ops)], dry_run=True,
                 progress=lambda *a: None)
got = [op().cpu().tolist() for op in ops]
print(json.dumps({"helpers": results, "got": got}))
"""


def _expected():
    import numpy as np
    out = []
    for dtype in (np.int16, np.int8):
        a = np.arange(6, dtype=dtype)
        out += [a * 3, -a, a + 7, np.abs(a), np.clip(a, 1, 4), np.cumsum(a)]
    return [list(map(int, values)) for values in out]


@pytest.mark.parametrize("broken", [False, True], ids=["helper", "failing-helper"])
def test_a_warmup_built_with_a_helper_gives_numpys_results(cl_device, rt, tmp_path, broken):
    if not rt.parallel_builds:
        pytest.skip("parallel builds are for PoCL")
    env = dict(os.environ, PYTHONPATH=str(ROOT), POCL_CACHE_DIR=str(tmp_path),
               PYOPENCL_NO_CACHE="1", DEVICE=str(cl_device))
    env.pop("BREAK_HELPER", None)
    if broken:
        env["BREAK_HELPER"] = "1"
    out = subprocess.run([sys.executable, "-c", WARMUP], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # a failing helper only costs time: this process builds its programs itself
    assert got["helpers"] == [not broken]
    assert got["got"] == _expected()


def test_a_helper_that_cannot_start_is_left_out(rt, monkeypatch):
    from clgrad.backends.cl.runtime import cl
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert build_worker.start(cl, rt, [["__kernel void k(void) {}"]], binaries=False) == []
