"""Every function PyTorch has both as torch.X(t, ...) and t.X(...) is both here (API §10).

The pair list comes from torch when installed (dir(torch) & dir(torch.Tensor), callables),
else from tests/data/torch_method_pairs.txt (generated from torch 2.13 the same way).
"""
import math
import pathlib

import numpy as np
import pytest

import clgrad
from helpers import skip_without_fp64

# Pairs clgrad does not have, each with why. Keep this short: implement rather than exclude.
EXCLUDED = {
    # quantized tensors: clgrad has no quantized dtypes
    "dequantize", "int_repr", "q_per_channel_axis", "q_per_channel_scales",
    "q_per_channel_zero_points", "q_scale", "q_zero_point", "qscheme",
    # sparse tensors: clgrad has no sparse layout
    "smm", "sspaddmm", "resize_as_sparse_",
    # removed from PyTorch (its functions only raise, pointing at torch.linalg)
    "eig", "symeig", "lstsq", "solve",
    # internal to PyTorch (the slicing inverse used by its compiler; a hashing utility)
    "slice_inverse", "hash_tensor",
    # spectral ops: clgrad has no FFT
    "stft", "istft",
    # not implemented yet in clgrad (LAPACK-style factorizations and their helpers)
    "geqrf", "orgqr", "ormqr", "lu", "lu_solve",
    # not implemented yet: incomplete gamma
    "igamma", "igammac",
}


def _pairs() -> list:
    try:
        import torch
    except ImportError:
        path = pathlib.Path(__file__).parent / "data" / "torch_method_pairs.txt"
        return path.read_text().split()
    return sorted(n for n in set(dir(torch)) & set(dir(torch.Tensor))
                  if not n.startswith("_") and callable(getattr(torch, n, None))
                  and callable(getattr(torch.Tensor, n, None)))


def test_every_pair_has_both_sides():
    pairs = _pairs()
    assert len(pairs) > 300
    missing = [n for n in pairs if n not in EXCLUDED
               and not (callable(getattr(clgrad, n, None))
                        and callable(getattr(clgrad.Tensor, n, None)))]
    assert missing == []


def test_exclusions_are_still_missing():
    # an excluded name that clgrad gained must leave the list
    assert [n for n in sorted(EXCLUDED) if hasattr(clgrad, n) and hasattr(clgrad.Tensor, n)] \
        == []


def _np(t):
    return np.array(t.tolist(), dtype=np.float64)


A = [[0.5, -1.25, 2.0], [3.0, 0.0, -0.75]]
B = [[1.5, 0.25, -2.0], [-1.0, 2.0, 0.5]]


