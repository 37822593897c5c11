"""F.affine_grid and F.grid_sample (the spatial transformer tutorial's two calls)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import clgrad
import clgrad.nn.functional as F

from helpers import skip_without_fp64, to_numpy

MODES = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"],
                               [False, True]))


def _data():
    rs = np.random.RandomState(0)
    # the grid reaches past [-1, 1] so every padding mode has work to do
    return rs.randn(2, 3, 5, 6), rs.uniform(-1.3, 1.3, (2, 4, 7, 2)), rs.randn(2, 4, 7)


@pytest.mark.parametrize("mode,padding_mode,align_corners", MODES)
def test_grid_sample_matches_torch(device, mode, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    x, g, _ = _data()
    tx = torch.tensor(x, requires_grad=True)
    tg = torch.tensor(g, requires_grad=True)
    expected = torch.nn.functional.grid_sample(tx, tg, mode, padding_mode, align_corners)
    weight = np.random.RandomState(1).randn(*expected.shape)
    (expected * torch.tensor(weight)).sum().backward()
    cx = clgrad.tensor(x, device=device, requires_grad=True)
    cg = clgrad.tensor(g, device=device, requires_grad=True)
    out = F.grid_sample(cx, cg, mode, padding_mode, align_corners)
    assert type(out.grad_fn).__name__ == "GridSampler2DBackward0"
    (out * clgrad.tensor(weight, device=device)).sum().backward()
    for mine, theirs in ((out, expected), (cx.grad, tx.grad), (cg.grad, tg.grad)):
        np.testing.assert_allclose(to_numpy(mine.detach()), theirs.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)


def test_affine_grid_matches_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    theta = np.random.RandomState(2).randn(2, 2, 3)
    for align_corners in (False, True):
        tt = torch.tensor(theta, requires_grad=True)
        expected = torch.nn.functional.affine_grid(tt, (2, 3, 4, 5), align_corners)
        weight = np.random.RandomState(3).randn(*expected.shape)
        (expected * torch.tensor(weight)).sum().backward()
        ct = clgrad.tensor(theta, device=device, requires_grad=True)
        grid = F.affine_grid(ct, (2, 3, 4, 5), align_corners)
        assert type(grid.grad_fn).__name__ == "AffineGridGeneratorBackward0"
        (grid * clgrad.tensor(weight, device=device)).sum().backward()
        np.testing.assert_allclose(to_numpy(grid.detach()), expected.detach().numpy(),
                                   atol=1e-12)
        np.testing.assert_allclose(to_numpy(ct.grad), tt.grad.numpy(), atol=1e-12)


def test_identity_transform_reproduces_the_input(device):
    x = clgrad.randn(2, 3, 4, 5, device=device)
    theta = clgrad.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], device=device).expand(2, 2, 3)
    for align_corners in (False, True):
        grid = F.affine_grid(theta, x.shape, align_corners=align_corners)
        assert grid.shape == (2, 4, 5, 2)
        out = F.grid_sample(x, grid, align_corners=align_corners)
        np.testing.assert_allclose(to_numpy(out), to_numpy(x), atol=1e-5)


def test_shift_by_one_pixel_with_zero_padding(device):
    """x' = x + 2/W moves the content one pixel left and zero-fills the last column."""
    x = clgrad.arange(12.0, device=device).reshape(1, 1, 3, 4)
    theta = clgrad.tensor([[[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]], device=device)
    out = F.grid_sample(x, F.affine_grid(theta, (1, 1, 3, 4), align_corners=False),
                        align_corners=False)
    expected = np.concatenate([to_numpy(x)[..., 1:], np.zeros((1, 1, 3, 1))], -1)
    np.testing.assert_allclose(to_numpy(out), expected, atol=1e-5)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_gradients_and_double_backward_by_finite_differences(device, padding_mode):
    skip_without_fp64(device)
    rs = np.random.RandomState(4)
    x = clgrad.tensor(rs.randn(1, 2, 3, 4), device=device, requires_grad=True)
    # away from integer pixel positions, where bilinear sampling is not differentiable
    g = clgrad.tensor(rs.uniform(-1.2, 1.2, (1, 2, 3, 2)), device=device, requires_grad=True)

    def fn(a, b):
        return F.grid_sample(a, b, padding_mode=padding_mode, align_corners=False)
    assert clgrad.autograd.gradcheck(fn, (x, g))
    assert clgrad.autograd.gradgradcheck(fn, (x, g))


def test_nearest_gives_the_grid_a_zero_gradient(device):
    x = clgrad.randn(1, 1, 3, 3, device=device, requires_grad=True)
    g = clgrad.rand(1, 2, 2, 2, device=device, requires_grad=True)
    F.grid_sample(x, g, mode="nearest", align_corners=False).sum().backward()
    assert g.grad is not None and float(g.grad.abs().sum()) == 0.0
    assert float(x.grad.sum()) == 4.0


def test_align_corners_default_warns_as_torch():
    x, g = clgrad.randn(1, 1, 3, 3), clgrad.zeros(1, 2, 2, 2)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x, g)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(clgrad.zeros(1, 2, 3), (1, 1, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, g, align_corners=False)


def test_errors_as_torch():
    x = clgrad.randn(1, 1, 3, 3)
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or"):
        F.grid_sample(x, clgrad.zeros(1, 2, 2, 2), mode="area", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode to be 'zeros'"):
        F.grid_sample(x, clgrad.zeros(1, 2, 2, 2), padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, clgrad.zeros(2, 2, 2, 2), align_corners=False)
    with pytest.raises(RuntimeError, match="expected grid to have size 2 in last dimension"):
        F.grid_sample(x, clgrad.zeros(1, 2, 2, 3), align_corners=False)
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        F.grid_sample(x, clgrad.zeros(1, 2, 2, 2, dtype=clgrad.float64), align_corners=False)
    with pytest.raises(ValueError, match="Expected a batch of 2D affine matrices of shape"):
        F.affine_grid(clgrad.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="Expected theta to have floating point type"):
        F.affine_grid(clgrad.zeros(1, 2, 3, dtype=clgrad.int64), (1, 1, 2, 2),
                      align_corners=False)
    with pytest.raises(NotImplementedError, match="only supports 4D and 5D sizes"):
        F.affine_grid(clgrad.zeros(1, 2, 3), (1, 2, 2), align_corners=False)


def test_affine_grid_3d_matches_torch():
    torch = pytest.importorskip("torch")
    theta = np.random.RandomState(5).randn(2, 3, 4)
    expected = torch.nn.functional.affine_grid(torch.tensor(theta), (2, 1, 2, 3, 4), False)
    grid = F.affine_grid(clgrad.tensor(theta), (2, 1, 2, 3, 4), align_corners=False)
    np.testing.assert_allclose(to_numpy(grid), expected.numpy(), atol=1e-12)
