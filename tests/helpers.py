"""Test code that several test files share: `from helpers import ...` in a test file.

pyproject.toml puts tests/ on sys.path (`pythonpath = ["tests"]`), so this module imports the
same way under --import-mode=importlib, in a rerun from a list of node ids (`pytest @file` in
.ci/run) and from any working directory. conftest.py holds only fixtures and hooks; it gets the
device list from here (test files import helpers, never conftest).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import clgrad
from clgrad.autograd import Function


# -- devices ------------------------------------------------------------------------------
def available_devices() -> list:
    """Every device the tests run on: cpu and each cl:N, or CLGRAD_TEST_DEVICES (a comma-
    separated list such as "cpu" or "cl:0")."""
    wanted = os.environ.get("CLGRAD_TEST_DEVICES")
    if wanted:
        return [d.strip() for d in wanted.split(",") if d.strip()]
    devices = ["cpu"]
    if clgrad.cl.is_available():
        devices += [f"cl:{i}" for i in range(clgrad.cl.device_count())]
    return devices


DEVICES = available_devices()


def device_supports_fp64(device: str) -> bool:
    if device == "cpu":
        return True
    return clgrad.cl.get_device_properties(clgrad.device(device).index).fp64


def skip_without_fp64(device: str) -> None:
    """Skip the test on a device without float64 (gradcheck and float64 tests)."""
    if not device_supports_fp64(device):
        pytest.skip(f"{device} has no float64")


# -- tensors and numpy --------------------------------------------------------------------
def to_numpy(t) -> np.ndarray:
    """A tensor's values as a numpy array, whatever its device and requires_grad."""
    return t.detach().cpu().numpy()


def pattern_tensor(shape, dtype: str, device: str, modulo: int = 7, offset: int = 0):
    """(tensor, array) holding (arange % modulo) + offset in `shape`, cast to `dtype` (a
    name; "bool" makes the nonzero values True): small repeating values every dtype holds."""
    arr = (np.arange(int(np.prod(shape))) % modulo + offset).reshape(shape)
    arr = arr.astype(np.bool_) if dtype == "bool" else arr.astype(dtype)
    return clgrad.tensor(arr, device=device), arr


def same(t, expected, dtype: bool = True) -> None:
    """t equals `expected` (a numpy array or nested list) exactly, with the same shape and,
    unless dtype=False, the same numpy dtype."""
    got = np.asarray(t)
    assert got.shape == np.shape(expected)
    if dtype:
        assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


def leaf(values, device: str, dtype=clgrad.float64):
    """A leaf tensor that requires grad (float64 by default, as gradcheck wants)."""
    return clgrad.tensor(values, dtype=dtype, device=device, requires_grad=True)


# -- comparing with PyTorch ---------------------------------------------------------------
def grad_fn_name(t) -> str:
    """The class name of a tensor's grad_fn ('AddBackward0'), clgrad's or torch's alike."""
    return type(t.grad_fn).__name__


def leaves_like_torch(torch, arrays, device: str) -> tuple:
    """([torch leaves], [clgrad leaves]) holding the same arrays, all requiring grad."""
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [clgrad.tensor(a, device=device, requires_grad=True) for a in arrays])


def backward_like_torch(torch, yt, y, grad: np.ndarray, device: str) -> None:
    """Backpropagate the same upstream gradient through torch's yt and clgrad's y."""
    yt.backward(torch.tensor(grad))
    y.backward(clgrad.tensor(grad, device=device))


def assert_grads_like_torch(cs, ts, rtol: float = 1e-4, atol: float = 1e-4,
                            scaled: bool = False) -> None:
    """Each clgrad leaf's .grad matches the torch leaf's; scaled=True multiplies atol by
    the largest torch gradient (when above 1), for gradients that grow with the input."""
    for c, t in zip(cs, ts):
        want = t.grad.numpy()
        scale = max(1.0, float(np.abs(want).max())) if scaled else 1.0
        np.testing.assert_allclose(to_numpy(c.grad), want, rtol=rtol, atol=atol * scale)


# -- custom Functions ---------------------------------------------------------------------
class Square(Function):
    """y = x * x through a custom Function (saves x for backward)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x
