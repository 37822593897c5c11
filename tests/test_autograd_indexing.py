"""Gradients of advanced indexing and the gather/scatter family: gradcheck in float64 on
every device and PyTorch's node names."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from clgrad.autograd import gradcheck, gradgradcheck

from helpers import grad_fn_name, skip_without_fp64

pytestmark = pytest.mark.kernel


def _i(values, device):
    return clgrad.tensor(values, dtype=clgrad.int64, device=device)


def _mask(device):
    return clgrad.tensor([[True, False, True, False], [False, False, True, True],
                          [True, True, False, False]], device=device)


# (name, fn(x, s, device)): x (3, 4) and s (2, 4) float64 requiring grad.
CASES = [
    ("IndexBackward0", lambda x, s, d: x[_i([0, 2, 0], d)]),
    ("IndexBackward0", lambda x, s, d: x[_i([[0], [2]], d), _i([1, 1, 3], d)]),
    ("IndexBackward0", lambda x, s, d: x[_mask(d)]),
    ("IndexBackward0", lambda x, s, d: x[1:, [0, 0]]),
    ("IndexPutBackward0", lambda x, s, d: (x * 1).index_put((_i([0, 2], d),), s)),
    ("IndexPutBackward0",
     lambda x, s, d: (x * 1).index_put((_i([0, 0], d),), s, accumulate=True)),
    ("GatherBackward0", lambda x, s, d: x.gather(0, _i([[0, 2, 2, 0], [0, 0, 1, 1]], d))),
    ("ScatterBackward0", lambda x, s, d: x.scatter(0, _i([[0, 2, 1, 0], [1, 0, 2, 2]], d), s)),
    ("ScatterBackward1", lambda x, s, d: x.scatter(1, _i([[0], [3], [3]], d), 2.0)),
    ("ScatterAddBackward0", lambda x, s, d: x.scatter_add(0, _i([[0, 0, 1, 0], [0, 2, 2, 0]], d),
                                                          s)),
    ("ScatterReduceBackward0", lambda x, s, d: x.scatter_reduce(
        0, _i([[0, 0, 1, 0], [0, 2, 2, 0]], d), s, "sum", include_self=False)),
    ("ScatterReduceBackward0", lambda x, s, d: x.scatter_reduce(
        0, _i([[0, 0, 1, 0], [0, 2, 2, 0]], d), s, "mean")),
    ("ScatterReduceBackward0", lambda x, s, d: x.scatter_reduce(
        0, _i([[0, 0, 1, 0], [0, 2, 2, 0]], d), s, "amax")),
    ("IndexSelectBackward0", lambda x, s, d: x.index_select(1, _i([3, 0, 3], d))),
    ("IndexAddBackward0", lambda x, s, d: x.index_add(0, _i([2, 2], d), s, alpha=3)),
    ("IndexCopyBackward0", lambda x, s, d: x.index_copy(0, _i([2, 0], d), s)),
    ("IndexFillBackward0", lambda x, s, d: x.index_fill(1, _i([1], d), 2.0)),
    ("MaskedFillBackward0", lambda x, s, d: x.masked_fill(_mask(d), 2.0)),
    ("MaskedSelectBackward0", lambda x, s, d: x.masked_select(_mask(d))),
    ("MaskedScatterBackward0", lambda x, s, d: x.masked_scatter(_mask(d), s)),
    ("TakeBackward0", lambda x, s, d: x.take(_i([[0, 11], [11, 4]], d))),
    ("PutBackward0", lambda x, s, d: x.put(_i([1, 5, 1], d), s[0, :3], accumulate=True)),
    ("PutBackward0", lambda x, s, d: x.put(_i([1, 5, 2], d), s[0, :3])),
    ("GatherBackward0", lambda x, s, d: x.take_along_dim(_i([[1], [0], [3]], d), 1)),
]


def _inputs(device):
    rng = np.random.default_rng(0)
    x = clgrad.tensor(rng.standard_normal((3, 4)), device=device, requires_grad=True)
    s = clgrad.tensor(rng.standard_normal((2, 4)), device=device, requires_grad=True)
    return x, s


@pytest.mark.parametrize("name,fn", CASES, ids=[f"{i}-{c[0]}" for i, c in enumerate(CASES)])
def test_gradcheck(device, name, fn):
    skip_without_fp64(device)
    x, s = _inputs(device)
    assert type(fn(x, s, device).grad_fn).__name__ == name
    assert gradcheck(lambda a, b: fn(a, b, device), (x, s))


@pytest.mark.parametrize("fn", [CASES[0][1], CASES[6][1], CASES[13][1], CASES[18][1]])
def test_gradgradcheck(device, fn):
    skip_without_fp64(device)
    x, s = _inputs(device)
    assert gradgradcheck(lambda a, b: fn(a, b, device) * (a.sum() + b.sum()), (x, s))


def test_setitem_records_index_put(device):
    x, s = _inputs(device)
    y = x * 1
    y[_i([0, 2], device)] = s
    assert type(y.grad_fn).__name__ == "IndexPutBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [[0] * 4, [1] * 4, [0] * 4])
    np.testing.assert_array_equal(np.asarray(s.grad), np.ones((2, 4)))
    z = x * 1
    z[1, [0, 3]] = 0.0  # basic part first: the write lands in a view (CopySlices)
    assert type(z.grad_fn).__name__ == "CopySlices"
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[[0]] = 1.0


def test_inplace_node_names(device):
    x, s = _inputs(device)
    for name, op in (("ScatterBackward0", lambda y: y.scatter_(
                         0, _i([[0, 1, 2, 0]], device), s[:1])),
                     ("ScatterAddBackward0", lambda y: y.scatter_add_(
                         0, _i([[0, 1, 2, 0]], device), s[:1])),
                     ("IndexAddBackward0", lambda y: y.index_add_(0, _i([1], device), s[:1])),
                     ("MaskedFillBackward0", lambda y: y.masked_fill_(_mask(device), 0.0)),
                     ("MaskedFillBackward1", lambda y: y.masked_fill_(_mask(device),
                                                                      s[0, 0])),
                     ("PutBackward0", lambda y: y.put_(_i([3], device), s[0, :1]))):
        y = x * 1
        op(y)
        assert type(y.grad_fn).__name__ == name
        y.sum().backward()


@pytest.mark.parity
def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    cases = [
        (lambda x, s, L: x[L([[0, 2], [2, 2]]), 1:], None),
        (lambda x, s, L: x.gather(1, L([[0, 0], [3, 1], [2, 2]])), None),
        (lambda x, s, L: x.scatter_reduce(0, L([[0, 0, 1, 0], [0, 2, 2, 0]]), s, "amin",
                                          include_self=False), None),
        (lambda x, s, L: x.index_add(1, L([0, 0, 3, 1]), s.t().reshape(4, 2).t().repeat(2, 1)[:3],
                                     alpha=0.5), None),
    ]
    for fn, _ in cases:
        x = clgrad.tensor(a, requires_grad=True)
        s = clgrad.tensor(b, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        ts = torch.tensor(b, requires_grad=True)
        out = fn(x, s, lambda v: clgrad.tensor(v))
        tout = fn(tx, ts, lambda v: torch.tensor(v))
        assert grad_fn_name(out) == grad_fn_name(tout)
        w = rng.standard_normal(tuple(tout.shape))
        (out * clgrad.tensor(w)).sum().backward()
        (tout * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), atol=1e-12)
        if ts.grad is not None:
            np.testing.assert_allclose(np.asarray(s.grad), ts.grad.numpy(), atol=1e-12)
