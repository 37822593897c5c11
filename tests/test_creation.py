"""Range creation (arange, range, linspace, logspace, eye) on every device."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from helpers import same, skip_without_fp64

# Small shapes: these also run on Oclgrind (tox -e oclgrind selects `kernel`).
pytestmark = pytest.mark.kernel


def test_arange(device):
    same(clgrad.arange(5, device=device), np.arange(5, dtype=np.int64))
    same(clgrad.arange(2, 11, 3, device=device), np.arange(2, 11, 3, dtype=np.int64))
    same(clgrad.arange(10, 0, -3, device=device), np.arange(10, 0, -3, dtype=np.int64))
    same(clgrad.arange(0.5, 3, device=device), np.array([0.5, 1.5, 2.5], np.float32))
    same(clgrad.arange(0, 1, 0.25, device=device), np.arange(0, 1, 0.25, dtype=np.float32))
    same(clgrad.arange(4, dtype=clgrad.float32, device=device), np.arange(4, dtype=np.float32))
    same(clgrad.arange(-3, 3, dtype=clgrad.int8, device=device), np.arange(-3, 3, dtype=np.int8))
    same(clgrad.arange(0, 5, 2, dtype=clgrad.float16, device=device),
         np.array([0, 2, 4], np.float16))
    # an int64 arange with a float step truncates the step, as PyTorch does
    same(clgrad.arange(0, 10, 1.5, dtype=clgrad.int64, device=device),
         np.arange(10, dtype=np.int64))
    same(clgrad.arange(3, 3, device=device), np.zeros(0, np.int64))
    t = clgrad.arange(-1.0, 1.0, 0.1, device=device)
    assert t.shape == (20,) and t.device == clgrad.device(device)
    np.testing.assert_allclose(np.asarray(t), np.arange(-1.0, 1.0, 0.1), rtol=0, atol=1e-6)
    assert clgrad.arange(3, device=device, dtype=clgrad.float32,
                         requires_grad=True).requires_grad


def test_arange_errors(device):
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        clgrad.arange(0, 10, 0, device=device)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent"):
        clgrad.arange(10, 0, 1, device=device)
    with pytest.raises(NotImplementedError):
        clgrad.arange(3, dtype=clgrad.bool, device=device)


def test_range_inclusive(device):
    with pytest.warns(UserWarning, match="deprecated"):
        same(clgrad.range(1, 4, device=device), np.array([1, 2, 3, 4], np.float32))
    with pytest.warns(UserWarning):
        same(clgrad.range(0, 1, 0.25, device=device), np.arange(0, 1.25, 0.25, dtype=np.float32))
    with pytest.warns(UserWarning):
        same(clgrad.range(5, 1, -2, dtype=clgrad.int64, device=device),
             np.array([5, 3, 1], np.int64))


def test_linspace(device):
    same(clgrad.linspace(0, 1, 5, device=device), np.linspace(0, 1, 5, dtype=np.float32))
    t = clgrad.linspace(-3.3, 7.1, 101, device=device)
    np.testing.assert_allclose(np.asarray(t), np.linspace(-3.3, 7.1, 101), rtol=1e-6,
                               atol=1e-6)
    assert np.asarray(t)[0] == np.float32(-3.3) and np.asarray(t)[-1] == np.float32(7.1)
    same(clgrad.linspace(2, 3, 1, device=device), np.array([2.0], np.float32))
    same(clgrad.linspace(2, 3, 0, device=device), np.zeros(0, np.float32))
    same(clgrad.linspace(0, 10, 4, dtype=clgrad.int64, device=device),
         np.array([0, 3, 6, 10], np.int64))
    same(clgrad.linspace(10, 0, 5, dtype=clgrad.int32, device=device),
         np.array([10, 7, 5, 2, 0], np.int32))
    with pytest.raises(RuntimeError, match="number of steps must be non-negative"):
        clgrad.linspace(0, 1, -1, device=device)


def test_logspace(device):
    np.testing.assert_allclose(np.asarray(clgrad.logspace(-2, 2, 9, device=device)),
                               np.logspace(-2, 2, 9), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(clgrad.logspace(0, 3, 4, base=2, device=device)),
                               [1, 2, 4, 8], rtol=1e-6)
    same(clgrad.logspace(0, 2, 3, base=2, dtype=clgrad.int64, device=device),
         np.array([1, 2, 4], np.int64))


def test_float64_ranges(device):
    skip_without_fp64(device)
    same(clgrad.arange(0, 2, 0.5, dtype=clgrad.float64, device=device),
         np.arange(0, 2, 0.5))
    np.testing.assert_allclose(np.asarray(clgrad.linspace(-1, 1, 11, dtype=clgrad.float64,
                                                          device=device)),
                               np.linspace(-1, 1, 11), rtol=0, atol=1e-15)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_eye(device, dtype):
    d = getattr(clgrad, dtype)
    same(clgrad.eye(3, dtype=d, device=device), np.eye(3, dtype=d.np))
    same(clgrad.eye(2, 4, dtype=d, device=device), np.eye(2, 4, dtype=d.np))
    same(clgrad.eye(4, 1, dtype=d, device=device), np.eye(4, 1, dtype=d.np))
    same(clgrad.eye(0, dtype=d, device=device), np.eye(0, dtype=d.np))
    with pytest.raises(RuntimeError, match="n must be greater or equal to 0, got -1"):
        clgrad.eye(-1, device=device)
    with pytest.raises(RuntimeError, match="m must be greater or equal to 0, got -1"):
        clgrad.eye(2, -1, device=device)


def test_out_argument(device):
    out = clgrad.empty(0, dtype=clgrad.int64, device=device)
    assert clgrad.arange(4, out=out) is out
    same(out, np.arange(4))
    out = clgrad.empty(0, device=device)
    clgrad.linspace(0, 1, 3, out=out)
    same(out, np.array([0, 0.5, 1], np.float32))


@pytest.mark.parity
def test_torch_parity_ranges():
    torch = pytest.importorskip("torch")
    cases = [
        ("arange", (7,), {}), ("arange", (2, 20, 3), {}), ("arange", (0.5, 3), {}),
        ("arange", (0, 1, 0.1), {}), ("arange", (-3, 7, 0.37), {}),
        ("arange", (0, 10, 1.5), {"dtype": "int64"}), ("arange", (1, 2.5, 0.5), {"dtype": "int32"}),
        ("arange", (-1.5, 4.5, 1), {"dtype": "uint8"}),
        ("arange", (0.7, 3.9, 1.2), {"dtype": "int16"}),
        ("arange", (-1.5, 4.5, 1), {"dtype": "int64"}),
        ("linspace", (0, 1, 5), {}), ("linspace", (0, 10, 4), {"dtype": "int64"}),
        ("linspace", (0.5, 10.7, 7), {"dtype": "int32"}), ("linspace", (2, 3, 1), {}),
        ("linspace", (0, 1, 33), {"dtype": "float16"}),
        ("logspace", (-2, 2, 17), {}), ("logspace", (0, 2, 3), {"base": 2, "dtype": "int64"}),
        ("eye", (3, 5), {"dtype": "bool"}),
    ]
    for name, args, kw in cases:
        ckw = {k: getattr(clgrad, v) if k == "dtype" else v for k, v in kw.items()}
        tkw = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
        got, exp = getattr(clgrad, name)(*args, **ckw), getattr(torch, name)(*args, **tkw)
        assert tuple(got.shape) == tuple(exp.shape), (name, args)
        assert got.dtype.name == str(exp.dtype).split(".")[1], (name, args)
        np.testing.assert_array_equal(np.asarray(got), exp.numpy())
    # Longer float ranges: PyTorch's vectorised CPU loop may differ in the last bit.
    np.testing.assert_allclose(np.asarray(clgrad.linspace(-3.3, 7.1, 101)),
                               torch.linspace(-3.3, 7.1, 101).numpy(), rtol=0, atol=1e-6)
