"""Devices (API §1): names, clgrad.cl, the default device, and life without OpenCL."""
from __future__ import annotations

import dataclasses
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import clgrad
from clgrad.backends.cl import fallback, runtime

# The folder holding the clgrad being tested (installed or source), for subprocesses.
CLGRAD_PARENT = str(Path(clgrad.__file__).resolve().parents[1])


def run_python(code: str, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run code (or `-m module` with args) in a fresh interpreter importing this clgrad."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("CLGRAD_DEVICE", "CLGRAD_CL_PLATFORM")}
    full_env["PYTHONPATH"] = os.pathsep.join(
        [CLGRAD_PARENT] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    full_env.update(env)
    argv = [sys.executable, *(args or ["-c", code])]
    return subprocess.run(argv, cwd=tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=300)


# -- device names ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec,type_,index,text", [
    ("cpu", "cpu", None, "cpu"),
    ("cpu:0", "cpu", 0, "cpu:0"),
    ("cl", "cl", None, "cl"),
    ("cl:0", "cl", 0, "cl:0"),
    ("cl:3", "cl", 3, "cl:3"),
    ("cuda", "cl", None, "cl"),        # ported code keeps working
    ("cuda:1", "cl", 1, "cl:1"),
])
def test_device_strings(spec, type_, index, text):
    dev = clgrad.device(spec)
    assert (dev.type, dev.index) == (type_, index)
    assert str(dev) == text
    expected = (f"device(type='{type_}')" if index is None
                else f"device(type='{type_}', index={index})")
    assert repr(dev) == expected


def test_device_type_and_index_arguments():
    assert clgrad.device("cl", 2) == clgrad.device("cl:2")
    assert clgrad.device("cuda", 1) == clgrad.device("cl:1")
    assert clgrad.device(clgrad.device("cl:1")) == clgrad.device("cl:1")
    with pytest.raises(RuntimeError, match="must not include an index because index was "
                                           "passed explicitly: cl:0"):
        clgrad.device("cl:0", 1)
    with pytest.raises(TypeError):
        clgrad.device(1.5)


INVALID = ["gpu", "cuda:x", "cl:x", "cuda:-1", "cuda:0:1", " cuda", "", "opencl:0"]


@pytest.mark.parametrize("spec", INVALID)
def test_invalid_device_strings_raise_runtime_error(spec):
    with pytest.raises(RuntimeError):
        clgrad.device(spec)


def test_invalid_device_messages_follow_torch():
    with pytest.raises(RuntimeError, match="^Invalid device string: 'cuda:x'$"):
        clgrad.device("cuda:x")
    with pytest.raises(RuntimeError, match="^Expected one of cpu, cl device type at start of "
                                           "device string: gpu$"):
        clgrad.device("gpu")


@pytest.mark.parametrize("spec", [s for s in INVALID if not s.startswith(("cl", "opencl"))])
def test_invalid_device_strings_parity(spec):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        torch.device(spec)


def test_device_equality_hash_and_pickle():
    assert clgrad.device("cl:0") == "cl:0"
    assert clgrad.device("cl:0") == clgrad.device("cuda:0")
    assert clgrad.device("cl") != clgrad.device("cl:0")  # as torch: no index is not index 0
    assert clgrad.device("cpu") != "cl"
    assert clgrad.device("cpu") != 0
    assert len({clgrad.device("cl:1"), clgrad.device("cl", 1), clgrad.device("cpu")}) == 2
    assert pickle.loads(pickle.dumps(clgrad.device("cl:2"))) == clgrad.device("cl:2")


def test_tensor_devices_are_concrete(cl_device):
    assert clgrad.zeros(2).device == clgrad.device("cpu")
    t = clgrad.zeros(2, device="cl")
    assert t.device == clgrad.device("cl", clgrad.cl.current_device())
    assert t.device.index is not None
    assert clgrad.zeros(2, device="cuda").device == t.device


# -- clgrad.cl ------------------------------------------------------------------------------

def test_cl_availability_matches_enumeration():
    count = len(runtime.enumerate_devices())
    assert clgrad.cl.device_count() == count
    assert clgrad.cl.is_available() is (count > 0)


def test_device_names_and_properties(cl_device):
    count = clgrad.cl.device_count()
    assert 0 <= clgrad.cl.current_device() < count
    for index in range(count):
        props = clgrad.cl.get_device_properties(index)
        assert clgrad.cl.get_device_name(index) == props.name and props.name
        assert clgrad.cl.get_device_properties(f"cl:{index}") == props
        assert clgrad.cl.get_device_properties(clgrad.device("cl", index)) == props
        assert isinstance(props.fp64, bool) and isinstance(props.fp16, bool)
        major, minor = props.opencl_c_version
        assert (major, minor) >= (1, 1)
        assert props.max_work_group_size >= 1 and props.local_mem_size > 0
        assert props.compute_units >= 1
        assert props.global_mem_size >= props.max_alloc_size > 0
    assert clgrad.cl.get_device_name() == clgrad.cl.get_device_name(
        clgrad.cl.current_device())


