"""clgrad.distributions against torch.distributions, numpy and finite differences."""
import math

import numpy as np
import pytest

import clgrad

D = clgrad.distributions


def _t(x, device, dtype=None):
    return clgrad.tensor(x, dtype=dtype or clgrad.float32, device=device)


def _np(t):
    return t.detach().cpu().numpy()


LOC = [0.0, 1.0, -2.0]
SCALE = [1.0, 0.5, 2.0]
VALUE = [0.3, 1.2, -1.0]


def _pairs(device, torch):
    """(clgrad distribution, torch distribution, value list) with identical parameters."""
    c, t = (lambda x: _t(x, device)), torch.tensor
    td = torch.distributions
    return [
        (D.Normal(c(LOC), c(SCALE)), td.Normal(t(LOC), t(SCALE)), VALUE),
        (D.Laplace(c(LOC), c(SCALE)), td.Laplace(t(LOC), t(SCALE)), VALUE),
        (D.Exponential(c(SCALE)), td.Exponential(t(SCALE)), [0.3, 1.2, 2.0]),
        (D.Uniform(c(LOC), c([2.0, 3.0, 0.0])), td.Uniform(t(LOC), t([2.0, 3.0, 0.0])),
         [0.3, 1.2, -1.0]),
        (D.Bernoulli(c([0.2, 0.5, 0.9])), td.Bernoulli(t([0.2, 0.5, 0.9])), [0.0, 1.0, 1.0]),
        (D.Bernoulli(logits=c(LOC)), td.Bernoulli(logits=t(LOC)), [1.0, 0.0, 1.0]),
    ]


@pytest.mark.parity
def test_scalar_families_match_torch(device):
    torch = pytest.importorskip("torch")
    for ours, theirs, value in _pairs(device, torch):
        v, tv = _t(value, device), torch.tensor(value)
        np.testing.assert_allclose(_np(ours.log_prob(v)), theirs.log_prob(tv).numpy(),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(ours.mean), theirs.mean.numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(ours.variance), theirs.variance.numpy(), rtol=1e-5)
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
        assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]
        if not isinstance(ours, D.Bernoulli):
            np.testing.assert_allclose(_np(ours.cdf(v)), theirs.cdf(tv).numpy(), rtol=1e-5,
                                       atol=1e-6)
            q = [0.1, 0.5, 0.8]
            np.testing.assert_allclose(_np(ours.icdf(_t(q, device))),
                                       theirs.icdf(torch.tensor(q)).numpy(), rtol=1e-5,
                                       atol=1e-6)


