"""clgrad.trapezoid / trapz / cumulative_trapezoid against numpy, torch and finite
differences, on every device."""
import numpy as np
import pytest

import clgrad

from helpers import leaf, skip_without_fp64, to_numpy


def _np_trapz(y, x=None, dx=1.0, axis=-1):
    fn = getattr(np, "trapezoid", None) or np.trapz
    return fn(y, x=x, dx=dx, axis=axis)


def _np_cumtrapz(y, x=None, dx=1.0, axis=-1):
    y = np.moveaxis(y, axis, -1)
    d = np.diff(x) if x is not None else dx
    out = np.cumsum((y[..., 1:] + y[..., :-1]) * d / 2, axis=-1)
    return np.moveaxis(out, -1, axis)


def test_values_like_numpy(device):
    rng = np.random.default_rng(0)
    y = rng.standard_normal((3, 5)).astype(np.float32)
    x = np.sort(rng.standard_normal(5)).astype(np.float32)
    yc, xc = clgrad.tensor(y, device=device), clgrad.tensor(x, device=device)
    close = dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(clgrad.trapezoid(yc)), _np_trapz(y), **close)
    np.testing.assert_allclose(to_numpy(clgrad.trapezoid(yc, xc)), _np_trapz(y, x), **close)
    np.testing.assert_allclose(to_numpy(clgrad.trapz(yc, xc)), _np_trapz(y, x), **close)
    np.testing.assert_allclose(to_numpy(clgrad.trapezoid(yc, dx=0.5, dim=0)),
                               _np_trapz(y, dx=0.5, axis=0), **close)
    np.testing.assert_allclose(to_numpy(clgrad.cumulative_trapezoid(yc, xc)),
                               _np_cumtrapz(y, x), **close)
    np.testing.assert_allclose(to_numpy(clgrad.cumulative_trapezoid(yc, dim=0)),
                               _np_cumtrapz(y, axis=0), **close)
    # x with y's shape: spacing per row
    x2 = np.cumsum(np.abs(rng.standard_normal((3, 5))), -1).astype(np.float32)
    np.testing.assert_allclose(to_numpy(clgrad.trapezoid(yc, clgrad.tensor(x2, device=device))),
                               _np_trapz(y, x2), **close)


def test_edges_and_dtypes(device):
    ints = clgrad.tensor([1, 2, 3], device=device)
    r = clgrad.trapezoid(ints)
    assert r.dtype == clgrad.float32 and r.item() == 4.0
    assert clgrad.trapezoid(clgrad.ones(0, device=device)).item() == 0.0
    assert clgrad.trapezoid(clgrad.ones(1, device=device)).item() == 0.0
    assert clgrad.cumulative_trapezoid(clgrad.ones(1, device=device)).shape == (0,)


def test_errors(device):
    y = clgrad.ones(3, device=device)
    with pytest.raises(TypeError, match="trapezoid\\(\\) received an invalid combination"):
        clgrad.trapezoid(y, clgrad.ones(3, device=device), dx=1.0)
    with pytest.raises(RuntimeError, match="one `x` value for each sample point"):
        clgrad.trapezoid(y, clgrad.ones(2, device=device))
    with pytest.raises(IndexError, match="Dimension specified as -1 but tensor has no dim"):
        clgrad.trapezoid(clgrad.tensor(1.0, device=device))
    with pytest.raises(IndexError, match="Dimension out of range"):
        clgrad.trapezoid(y, dim=1)


def test_gradients_by_finite_differences(device):
    skip_without_fp64(device)
    rng = np.random.default_rng(1)
    y0, x0 = rng.standard_normal((2, 4)), np.sort(rng.standard_normal(4))
    assert clgrad.autograd.gradcheck(lambda y, x: clgrad.trapezoid(y, x),
                                     (leaf(y0, device), leaf(x0, device)))
    assert clgrad.autograd.gradcheck(lambda y: clgrad.cumulative_trapezoid(y, dx=0.3, dim=0),
                                     (leaf(y0, device),))


def test_matches_torch():
    torch = pytest.importorskip("torch")
    y = np.array([[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]])
    x = np.array([0.0, 1.0, 3.0])
    for name in ("trapezoid", "trapz", "cumulative_trapezoid"):
        for kw in ({}, {"dim": 0}):
            want = getattr(torch, name)(torch.tensor(y), **kw).numpy()
            got = getattr(clgrad, name)(clgrad.tensor(y), **kw).numpy()
            np.testing.assert_allclose(got, want)
        want = getattr(torch, name)(torch.tensor(y), torch.tensor(x)).numpy()
        np.testing.assert_allclose(getattr(clgrad, name)(clgrad.tensor(y),
                                                         clgrad.tensor(x)).numpy(), want)
