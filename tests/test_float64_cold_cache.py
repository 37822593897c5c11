"""float64 kernels built and first launched with an empty driver cache, in a new process:
PoCL 3.0's LLVM 14 aborted the whole process generating the launch code of double8 code (the
softmax rows kernel, the chunked reductions' max/min) on a Zen 4 ("LLVM ERROR: Cannot
emit physreg copy instruction"); a kernel cache filled by an earlier run hid it. Those
kernels now use 32-byte vectors (double4)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import device_supports_fp64

CHILD = """
import json
import numpy as np
import clgrad
a = np.linspace(-3, 3, 3 * 37).reshape(3, 37)
big = np.cos(np.arange(300 * 300)).reshape(300, 300)
x = clgrad.tensor(a, dtype=clgrad.float64, device=DEVICE, requires_grad=True)
y = clgrad.log_softmax(x, 1)
(y * y).sum().backward()
b = clgrad.tensor(big, device=DEVICE)
print(json.dumps({"y": y.tolist(), "softmax": x.softmax(1).tolist(), "grad": x.grad.tolist(),
                  "reductions": [r.tolist() for r in (b.amax(), b.amin(), b.amax(0), b.amin(1),
                                                      b.sum(), b.abs().sum(1))]}))
"""


def _log_softmax(a):
    m = a.max(1, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(1, keepdims=True))


def test_float64_kernels_build_with_an_empty_driver_cache(cl_device, tmp_path):
    if not device_supports_fp64(cl_device):
        pytest.skip("no float64 on this device")
    env = dict(os.environ, POCL_CACHE_DIR=str(tmp_path), PYOPENCL_NO_CACHE="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", f"DEVICE = {cl_device!r}" + CHILD],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    a = np.linspace(-3, 3, 3 * 37).reshape(3, 37)
    y = _log_softmax(a)
    np.testing.assert_allclose(got["y"], y, rtol=1e-12)
    np.testing.assert_allclose(got["softmax"], np.exp(y), rtol=1e-12)
    # d/dx sum(y^2) for y = log_softmax(x): 2y - softmax * sum(2y)
    np.testing.assert_allclose(got["grad"], 2 * y - np.exp(y) * (2 * y).sum(1, keepdims=True),
                               rtol=1e-10, atol=1e-12)
    big = np.cos(np.arange(300 * 300)).reshape(300, 300)
    expected = [big.max(), big.min(), big.max(0), big.min(1), big.sum(), np.abs(big).sum(1)]
    for value, want in zip(got["reductions"], expected):
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-9)
