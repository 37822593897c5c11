"""softmax / log_softmax over contiguous rows (backends/cl/softmax.py's rows kernel on CPU
devices, vectors of 8 or scalars), every row length around the vector width, against
PyTorch's semantics computed in float64 numpy: NaN rows, infinite entries, float64."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F


def _ref(a: np.ndarray, log: bool) -> np.ndarray:
    a = a.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        m = a.max(-1, keepdims=True)
        m = np.where(np.isnan(a).any(-1, keepdims=True), np.nan, m)
        e = np.exp(a - m)
        s = e.sum(-1, keepdims=True)
        return a - m - np.log(s) if log else e / s


@pytest.fixture(params=["auto", "scalar"])
def rows_device(request, device, monkeypatch):
    if request.param == "scalar":
        if not device.startswith("cl"):
            pytest.skip("a cl strategy")
        from clgrad.backends.cl.softmax import ClSoftmax
        monkeypatch.setattr(ClSoftmax, "softmax_rows_vector", 1)
    return device


@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 23, 100])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_rows(rows_device, n, log):
    rng = np.random.default_rng(n)
    a = (rng.standard_normal((5, n)) * 4).astype(np.float32)
    fn = F.log_softmax if log else F.softmax
    got = fn(clgrad.tensor(a, device=rows_device), 1).cpu().numpy()
    np.testing.assert_allclose(got, _ref(a, log), rtol=2e-5, atol=2e-6)
    # a 3-d input over its last dim, and a sliced (offset) input
    b = a.reshape(5, 1, n)
    got = fn(clgrad.tensor(b, device=rows_device), -1).cpu().numpy()
    np.testing.assert_allclose(got, _ref(b, log), rtol=2e-5, atol=2e-6)
    got = fn(clgrad.tensor(a, device=rows_device)[2:], 1).cpu().numpy()
    np.testing.assert_allclose(got, _ref(a[2:], log), rtol=2e-5, atol=2e-6)
    # the backward through the rows kernel: softmax y * (w - sum(w * y)), log w - p sum(w)
    t = clgrad.tensor(a, device=rows_device, requires_grad=True)
    w = rng.standard_normal((5, n)).astype(np.float32)
    (fn(t, 1) * clgrad.tensor(w, device=rows_device)).sum().backward()
    p = _ref(a, False)
    want = w - p * w.sum(1, keepdims=True) if log else p * (w - (w * p).sum(1, keepdims=True))
    np.testing.assert_allclose(t.grad.cpu().numpy(), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_rows_special_values(rows_device, log):
    a = np.zeros((4, 19), np.float32)
    a[0, 3] = np.nan          # a NaN row
    a[1, 17] = np.nan         # NaN in the scalar tail
    a[2, :] = -np.inf         # every entry -inf: NaN, as in PyTorch
    a[3, 5] = -np.inf         # one -inf entry: probability 0
    fn = F.log_softmax if log else F.softmax
    got = fn(clgrad.tensor(a, device=rows_device), 1).cpu().numpy()
    np.testing.assert_allclose(got, _ref(a, log), rtol=1e-6, atol=1e-7, equal_nan=True)


def test_rows_float64_and_grad(rows_device):
    from helpers import device_supports_fp64
    if not device_supports_fp64(rows_device):
        pytest.skip("no float64 on this device")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 21)) * 10
    t = clgrad.tensor(a, device=rows_device, requires_grad=True)
    y = F.softmax(t, 1)
    np.testing.assert_allclose(y.detach().cpu().numpy(), _ref(a, False), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(t, 1).detach().cpu().numpy(), _ref(a, True),
                               rtol=1e-12, atol=1e-12)
    w = rng.standard_normal((3, 21))
    (y * clgrad.tensor(w, device=rows_device)).sum().backward()
    p = _ref(a, False)
    want = p * (w - (w * p).sum(1, keepdims=True))
    np.testing.assert_allclose(t.grad.cpu().numpy(), want, rtol=1e-10, atol=1e-12)