def test_invalid_device_ordinal(cl_device):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        clgrad.cl.get_device_properties(clgrad.cl.device_count())
    with pytest.raises(ValueError, match="Expected a cl device"):
        clgrad.cl.get_device_name("cpu")


@pytest.mark.kernel
def test_synchronize_waits_for_queued_work(device):
    a = clgrad.tensor([1.0, 2.0, 3.0], device=device)
    b = a * 2 + 1
    if device.startswith("cl"):
        assert clgrad.cl.synchronize(device) is None
        assert clgrad.cl.synchronize() is None
    np.testing.assert_array_equal(b.cpu().numpy(), [3.0, 5.0, 7.0])


def test_memory_allocated_follows_tensor_lifetimes(cl_device):
    before = clgrad.cl.memory_allocated(cl_device)
    base = clgrad.zeros(1000, dtype=clgrad.int16, device=cl_device)
    assert clgrad.cl.memory_allocated(cl_device) == before + base.nbytes == before + 2000
    assert clgrad.cl.max_memory_allocated(cl_device) >= before + base.nbytes
    assert clgrad.cl.memory_reserved(cl_device) >= clgrad.cl.memory_allocated(cl_device)
    view = base[10:20]
    del base  # the view keeps the storage alive
    assert clgrad.cl.memory_allocated(cl_device) == before + 2000
    del view
    assert clgrad.cl.memory_allocated(cl_device) == before


def test_empty_cache_returns_pooled_blocks(cl_device):
    t = clgrad.empty(1 << 20, dtype=clgrad.uint8, device=cl_device)
    del t
    held = clgrad.cl.memory_reserved(cl_device)
    clgrad.cl.empty_cache()
    assert clgrad.cl.memory_reserved(cl_device) <= held - (1 << 20)
    assert clgrad.cl.memory_reserved(cl_device) >= clgrad.cl.memory_allocated(cl_device)


def test_reset_peak_memory_stats(cl_device):
    t = clgrad.empty(4096, device=cl_device)
    del t
    clgrad.cl.reset_peak_memory_stats(cl_device)
    assert clgrad.cl.max_memory_allocated(cl_device) == clgrad.cl.memory_allocated(cl_device)


def test_fallback_stats_count_and_warn_once(monkeypatch):
    monkeypatch.setattr(fallback, "STATS", type(fallback.STATS)())
    assert clgrad.cl.fallback_stats() == {}
    with pytest.warns(RuntimeWarning, match="frobnicate has no OpenCL kernel"):
        fallback.note_fallback("frobnicate", "cl:0")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second fallback is counted, not warned about
        fallback.note_fallback("frobnicate", "cl:0")
    stats = clgrad.cl.fallback_stats()
    assert stats == {"frobnicate": 2}
    stats["frobnicate"] = 0  # a copy: the caller cannot reset the counters by accident
    assert clgrad.cl.fallback_stats() == {"frobnicate": 2}


def test_compile_stats_shape():
    stats = clgrad.cl.compile_stats()
    assert set(stats) == {"programs", "seconds"}
    assert stats["programs"] >= 0 and stats["seconds"] >= 0.0


# -- float64 where the device has no fp64 ---------------------------------------------------

def test_float64_without_fp64_raises_type_error_naming_the_device(cl_device, monkeypatch):
    rt = runtime.runtime(clgrad.device(cl_device).index)
    monkeypatch.setattr(rt, "caps", dataclasses.replace(rt.caps, fp64=False))
    name = re.escape(f"{cl_device} ({rt.caps.name})")
    with pytest.raises(TypeError, match=name):
        clgrad.zeros(3, dtype=clgrad.float64, device=cl_device)
    with pytest.raises(TypeError, match=name):
        clgrad.tensor(np.arange(3.0), device=cl_device)
    with pytest.raises(TypeError, match=name):
        clgrad.ones(3).double().to(cl_device)
    assert clgrad.zeros(3, dtype=clgrad.float32, device=cl_device).dtype is clgrad.float32


# -- the default device ---------------------------------------------------------------------

@pytest.fixture
def restore_default_device():
    from clgrad import _device
    saved = _device._default_device
    yield
    _device._default_device = saved


def test_set_default_device(cl_device, restore_default_device):
    clgrad.set_default_device(cl_device)
    assert clgrad.get_default_device() == clgrad.device(cl_device)
    assert clgrad.zeros(2).device == clgrad.device(cl_device)
    assert clgrad.zeros(2, device="cpu").device == clgrad.device("cpu")
    clgrad.set_default_device("cpu")
    assert clgrad.ones(2).device == clgrad.device("cpu")


