"""Advanced indexing and the gather/scatter family: forward against numpy on every device,
errors, and parity with PyTorch where it is installed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import clgrad
from helpers import pattern_tensor, same

# Small shapes: these also run on Oclgrind (tox -e oclgrind selects `kernel`).
pytestmark = pytest.mark.kernel

DTYPES = ["float32", "int64", "bool"]


def idx(values, device, dtype=clgrad.int64):
    return clgrad.tensor(values, dtype=dtype, device=device)


# Keys where PyTorch and numpy agree (numpy has no int-as-select rule, see torch parity).
KEYS = [
    lambda d: (idx([2, 0, 2], d),),
    lambda d: ([0, 2],),
    lambda d: (slice(None), idx([[1, 3], [0, 0]], d)),
    lambda d: (idx([0, 1], d), slice(None), idx([1, 2], d)),      # separated: broadcast first
    lambda d: (slice(None), idx([1, 3], d), idx([0, 4], d)),      # adjacent: in place
    lambda d: (Ellipsis, idx([4, 0], d)),
    lambda d: (idx([[0], [1]], d), idx([1, 2, 3], d)),            # broadcast index shapes
    lambda d: (idx([1, 2], d, clgrad.int32), slice(1, 3)),
    lambda d: (idx([-1, -3], d),),
    lambda d: (idx([], d),),
    lambda d: (slice(None, None, 2), idx([0, 3], d), slice(1, None)),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_advanced(device, dtype):
    x, a = pattern_tensor((3, 4, 5), dtype, device)
    xt, at = x.permute(2, 0, 1), a.transpose(2, 0, 1)
    for make_key in KEYS:
        key = make_key(device)
        np_key = tuple(np.asarray(k) if isinstance(k, (clgrad.Tensor, list)) else k for k in key)
        same(x[key], a[np_key])
        if isinstance(key[0], clgrad.Tensor) and len(key) == 1:
            same(xt[key], at[np_key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_masks(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    m = (np.arange(12).reshape(3, 4) % 3) == 0
    same(x[clgrad.tensor(m, device=device)], a[m])
    row = np.broadcast_to(m[0], (3, 4))
    same(x[clgrad.tensor(m[0], device=device).unsqueeze(0).expand(3, 4)], a[row])
    same(x[:, [True, False, True, True]], a[:, [True, False, True, True]])
    same(x[clgrad.tensor([True, False, True], device=device), 1:], a[[True, False, True], 1:])
    same(x[True], a[None])
    same(x[False], a[None][:0])
    same(x[None, clgrad.tensor(True, device=device)], a[None, None])
    # a cpu mask or index for a cl tensor (and the reverse) is moved
    same(x[clgrad.tensor(m)], a[m])
    same(x.cpu()[idx([0, 2], device)], a[[0, 2]])


def test_getitem_is_a_copy(device):
    x, a = pattern_tensor((3, 4), "float32", device)
    y = x[[0, 1]]
    assert y._storage is not x._storage
    y[0, 0] = 100.0
    same(x, a)


@pytest.mark.parametrize("dtype", DTYPES)
def test_setitem_advanced(device, dtype):
    x, a = pattern_tensor((3, 4, 5), dtype, device)
    value = np.ones((), a.dtype)
    x[idx([0, 2], device), :, idx([1, 3], device)] = 1
    a[[0, 2], :, [1, 3]] = value
    same(x, a)
    v, va = pattern_tensor((2, 5), dtype, device)
    x[1, [3, 0]] = v
    a[1, [3, 0]] = va
    same(x, a)
    m = (np.arange(60).reshape(3, 4, 5) % 4) == 1
    x[clgrad.tensor(m, device=device)] = 0
    a[m] = 0
    same(x, a)
    b, ba = pattern_tensor((4, 1), dtype, device)
    x[idx([2], device)] = b  # broadcast value
    a[[2]] = ba
    same(x, a)
    xt, at = x.permute(2, 0, 1), a.transpose(2, 0, 1)  # non-contiguous target
    xt[idx([4, 0], device), 1] = v[:, :4]
    at[[4, 0], 1] = va[:, :4]
    same(x, a)


def test_index_put_accumulate(device):
    x = clgrad.zeros(4, 3, device=device)
    a = np.zeros((4, 3), np.float32)
    i = [0, 2, 0, 0, 3]
    v = np.arange(15, dtype=np.float32).reshape(5, 3)
    x.index_put_((idx(i, device),), clgrad.tensor(v, device=device), accumulate=True)
    np.add.at(a, np.array(i), v)
    same(x, a)
    y = x.index_put((idx([1, 1], device), idx([2, 2], device)), clgrad.tensor(1.5, device=device),
                    accumulate=True)
    a2 = a.copy()
    a2[1, 2] += 3.0
    same(y, a2)
    same(x, a)
    z = clgrad.zeros(3, dtype=clgrad.int64, device=device)
    z.index_put_((idx([1, 1, 1], device),), idx([5, 6, 7], device), accumulate=True)
    same(z, np.array([0, 18, 0]))
    z.index_put_((idx([0, 2], device),), idx(4, device))
    same(z, np.array([4, 18, 4]))


def test_indexing_errors(device):
    x, _ = pattern_tensor((3, 4), "float32", device)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        x[idx([0, 5], device)].tolist()  # cl raises at the read (a device-side check)
    with pytest.raises(IndexError, match="index -5 is out of bounds for dimension 0 with size 4"):
        x[:, idx([-5], device)].tolist()
    with pytest.raises(IndexError, match="index 9 is out of bounds for dimension 1 with size 4"):
        x[[0], [9]].tolist()
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        x[idx([3], device)] = 1.0
        x.tolist()
    with pytest.raises(IndexError, match="index 3 is out of bounds"):
        x.index_put_((idx([3], device),), clgrad.tensor(1.0, device=device),
                     accumulate=True).tolist()
    with pytest.raises(IndexError, match="must be long, int, byte or bool"):
        x[clgrad.tensor([1.0], device=device)]
    with pytest.raises(IndexError, match=r"shape mismatch: indexing tensors could not be "
                                         r"broadcast together with shapes \[2\], \[3\]"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match=r"The shape of the mask \[2\] at index 0 does not"):
        x[clgrad.tensor([True, False], device=device)]
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[3, 4\] cannot be broadcast "
                                           r"to indexing result of shape \[2, 4\]"):
        x[[0, 1]] = clgrad.ones(3, 4, device=device)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination"):
        x.index_put_((idx([0], device),), clgrad.ones(4, dtype=clgrad.float64, device=device))
    with pytest.raises(IndexError, match="too many indices"):
        x[[0], [0], [0]]
    # the failed writes wrote nothing valid-less
    same(x, pattern_tensor((3, 4), "float32", device)[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_scatter(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    i = np.array([[0, 2, 1, 0], [2, 2, 0, 1]])
    same(x.gather(0, idx(i, device)), np.take_along_axis(a, i, 0))
    j = np.array([[3, 0], [1, 1], [0, 2]])
    same(clgrad.gather(x, 1, idx(j, device)), np.take_along_axis(a, j, 1))
    same(x.t().gather(1, idx(i.T[:, :2].copy(), device)), np.take_along_axis(a.T, i.T[:, :2], 1))
    src, sa = pattern_tensor((2, 4), dtype, device)
    perm = np.array([[0, 2, 1, 0], [1, 0, 2, 2]])  # distinct along dim 0 per column
    out = x.scatter(0, idx(perm, device), src)
    expected = a.copy()
    np.put_along_axis(expected, perm, sa, 0)
    same(out, expected)
    same(x, a)
    y = x.clone()
    y.scatter_(1, idx([[1], [3], [0]], device), True if dtype == "bool" else 5)
    expected = a.copy()
    expected[[0, 1, 2], [1, 3, 0]] = 5
    same(y, expected)


def test_scatter_add_and_reduce(device):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = clgrad.tensor(a, device=device)
    i = np.array([[0, 0, 2, 0], [0, 2, 2, 1]])
    s = np.arange(1, 9, dtype=np.float32).reshape(2, 4)
    src = clgrad.tensor(s, device=device)
    grid = (i, np.arange(4)[None].repeat(2, 0))
    expected = a.copy()
    np.add.at(expected, grid, s)
    same(x.scatter_add(0, idx(i, device), src), expected)
    same(clgrad.scatter(x, 0, idx(i, device), src, reduce="add"), expected)
    expected = a.copy()
    np.multiply.at(expected, grid, s)
    same(x.scatter(0, idx(i, device), src, reduce="multiply"), expected)
    for reduce, ufunc in (("sum", np.add), ("prod", np.multiply), ("amax", np.maximum),
                          ("amin", np.minimum)):
        for include_self in (True, False):
            expected = a.copy()
            if not include_self:
                expected[grid] = {"sum": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
            ufunc.at(expected, grid, s)
            got = x.scatter_reduce(0, idx(i, device), src, reduce, include_self=include_self)
            same(got, expected)
    xi = clgrad.tensor([1, 2, 3], device=device)
    same(xi.scatter_reduce(0, idx([0, 0, 1], device), idx([4, 5, 7], device), "mean"),
         np.array([3, 4, 3]))
    same(xi.scatter_reduce(0, idx([0, 0, 1], device), idx([4, 5, 7], device), "mean",
                           include_self=False), np.array([4, 7, 3]))
    xf = clgrad.tensor([1.0, 2, 3], device=device)
    same(xf.scatter_reduce(0, idx([0, 0, 1], device), clgrad.tensor([4.0, 5, 7], device=device),
                           "mean", include_self=False), np.array([4.5, 7, 3], np.float32))


def test_gather_scatter_errors(device):
    x, _ = pattern_tensor((3, 4), "float32", device)
    bad = idx([[5, 0]], device)
    for fn in (lambda: x.gather(0, bad), lambda: x.clone().scatter_(0, bad, 1.0),
               lambda: x.scatter_add(0, bad, clgrad.ones(1, 2, device=device)),
               lambda: x.index_add(0, idx([5], device), clgrad.ones(1, 4, device=device))):
        with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 0 with "
                                               "size 3"):
            fn().tolist()  # cl raises at the read (a device-side check)
        with pytest.raises(IndexError):  # both, as the issue asks
            fn().tolist()
    with pytest.raises(IndexError, match="index out of range in self"):
        x.index_select(0, idx([3], device)).tolist()
    with pytest.raises(IndexError, match="out of range: tried to access index 12 on a tensor "
                                         "of 12 elements"):
        x.take(idx([12], device)).tolist()
    with pytest.raises(IndexError, match="out of range: tried to access index -13"):
        x.clone().put_(idx([-13], device), clgrad.ones(1, device=device)).tolist()
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        x.gather(0, idx([0], device))
    with pytest.raises(RuntimeError, match=r"expected index \[2, 5\] to be no larger than self"):
        x.gather(0, clgrad.zeros(2, 5, dtype=clgrad.int64, device=device))
    with pytest.raises(RuntimeError, match="no larger size than src"):
        x.scatter(0, clgrad.zeros(2, 2, dtype=clgrad.int64, device=device),
                  clgrad.ones(1, 1, device=device))
    with pytest.raises(RuntimeError, match="Expected self.dtype to be equal to src.dtype"):
        x.scatter(0, clgrad.zeros(1, 1, dtype=clgrad.int64, device=device),
                  clgrad.ones(1, 1, dtype=clgrad.float64, device=device))
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        x.scatter(0, clgrad.zeros(1, 1, dtype=clgrad.int64, device=device), 1.0, reduce="mean")
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_select(0, clgrad.zeros(2, 2, dtype=clgrad.int64, device=device))
    with pytest.raises(RuntimeError, match="Number of elements of source < number of ones"):
        x.masked_scatter(x > 0, clgrad.ones(3, device=device)).tolist()


def test_cl_index_ops_do_not_wait_and_raise_at_the_next_read(cl_device, monkeypatch):
    from clgrad.backends.cl import runtime
    rt = runtime.runtime(clgrad.device(cl_device).index or 0)
    reads = []
    read = rt.read
    monkeypatch.setattr(rt, "read", lambda *args: reads.append(args) or read(*args))
    x = clgrad.zeros(2, 3, device=cl_device)
    picked = x[idx([0], cl_device), idx([-4], cl_device)]  # bad in the second index tensor
    x[idx([1], cl_device)] = 2.0
    gathered = x.gather(1, idx([[0], [1]], cl_device))
    assert not reads  # no op waited for the device
    # The first error met is raised, with its index tensor's dim and the value as given.
    with pytest.raises(IndexError, match="^index -4 is out of bounds for dimension 1 with "
                                         "size 3\n") as info:
        picked.tolist()
    assert any("device-side check" in note for note in info.value.__notes__)
    assert gathered.tolist() == [[0.0], [2.0]]  # nothing pending any more
    assert x.tolist() == [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_index_family(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    i = np.array([2, 0, 2])
    same(x.index_select(0, idx(i, device)), a[i])
    same(clgrad.index_select(x.t(), 1, idx(i, device, clgrad.int32)), a.T[:, i])
    src, sa = pattern_tensor((3, 3), dtype, device)
    if dtype != "bool":
        expected = a.copy()
        np.add.at(expected.T, i, sa.T * 2)
        same(x.index_add(1, idx(i, device), src, alpha=2), expected)
    expected = a.copy()
    expected[:, [1, 3, 0]] = sa
    same(x.index_copy(1, idx([1, 3, 0], device), src), expected)
    expected = a.copy()
    expected[[0, 2]] = 1
    same(x.index_fill(0, idx([0, -1], device), 1), expected)
    y = x.clone()
    y.index_fill_(1, idx([1], device), clgrad.tensor(0, device=device).to(x.dtype))
    expected = a.copy()
    expected[:, 1] = 0
    same(y, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_ops(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    m = (np.arange(12).reshape(3, 4) % 3) == 1
    mask = clgrad.tensor(m, device=device)
    same(x.masked_fill(mask, 1), np.where(m, np.ones((), a.dtype), a))
    same(x.masked_fill(mask[0], clgrad.tensor(0, device=device).to(x.dtype)),
         np.where(m[0], np.zeros((), a.dtype), a))
    same(x.masked_select(mask), a[m])
    same(clgrad.masked_select(x, mask[:1]), a[np.broadcast_to(m[:1], (3, 4))])
    src, sa = pattern_tensor((12,), dtype, device)
    out = a.copy()
    out[m] = sa[:m.sum()]
    same(x.masked_scatter(mask, src), out)
    y = x.clone()
    y.masked_scatter_(mask, src.reshape(3, 4))
    same(y, out)
    y = x.clone()
    y.masked_fill_(mask, 0)
    same(y, np.where(m, np.zeros((), a.dtype), a))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nonzero(device, dtype):
    x, a = pattern_tensor((3, 4, 2), dtype, device)
    same(x.nonzero(), np.argwhere(a))
    same(clgrad.argwhere(x), np.argwhere(a))
    for got, exp in zip(clgrad.nonzero(x, as_tuple=True), np.nonzero(a)):
        same(got, exp)
    same(clgrad.zeros(0, 3, device=device).nonzero(), np.zeros((0, 2), np.int64))
    same(clgrad.tensor(3.0, device=device).nonzero(), np.zeros((1, 0), np.int64))
    same(clgrad.tensor(3.0, device=device).nonzero(as_tuple=True)[0], np.array([0]))
    assert x.nonzero().dtype is clgrad.int64
    same(clgrad.where(x.bool())[1], np.nonzero(a)[1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_take_put(device, dtype):
    x, a = pattern_tensor((3, 4), dtype, device)
    i = np.array([[11, 0], [-1, 5]])
    same(x.take(idx(i, device)), np.take(a, i))
    same(x.t().take(idx(i, device)), np.take(a.T, i))
    j = np.array([[1], [0], [3]])
    same(x.take_along_dim(idx(j, device), 1), np.take_along_axis(a, j, 1))
    same(clgrad.take_along_dim(x, idx([0, 5], device)), a.reshape(-1)[[0, 5]])
    j = np.array([[2, 1, 0, 0]])
    same(x.take_along_dim(idx(j, device), 0), np.take_along_axis(a, j, 0))
    src, sa = pattern_tensor((3,), dtype, device)
    src = src.to(x.dtype)
    expected = a.copy()
    np.put(expected, [1, 7, -2], sa)
    same(x.put(idx([1, 7, -2], device), src), expected)
    xt = x.t().clone().t()  # non-contiguous target
    xt.put_(idx([1, 7, -2], device), src)
    same(xt, expected)
    if dtype != "bool":
        y = x.clone()
        y.put_(idx([1, 1, 4], device), src, accumulate=True)
        expected = a.copy().reshape(-1)
        np.add.at(expected, [1, 1, 4], sa)
        same(y, expected.reshape(3, 4))


@pytest.mark.parity
def test_torch_parity_keys():
    torch = pytest.importorskip("torch")
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x, tx = clgrad.tensor(a), torch.tensor(a)
    ci, ti = clgrad.tensor([1, 2]), torch.tensor([1, 2])
    cm, tm = clgrad.tensor(a[:, :, 0] > 20), torch.tensor(a[:, :, 0] > 20)
    s = slice(None)
    pairs = [((0, s, ci), (0, s, ti)), ((ci, s, 0), (ti, s, 0)),
             ((s, 0, ci), (s, 0, ti)), ((ci, None, ci), (ti, None, ti)),
             ((None, ci, slice(None), ci), (None, ti, slice(None), ti)),
             ((ci, Ellipsis, ci), (ti, Ellipsis, ti)), ((True,), (True,)),
             ((None, False), (None, False)),
             ((cm,), (tm,)), ((cm, 2), (tm, 2)), ([[0, 1], [1, 2]], [[0, 1], [1, 2]]),
             ([0, slice(None)], [0, slice(None)]), ([True, False, True], [True, False, True]),
             (clgrad.tensor(1), torch.tensor(1)), ((s, clgrad.tensor(1)), (s, torch.tensor(1)))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ck, tk in pairs:
            got, exp = x[ck], tx[tk]
            np.testing.assert_array_equal(np.asarray(got), exp.numpy())
            y, ty = x.clone(), tx.clone()
            y[ck] = -1.0
            ty[tk] = -1.0
            np.testing.assert_array_equal(np.asarray(y), ty.numpy())


@pytest.mark.parity
def test_torch_parity_scatter_reduce_random(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a = rng.integers(-5, 5, (4, 5)).astype(np.float32)
    s = rng.integers(-5, 5, (3, 5)).astype(np.float32)
    i = rng.integers(0, 4, (3, 5))
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            exp = torch.tensor(a).scatter_reduce(0, torch.tensor(i), torch.tensor(s), reduce,
                                                 include_self=include_self)
            got = clgrad.tensor(a, device=device).scatter_reduce(
                0, idx(i, device), clgrad.tensor(s, device=device), reduce,
                include_self=include_self)
            np.testing.assert_allclose(np.asarray(got), exp.numpy(), rtol=1e-6)
