"""Gradients of the matrix products and clgrad.linalg: gradcheck on every device, node names."""
from __future__ import annotations

import numpy as np
import pytest

import clgrad
from clgrad.autograd import gradcheck, gradgradcheck
from helpers import skip_without_fp64

RNG = np.random.default_rng(1)


@pytest.fixture
def dev64(device):
    skip_without_fp64(device)
    return device


def leaf(device, *shape, value=None):
    a = RNG.standard_normal(shape) if value is None else value
    return clgrad.tensor(a, dtype=clgrad.float64, device=device, requires_grad=True)


PRODUCTS = [
    ("mm", lambda a, b: clgrad.mm(a, b), [(3, 4), (4, 2)]),
    ("bmm", lambda a, b: clgrad.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    ("mv", lambda a, b: clgrad.mv(a, b), [(3, 4), (4,)]),
    ("dot", lambda a, b: clgrad.dot(a, b), [(4,), (4,)]),
    ("vdot", lambda a, b: clgrad.vdot(a, b), [(4,), (4,)]),
    ("matmul 1-D @ 2-D", lambda a, b: a @ b, [(4,), (4, 3)]),
    ("matmul 3-D @ 2-D", lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    ("matmul 3-D @ 1-D", lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    ("matmul broadcast", lambda a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)]),
    ("matmul 1-D @ 3-D", lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    ("transposed", lambda a, b: a.t() @ b.t(), [(4, 3), (2, 4)]),
    ("addmm", lambda i, a, b: clgrad.addmm(i, a, b, beta=0.5, alpha=2), [(3,), (3, 4), (4, 3)]),
    ("addmv", lambda i, a, b: clgrad.addmv(i, a, b, beta=2), [(3,), (3, 4), (4,)]),
    ("baddbmm", lambda i, a, b: clgrad.baddbmm(i, a, b, alpha=-1),
     [(2, 3, 2), (2, 3, 4), (2, 4, 2)]),
    ("addbmm", lambda i, a, b: clgrad.addbmm(i, a, b), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("outer", lambda a, b: clgrad.outer(a, b), [(3,), (4,)]),
    ("inner", lambda a, b: clgrad.inner(a, b), [(2, 3), (4, 3)]),
    ("tensordot", lambda a, b: clgrad.tensordot(a, b, dims=([0, 2], [1, 0])),
     [(2, 3, 4), (4, 2, 3)]),
    ("kron", lambda a, b: clgrad.kron(a, b), [(2, 3), (2, 2)]),
    ("trace", lambda a: clgrad.trace(a), [(3, 4)]),
    ("einsum bmm", lambda a, b: clgrad.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 2)]),
    ("einsum diag", lambda a: clgrad.einsum("ii->i", a), [(3, 3)]),
    ("einsum chain", lambda a, b, c: clgrad.einsum("ij,jk,k->i", a, b, c),
     [(2, 3), (3, 4), (4,)]),
]


@pytest.mark.parametrize("name,fn,shapes", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_gradcheck_products(dev64, name, fn, shapes):
    inputs = [leaf(dev64, *s) for s in shapes]
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["mm", "bmm", "addmm"])
def test_gradgradcheck(dev64, name):
    _, fn, shapes = next(p for p in PRODUCTS if p[0] == name)
    assert gradgradcheck(fn, [leaf(dev64, *s) for s in shapes])


def test_node_names(device):
    def r(*s):
        return clgrad.randn(*s, device=device, requires_grad=True)
    assert type(clgrad.dot(r(3), r(3)).grad_fn).__name__ == "DotBackward0"
    assert type(clgrad.vdot(r(3), r(3)).grad_fn).__name__ == "VdotBackward0"
    assert type((r(2, 3) @ r(3, 4)).grad_fn).__name__ == "MmBackward0"
    assert type((r(2, 3) @ r(3)).grad_fn).__name__ == "MvBackward0"
    y = r(5, 2, 3) @ r(3, 4)
    assert type(y.grad_fn).__name__ == "UnsafeViewBackward0"
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "MmBackward0"
    assert type(clgrad.bmm(r(2, 2, 3), r(2, 3, 4)).grad_fn).__name__ == "BmmBackward0"
    assert type(clgrad.addmm(r(2), r(2, 3), r(3, 2)).grad_fn).__name__ == "AddmmBackward0"
    assert type(clgrad.addmv(r(2), r(2, 3), r(3)).grad_fn).__name__ == "AddmvBackward0"
    assert type(clgrad.baddbmm(r(2, 2, 2), r(2, 2, 3), r(2, 3, 2)).grad_fn).__name__ == \
        "BaddbmmBackward0"
    assert type(clgrad.outer(r(2), r(3)).grad_fn).__name__ == "MulBackward0"
    assert type(clgrad.trace(r(3, 3)).grad_fn).__name__ == "TraceBackward0"
    nodes = {"inv": lambda x: clgrad.linalg.inv(x), "det": lambda x: clgrad.linalg.det(x),
             "slogdet": lambda x: clgrad.linalg.slogdet(x).logabsdet,
             "pinv": lambda x: clgrad.linalg.pinv(x),
             "eigh": lambda x: clgrad.linalg.eigh(x).eigenvalues,
             "svd": lambda x: clgrad.linalg.svd(x).S, "qr": lambda x: clgrad.linalg.qr(x).Q}
    want = {"inv": "LinalgInvExBackward0", "det": "LinalgDetBackward0",
            "slogdet": "LinalgSlogdetBackward0", "pinv": "LinalgPinvBackward0",
            "eigh": "LinalgEighBackward0", "svd": "LinalgSvdBackward0",
            "qr": "LinalgQrBackward0"}
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, f in nodes.items():
            assert type(f(r(3, 3)).grad_fn).__name__ == want[key]


def _spd(x):
    return x @ x.mT + clgrad.eye(x.shape[-1], dtype=x.dtype, device=x.device) * 3


DECOMPS = [
    ("inv", lambda x: clgrad.linalg.inv(x + 3 * clgrad.eye(3, dtype=x.dtype, device=x.device)),
     [(3, 3)]),
    ("det", lambda x: clgrad.linalg.det(x), [(2, 3, 3)]),
    ("slogdet", lambda x: clgrad.linalg.slogdet(_spd(x)).logabsdet, [(3, 3)]),
    ("solve", lambda a, b: clgrad.linalg.solve(_spd(a), b), [(3, 3), (3, 2)]),
    ("solve vector", lambda a, b: clgrad.linalg.solve(_spd(a), b), [(3, 3), (3,)]),
    ("cholesky", lambda x: clgrad.linalg.cholesky(_spd(x)), [(3, 3)]),
    ("qr", lambda x: clgrad.linalg.qr(x), [(4, 3)]),
    ("svd", lambda x: (lambda r: (r.U.abs(), r.S, r.Vh.abs()))(
        clgrad.linalg.svd(x, full_matrices=False)), [(4, 3)]),
    ("eigh", lambda x: (lambda r: (r.eigenvalues, r.eigenvectors.abs()))(
        clgrad.linalg.eigh(x + x.mT)), [(3, 3)]),
    ("pinv", lambda x: clgrad.linalg.pinv(x), [(4, 3)]),
    ("pinv wide", lambda x: clgrad.linalg.pinv(x), [(2, 4)]),
    ("lstsq", lambda a, b: clgrad.linalg.lstsq(a, b).solution, [(4, 3), (4, 2)]),
    ("matrix_norm nuc", lambda x: clgrad.linalg.matrix_norm(x, "nuc"), [(3, 4)]),
    ("vector_norm", lambda x: clgrad.linalg.vector_norm(x, 3, dim=1), [(3, 4)]),
]


@pytest.mark.filterwarnings("ignore:clgrad")
@pytest.mark.parametrize("name,fn,shapes", DECOMPS, ids=[p[0] for p in DECOMPS])
def test_gradcheck_linalg(dev64, name, fn, shapes):
    inputs = [leaf(dev64, *s) for s in shapes]
    assert gradcheck(fn, inputs)


def test_grad_parity_with_torch(device):
    torch = pytest.importorskip("torch")
    a = RNG.standard_normal((2, 1, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((3, 4, 2)).astype(np.float32)
    x = clgrad.tensor(a, device=device, requires_grad=True)
    y = clgrad.tensor(b, device=device, requires_grad=True)
    (x @ y).sum().backward()
    tx = torch.tensor(a, requires_grad=True)
    ty = torch.tensor(b, requires_grad=True)
    (tx @ ty).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y.grad.cpu().numpy(), ty.grad.numpy(), rtol=1e-4, atol=1e-4)