def test_default_device_is_cpu(restore_default_device):
    clgrad.set_default_device(None)
    if "CLGRAD_DEVICE" not in os.environ:
        assert clgrad.get_default_device() == clgrad.device("cpu")
        assert clgrad.zeros(1).device.type == "cpu"


def test_clgrad_device_environment_variable(cl_device, tmp_path):
    code = ("import clgrad\n"
            "print(clgrad.get_default_device(), clgrad.zeros(2).device, "
            "clgrad.zeros(2, device='cpu').device)\n")
    proc = run_python(code, tmp_path, CLGRAD_DEVICE="cl")
    assert proc.returncode == 0, proc.stderr
    current = f"cl:{clgrad.cl.current_device()}"
    assert proc.stdout.split() == [current, current, "cpu"]
    proc = run_python(code, tmp_path, CLGRAD_DEVICE="cpu")
    assert proc.stdout.split() == ["cpu", "cpu", "cpu"], proc.stderr


# -- without OpenCL -------------------------------------------------------------------------

WITHOUT_CL = """
import sys
{block}
import numpy as np
import clgrad
assert not clgrad.cl.is_available()
assert clgrad.cl.device_count() == 0
t = clgrad.tensor([[1.0, 2.0], [3.0, 4.0]]) * 2 + 1
np.testing.assert_array_equal(t.numpy(), [[3.0, 5.0], [7.0, 9.0]])
assert t.device.type == "cpu" and t.dtype is clgrad.float32
for attempt in (lambda: clgrad.zeros(2, device="cl"), lambda: t.to("cl"),
                lambda: clgrad.cl.get_device_name(0)):
    try:
        attempt()
    except RuntimeError as exc:
        print("RuntimeError:", exc)
    else:
        raise AssertionError("no error creating on cl")
"""


def test_numpy_only_without_pyopencl(tmp_path):
    # None in sys.modules makes `import pyopencl` fail as if it were not installed.
    proc = run_python(WITHOUT_CL.format(block="sys.modules['pyopencl'] = None"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    errors = proc.stdout.splitlines()
    assert len(errors) == 3
    assert all("pyopencl" in line for line in errors), errors
    assert "clgrad[pocl]" in errors[0]


def test_numpy_only_without_any_platform(tmp_path):
    pytest.importorskip("pyopencl")
    proc = run_python(WITHOUT_CL.format(block=""), tmp_path,
                      CLGRAD_CL_PLATFORM="no platform is called this")
    assert proc.returncode == 0, proc.stderr
    errors = proc.stdout.splitlines()
    assert len(errors) == 3
    assert all("OpenCL device" in line for line in errors), errors


# -- python -m clgrad info ------------------------------------------------------------------

def test_info_lists_versions_devices_and_caches(tmp_path):
    proc = run_python("", tmp_path, "-m", "clgrad", "info")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for word in ("clgrad: " + clgrad.__version__, "numpy: " + np.__version__, "mako:",
                 "pyopencl:", "pocl-binary-distribution:", "Default device",
                 "creation functions: cpu", "PoCL kernel cache:", "pyopencl program cache:",
                 "programs built:"):
        assert word in out, word
    for index in range(clgrad.cl.device_count()):
        props = clgrad.cl.get_device_properties(index)
        assert f"cl:{index}: {props.name}" in out
        assert f"max work-group size: {props.max_work_group_size}" in out


def test_info_without_pyopencl(tmp_path):
    code = ("import sys; sys.modules['pyopencl'] = None\n"
            "from clgrad.__main__ import main; sys.exit(main(['info']))")
    proc = run_python(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pyopencl is not available: clgrad runs on 'cpu' (numpy) only." in proc.stdout
    assert "'cl' means: nothing" in proc.stdout


def test_info_without_matching_platform(tmp_path):
    pytest.importorskip("pyopencl")
    proc = run_python("", tmp_path, "-m", "clgrad", "info",
                      CLGRAD_CL_PLATFORM="no platform is called this")
    assert proc.returncode == 0, proc.stderr
    assert "No device matches CLGRAD_CL_PLATFORM" in proc.stdout
    assert "not used (CLGRAD_CL_PLATFORM)" in proc.stdout
    assert not re.search(r"^\s+cl:\d+: ", proc.stdout, re.MULTILINE)


def test_cl_module_functions_ported_code_calls(cl_device):
    clgrad.cl.init()
    assert clgrad.cl.is_initialized()
    assert clgrad.cl.is_bf16_supported()
    free, total = clgrad.cl.mem_get_info()
    assert 0 <= free <= total
    assert clgrad.cl.max_memory_reserved() >= clgrad.cl.memory_reserved() - 1
    start, end = clgrad.cl.Event(enable_timing=True), clgrad.cl.Event(enable_timing=True)
    start.record()
    clgrad.ones(64, device=cl_device).sum()
    end.record()
    assert start.query() and end.elapsed_time(start) <= 0 <= start.elapsed_time(end)
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        clgrad.cl.Event().elapsed_time(clgrad.cl.Event())
