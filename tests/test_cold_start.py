"""Cold start on PoCL (issue 12 item 4): clgrad's PoCL defaults (generic work-group functions
unless the user says otherwise), the few work-group setups 1-D launches meet on CPU devices,
and launch code generated when a program is built (programs._pregenerate), so that a first
launch finds it in PoCL's cache instead of generating it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import clgrad
from clgrad.backends import backend_for
from clgrad.backends.cl import runtime as cl_runtime

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rt(cl_device):
    return backend_for(clgrad.empty(1, device=cl_device).device).rt


def _pocl(rt) -> bool:
    return "portable computing language" in rt.caps.platform.lower()


def _child(code: str, **env) -> dict:
    """Run `code` in a new process (clgrad from this tree) and return the JSON it prints."""
    full = dict(os.environ, PYTHONPATH=str(ROOT))
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    out = subprocess.run([sys.executable, "-c", code], env=full, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


SETTING = """
import json, os
import clgrad
x = clgrad.ones(3, device="cl") + 1
rt = clgrad.backends.backend_for(x.device).rt
print(json.dumps({"value": os.environ.get("POCL_WORK_GROUP_SPECIALIZATION"),
                  "pregenerate": rt.pregenerate, "fixed": rt.fixed_groups,
                  "sum": x.sum().item()}))
"""


def test_pocl_defaults_to_generic_work_group_functions(rt):
    if not _pocl(rt):
        pytest.skip("not a PoCL device")
    got = _child(SETTING, POCL_WORK_GROUP_SPECIALIZATION=None)
    # Generic work-group functions: the driver's own 1-D group sizes (no fixed ones).
    assert got == {"value": "0", "pregenerate": True, "fixed": False, "sum": 6.0}


@pytest.mark.parametrize("value", ["1", "0"])
def test_the_users_own_specialization_setting_wins(rt, value):
    if not _pocl(rt):
        pytest.skip("not a PoCL device")
    got = _child(SETTING, POCL_WORK_GROUP_SPECIALIZATION=value)
    cpu = "CPU" in rt.caps.type.upper()
    # Specialised (the user's "1"): fixed 1-D group sizes on CPU devices, no pregeneration.
    assert got == {"value": value, "pregenerate": value == "0",
                   "fixed": value == "1" and cpu, "sum": 6.0}


def test_pocl_defaults_never_override(monkeypatch):
    monkeypatch.setenv("POCL_WORK_GROUP_SPECIALIZATION", "1")
    cl_runtime.pocl_defaults()
    assert os.environ["POCL_WORK_GROUP_SPECIALIZATION"] == "1"
    assert not cl_runtime.pocl_generic_groups()
    monkeypatch.delenv("POCL_WORK_GROUP_SPECIALIZATION")
    assert not cl_runtime.pocl_generic_groups()  # PoCL's default: specialised
    cl_runtime.pocl_defaults()
    assert os.environ["POCL_WORK_GROUP_SPECIALIZATION"] == "0"
    assert cl_runtime.pocl_generic_groups()


@pytest.mark.parametrize("n", [0, 1, 255, 256, 257, 4000, 65279, 65280, 65281, 65535, 65536,
                               100_001, 1 << 20, 3 * (1 << 20) + 7])
@pytest.mark.parametrize("fixed", [False, True])
def test_1d_geometry_covers_n_with_at_most_two_group_sizes(rt, n, fixed, monkeypatch):
    monkeypatch.setattr(rt, "fixed_groups", fixed)  # as PoCL with specialisation has it
    (glob,), local = rt.geometry(n)
    assert glob >= n and glob - n < max(rt.large_group, rt.group_size)
    if n == 0:
        assert (glob, local) == (0, None)
        return
    if not rt.fixed_groups:  # the driver chooses, as before
        assert local is None and glob % rt.group_size == 0
        return
    (group,) = local
    assert glob % group == 0
    small = glob < cl_runtime.SMALL_GRID
    # One group size for PoCL's small grids, one for wide ones: two setups per kernel at most.
    assert group == (rt.group_size if small else rt.large_group)
    assert group <= rt.caps.max_work_group_size


def test_1d_geometry_keeps_a_callers_group_size(rt):
    assert rt.geometry(1000, (64,)) == ((1024,), (64,))


@pytest.mark.parametrize("fixed", [False, True])
def test_eager_and_captured_1d_launches_share_the_geometry(cl_device, fixed, monkeypatch):
    # A captured region records the launch sizes eager launches use (capture repeats
    # DeviceRuntime.launch's normalisation through rt.geometry), so replay meets the same
    # work-group setups, and the same results.
    x = clgrad.ones(70_000, device=cl_device)
    y = clgrad.ones(300, device=cl_device)
    rt = backend_for(x.device).rt
    monkeypatch.setattr(rt, "fixed_groups", fixed)
    seen = []
    rt.launch_hook, hook = (lambda k, g, local, a: seen.append((g, local))), rt.launch_hook
    try:
        eager = ((x * 2).sum().item(), (y + 1).sum().item())
        graph = clgrad.cl.CLGraph()
        with clgrad.cl.graph(graph):
            big, small = x * 2, y + 1
        eager_launches, seen[:] = list(seen), []
    finally:
        rt.launch_hook = hook
    graph.replay()
    assert (big.sum().item(), small.sum().item()) == eager
    assert eager == (140_000.0, 600.0)
    if rt.fixed_groups:
        locals_ = {local for _, local in eager_launches if local is not None}
        assert (rt.large_group,) in locals_ and (rt.group_size,) in locals_


PREGENERATED = """
import json, os, sys
import clgrad
from clgrad.backends.cl.programs import BuildStats
x = clgrad.ones(1000, device="cl")
y = clgrad.ones(100_000, device="cl")
ops = [("mul", lambda: x * 3), ("big", lambda: (y * 3).sum(0)), ("exp", lambda: x.exp())]
clgrad.cl.warmup("cl", ops=ops, dry_run=True, progress=lambda *a: None)
cache = os.environ["POCL_CACHE_DIR"]
dirs = sorted({os.path.basename(r) for r, d, f in os.walk(cache)
               if os.path.basename(os.path.dirname(r)).startswith(("pw_", "chunks"))})
