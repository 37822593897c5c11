"""clgrad.func against torch.func and finite differences."""
import numpy as np
import pytest

import clgrad
from helpers import to_numpy


def _f(x):
    return (x.sin() * x).sum()


def _g(x, y):
    return x.exp() * y + y.sin()


@pytest.mark.parity
def test_grad_jacobians_hessian_match_torch(device):
    torch = pytest.importorskip("torch")
    tf = torch.func
    x = np.array([0.3, -1.2, 2.0])
    y = np.array([1.5, 0.5, -0.7])
    cx = clgrad.tensor(x, dtype=clgrad.float32, device=device)
    cy = clgrad.tensor(y, dtype=clgrad.float32, device=device)
    tx, ty = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    F = clgrad.func
    np.testing.assert_allclose(to_numpy(F.grad(_f)(cx)), tf.grad(_f)(tx).numpy(), rtol=1e-5)
    for a, b in zip(F.grad(lambda a, b: _g(a, b).sum(), argnums=(0, 1))(cx, cy),
                    tf.grad(lambda a, b: _g(a, b).sum(), argnums=(0, 1))(tx, ty)):
        np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-5)
    for jac_c, jac_t in ((F.jacrev, tf.jacrev), (F.jacfwd, tf.jacfwd)):
        for a, b in zip(jac_c(_g, argnums=(0, 1))(cx, cy), jac_t(_g, argnums=(0, 1))(tx, ty)):
            assert tuple(a.shape) == tuple(b.shape) == (3, 3)
            np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(F.hessian(_f)(cx)), tf.hessian(_f)(tx).numpy(), rtol=1e-4,
                               atol=1e-6)
    g, (v, aux) = F.grad_and_value(lambda a: (_f(a), a * 2), has_aux=True)(cx)
    tg, (tv, taux) = tf.grad_and_value(lambda a: (_f(a), a * 2), has_aux=True)(tx)
    np.testing.assert_allclose(to_numpy(g), tg.numpy(), rtol=1e-5)
    np.testing.assert_allclose(float(v), float(tv), rtol=1e-5)
    assert not g.requires_grad and not v.requires_grad


@pytest.mark.parity
def test_vjp_jvp_match_torch(device):
    torch = pytest.importorskip("torch")
    x = np.array([0.3, -1.2, 2.0])
    y = np.array([1.5, 0.5, -0.7])
    cx, cy = (clgrad.tensor(a, dtype=clgrad.float32, device=device) for a in (x, y))
    tx, ty = (torch.tensor(a, dtype=torch.float32) for a in (x, y))
    out, fn = clgrad.func.vjp(_g, cx, cy)
    tout, tfn = torch.func.vjp(_g, tx, ty)
    np.testing.assert_allclose(to_numpy(out), tout.numpy(), rtol=1e-5)
    cot = np.array([1.0, 2.0, 3.0])
    for a, b in zip(fn(clgrad.tensor(cot, dtype=clgrad.float32, device=device)),
                    tfn(torch.tensor(cot, dtype=torch.float32))):
        np.testing.assert_allclose(to_numpy(a), b.numpy(), rtol=1e-5)
    tan = (clgrad.ones(3, device=device), clgrad.full((3,), 0.5, device=device))
    o, jv = clgrad.func.jvp(_g, (cx, cy), tan)
    to, tjv = torch.func.jvp(_g, (tx, ty), (torch.ones(3), torch.full((3,), 0.5)))
    np.testing.assert_allclose(to_numpy(jv), tjv.numpy(), rtol=1e-5)
    with pytest.raises(RuntimeError):
        clgrad.func.grad(lambda a: a * 2)(cx)  # not a scalar


def test_grad_nests_and_matches_finite_differences(device):
    x = clgrad.tensor([0.4, -0.9], dtype=clgrad.float64, device=device)
    d2 = clgrad.func.grad(lambda a: clgrad.func.grad(lambda b: (b ** 3).sum())(a).sum())(x)
    np.testing.assert_allclose(to_numpy(d2), 6 * to_numpy(x), rtol=1e-10)
    # jacrev against central differences
    eps = 1e-6
    xs = to_numpy(x)
    jac = to_numpy(clgrad.func.jacrev(lambda a: a.exp() * a.sum())(x))
    for k in range(2):
        e = np.zeros(2)
        e[k] = eps
        fd = (np.exp(xs + e) * (xs + e).sum() - np.exp(xs - e) * (xs - e).sum()) / (2 * eps)
        np.testing.assert_allclose(jac[:, k], fd, rtol=1e-6)


