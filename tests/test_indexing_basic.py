"""Basic indexing: ints, slices, None, Ellipsis give views; __setitem__ writes in place."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from helpers import pattern_tensor, same

# Small shapes: these also run on Oclgrind (tox -e oclgrind selects `kernel`).
pytestmark = pytest.mark.kernel

DTYPES = ["float32", "int64", "bool"]

KEYS = [0, -1, (1, 2), (slice(None), 1), slice(1, None), slice(None, None, 2),
        (slice(1, 3), slice(None, None, 2)), (Ellipsis, 1), (None, 0), (1, None, Ellipsis, None),
        (slice(-10, 10), Ellipsis, slice(-2, None)), (), Ellipsis,
        (slice(5, None),), (slice(None), slice(3, 1)), (slice(None), -3, slice(1, None, 3))]


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_views(device, dtype):
    x, a = pattern_tensor((3, 4, 5), dtype, device)
    xt, at = x.permute(2, 0, 1), a.transpose(2, 0, 1)  # non-contiguous
    for key in KEYS:
        for t, arr in ((x, a), (xt, at)):
            v = t[key]
            same(v, arr[key])
            assert v._storage is t._storage and v._version is t._version
            assert v._base is x


def test_getitem_errors(device):
    x, _ = pattern_tensor((2, 3), "float32", device)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 2"):
        x[5]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 1 with size 3"):
        x[0, -4]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        clgrad.tensor(1.0, device=device)[0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]
    with pytest.raises(IndexError, match="got float"):
        x[1.5]


@pytest.mark.parametrize("dtype", DTYPES)
def test_setitem_scalar(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    xt = x.t()
    before = x._version_count
    xt[1:, ::2] = 1
    a.T[1:, ::2] = 1
    same(x, a)
    assert x._version_count == before + 1
    x[-1] = 0
    a[-1] = 0
    same(x, a)
    x[..., 2] = True
    a[..., 2] = True
    same(x, a)


def test_setitem_converts_values(device):
    x = clgrad.zeros(3, dtype=clgrad.int64, device=device)
    x[0] = 2.7  # cast like a C conversion
    same(x, np.array([2, 0, 0]))
    f = clgrad.zeros(2, 3, device=device)
    f[1] = clgrad.tensor([1, 2, 3])  # int64 cpu tensor into float32 on any device
    same(f, np.array([[0, 0, 0], [1, 2, 3]], np.float32))
    f[:, 1:] = clgrad.tensor([[7.0], [8.0]], device=device)  # broadcast
    same(f, np.array([[0, 7, 7], [1, 8, 8]], np.float32))
    f[0] = clgrad.ones(1, 1, 3, device=device)  # leading size-1 dims are dropped
    same(f[0], np.ones(3, np.float32))
    f[1, 0] = clgrad.tensor(5.0)  # a 0-dim cpu tensor
    assert f[1, 0].item() == 5.0
    with pytest.raises(RuntimeError, match="must match the existing size"):
        f[0] = clgrad.ones(2, device=device)
    with pytest.raises(TypeError, match="can't assign a list"):
        f[0] = [1, 2, 3]


@pytest.mark.parametrize("dtype", DTYPES)
def test_setitem_tensor_noncontiguous(device, dtype):
    x, a = pattern_tensor((4, 5), dtype, device)
    src, s = pattern_tensor((5, 2), dtype, device)
    x[1:3] = src.t()
    a[1:3] = s.T
    same(x, a)
    y = x.t()
    y[::2, None, 0] = src[:3, :1]
    a.T[::2, None, 0] = s[:3, :1]
    same(x, a)


@pytest.mark.parity
def test_torch_parity_indexing():
    torch = pytest.importorskip("torch")
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x, tx = clgrad.tensor(a), torch.tensor(a)
    for key in KEYS + [(0, Ellipsis, 0, Ellipsis), (slice(7, None),)]:
        got, exp = x[key], tx[key]
        assert tuple(got.shape) == tuple(exp.shape)
        assert got.stride() == exp.stride()
        assert got.storage_offset() == exp.storage_offset()
        np.testing.assert_array_equal(np.asarray(got), exp.numpy())