@pytest.mark.parity
def test_categorical_and_one_hot_match_torch(device):
    torch = pytest.importorskip("torch")
    logits = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
    probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    td = torch.distributions
    for kw in ({"logits": logits}, {"probs": probs}):
        ours = D.Categorical(**{k: _t(v, device) for k, v in kw.items()})
        theirs = td.Categorical(**{k: torch.tensor(v) for k, v in kw.items()})
        value = [2, 0]
        np.testing.assert_allclose(
            _np(ours.log_prob(clgrad.tensor(value, device=device))),
            theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(ours.enumerate_support()),
                                   theirs.enumerate_support().numpy())
        oh = D.OneHotCategorical(**{k: _t(v, device) for k, v in kw.items()})
        toh = td.OneHotCategorical(**{k: torch.tensor(v) for k, v in kw.items()})
        onehot = [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
        np.testing.assert_allclose(_np(oh.log_prob(_t(onehot, device))),
                                   toh.log_prob(torch.tensor(onehot)).numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(oh.variance), toh.variance.numpy(), rtol=1e-5)
        assert tuple(oh.event_shape) == (3,)
        assert tuple(oh.sample((4,)).shape) == (4, 2, 3)


@pytest.mark.parity
def test_multivariate_normal_matches_torch(device):
    torch = pytest.importorskip("torch")
    loc = [0.5, -1.0]
    cov = [[2.0, 0.3], [0.3, 1.0]]
    value = [[0.1, 0.2], [1.0, -1.0]]
    theirs = torch.distributions.MultivariateNormal(torch.tensor(loc), torch.tensor(cov))
    lp = theirs.log_prob(torch.tensor(value)).numpy()
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        m = getattr(theirs, kw).numpy().tolist()
        ours = D.MultivariateNormal(_t(loc, device), **{kw: _t(m, device)})
        np.testing.assert_allclose(_np(ours.log_prob(_t(value, device))), lp, rtol=1e-4)
        np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-5)
        np.testing.assert_allclose(_np(ours.covariance_matrix), cov, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(_np(ours.variance), theirs.variance.numpy(), rtol=1e-4)


@pytest.mark.parity
def test_kl_divergence_matches_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    c, t = (lambda x: _t(x, device)), torch.tensor
    cov = [[2.0, 0.3], [0.3, 1.0]]
    cov2 = [[1.0, -0.2], [-0.2, 0.5]]
    cases = [
        (D.Normal(c(LOC), c(SCALE)), D.Normal(c(SCALE), c([2.0, 1.0, 1.0])),
         td.Normal(t(LOC), t(SCALE)), td.Normal(t(SCALE), t([2.0, 1.0, 1.0]))),
        (D.Bernoulli(c([0.2, 0.0, 0.9])), D.Bernoulli(c([0.5, 0.3, 0.1])),
         td.Bernoulli(t([0.2, 0.0, 0.9])), td.Bernoulli(t([0.5, 0.3, 0.1]))),
        (D.Categorical(c([0.2, 0.3, 0.5])), D.Categorical(c([0.5, 0.4, 0.1])),
         td.Categorical(t([0.2, 0.3, 0.5])), td.Categorical(t([0.5, 0.4, 0.1]))),
        (D.OneHotCategorical(c([0.2, 0.8])), D.OneHotCategorical(c([0.5, 0.5])),
         td.OneHotCategorical(t([0.2, 0.8])), td.OneHotCategorical(t([0.5, 0.5]))),
        (D.Uniform(c([0.0, 0.0]), c([1.0, 2.0])), D.Uniform(c([-1.0, 0.5]), c([2.0, 3.0])),
         td.Uniform(t([0.0, 0.0]), t([1.0, 2.0])), td.Uniform(t([-1.0, 0.5]), t([2.0, 3.0]))),
        (D.Exponential(c(SCALE)), D.Exponential(c([2.0, 1.0, 1.0])),
         td.Exponential(t(SCALE)), td.Exponential(t([2.0, 1.0, 1.0]))),
        (D.Laplace(c(LOC), c(SCALE)), D.Laplace(c(SCALE), c(SCALE)),
         td.Laplace(t(LOC), t(SCALE)), td.Laplace(t(SCALE), t(SCALE))),
        (D.MultivariateNormal(c([0.0, 1.0]), c(cov)), D.MultivariateNormal(c([1.0, 0.0]), c(cov2)),
         td.MultivariateNormal(t([0.0, 1.0]), t(cov)),
         td.MultivariateNormal(t([1.0, 0.0]), t(cov2))),
        (D.Independent(D.Normal(c(LOC), c(SCALE)), 1),
         D.Independent(D.Normal(c(SCALE), c(SCALE)), 1),
         td.Independent(td.Normal(t(LOC), t(SCALE)), 1),
         td.Independent(td.Normal(t(SCALE), t(SCALE)), 1)),
    ]
    for p, q, tp, tq in cases:
        np.testing.assert_allclose(_np(D.kl_divergence(p, q)), td.kl_divergence(tp, tq).numpy(),
                                   rtol=1e-4, atol=1e-6)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Laplace(c(LOC), c(SCALE)), D.Bernoulli(c([0.5, 0.5, 0.5])))


def test_register_kl_dispatches_to_subclass(device):
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return p.loc * 0 + 7.0

    p = MyNormal(_t([0.0], device), _t([1.0], device))
    assert _np(D.kl_divergence(p, p)).tolist() == [7.0]
    # a plain Normal still goes to the Normal-Normal rule
    n = D.Normal(_t([0.0], device), _t([1.0], device))
    assert _np(D.kl_divergence(n, p)).tolist() == [0.0]


@pytest.mark.parity
def test_validation_errors_match_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    cases = [
        (lambda: D.Normal(_t(0.0, device), _t(-1.0, device)),
         lambda: td.Normal(torch.tensor(0.0), torch.tensor(-1.0))),
        (lambda: D.Bernoulli(_t([0.5, 1.5], device)),
         lambda: td.Bernoulli(torch.tensor([0.5, 1.5]))),
        (lambda: D.Exponential(_t([1.0, -1.0], device)).log_prob(_t([1.0, 1.0], device)),
         lambda: td.Exponential(torch.tensor([1.0, -1.0]))),
        (lambda: D.Exponential(_t([1.0, 1.0], device)).log_prob(_t([-1.0, 1.0], device)),
         lambda: td.Exponential(torch.tensor([1.0, 1.0])).log_prob(torch.tensor([-1.0, 1.0]))),
        (lambda: D.Bernoulli(), lambda: td.Bernoulli()),
        (lambda: D.Normal(_t([0.0, 0.0], device), _t([1.0, 1.0], device)).log_prob(
            _t([1.0, 2.0, 3.0], device)),
         lambda: td.Normal(torch.zeros(2), torch.ones(2)).log_prob(torch.ones(3))),
    ]
    for ours, theirs in cases:
        with pytest.raises(ValueError) as expected:
            theirs()
        with pytest.raises(ValueError) as got:
            ours()
        want = str(expected.value).replace("torch.", "clgrad.").split("\n")[0]
        assert str(got.value).split("\n")[0] == want
    # validate_args=False and the global default turn the checks off
    D.Normal(_t(0.0, device), _t(-1.0, device), validate_args=False)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(_t(0.0, device), _t(-1.0, device))
    finally:
        D.Distribution.set_default_validate_args(True)


