"""Joining and reordering ops against numpy (and torch where installed)."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from helpers import pattern_tensor, same

# Small shapes: these also run on Oclgrind (tox -e oclgrind selects `kernel`).
pytestmark = pytest.mark.kernel

DTYPES = ["float32", "int64", "bool"]


def make(shape, dtype, device, transpose=False):
    t, arr = pattern_tensor(shape, dtype, device, modulo=5, offset=-1)
    if transpose:  # a non-contiguous input with the same values
        t = clgrad.tensor(np.ascontiguousarray(arr.swapaxes(0, -1)), device=device)
        t = t.transpose(0, -1)
        assert not t.is_contiguous() or arr.ndim < 2
    return t, arr


@pytest.mark.parametrize("dtype", DTYPES)
def test_cat_stack(device, dtype):
    x, a = make((2, 3), dtype, device, transpose=True)
    y, b = make((4, 3), dtype, device)
    same(clgrad.cat([x, y]), np.concatenate([a, b]))
    same(clgrad.concat((x, x), 1), np.concatenate([a, a], 1))
    same(clgrad.concatenate([x, x], -1), np.concatenate([a, a], -1))
    same(clgrad.cat([x, clgrad.zeros(0, dtype=x.dtype, device=device), y]),
         np.concatenate([a, b]))
    same(clgrad.stack([x, x]), np.stack([a, a]))
    same(clgrad.stack([x, x], 2), np.stack([a, a], 2))
    same(clgrad.stack((x, x), -1), np.stack([a, a], -1))
    same(clgrad.hstack([x, x]), np.hstack([a, a]))
    same(clgrad.hstack([x[0], y[1]]), np.hstack([a[0], b[1]]))
    same(clgrad.vstack([x[0], y]), np.vstack([a[0], b]))
    same(clgrad.dstack([x, x]), np.dstack([a, a]))
    out = clgrad.empty(0, dtype=x.dtype, device=device)
    result = clgrad.cat([x, y], out=out)
    assert result is out
    same(out, np.concatenate([a, b]))


def test_cat_promotion_and_errors(device):
    i8 = clgrad.zeros(2, 3, dtype=clgrad.int8, device=device)
    u8 = clgrad.ones(2, 3, dtype=clgrad.uint8, device=device)
    assert clgrad.cat([i8, u8]).dtype is clgrad.int16
    f = clgrad.cat([i8, clgrad.full((1, 3), 2.5, device=device)])
    same(f, np.array([[0, 0, 0], [0, 0, 0], [2.5, 2.5, 2.5]], np.float32))
    # a skipped empty 1-D tensor still takes part in promotion
    assert clgrad.cat([i8, clgrad.zeros(0, device=device)]).dtype is clgrad.float32
    with pytest.raises(ValueError, match="expected a non-empty list"):
        clgrad.cat([])
    with pytest.raises(RuntimeError, match="zero-dimensional tensor \\(at position 0\\)"):
        clgrad.cat([clgrad.tensor(1.0, device=device)])
    with pytest.raises(RuntimeError, match="same number of dimensions: got 2 and 3"):
        clgrad.cat([i8, clgrad.zeros(2, 3, 1, device=device)])
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        clgrad.cat([i8, clgrad.zeros(3, 2, device=device)])
    with pytest.raises(IndexError):
        clgrad.cat([i8, i8], 2)
    with pytest.raises(TypeError, match="can't be cast to the desired output type Long"):
        clgrad.cat([clgrad.zeros(2, device=device)],
                   out=clgrad.zeros(2, dtype=clgrad.int64, device=device))
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        clgrad.stack([i8, clgrad.zeros(3, 3, device=device)])
    with pytest.raises(RuntimeError, match="stack expects a non-empty TensorList"):
        clgrad.stack([])
    with pytest.raises(RuntimeError, match="hstack expects a non-empty TensorList"):
        clgrad.hstack([])


@pytest.mark.parametrize("dtype", DTYPES)
def test_flip_roll(device, dtype):
    x, a = make((3, 4, 2), dtype, device, transpose=True)
    same(x.flip(0), a[::-1])
    same(clgrad.flip(x, (0, 2)), a[::-1, :, ::-1])
    same(x.flip(-1, 1), a[:, ::-1, ::-1])
    f = x.flip(1)
    assert all(s > 0 for s in f.stride())
    same(clgrad.fliplr(x), np.fliplr(a))
    same(clgrad.flipud(x), np.flipud(a))
    same(clgrad.roll(x, 2), np.roll(a, 2))
    same(x.roll(-1, 1), np.roll(a, -1, 1))
    same(clgrad.roll(x, (1, 5), (0, -1)), np.roll(a, (1, 5), (0, -1)))
    same(clgrad.roll(x, 0, 0), a)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.flip(0, 0)
    with pytest.raises(IndexError):
        x.flip(3)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        clgrad.roll(x, (1, 2))
    with pytest.raises(RuntimeError, match="Input must be >= 2-d."):
        clgrad.fliplr(x[0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeat_tile(device, dtype):
    x, a = make((2, 3), dtype, device, transpose=True)
    same(x.repeat(2, 3), np.tile(a, (2, 3)))
    same(x.repeat(2, 1, 2), np.tile(a, (2, 1, 2)))
    same(x.repeat(0, 1), np.tile(a, (0, 1)))
    same(clgrad.tile(x, (2,)), np.tile(a, (2,)))
    same(x.tile((3, 1, 1)), np.tile(a, (3, 1, 1)))
    with pytest.raises(RuntimeError, match="Number of dimensions of repeat dims"):
        x.repeat(2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tril_triu(device, dtype):
    x, a = make((2, 4, 5), dtype, device, transpose=True)
    for k in (-2, 0, 1, 7):
        same(clgrad.tril(x, k), np.tril(a, k))
        same(x.triu(k), np.triu(a, k))
    y = x.clone()
    y.tril_(1)
    same(y, np.tril(a, 1))
    z = x.contiguous().transpose(1, 2)  # in place on a non-contiguous view
    before = z._version_count
    z.triu_()
    assert z._version_count == before + 1
    same(z, np.triu(a.swapaxes(1, 2)))
    with pytest.raises(RuntimeError, match="tril: input tensor must have at least 2 dimensions"):
        clgrad.tril(x[0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_diag(device, dtype):
    x, a = make((3, 4), dtype, device, transpose=True)
    for k in (-1, 0, 2, 5):
        same(clgrad.diag(x, k), np.diag(a, k))
        same(clgrad.diag(x[1], k), np.diag(a[1], k))
    same(x.diag_embed(), np.stack([np.diag(r) for r in a]))
    emb = clgrad.diag_embed(x, 1, 0, 2)
    assert emb.shape == (5, 3, 5)
    for i in range(3):
        same(emb[:, i, :], np.diag(a[i], 1))
    with pytest.raises(RuntimeError, match="Supports 1D or 2D tensors. Got 3D"):
        clgrad.diag(clgrad.zeros(2, 2, 2, device=device))


@pytest.mark.parity
def test_torch_parity_join():
    torch = pytest.importorskip("torch")
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x, tx = clgrad.tensor(a).permute(2, 0, 1), torch.tensor(a).permute(2, 0, 1)
    cases = [
        lambda m, t: m.cat([t, t[:1]], 0),
        lambda m, t: m.cat([t.int(), t.double()], 2),
        lambda m, t: m.cat([t, m.zeros(0)], 1),
        lambda m, t: m.stack([t, t], 1),
        lambda m, t: m.roll(t, (1, -1), (0, 2)),
        lambda m, t: m.roll(t, 7),
        lambda m, t: t.repeat(1, 2, 1, 2),
        lambda m, t: m.tile(t, (2, 1)),
        lambda m, t: m.tril(t, -1),
        lambda m, t: m.triu(t, 1),
        lambda m, t: m.diag(t[0], -1),
        lambda m, t: m.diag(t[0, 0], 2),
        lambda m, t: m.diag_embed(t, -1, 1, 0),
        lambda m, t: m.flip(t, (0, 1)),
        lambda m, t: m.vstack([t[0, 0], t[1, 1]]),
    ]
    for case in cases:
        got, exp = case(clgrad, x), case(torch, tx)
        assert tuple(got.shape) == tuple(exp.shape)
        assert got.dtype.name == str(exp.dtype).split(".")[1]
        np.testing.assert_array_equal(np.asarray(got), exp.numpy())