def test_new_pairs_forward_numpy(device):
    a = clgrad.tensor(A, device=device)
    b = clgrad.tensor(B, device=device)
    na, nb = np.array(A), np.array(B)
    close = np.testing.assert_allclose
    close(_np(a.deg2rad()), np.deg2rad(na), rtol=1e-6)
    close(_np(clgrad.rad2deg(a)), np.rad2deg(na), rtol=1e-6)
    close(_np(clgrad.logaddexp(a, b)), np.logaddexp(na, nb), rtol=1e-6)
    close(_np(a.logaddexp2(b)), np.logaddexp2(na, nb), rtol=1e-6)
    close(_np(a.diff()), np.diff(na), rtol=1e-6)
    close(_np(clgrad.diff(a, n=2, dim=1)), np.diff(na, n=2, axis=1), rtol=1e-6)
    close(_np(a.rot90()), np.rot90(na), rtol=0)
    close(_np(clgrad.rot90(a, 3)), np.rot90(na, 3), rtol=0)
    close(_np(a.msort()), np.sort(na, axis=0), rtol=0)
    close(_np(a.ravel()), na.ravel(), rtol=0)
    close(_np(clgrad.diagflat(a[0])), np.diagflat(na[0]), rtol=0)
    close(_np(a.repeat_interleave(2, dim=1)), np.repeat(na, 2, axis=1), rtol=0)
    reps = clgrad.tensor([1, 0], device=device)
    close(_np(clgrad.repeat_interleave(a, reps, dim=0)), np.repeat(na, [1, 0], axis=0), rtol=0)
    close(_np(clgrad.cross(a, b, dim=1)), np.cross(na, nb), rtol=1e-6)
    close(_np(a.cov()), np.cov(na), rtol=1e-5)
    close(_np(clgrad.corrcoef(a)), np.corrcoef(na), rtol=1e-5)
    close(_np(a.quantile(0.3, dim=1)), np.quantile(na, 0.3, axis=1), rtol=1e-6)
    holes = a.where(a > 0, math.nan)
    close(_np(clgrad.nanquantile(holes, 0.5, dim=1)),
          np.nanquantile(np.where(na > 0, na, np.nan), 0.5, axis=1), rtol=1e-6)
    values, counts = clgrad.unique_consecutive(clgrad.tensor([1, 1, 2, 1], device=device),
                                               return_counts=True)
    assert values.tolist() == [1, 2, 1] and counts.tolist() == [2, 1, 1]
    mantissa, exponent = a.frexp()
    close(_np(mantissa), np.frexp(na)[0], rtol=0)
    assert exponent.tolist() == np.frexp(na)[1].tolist()
    hist, edges = clgrad.histogram(a, bins=4, range=(-1.0, 2.0), weight=b)
    ref_hist, ref_edges = np.histogram(na, bins=4, range=(-1.0, 2.0), weights=nb)
    close(_np(hist), ref_hist, rtol=1e-6)
    close(_np(edges), ref_edges, rtol=1e-6)
    hist, _ = a.histogram(clgrad.tensor([-1.0, 0.0, 3.0], device=device), density=True)
    close(_np(hist), np.histogram(na, bins=[-1.0, 0.0, 3.0], density=True)[0], rtol=1e-6)
    close(a.dist(b).item(), np.linalg.norm(na - nb), rtol=1e-6)
    close(_np(a.logcumsumexp(1)), np.log(np.cumsum(np.exp(na), axis=1)), rtol=1e-6)
    close(_np(a.addr(b[0], b[1])[:, :2] if False else clgrad.addr(
        a[:, :2], b[0, :2], b[1, :2], beta=2, alpha=0.5)),
        2 * na[:, :2] + 0.5 * np.outer(nb[0, :2], nb[1, :2]), rtol=1e-6)
    close(_np(a.relu()), np.maximum(na, 0), rtol=0)
    close(_np(a.softmax(1)), np.exp(na) / np.exp(na).sum(1, keepdims=True), rtol=1e-6)
    close(_np(a.log_softmax(dim=0)), na - np.log(np.exp(na).sum(0, keepdims=True)), rtol=1e-5)
    close(_np(a.hardshrink()), np.where(np.abs(na) > 0.5, na, 0), rtol=0)
    close(_np(a.heaviside(clgrad.tensor(0.5, device=device))),
          np.heaviside(na, 0.5), rtol=0)
    row_norms = np.linalg.norm(na, axis=1, keepdims=True)
    close(_np(a.renorm(2, 0, 1.0)), na / np.maximum(row_norms, 1.0), rtol=1e-5)
    close(_np(clgrad.select_scatter(a, b[1], 0, 0)), np.stack([nb[1], na[1]]), rtol=0)
    close(_np(a.slice_scatter(b[:, :1], dim=1, start=2)), np.concatenate([na[:, :2], nb[:, :1]],
                                                                         1), rtol=0)
    close(_np(a.angle()), np.where(na < 0, np.pi, 0.0), rtol=1e-6)
    assert [t.shape for t in a.hsplit(3)] == [(2, 1)] * 3
    assert [t.shape for t in clgrad.vsplit(a, [1])] == [(1, 3), (1, 3)]
    assert [t.shape for t in a.split_with_sizes([1, 2], 1)] == [(2, 1), (2, 2)]
    assert a.is_same_size(b) and not a.is_conj() and a.adjoint().shape == (3, 2)
    assert clgrad.is_nonzero(clgrad.tensor([2.0], device=device))