@pytest.mark.parity
def test_vmap_dims_nesting_and_errors(device):
    torch = pytest.importorskip("torch")
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(3.0) + 1
    F, TF = clgrad.func, torch.func
    ca, cb = clgrad.tensor(a, device=device), clgrad.tensor(b, device=device)
    ta, tb = torch.tensor(a), torch.tensor(b)
    cases = [
        (lambda f: f(lambda x, y: x * y, in_dims=(0, None)), (0, 1)),
        (lambda f: f(lambda x, y: x * y, in_dims=(1, 0)), (0, 1)),
        (lambda f: f(lambda x, y: (x.sum(), x * y), in_dims=(1, 0), out_dims=(0, 1)), (0, 1)),
        (lambda f: f(lambda x: f(lambda y: y * 2)(x)), (0,)),
    ]
    for make, which in cases:
        cargs = [(ca, cb)[i] for i in which]
        targs = [(ta, tb)[i] for i in which]
        cres = make(F.vmap)(*cargs)
        tres = make(TF.vmap)(*targs)
        if isinstance(tres, tuple):
            for c, t in zip(cres, tres):
                np.testing.assert_allclose(to_numpy(c), t.numpy())
        else:
            np.testing.assert_allclose(to_numpy(cres), tres.numpy())
    with pytest.raises(ValueError):
        F.vmap(lambda x, y: x + y)(ca, clgrad.ones(3, device=device))
    with pytest.raises(ValueError):
        F.vmap(lambda x: x, in_dims=None)(ca)
    # gradients flow through vmap
    w = clgrad.ones(3, device=device, requires_grad=True)
    F.vmap(lambda r: (r * w).sum())(ca).sum().backward()
    np.testing.assert_allclose(to_numpy(w.grad), a.sum(0))


@pytest.mark.parity
def test_functional_call_swaps_and_restores(device):
    torch = pytest.importorskip("torch")
    lin = clgrad.nn.Linear(3, 2).to(device)
    before = to_numpy(lin.weight).copy()
    w = clgrad.ones(2, 3, device=device)
    x = clgrad.tensor([[1.0, 2.0, 3.0]], device=device)
    out = clgrad.func.functional_call(lin, {"weight": w}, (x,))
    np.testing.assert_allclose(to_numpy(out), 6.0 + to_numpy(lin.bias)[None], rtol=1e-6)
    np.testing.assert_allclose(to_numpy(lin.weight), before)
    assert isinstance(lin.weight, clgrad.nn.Parameter)
    with pytest.raises(RuntimeError, match="Missing key"):
        clgrad.func.functional_call(lin, {"weight": w}, (x,), strict=True)
    tl = torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="Missing key"):
        torch.func.functional_call(tl, {"weight": torch.ones(2, 3)}, (torch.ones(1, 3),),
                                   strict=True)
    # grads of a loss with respect to a dict of parameters, the torch.func idiom
    params = {k: v.detach() for k, v in lin.named_parameters()}
    g = clgrad.func.grad(lambda p: clgrad.func.functional_call(lin, p, x).sum())(params)
    np.testing.assert_allclose(to_numpy(g["weight"]), np.tile(to_numpy(x), (2, 1)))
    np.testing.assert_allclose(to_numpy(g["bias"]), np.ones(2))


def test_outputs_independent_of_an_input_and_pytrees(device):
    F = clgrad.func
    x = clgrad.ones(2, device=device)
    y = clgrad.arange(2.0, device=device)
    j_sum, j_indep = F.jacrev(lambda a, b: ((a * b).sum(), a * 2), argnums=1)(x, y)
    np.testing.assert_allclose(to_numpy(j_sum), [1.0, 1.0])
    np.testing.assert_allclose(to_numpy(j_indep), np.zeros((2, 2)))
    jd = F.jacrev(lambda d: d["a"] * d["b"])({"a": x, "b": y})
    np.testing.assert_allclose(to_numpy(jd["a"]), np.diag([0.0, 1.0]))
    np.testing.assert_allclose(to_numpy(jd["b"]), np.eye(2))
    g = F.vmap(F.grad(lambda r: (r ** 2).sum()))(clgrad.arange(4.0, device=device).reshape(2, 2))
    np.testing.assert_allclose(to_numpy(g), [[0.0, 2.0], [4.0, 6.0]])


def test_vmap_randomness_modes(device):
    x = clgrad.ones(4, 3, device=device)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        clgrad.func.vmap(lambda r: r + clgrad.rand(3, device=device))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        clgrad.func.vmap(lambda r: clgrad.nn.functional.dropout(r, 0.5))(x)
    assert clgrad.func.vmap(lambda r: r * 2)(x).tolist() == [[2.0] * 3] * 4  # no draw: no error
    same = clgrad.func.vmap(lambda r: r + clgrad.rand(3, device=device), randomness="same")(x)
    assert all(same[i].tolist() == same[0].tolist() for i in range(4))
    different = clgrad.func.vmap(lambda r: r + clgrad.rand(3, device=device),
                                 randomness="different")(x)
    assert different[0].tolist() != different[1].tolist()
