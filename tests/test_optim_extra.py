"""Rprop, ASGD, LBFGS: trajectories against torch and convergence on a known problem."""
import numpy as np
import pytest

import clgrad

_W0 = np.array([[0.5, -1.0, 0.25], [1.5, 0.3, -0.7]], np.float32)
_X = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
_Y = np.random.default_rng(1).standard_normal((6, 2)).astype(np.float32)


def _loss(lib, w, x, y):
    return (((x @ w.t()) - y) ** 2).mean() + (w ** 4).sum() * 0.01


def _run(lib, make, steps, device=None, closure_opt=False):
    kw = {} if lib is not clgrad else {"device": device}
    w = lib.tensor(_W0.copy(), requires_grad=True, **kw)
    x, y = lib.tensor(_X, **kw), lib.tensor(_Y, **kw)
    opt = make(lib, [w])
    losses = []
    for _ in range(steps):
        def closure():
            opt.zero_grad()
            loss = _loss(lib, w, x, y)
            loss.backward()
            return loss
        if closure_opt:
            losses.append(float(opt.step(closure).detach()))
        else:
            losses.append(float(closure().detach()))
            opt.step()
    return w.detach().cpu().numpy(), losses, opt


CASES = {
    "rprop": (lambda lib, p: lib.optim.Rprop(p, lr=0.05), False),
    "rprop_max": (lambda lib, p: lib.optim.Rprop(p, lr=0.01, etas=(0.3, 1.5),
                                                 step_sizes=(1e-3, 0.2)), False),
    "asgd": (lambda lib, p: lib.optim.ASGD(p, lr=0.05, t0=3, lambd=1e-2), False),
    "asgd_wd": (lambda lib, p: lib.optim.ASGD(p, lr=0.1, weight_decay=0.1, alpha=0.5), False),
    "lbfgs": (lambda lib, p: lib.optim.LBFGS(p, lr=0.5, max_iter=5, history_size=3), True),
    "lbfgs_wolfe": (lambda lib, p: lib.optim.LBFGS(p, lr=1, max_iter=6,
                                                   line_search_fn="strong_wolfe"), True),
}


@pytest.mark.parity
@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_torch(device, case):
    torch = pytest.importorskip("torch")
    make, closure_opt = CASES[case]
    tw, tl, topt = _run(torch, make, 6, closure_opt=closure_opt)
    cw, cl, copt = _run(clgrad, make, 6, device, closure_opt)
    np.testing.assert_allclose(cl, tl, rtol=2e-4, atol=1e-6)
    # LBFGS keeps its scalars (step, curvature) as Python floats where torch rounds them
    # to float32, so weights agree to ~1e-4 rather than to float32 precision.
    np.testing.assert_allclose(cw, tw, rtol=1e-3, atol=1e-4)
    tstate = topt.state_dict()["state"][0]
    cstate = copt.state_dict()["state"][0]
    assert sorted(cstate) == sorted(tstate)
    assert copt.state_dict()["param_groups"][0].keys() == \
        topt.state_dict()["param_groups"][0].keys()


def test_lbfgs_solves_a_quadratic(device):
    # f(w) = |A w - b|^2 has its minimum at the least-squares solution.
    rng = np.random.default_rng(2)
    a = rng.standard_normal((5, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    want = np.linalg.lstsq(a, b, rcond=None)[0]
    for ls in (None, "strong_wolfe"):
        w = clgrad.zeros(3, device=device, requires_grad=True)
        at, bt = clgrad.tensor(a, device=device), clgrad.tensor(b, device=device)
        opt = clgrad.optim.LBFGS([w], max_iter=50, line_search_fn=ls)

        def closure():
            opt.zero_grad()
            loss = ((at @ w - bt) ** 2).sum()
            loss.backward()
            return loss
        for _ in range(3):
            opt.step(closure)
        np.testing.assert_allclose(w.detach().cpu().numpy(), want, rtol=1e-3, atol=1e-4)


def test_rprop_sign_rule(device):
    w = clgrad.tensor([1.0, 1.0], device=device, requires_grad=True)
    opt = clgrad.optim.Rprop([w], lr=0.1)
    w.grad = clgrad.tensor([1.0, -1.0], device=device)
    opt.step()
    np.testing.assert_allclose(w.detach().cpu().numpy(), [0.9, 1.1], rtol=1e-6)
    w.grad = clgrad.tensor([1.0, 1.0], device=device)  # same sign, then a flip
    opt.step()
    np.testing.assert_allclose(w.detach().cpu().numpy(), [0.78, 1.1], rtol=1e-6)
    np.testing.assert_allclose(opt.state[w]["step_size"].cpu().numpy(), [0.12, 0.05],
                               rtol=1e-6)


def test_errors():
    p = [clgrad.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="Invalid eta values: 1.5, 1.2"):
        clgrad.optim.Rprop(p, etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        clgrad.optim.ASGD(p, lr=-1)
    with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
        clgrad.optim.LBFGS([{"params": p}, {"params": [clgrad.zeros(1, requires_grad=True)]}])
    opt = clgrad.optim.LBFGS(p, line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((p[0] - 1) ** 2).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(closure)