def test_new_pairs_integer_and_linalg(device):
    x = clgrad.tensor([12, -18, 0, 7], device=device)
    y = clgrad.tensor([8, 12, 5, 0], device=device)
    assert x.gcd(y).tolist() == list(np.gcd([12, -18, 0, 7], [8, 12, 5, 0]))
    assert clgrad.lcm(x, y).tolist() == list(np.lcm([12, -18, 0, 7], [8, 12, 5, 0]))
    assert (x << 2).tolist() == [48, -72, 0, 28]
    assert x.bitwise_right_shift(1).tolist() == [6, -9, 0, 3]
    m = clgrad.tensor([[4.0, 1.0], [1.0, 3.0]], device=device)
    nm = np.array([[4.0, 1.0], [1.0, 3.0]])
    close = np.testing.assert_allclose
    close(_np(m.inverse()), np.linalg.inv(nm), rtol=1e-5)
    close(m.det().item(), np.linalg.det(nm), rtol=1e-5)
    close(m.logdet().item(), math.log(np.linalg.det(nm)), rtol=1e-5)
    close(_np(m.matrix_power(3)), np.linalg.matrix_power(nm, 3), rtol=1e-5)
    close(_np(clgrad.matrix_power(m, -1)), np.linalg.inv(nm), rtol=1e-5)
    L = m.cholesky()
    close(_np(L), np.linalg.cholesky(nm), rtol=1e-5)
    close(_np(clgrad.cholesky_inverse(L)), np.linalg.inv(nm), rtol=1e-4)
    close(_np(clgrad.cholesky_solve(clgrad.eye(2, device=device), L)), np.linalg.inv(nm),
          rtol=1e-4)
    sol, coef = clgrad.triangular_solve(clgrad.eye(2, device=device), m)
    close(_np(sol), np.linalg.inv(np.triu(nm)), rtol=1e-5)
    assert clgrad.equal(coef, m)
    small = m * 0.3
    series = sum(np.linalg.matrix_power(0.3 * nm, k) / math.factorial(k) for k in range(30))
    close(_np(small.matrix_exp()), series, rtol=1e-5)
    z = clgrad.arange(6.0, device=device)
    assert clgrad.as_strided_scatter(z, clgrad.zeros(2, device=device), (2,), (2,), 1).tolist() \
        == [0.0, 0.0, 2.0, 0.0, 4.0, 5.0]
    assert z.as_strided_((2, 2), (1, 2)).tolist() == [[0.0, 2.0], [1.0, 3.0]] and z.shape == (2, 2)
    r = clgrad.zeros(3, device=device)
    assert r.resize_as_(m).shape == (2, 2)
    U, S, V = m.svd()
    close(_np(U @ clgrad.diag(S) @ V.t()), nm, rtol=1e-5)
    close(_np(m.pinverse()), np.linalg.pinv(nm), rtol=1e-5)


def test_function_forms_of_methods(device):
    t = clgrad.tensor([0.25, 4.0], device=device)
    assert clgrad.sqrt_(t.clone()).tolist() == [0.5, 2.0]
    u = t.clone()
    assert clgrad.zero_(u) is u and u.tolist() == [0.0, 0.0]
    assert clgrad.numel(t) == 2 and clgrad.is_floating_point(t)
    assert clgrad.clone(t).tolist() == t.tolist()
    assert t.ger(t).shape == (2, 2)


