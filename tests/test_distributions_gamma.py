"""Gamma, Chi2, Beta, Dirichlet and their samplers (clgrad._standard_gamma, _sample_dirichlet)
with implicit reparameterisation gradients, against torch, numpy and the samplers' laws."""
import math

import numpy as np
import pytest

import clgrad
from helpers import DEVICES, skip_without_fp64, to_numpy

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


def _grid(seed=0, n=3000):
    """Concentrations and sample values spanning every branch of the gradient formulas."""
    rng = np.random.default_rng(seed)
    return np.exp(rng.uniform(-3, 4, n)), np.exp(rng.uniform(-6, 5, n))


@pytest.mark.parity
def test_standard_gamma_grad_matches_torch(device):
    torch = pytest.importorskip("torch")
    alpha, x = _grid()
    want = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    skip_without_fp64(device)
    f64 = clgrad.float64
    got = clgrad._standard_gamma_grad(_t(alpha, device, f64), _t(x, device, f64))
    assert got.dtype is clgrad.float64
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-9, atol=0)
    got32 = clgrad._standard_gamma_grad(_t(alpha, device), _t(x, device))
    assert got32.dtype is clgrad.float32
    np.testing.assert_allclose(to_numpy(got32), want, rtol=2e-3, atol=1e-30)


@pytest.mark.parity
def test_dirichlet_grad_matches_torch(device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.uniform(0.001, 0.999, 3000)
    a, b = np.exp(rng.uniform(-3, 4, 3000)), np.exp(rng.uniform(-3, 4, 3000))
    want = torch._dirichlet_grad(torch.tensor(x), torch.tensor(a), torch.tensor(a + b)).numpy()
    skip_without_fp64(device)
    f64 = clgrad.float64
    got = clgrad._dirichlet_grad(_t(x, device, f64), _t(a, device, f64), _t(a + b, device, f64))
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-9, atol=1e-300)


def test_standard_gamma_grad_is_the_implicit_derivative_of_the_cdf(device):
    """-(dF/dalpha) / pdf by central differences of a numerically integrated Gamma CDF."""
    skip_without_fp64(device)
    f64 = clgrad.float64
    alpha = np.array([0.4, 1.0, 2.5, 5.0, 12.0, 30.0])
    x = np.array([0.3, 1.7, 2.0, 6.5, 11.0, 33.0])
    got = to_numpy(clgrad._standard_gamma_grad(_t(alpha, device, f64), _t(x, device, f64)))

    def log_pdf(t, a):
        return (a - 1) * np.log(t) - t - np.array([math.lgamma(v) for v in a])

    def cdf(a):
        # P(a, x) = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a + 1) ... (a + k))
        term, total = np.ones_like(a), np.ones_like(a)
        for k in range(1, 400):
            term = term * x / (a + k)
            total = total + term
        lg = np.array([math.lgamma(v + 1) for v in a])
        return np.exp(a * np.log(x) - x - lg) * total

    h = 1e-5
    want = -(cdf(alpha + h) - cdf(alpha - h)) / (2 * h) / np.exp(log_pdf(x, alpha))
    np.testing.assert_allclose(got, want, rtol=2e-3)


def test_rsample_gradient_is_standard_gamma_grad_of_the_sample(device):
    conc = _t([0.3, 1.5, 4.0, 20.0], device).requires_grad_()
    rate = _t([2.0, 0.5, 1.0, 3.0], device).requires_grad_()
    clgrad.manual_seed(4)
    x = D.Gamma(conc, rate).rsample((50,))
    assert x.grad_fn is not None and tuple(x.shape) == (50, 4)
    x.sum().backward()
    g = (x * rate).detach()  # the standard Gamma draws
    dx_dconc = clgrad._standard_gamma_grad(conc.detach().expand(50, 4), g) / rate.detach()
    np.testing.assert_allclose(to_numpy(conc.grad), to_numpy(dx_dconc.sum(0)), rtol=1e-4)
    np.testing.assert_allclose(to_numpy(rate.grad), to_numpy((-x / rate).sum(0)), rtol=1e-4)