print(json.dumps({"dirs": dirs, "value": (x * 3).sum().item()}))
"""


def test_built_programs_carry_their_launch_code(rt, tmp_path):
    # With generic work-group functions a program's build also generates each kernel's launch
    # code (PoCL's cache holds one generic entry per kernel, 0-0-0); the launches then use it
    # and add no specialised entry, whatever their sizes.
    if not _pocl(rt):
        pytest.skip("not a PoCL device")
    got = _child(PREGENERATED, POCL_WORK_GROUP_SPECIALIZATION=None,
                 POCL_CACHE_DIR=str(tmp_path), PYOPENCL_NO_CACHE="1")
    assert got["value"] == 3000.0
    assert got["dirs"] and all(name.startswith("0-0-0") for name in got["dirs"]), got


def test_warmup_pregenerates_for_ops_and_for_a_waited_default_run(cl_device, monkeypatch):
    # Launch code for the caller's ops (waited for or async_), and for the default ops when
    # the caller waits; not for the default ops in the background (their ~95 kernels' launch
    # code costs more CPU beside the script than it saves).
    import clgrad.warmup as warmup_module
    asked = []

    def recording(rt, requests, **kwargs):
        asked.append(kwargs.get("pregenerate", True))
        return real(rt, requests, **kwargs)
    real = warmup_module.build_many
    monkeypatch.setattr(warmup_module, "build_many", recording)
    x = clgrad.ones(5, device=cl_device)
    small = [("add", lambda: x + 1)]
    monkeypatch.setattr(warmup_module, "default_ops", lambda *a, **k: small)
    clgrad.cl.warmup(cl_device, ops=small, dry_run=True, progress=lambda *a: None)
    clgrad.cl.warmup(cl_device, ops=small, dry_run=True, async_=True).wait(120)
    clgrad.cl.warmup(cl_device, progress=lambda *a: None)
    clgrad.cl.warmup(cl_device, async_=True).wait(120)
    assert asked == [True, True, True, False]


SOURCES = """
import hashlib, json
import clgrad
import clgrad.nn.functional as F
from clgrad.backends.cl import programs
hashes = []
build = programs._build_program
def recording(rt, source, *args, **kwargs):
    hashes.append(hashlib.sha256(source.encode()).hexdigest())
    return build(rt, source, *args, **kwargs)
programs._build_program = recording
x = clgrad.ones(64, 64, device="cl", requires_grad=True)
def step():
    (F.dropout(x.exp(), 0.5) * 2).sum().backward()
clgrad.cl.warmup("cl", ops=[("step", step)], dry_run=True, progress=lambda *a: None)
print(json.dumps(hashes))
"""


def test_a_dry_runs_program_sources_do_not_depend_on_the_hash_seed(cl_device):
    # The driver's disk cache (PoCL, NVIDIA) is keyed on the source: a source that changed
    # with the process's string hash seed (macros undefined in set order: dropout's Philox
    # constants) missed it on every run, and the digits example rebuilt its 29 kernels, 8 s.
    runs = [_child(SOURCES, PYTHONHASHSEED=str(seed), PYOPENCL_NO_CACHE="1")
            for seed in (1, 2, 3, 4)]
    assert runs[0] and all(run == runs[0] for run in runs)