def test_sample_shapes_and_moments(device):
    clgrad.manual_seed(0)
    n = D.Normal(_t([1.0, -2.0], device), _t([0.5, 2.0], device))
    s = n.sample((4000,))
    assert tuple(s.shape) == (4000, 2) and not s.requires_grad
    np.testing.assert_allclose(_np(s.mean(0)), [1.0, -2.0], atol=0.15)
    np.testing.assert_allclose(_np(s.std(0)), [0.5, 2.0], rtol=0.1)
    for dist, mean in ((D.Exponential(_t([2.0], device)), 0.5),
                       (D.Laplace(_t([1.0], device), _t([1.0], device)), 1.0),
                       (D.Uniform(_t([0.0], device), _t([4.0], device)), 2.0),
                       (D.Bernoulli(_t([0.3], device)), 0.3)):
        x = dist.sample((4000,))
        assert tuple(x.shape) == (4000, 1)
        np.testing.assert_allclose(_np(x.mean()), mean, atol=0.1)
    c = D.Categorical(_t([0.1, 0.2, 0.7], device))
    draws = _np(c.sample((3000,)))
    np.testing.assert_allclose(np.bincount(draws, minlength=3) / 3000, [0.1, 0.2, 0.7],
                               atol=0.05)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    m = D.MultivariateNormal(_t([0.0, 1.0], device), _t(cov.tolist(), device))
    x = _np(m.sample((4000,)))
    np.testing.assert_allclose(np.cov(x.T), cov, atol=0.2)
    assert tuple(D.Independent(n, 1).sample((3, 5)).shape) == (3, 5, 2)
    assert tuple(n.expand((4, 2)).sample().shape) == (4, 2)


def test_sampling_is_reproducible_under_manual_seed(device):
    n = D.Normal(_t([0.0, 1.0], device), _t([1.0, 1.0], device))
    clgrad.manual_seed(3)
    a = _np(n.sample((5,)))
    clgrad.manual_seed(3)
    np.testing.assert_array_equal(a, _np(n.sample((5,))))


def test_rsample_gradients(device):
    """d E[f(x)]/d theta through rsample equals the analytic value (pathwise, exact per draw)."""
    clgrad.manual_seed(1)
    loc = _t([0.5], device).requires_grad_()
    scale = _t([2.0], device).requires_grad_()
    x = D.Normal(loc, scale).rsample((2000,))
    (x * x).mean().backward()  # E[x^2] = loc^2 + scale^2
    np.testing.assert_allclose(_np(loc.grad), [1.0], atol=0.2)
    np.testing.assert_allclose(_np(scale.grad), [4.0], rtol=0.1)
    rate = _t([2.0], device).requires_grad_()
    D.Exponential(rate).rsample((4000,)).mean().backward()  # E[x] = 1/rate
    np.testing.assert_allclose(_np(rate.grad), [-0.25], rtol=0.1)
    low = _t([1.0], device).requires_grad_()
    high = _t([3.0], device).requires_grad_()
    D.Uniform(low, high).rsample((4000,)).mean().backward()
    np.testing.assert_allclose(_np(low.grad), [0.5], atol=0.05)
    np.testing.assert_allclose(_np(high.grad), [0.5], atol=0.05)
    assert not D.Bernoulli(_t([0.5], device)).has_rsample


def test_log_prob_gradcheck(device):
    if device != "cpu":
        pytest.skip("float64 gradcheck on cpu")
    loc = clgrad.tensor([0.3, -0.2], dtype=clgrad.float64, requires_grad=True)
    scale = clgrad.tensor([1.5, 0.7], dtype=clgrad.float64, requires_grad=True)
    v = clgrad.tensor([0.1, 0.4], dtype=clgrad.float64)
    assert clgrad.autograd.gradcheck(lambda a, b: D.Normal(a, b).log_prob(v), (loc, scale))
    assert clgrad.autograd.gradcheck(lambda a, b: D.Laplace(a, b).entropy(), (loc, scale))


def test_log_prob_of_normal_against_formula(device):
    v = np.array([0.3, 1.2, -1.0])
    loc, scale = np.array(LOC), np.array(SCALE)
    want = -((v - loc) ** 2) / (2 * scale ** 2) - np.log(scale) - 0.5 * math.log(2 * math.pi)
    got = D.Normal(_t(LOC, device), _t(SCALE, device)).log_prob(_t(v.tolist(), device))
    np.testing.assert_allclose(_np(got), want, rtol=1e-5)


def test_torch_module_paths_name_the_same_classes():
    from clgrad.distributions.categorical import Categorical
    from clgrad.distributions.normal import Normal
    assert Categorical is clgrad.distributions.Categorical
    assert clgrad.distributions.normal.Normal is Normal is clgrad.distributions.Normal
    assert clgrad.distributions.one_hot_categorical.OneHotCategorical is \
        clgrad.distributions.OneHotCategorical