def test_standard_gamma_records_its_node_and_its_law(device):
    alpha = _t([0.5, 2.0], device).requires_grad_()
    out = clgrad._standard_gamma(alpha)
    assert type(out.grad_fn).__name__ == "StandardGammaBackward0"
    # d E[x] / d alpha = 1 for Gamma(alpha, 1): the pathwise gradient is unbiased
    clgrad.manual_seed(2)
    big = _t([0.5, 2.0, 7.0, 15.0], device).requires_grad_()
    draws = clgrad._standard_gamma(big.expand(20000, 4))
    draws.mean(0).sum().backward()
    np.testing.assert_allclose(to_numpy(big.grad), [1.0] * 4, rtol=0.05)


def test_gamma_samples_follow_the_law(device):
    clgrad.manual_seed(0)
    conc, rate = [0.2, 0.9, 1.0, 3.5, 50.0], [1.0, 2.0, 0.5, 1.5, 4.0]
    x = to_numpy(D.Gamma(_t(conc, device), _t(rate, device)).sample((40000,)))
    conc, rate = np.array(conc), np.array(rate)
    np.testing.assert_allclose(x.mean(0), conc / rate, rtol=0.03)
    np.testing.assert_allclose(x.var(0), conc / rate ** 2, rtol=0.08)
    assert (x > 0).all()
    z = to_numpy(clgrad._standard_gamma(_t([0.0, -1.0, float("nan")], device)))
    assert (z == np.finfo(np.float32).tiny).all()  # as torch: invalid alphas give the tiny


def test_beta_and_dirichlet_samples_follow_the_law(device):
    clgrad.manual_seed(1)
    a, b = np.array([0.5, 2.0, 8.0]), np.array([0.5, 3.0, 1.0])
    x = to_numpy(D.Beta(_t(a, device), _t(b, device)).sample((30000,)))
    np.testing.assert_allclose(x.mean(0), a / (a + b), atol=0.01)
    np.testing.assert_allclose(x.var(0), a * b / ((a + b) ** 2 * (a + b + 1)), rtol=0.08)
    assert ((x > 0) & (x < 1)).all()
    conc = np.array([[0.3, 1.0, 4.0], [2.0, 2.0, 2.0]])
    s = to_numpy(D.Dirichlet(_t(conc, device)).sample((20000,)))
    assert s.shape == (20000, 2, 3)
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(s.mean(0), conc / conc.sum(-1, keepdims=True), atol=0.01)


def test_dirichlet_rsample_gradient_follows_torch_rule(device):
    torch = pytest.importorskip("torch")
    conc = _t([[0.7, 2.0, 5.0]], device).requires_grad_()
    clgrad.manual_seed(3)
    x = D.Dirichlet(conc).rsample((6,))
    assert type(x.grad_fn).__name__ == "_DirichletBackward"
    w = _t([1.0, -2.0, 0.5], device)
    (x * w).sum().backward()
    tx = torch.tensor(to_numpy(x), dtype=torch.float64)
    tc = torch.tensor(to_numpy(conc), dtype=torch.float64)
    total = tc.sum(-1, True).expand_as(tx)
    tw = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64).expand_as(tx)
    grad = torch._dirichlet_grad(tx, tc.expand_as(tx), total) * (tw - (tx * tw).sum(-1, True))
    np.testing.assert_allclose(to_numpy(conc.grad), grad.sum(0).numpy(), rtol=1e-3, atol=1e-5)
    beta_c1 = _t([2.0], device).requires_grad_()
    D.Beta(beta_c1, _t([3.0], device)).rsample((10,)).sum().backward()
    assert beta_c1.grad is not None and np.isfinite(to_numpy(beta_c1.grad)).all()


