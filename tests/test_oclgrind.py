"""The Oclgrind run (tools/oclgrind_tests.py) sees the simulator and catches planted bugs."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import clgrad

ROOT = Path(__file__).resolve().parents[1]
RUNNER = ROOT / "tools" / "oclgrind_tests.py"
CLGRAD_PARENT = str(Path(clgrad.__file__).resolve().parents[1])


def _load_runner():
    if not RUNNER.is_file():
        pytest.skip("tools/oclgrind_tests.py is not here (not a source checkout)",
                    allow_module_level=True)
    spec = importlib.util.spec_from_file_location("oclgrind_tests", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()


@pytest.fixture(scope="module")
def oclgrind(tmp_path_factory):
    """(environment, log file) that run cl:0 on Oclgrind with its checks on."""
    pytest.importorskip("pyopencl")
    library = runner.find_icd_library()
    if library is None:
        pytest.skip("Oclgrind is not installed (apt-get install oclgrind)")
    tmp = tmp_path_factory.mktemp("oclgrind")
    icd = runner.make_icd_folder(tmp / "icd", library)
    log = tmp / "oclgrind.log"
    env = runner.oclgrind_env(icd, log)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [CLGRAD_PARENT, env.get("PYTHONPATH")]))
    return env, log


@pytest.fixture(scope="module")
def oclgrind_uninitialized(oclgrind, tmp_path_factory):
    """The same with uninitialised reads checked, at Oclgrind's own limits, and the GEMM
    parameter file the runner writes for that check."""
    env, log = oclgrind
    env = dict(env, OCLGRIND_UNINITIALIZED="1")
    for name in runner.SMALL_GPU_LIMITS:
        env.pop(name)
    runner.write_scalar_gemm_params(env, tmp_path_factory.mktemp("cache"))
    return env, log


def run_on_oclgrind(oclgrind, code: str, tmp_path: Path):
    """Run code under Oclgrind; (the finished process, Oclgrind's log)."""
    env, log = oclgrind
    log.unlink(missing_ok=True)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    return proc, (log.read_text() if log.exists() else "")


PLATFORM = """
import pyopencl as cl
print([p.name for p in cl.get_platforms()])
"""

OUT_OF_BOUNDS = """
import numpy as np
import pyopencl as cl
platform, = [p for p in cl.get_platforms() if p.name == "Oclgrind"]
ctx = cl.Context(platform.get_devices())
queue = cl.CommandQueue(ctx)
buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 16 * 4)
src = "__kernel void planted(__global float *out) { out[get_global_id(0) + 1] = 1.0f; }"
cl.Program(ctx, src).build().planted(queue, (16,), None, buf)
queue.finish()
"""

DATA_RACE = """
import numpy as np
import pyopencl as cl
platform, = [p for p in cl.get_platforms() if p.name == "Oclgrind"]
ctx = cl.Context(platform.get_devices())
queue = cl.CommandQueue(ctx)
buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 4)
src = "__kernel void racy(__global int *out) { out[0] = (int)get_global_id(0); }"
cl.Program(ctx, src).build().racy(queue, (8,), (8,), buf)
queue.finish()
"""

UNINITIALIZED_READ = """
import pyopencl as cl
platform, = [p for p in cl.get_platforms() if p.name == "Oclgrind"]
ctx = cl.Context(platform.get_devices())
queue = cl.CommandQueue(ctx)
buf = cl.Buffer(ctx, cl.mem_flags.READ_WRITE, 4 * 4)
src = ("__kernel void planted(__global float *out, __local float *tmp) {"
       " const size_t i = get_local_id(0); if (i) tmp[i] = 1.0f; barrier(CLK_LOCAL_MEM_FENCE);"
       " out[i] = tmp[(i + 1) & 3] + 1.0f; }")
cl.Program(ctx, src).build().planted(queue, (4,), (4,), buf, cl.LocalMemory(16))
queue.finish()
"""

MATMUL_UNINITIALIZED = """
import numpy as np
import clgrad
from clgrad.backends.cl import runtime
print(clgrad.cl.get_device_properties(0).max_work_group_size)
a = clgrad.tensor(np.arange(40.0, dtype=np.float32).reshape(5, 8), device="cl")
np.testing.assert_allclose((a @ a.t()).cpu().numpy(), a.cpu().numpy() @ a.cpu().numpy().T)
print(sorted({k.params["VW"] for k in runtime.runtime(0).kernels.values()
              if k.def_name == "gemm"}))
"""

CLGRAD_ON_OCLGRIND = """
import numpy as np
import clgrad
print(clgrad.cl.device_count(), clgrad.cl.get_device_name(0))
caps = clgrad.cl.get_device_properties(0)
print(caps.max_work_group_size, caps.local_mem_size)
a = clgrad.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4), device="cl")
b = clgrad.tensor(np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32), device="cl")
np.testing.assert_array_equal((a * b + 1).cpu().numpy(),
                              np.arange(12.0).reshape(3, 4) * [1, 2, 3, 4] + 1)
np.testing.assert_array_equal((a.t() - 1).cpu().numpy(), np.arange(12.0).reshape(3, 4).T - 1)
"""


def test_oclgrind_platform_is_visible(oclgrind, tmp_path):
    proc, _ = run_on_oclgrind(oclgrind, PLATFORM, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "'Oclgrind'" in proc.stdout


def test_planted_out_of_bounds_write_is_reported(oclgrind, tmp_path):
    proc, log = run_on_oclgrind(oclgrind, OUT_OF_BOUNDS, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Invalid write of size 4 at global memory address" in log, log
    assert "Kernel: planted" in log


def test_planted_data_race_is_reported(oclgrind, tmp_path):
    proc, log = run_on_oclgrind(oclgrind, DATA_RACE, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "data race" in log.lower(), log


def test_planted_uninitialised_read_is_reported(oclgrind_uninitialized, tmp_path):
    proc, log = run_on_oclgrind(oclgrind_uninitialized, UNINITIALIZED_READ, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Uninitialized value written to global memory" in log, log
    assert "Kernel: planted" in log


def test_gemm_runs_scalar_and_clean_with_uninitialised_reads_checked(oclgrind_uninitialized,
                                                                     tmp_path):
    proc, log = run_on_oclgrind(oclgrind_uninitialized, MATMUL_UNINITIALIZED, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["1024", "[1]"]  # Oclgrind's own limit; vector width 1
    assert log == ""


def test_clgrad_runs_clean_on_oclgrind_with_small_gpu_limits(oclgrind, tmp_path):
    proc, log = run_on_oclgrind(oclgrind, CLGRAD_ON_OCLGRIND, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "1 Oclgrind Simulator"  # CLGRAD_CL_PLATFORM hides PoCL
    assert lines[1] == "256 32768"  # OCLGRIND_MAX_WGSIZE and OCLGRIND_LOCAL_MEM_SIZE
    assert log == ""
    assert runner.api_errors(proc.stderr) == []


def test_api_error_filter_keeps_real_misuse():
    benign = ("Oclgrind - OpenCL runtime error detected\n\tFunction: clGetDeviceInfo\n"
              "\tError:    CL_INVALID_VALUE\n\tFor argument 'param_name'\n")
    real = ("Oclgrind - OpenCL runtime error detected\n\tFunction: clEnqueueNDRangeKernel\n"
            "\tError:    CL_INVALID_WORK_GROUP_SIZE\n\tFor argument 'local_work_size'\n")
    assert runner.api_errors(benign) == []
    assert runner.api_errors(benign + real + benign) == [
        ("clEnqueueNDRangeKernel", "CL_INVALID_WORK_GROUP_SIZE", "local_work_size")]


def test_output_blocks_keep_every_line():
    text = ("....\n\nOclgrind - OpenCL runtime error detected\n\tFunction: clGetDeviceInfo\n"
            "\tError:    CL_INVALID_VALUE\n\tFor argument 'param_name'\n\n.. [100%]\n")
    blocks = list(runner._blocks(text.splitlines(keepends=True)))
    assert "".join(blocks) == text
    assert [b for b in blocks if b.lstrip().startswith(runner.API_ERROR_TITLE)] == [
        "\n" + text.split("\n\n")[1] + "\n\n"]
