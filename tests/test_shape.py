"""Views and shape ops: shapes, strides, shared storage and version counters, errors."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from helpers import pattern_tensor, same

DTYPES = ["float32", "int64", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_view_reshape_flatten(device, dtype):
    x, a = pattern_tensor((2, 3, 4), dtype, device)
    same(x.view(6, 4), a.reshape(6, 4))
    same(x.view(-1), a.reshape(-1))
    same(x.view_as(clgrad.zeros(4, 6)), a.reshape(4, 6))
    xt, at = x.transpose(0, 2), a.swapaxes(0, 2)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        xt.view(-1)
    r = xt.reshape(4, 6)  # needs a copy
    same(r, at.reshape(4, 6))
    assert r._storage is not x._storage
    same(xt.reshape_as(clgrad.zeros(24)), at.reshape(-1))
    same(clgrad.flatten(xt, 1), at.reshape(4, 6))
    same(x.flatten(0, 1), a.reshape(6, 4))
    same(clgrad.tensor(3, device=device).flatten(), np.array([3]))
    same(x.unflatten(2, (2, -1)), a.reshape(2, 3, 2, 2))
    same(clgrad.unflatten(x, -1, (1, 4)), a.reshape(2, 3, 1, 4))


def test_view_errors(device):
    x, _ = pattern_tensor((2, 3), "float32", device)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.view(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match="invalid shape dimension -2"):
        x.reshape(-2, 3)
    with pytest.raises(RuntimeError, match="ambiguous"):
        clgrad.zeros(0, 3, device=device).view(-1, 0)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        x.flatten(1, 0)
    with pytest.raises(RuntimeError, match="don't multiply up"):
        x.unflatten(1, (2, 2))
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.flatten(5)


def test_views_share_storage_and_version(device):
    x, a = pattern_tensor((3, 4), "float32", device)
    for v in (x.view(12), x.t(), x.T, x[1], x.narrow(1, 1, 2), x.unsqueeze(0), x.diagonal(),
              x.expand(2, 3, 4), x.select(0, 2), x.as_strided((2, 2), (1, 4), 1), x.mT,
              x.movedim(0, 1), x.split(2)[1], x.chunk(2, 1)[0], x.unbind(1)[3]):
        assert v._storage is x._storage
        assert v._version is x._version
        assert v._base is x
    v = x.t()
    before = x._version_count
    v[1, 2] = 100.0  # writes element (2, 1) of x
    assert x._version_count == before + 1
    a[2, 1] = 100.0
    same(x, a)
    # a view of a view keeps the original base
    assert x.view(12)[2:]._base is x


@pytest.mark.parametrize("dtype", DTYPES)
def test_dims(device, dtype):
    x, a = pattern_tensor((2, 1, 3, 1), dtype, device)
    same(x.squeeze(), a.squeeze())
    same(x.squeeze(1), a.squeeze(1))
    same(x.squeeze((1, 3)), a.squeeze((1, 3)))
    same(x.squeeze(0), a)
    same(clgrad.unsqueeze(x, -1), a[..., None])
    same(x.unsqueeze(0), a[None])
    same(x.permute(3, 0, 2, 1), a.transpose(3, 0, 2, 1))
    same(clgrad.permute(x, (1, 2, 3, 0)), a.transpose(1, 2, 3, 0))
    same(x.transpose(0, 2), a.swapaxes(0, 2))
    same(clgrad.swapaxes(x, 1, -1), a.swapaxes(1, -1))
    same(x.swapdims(0, 1), a.swapaxes(0, 1))
    same(x.movedim((0, 2), (3, 0)), np.moveaxis(a, (0, 2), (3, 0)))
    same(clgrad.moveaxis(x, 0, -1), np.moveaxis(a, 0, -1))
    y, b = pattern_tensor((2, 3), dtype, device)
    same(y.t(), b.T)
    same(y.T, b.T)
    same(y.mT, b.T)
    same(clgrad.t(y[0]), b[0])
    z, c = pattern_tensor((2, 3, 4), dtype, device)
    same(z.mT, c.swapaxes(1, 2))
    with pytest.warns(UserWarning, match="deprecated"):
        same(z.T, c.transpose(2, 1, 0))


def test_dim_errors(device):
    x, _ = pattern_tensor((2, 3), "float32", device)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        x.transpose(0, 2)
    with pytest.raises(IndexError):
        x.squeeze(4)
    with pytest.raises(IndexError):
        x.unsqueeze(3)
    with pytest.raises(RuntimeError, match="duplicate dims"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="number of dimensions"):
        x.permute(0)
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 dimensions"):
        clgrad.zeros(2, 2, 2, device=device).t()
    with pytest.raises(RuntimeError, match="mT is only supported"):
        x[0].mT
    with pytest.raises(RuntimeError, match="repeated dim"):
        x.movedim((0, 0), (0, 1))
    with pytest.raises(RuntimeError, match="same number of dims"):
        x.movedim((0, 1), (1,))


@pytest.mark.parametrize("dtype", DTYPES)
def test_expand_broadcast(device, dtype):
    x, a = pattern_tensor((3, 1), dtype, device)
    e = x.expand(2, 3, 4)
    assert e.stride() == (0, 1, 0)
    same(e, np.broadcast_to(a, (2, 3, 4)))
    same(x.expand(-1, 5), np.broadcast_to(a, (3, 5)))
    same(x.expand_as(clgrad.zeros(3, 2)), np.broadcast_to(a, (3, 2)))
    same(clgrad.broadcast_to(x, (2, 3, 2)), np.broadcast_to(a, (2, 3, 2)))
    y, b = pattern_tensor((4,), dtype, device)
    p, q = clgrad.broadcast_tensors(x, y)
    same(p, np.broadcast_to(a, (3, 4)))
    same(q, np.broadcast_to(b, (3, 4)))
    assert clgrad.broadcast_shapes((2, 1), (3,), 1) == clgrad.Size([2, 3])
    with pytest.raises(RuntimeError, match="must match the existing size"):
        clgrad.zeros(2, 3, device=device).expand(3, 3)
    with pytest.raises(RuntimeError, match="number of sizes provided"):
        x.expand(3)
    with pytest.raises(RuntimeError):
        clgrad.broadcast_shapes((2, 3), (3, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_slicing_views(device, dtype):
    x, a = pattern_tensor((4, 5), dtype, device)
    xt, at = x.t(), a.T
    same(xt.narrow(0, 1, 3), at[1:4])
    same(x.narrow(1, -2, 2), a[:, 3:5])
    same(xt.select(1, -1), at[:, -1])
    same(clgrad.select(x, 0, 2), a[2])
    for got, exp in zip(xt.unbind(1), [at[:, i] for i in range(4)]):
        same(got, exp)
    assert len(clgrad.unbind(x)) == 4
    for got, exp in zip(x.split(2, 1), np.split(a, [2, 4], 1)):
        same(got, exp)
    for got, exp in zip(clgrad.split(x, [1, 3], 0), np.split(a, [1], 0)):
        same(got, exp)
    for got, exp in zip(x.chunk(3, 1), np.array_split(a, [2, 4], 1)):
        same(got, exp)
    for got, exp in zip(clgrad.tensor_split(x, 3, 1), np.array_split(a, 3, 1)):
        same(got, exp)
    for got, exp in zip(x.tensor_split([1, 3], 1), np.split(a, [1, 3], 1)):
        same(got, exp)
    same(x.as_strided((2, 2), (1, 5), 1), np.lib.stride_tricks.as_strided(
        a.reshape(-1)[1:], (2, 2), (a.itemsize, 5 * a.itemsize)))
    same(x.diagonal(), np.diagonal(a))
    same(x.diagonal(2), np.diagonal(a, 2))
    same(xt.diagonal(-1), np.diagonal(at, -1))
    same(clgrad.diagonal(x, 7), np.diagonal(a, 7))
    z, c = pattern_tensor((2, 3, 4), dtype, device)
    same(z.diagonal(1, 0, 2), np.diagonal(c, 1, 0, 2))
    same(z.diagonal(-1, -1, 1), np.diagonal(c, -1, -1, 1))


def test_slicing_errors(device):
    x, _ = pattern_tensor((2, 3), "float32", device)
    with pytest.raises(RuntimeError, match=r"start \(2\) \+ length \(2\) exceeds"):
        x.narrow(1, 2, 2)
    with pytest.raises(IndexError, match="start out of range"):
        x.narrow(1, 4, 0)
    with pytest.raises(IndexError, match="index 3 out of range"):
        x.select(1, 3)
    with pytest.raises(RuntimeError, match="split_size can only be 0"):
        x.split(0)
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        x.chunk(0)
    with pytest.raises(RuntimeError, match="out of bounds for storage"):
        x.as_strided((2, 2), (1, 2), 10)
    with pytest.raises(RuntimeError, match="diagonal dimensions cannot be identical"):
        x.diagonal(0, 0, 0)


def test_resize_(device):
    x, a = pattern_tensor((2, 3), "float32", device)
    v = x.view(6)
    x.resize_(4, 4)
    assert x.shape == (4, 4) and x.stride() == (4, 1)
    np.testing.assert_array_equal(np.asarray(x).reshape(-1)[:6], a.reshape(-1))
    assert v._storage is x._storage
    x.resize_(3)
    same(x, a.reshape(-1)[:3])
    out = clgrad.empty(0, device=device)
    out.resize_((2, 2))
    assert out.shape == (2, 2)


@pytest.mark.parity
def test_torch_parity_views():
    torch = pytest.importorskip("torch")
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x, tx = clgrad.tensor(a), torch.tensor(a)
    cases = [
        lambda m, t: t.permute(2, 0, 1).reshape(5, 12),
        lambda m, t: t.transpose(0, 1)[1:, ::2].unsqueeze(1),
        lambda m, t: m.flatten(t.transpose(1, 2), 1),
        lambda m, t: t.diagonal(1, 2, 0),
        lambda m, t: m.movedim(t, (0, 1), (2, 0)),
        lambda m, t: t.narrow(2, -3, 2).mT,
        lambda m, t: t.expand(2, 3, 4, 5)[1].select(2, -1),
        lambda m, t: t.as_strided((2, 3), (7, 2), 3),
    ]
    for case in cases:
        got, exp = case(clgrad, x), case(torch, tx)
        assert tuple(got.shape) == tuple(exp.shape)
        assert got.stride() == exp.stride()
        assert got.storage_offset() == exp.storage_offset()
        np.testing.assert_array_equal(np.asarray(got), exp.numpy())
    for m in (clgrad, torch):
        assert [tuple(p.shape) for p in m.zeros(7).chunk(4)] == [(2,), (2,), (2,), (1,)]
        assert [tuple(p.shape) for p in m.zeros(5).chunk(4)] == [(2,), (2,), (1,)]
        assert [tuple(p.shape) for p in m.zeros(6, 2).tensor_split([1, 5, 3])] == \
            [(1, 2), (4, 2), (0, 2), (3, 2)]


@pytest.mark.parametrize("dim,size,step", [(0, 3, 2), (1, 2, 1), (-1, 4, 3), (1, 7, 1)])
def test_tensor_unfold_windows_and_gradient(device, dim, size, step):
    data = np.arange(3 * 7 * 4, dtype=np.float64).reshape(3, 7, 4)
    x = clgrad.tensor(data, device=device, requires_grad=True)
    got = x.unfold(dim, size, step)
    axis = dim % 3
    windows = [np.take(data, range(s, s + size), axis=axis)
               for s in range(0, data.shape[axis] - size + 1, step)]
    want = np.moveaxis(np.stack(windows, axis=axis), axis + 1, -1)
    np.testing.assert_array_equal(got.detach().cpu().numpy(), want)
    assert got.data_ptr() == x.data_ptr()  # a view, no copy
    assert got.grad_fn.name() == "UnfoldBackward0"
    assert clgrad.autograd.gradcheck(lambda t: t.unfold(dim, size, step), (x,))


def test_tensor_unfold_errors_and_zero_dim(device):
    x = clgrad.arange(10.0, device=device)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 10"):
        x.unfold(0, 11, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(0, 3, 0)
    assert clgrad.tensor(5.0, device=device).unfold(0, 1, 1).tolist() == [5.0]