def test_gradients_of_composed_pairs(device):
    skip_without_fp64(device)
    a = clgrad.tensor(A, dtype=clgrad.float64, device=device).requires_grad_()
    b = clgrad.tensor(B, dtype=clgrad.float64, device=device).requires_grad_()
    gradcheck = clgrad.autograd.gradcheck
    assert gradcheck(clgrad.logaddexp, (a, b))
    assert gradcheck(lambda x: x.logcumsumexp(1), (a,))
    assert gradcheck(lambda x, y: clgrad.cross(x, y, dim=1), (a, b))
    assert gradcheck(lambda x: x.cov(), (a,))
    assert gradcheck(lambda x: x.quantile(0.4, dim=1), (a,))
    assert gradcheck(lambda x: x[:, :2].matrix_exp(), (a,))


@pytest.mark.parity
def test_new_pairs_match_torch(device):
    torch = pytest.importorskip("torch")
    a, ta = clgrad.tensor(A, device=device), torch.tensor(A)
    b, tb = clgrad.tensor(B, device=device), torch.tensor(B)
    calls = [
        lambda m, x, y: m.logaddexp(x, y), lambda m, x, y: x.logcumsumexp(0),
        lambda m, x, y: x.cov(correction=0), lambda m, x, y: m.corrcoef(x),
        lambda m, x, y: x.quantile(x.new_tensor([0.1, 0.9]), dim=1, keepdim=True),
        lambda m, x, y: x.quantile(0.5, interpolation="nearest"),
        lambda m, x, y: x.renorm(1, 1, 0.5), lambda m, x, y: m.diff(x, prepend=y, dim=0),
        lambda m, x, y: x.rot90(2, [1, 0]), lambda m, x, y: m.float_power(x, 2),
        lambda m, x, y: x.diagonal_scatter(y[0, :2]), lambda m, x, y: m.sgn(x),
        lambda m, x, y: x.ldexp(x.new_tensor([1.0, 2.0, 3.0])), lambda m, x, y: x.deg2rad(),
        lambda m, x, y: m.nonzero_static(x, size=6),
        lambda m, x, y: x.quantile(x.new_tensor([0.2, 0.5]), dim=0, keepdim=True),
        lambda m, x, y: m.nanquantile(x.where(x > 0, m.nan), 0.5, dim=1),
        lambda m, x, y: m.nanquantile(x.where(x > 9, m.nan), 0.5, dim=1),
        lambda m, x, y: x.nanquantile(0.25, interpolation="midpoint"),
        lambda m, x, y: x.frexp().mantissa,
        lambda m, x, y: m.frexp(x * 1e-40).exponent,
        lambda m, x, y: m.unique_consecutive(x.new_tensor([1, 1, 2, 2, 3, 1]),
                                             return_counts=True)[1],
        lambda m, x, y: m.unique_consecutive(x.new_tensor([1, 1, 2, 2, 3, 1]),
                                             return_inverse=True)[1],
        lambda m, x, y: x.new_tensor([[1, 1], [1, 1], [2, 3]]).unique_consecutive(dim=0),
        lambda m, x, y: x.index_reduce(0, x.new_tensor([1, 0]).long(), y, "prod"),
        lambda m, x, y: x.index_reduce(1, x.new_tensor([2, 2, 0]).long(), y, "mean",
                                       include_self=False),
        lambda m, x, y: x.index_reduce(0, x.new_tensor([0, 0]).long(), y, "amax"),
        lambda m, x, y: m.matrix_exp(x[:, :2] * 2),
    ]
    for call in calls:
        ours = call(clgrad, a, b)
        theirs = call(torch, ta, tb)
        np.testing.assert_allclose(_np(ours), theirs.double().numpy(), rtol=1e-5, atol=1e-6)


def test_repeat_interleave_refuses_negative_repeats(device):
    x = clgrad.tensor([1, 2], device=device)
    assert clgrad.repeat_interleave(x, clgrad.tensor([2, 1], device=device)).tolist() == [1, 1, 2]
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        clgrad.repeat_interleave(x, clgrad.tensor([1, -1], device=device))
    with pytest.raises(RuntimeError, match="Repeats must be non-negative"):
        x.repeat_interleave(-1)
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        clgrad.repeat_interleave(clgrad.tensor([1, -2], device=device))