@pytest.mark.parity
def test_gamma_family_matches_torch_exactly_in_float64(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    c, r = [0.5, 1.0, 3.0], [2.0, 1.0, 0.5]
    v = [0.2, 1.5, 4.0]

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    td = torch.distributions
    cases = [
        (D.Gamma(mk(c), mk(r)), td.Gamma(tk(c), tk(r)), v),
        (D.Chi2(mk(c)), td.Chi2(tk(c)), v),
        (D.Beta(mk(c), mk(r)), td.Beta(tk(c), tk(r)), [0.2, 0.5, 0.9]),
    ]
    for ours, theirs, value in cases:
        tv = torch.tensor(value, dtype=torch.float64)
        np.testing.assert_allclose(to_numpy(ours.log_prob(mk(value))), theirs.log_prob(tv).numpy(),
                                   rtol=1e-12)
        for attr in ("mean", "mode", "variance", "stddev"):
            np.testing.assert_allclose(to_numpy(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                       rtol=1e-12, err_msg=attr)
        np.testing.assert_allclose(to_numpy(ours.entropy()), theirs.entropy().numpy(), rtol=1e-12)
        assert ours.has_rsample and theirs.has_rsample
        here = f", device='{device}'"
        assert repr(ours).replace(here, "") == repr(theirs).replace("torch.", "clgrad.")
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
        assert repr(ours.support) == repr(theirs.support)
        assert sorted(ours.arg_constraints) == sorted(theirs.arg_constraints)
    conc = [[0.5, 1.0, 3.0], [2.0, 0.3, 0.8]]
    value = [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]
    ours = D.Dirichlet(mk(conc))
    theirs = torch.distributions.Dirichlet(torch.tensor(conc, dtype=torch.float64))
    np.testing.assert_allclose(to_numpy(ours.log_prob(mk(value))),
                               theirs.log_prob(torch.tensor(value, dtype=torch.float64)).numpy(),
                               rtol=1e-12)
    for attr in ("mean", "mode", "variance"):
        np.testing.assert_allclose(to_numpy(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                   rtol=1e-12, err_msg=attr)
    np.testing.assert_allclose(to_numpy(ours.entropy()), theirs.entropy().numpy(), rtol=1e-12)
    assert tuple(ours.event_shape) == (3,) and tuple(ours.batch_shape) == (2,)


def test_exponential_family_entropy_matches_closed_form(device):
    skip_without_fp64(device)
    f64 = clgrad.float64
    g = D.Gamma(_t([0.5, 3.0], device, f64), _t([2.0, 0.7], device, f64))
    np.testing.assert_allclose(to_numpy(D.ExponentialFamily.entropy(g)), to_numpy(g.entropy()),
                               rtol=1e-10)
    assert isinstance(g, D.ExponentialFamily)
    with pytest.raises(NotImplementedError):  # Beta has no carrier measure, as in torch
        D.ExponentialFamily.entropy(D.Beta(_t([0.5], device, f64), _t([2.0], device, f64)))
    p, q = (D.Gamma(_t([0.5, 3.0], device, f64), _t([2.0, 0.7], device, f64)),
            D.Gamma(_t([1.5, 1.0], device, f64), _t([1.0, 2.0], device, f64)))
    bregman = clgrad.distributions.kl_same_family._kl_expfamily_expfamily(p, q)
    np.testing.assert_allclose(to_numpy(bregman), to_numpy(D.kl_divergence(p, q)), rtol=1e-10)


@pytest.mark.parity
def test_gamma_family_kl_matches_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    c, t = (lambda x: _t(x, device)), torch.tensor
    cases = [
        (D.Gamma(c([0.5, 2.0]), c([1.0, 3.0])), D.Gamma(c([1.5, 1.0]), c([2.0, 0.5])),
         td.Gamma(t([0.5, 2.0]), t([1.0, 3.0])), td.Gamma(t([1.5, 1.0]), t([2.0, 0.5]))),
        (D.Beta(c([0.5, 2.0]), c([1.0, 3.0])), D.Beta(c([1.5, 1.0]), c([2.0, 0.5])),
         td.Beta(t([0.5, 2.0]), t([1.0, 3.0])), td.Beta(t([1.5, 1.0]), t([2.0, 0.5]))),
        (D.Dirichlet(c([0.5, 2.0, 1.0])), D.Dirichlet(c([1.5, 1.0, 3.0])),
         td.Dirichlet(t([0.5, 2.0, 1.0])), td.Dirichlet(t([1.5, 1.0, 3.0]))),
        (D.Chi2(c([3.0])), D.Chi2(c([5.0])), td.Chi2(t([3.0])), td.Chi2(t([5.0]))),
        (D.Gamma(c([2.0]), c([3.0])), D.Exponential(c([1.5])),
         td.Gamma(t([2.0]), t([3.0])), td.Exponential(t([1.5]))),
        (D.Gamma(c([2.0]), c([3.0])), D.Normal(c([0.5]), c([2.0])),
         td.Gamma(t([2.0]), t([3.0])), td.Normal(t([0.5]), t([2.0]))),
        (D.Exponential(c([1.5])), D.Gamma(c([2.0]), c([3.0])),
         td.Exponential(t([1.5])), td.Gamma(t([2.0]), t([3.0]))),
        (D.Beta(c([2.0]), c([3.0])), D.Uniform(c([0.0]), c([1.0])),
         td.Beta(t([2.0]), t([3.0])), td.Uniform(t([0.0]), t([1.0]))),
        (D.Beta(c([2.0]), c([3.0])), D.Gamma(c([2.0]), c([3.0])),
         td.Beta(t([2.0]), t([3.0])), td.Gamma(t([2.0]), t([3.0]))),
        (D.Uniform(c([0.2]), c([0.7])), D.Beta(c([2.0]), c([3.0])),
         td.Uniform(t([0.2]), t([0.7])), td.Beta(t([2.0]), t([3.0]))),
        (D.Uniform(c([0.2]), c([0.7])), D.Gamma(c([2.0]), c([3.0])),
         td.Uniform(t([0.2]), t([0.7])), td.Gamma(t([2.0]), t([3.0]))),
        (D.Normal(c([0.0]), c([1.0])), D.Gamma(c([2.0]), c([3.0])),
         td.Normal(t([0.0]), t([1.0])), td.Gamma(t([2.0]), t([3.0]))),
    ]
    for p, q, tp, tq in cases:
        np.testing.assert_allclose(to_numpy(D.kl_divergence(p, q)),
                                   td.kl_divergence(tp, tq).numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{p} {q}")


@pytest.mark.parity
def test_gamma_family_validation_matches_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    cases = [
        (lambda: D.Gamma(_t([1.0, -1.0], device), _t([1.0, 1.0], device)),
         lambda: td.Gamma(torch.tensor([1.0, -1.0]), torch.tensor([1.0, 1.0]))),
        (lambda: D.Chi2(_t([0.0], device)), lambda: td.Chi2(torch.tensor([0.0]))),
        (lambda: D.Beta(_t([1.0], device), _t([-2.0], device)),
         lambda: td.Beta(torch.tensor([1.0]), torch.tensor([-2.0]))),
        (lambda: D.Dirichlet(_t(1.0, device)), lambda: td.Dirichlet(torch.tensor(1.0))),
        (lambda: D.Gamma(_t([1.0], device), _t([1.0], device)).log_prob(_t([-1.0], device)),
         lambda: td.Gamma(torch.tensor([1.0]), torch.tensor([1.0])).log_prob(
             torch.tensor([-1.0]))),
        (lambda: D.Beta(_t([1.0], device), _t([1.0], device)).log_prob(_t([1.5], device)),
         lambda: td.Beta(torch.tensor([1.0]), torch.tensor([1.0])).log_prob(
             torch.tensor([1.5]))),
    ]
    for ours, theirs in cases:
        with pytest.raises(ValueError) as expected:
            theirs()
        with pytest.raises(ValueError) as got:
            ours()
        mine = str(got.value).replace(f", device='{device}'", "").split("\n")[0]
        assert mine == str(expected.value).replace("torch.", "clgrad.").split("\n")[0]
    with pytest.raises(NotImplementedError, match="gamma_cpu"):
        clgrad._standard_gamma(clgrad.tensor([1, 2], device=device))


def test_expand_and_shapes(device):
    g = D.Gamma(_t([1.0, 2.0], device), _t(1.0, device))
    e = g.expand((3, 2))
    assert tuple(e.batch_shape) == (3, 2) and tuple(e.sample((4,)).shape) == (4, 3, 2)
    assert type(D.Chi2(_t([1.0], device)).expand((2, 1))) is D.Chi2
    b = D.Beta(_t([1.0, 2.0], device), _t([3.0, 1.0], device)).expand((5, 2))
    assert tuple(b.rsample((3,)).shape) == (3, 5, 2)
    d = D.Dirichlet(_t([1.0, 2.0, 3.0], device)).expand((4,))
    assert tuple(d.batch_shape) == (4,) and tuple(d.rsample().shape) == (4, 3)
    assert tuple(D.Gamma(2.0, 3.0).batch_shape) == ()


def test_samples_reproducible_and_alike_on_every_device():
    def draw(device):
        clgrad.manual_seed(11)
        gamma = D.Gamma(_t([0.4, 3.0, 12.0], device), _t([1.0, 1.0, 2.0], device))
        g = to_numpy(gamma.sample((300,)))
        d = to_numpy(D.Dirichlet(_t([0.5, 1.0, 2.0], device)).sample((100,)))
        return g, d

    first = draw(DEVICES[0])
    np.testing.assert_array_equal(first[0], draw(DEVICES[0])[0])
    for device in DEVICES[1:]:
        other = draw(device)
        for a, b in zip(first, other):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_module_paths():
    from clgrad.distributions.beta import Beta
    from clgrad.distributions.chi2 import Chi2
    from clgrad.distributions.dirichlet import Dirichlet
    from clgrad.distributions.gamma import Gamma
    assert (Beta, Chi2, Dirichlet, Gamma) == (D.Beta, D.Chi2, D.Dirichlet, D.Gamma)
    assert clgrad.distributions.exp_family.ExponentialFamily is D.ExponentialFamily


@pytest.mark.parity
def test_gamma_cdf_matches_torch_gammainc(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    rng = np.random.default_rng(5)
    conc, rate = np.exp(rng.uniform(-3, 5, 400)), np.exp(rng.uniform(-2, 2, 400))
    value = np.exp(rng.uniform(-5, 5, 400))
    want = torch.distributions.Gamma(torch.tensor(conc), torch.tensor(rate)).cdf(
        torch.tensor(value)).numpy()
    v = _t(value, device, f64).requires_grad_()
    g = D.Gamma(_t(conc, device, f64), _t(rate, device, f64))
    cdf = g.cdf(v)
    np.testing.assert_allclose(to_numpy(cdf), want, rtol=1e-8, atol=1e-12)
    cdf.sum().backward()  # d cdf / d value is the density
    np.testing.assert_allclose(to_numpy(v.grad), to_numpy(g.log_prob(v).exp()), rtol=1e-9)
    chi = D.Chi2(_t([3.0], device)).cdf(_t([0.0, 2.0], device))
    np.testing.assert_allclose(to_numpy(chi), torch.distributions.Chi2(torch.tensor([3.0])).cdf(
        torch.tensor([0.0, 2.0])).numpy(), rtol=1e-5)


def test_reparameterised_samples_are_freed_without_the_garbage_collector(device):
    import gc
    import weakref
    conc = _t([0.5, 2.0, 3.0], device).requires_grad_()
    gc.disable()
    try:
        for draw in (lambda: clgrad._standard_gamma(conc),
                     lambda: D.Dirichlet(conc).rsample(),
                     lambda: D.Gamma(conc, 1.0).rsample((2,))):
            sample = draw()
            assert sample.grad_fn is not None
            ref = weakref.ref(sample)
            del sample
            assert ref() is None  # no reference cycle through the graph node
    finally:
        gc.enable()
