"""Geometric, StudentT, Cauchy, the transformed families (LogNormal, HalfNormal, Gumbel, ...),
ContinuousBernoulli, the relaxed distributions, VonMises and GeneralizedPareto against torch
and their laws; KL pairs; the class hierarchy and every torch.distributions name."""
import math

import numpy as np
import pytest

import clgrad
from helpers import skip_without_fp64, to_numpy

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


def test_geometric_studentt_and_transformed_samples(device):
    clgrad.manual_seed(2)
    g = to_numpy(D.Geometric(_t([0.2, 0.7], device)).sample((30000,)))
    np.testing.assert_allclose(g.mean(0), [4.0, 0.3 / 0.7], rtol=0.05)
    t = D.StudentT(_t([5.0], device), _t([1.0], device), _t([2.0], device))
    s = to_numpy(t.sample((40000,)))
    np.testing.assert_allclose(s.mean(), 1.0, atol=0.06)
    np.testing.assert_allclose(s.var(), 4.0 * 5 / 3, rtol=0.1)
    ln = to_numpy(D.LogNormal(_t([0.2], device), _t([0.5], device)).sample((40000,)))
    np.testing.assert_allclose(ln.mean(), math.exp(0.2 + 0.125), rtol=0.02)
    hn = to_numpy(D.HalfNormal(_t([2.0], device)).sample((40000,)))
    assert (hn >= 0).all()
    np.testing.assert_allclose(hn.mean(), 2.0 * math.sqrt(2 / math.pi), rtol=0.02)
    gu = to_numpy(D.Gumbel(_t([1.0], device), _t([2.0], device)).sample((40000,)))
    np.testing.assert_allclose(gu.mean(), 1.0 + 2.0 * 0.5772156649, atol=0.05)
    c = to_numpy(D.Cauchy(_t([1.0], device), _t([0.5], device)).sample((40000,)))
    np.testing.assert_allclose(np.median(c), 1.0, atol=0.03)
    hc = to_numpy(D.HalfCauchy(_t([2.0], device)).sample((40000,)))
    np.testing.assert_allclose(np.median(hc), 2.0, rtol=0.05)  # tan(pi / 4) * scale
    pa = to_numpy(D.Pareto(_t([1.5], device), _t([4.0], device)).sample((40000,)))
    assert (pa >= 1.5).all()
    np.testing.assert_allclose(pa.mean(), 4.0 * 1.5 / 3.0, rtol=0.03)
    wb = to_numpy(D.Weibull(_t([2.0], device), _t([1.5], device)).sample((40000,)))
    np.testing.assert_allclose(wb.mean(), 2.0 * math.gamma(1 + 1 / 1.5), rtol=0.03)
    ig = to_numpy(D.InverseGamma(_t([5.0], device), _t([2.0], device)).rsample((40000,)))
    np.testing.assert_allclose(ig.mean(), 2.0 / 4.0, rtol=0.03)
    ku = to_numpy(D.Kumaraswamy(_t([2.0], device), _t([3.0], device)).rsample((40000,)))
    np.testing.assert_allclose(ku.mean(), 3 * math.gamma(1.5) * math.gamma(3) / math.gamma(4.5),
                               rtol=0.02)
    fs = to_numpy(D.FisherSnedecor(_t([4.0], device), _t([8.0], device)).rsample((40000,)))
    np.testing.assert_allclose(fs.mean(), 8.0 / 6.0, rtol=0.04)
    cb = to_numpy(D.ContinuousBernoulli(_t([0.8], device)).rsample((40000,)))
    np.testing.assert_allclose(cb.mean(), to_numpy(D.ContinuousBernoulli(_t([0.8], device)).mean),
                               rtol=0.02)
    ln = to_numpy(D.LogisticNormal(_t([0.0, 1.0], device), _t([1.0, 0.5], device)).sample((10,)))
    assert ln.shape == (10, 3) and np.allclose(ln.sum(-1), 1, rtol=1e-5)


def test_rsample_gradients_of_transformed_and_studentt(device):
    clgrad.manual_seed(3)
    loc = _t([0.1], device).requires_grad_()
    scale = _t([0.4], device).requires_grad_()
    D.LogNormal(loc, scale).rsample((20000,)).mean().backward()
    m = math.exp(0.1 + 0.08)  # d/dloc E = E, d/dscale E = scale * E
    np.testing.assert_allclose(to_numpy(loc.grad), [m], rtol=0.05)
    np.testing.assert_allclose(to_numpy(scale.grad), [0.4 * m], rtol=0.1)
    df = _t([4.0], device).requires_grad_()
    y = D.StudentT(df).rsample((10,))
    y.sum().backward()
    assert df.grad is not None and np.isfinite(to_numpy(df.grad)).all()
    assert not D.Poisson(_t([1.0], device)).has_rsample
    assert D.Gumbel(_t([0.0], device), _t([1.0], device)).has_rsample


@pytest.mark.parity
def test_families_match_torch_exactly_in_float64(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    td = torch.distributions

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    pos, loc = [0.5, 1.0, 3.0], [0.2, -1.0, 2.0]
    counts = [0.0, 2.0, 5.0]
    cases = [
        (D.Poisson(mk(pos)), td.Poisson(tk(pos)), counts),
        (D.Binomial(mk([5.0, 5.0, 5.0]), mk([0.2, 0.5, 0.9])),
         td.Binomial(tk([5.0, 5.0, 5.0]), tk([0.2, 0.5, 0.9])), counts),
        (D.Binomial(mk([5.0, 8.0, 6.0]), logits=mk(loc)),
         td.Binomial(tk([5.0, 8.0, 6.0]), logits=tk(loc)), counts),
        (D.Geometric(mk([0.2, 0.5, 1.0])), td.Geometric(tk([0.2, 0.5, 1.0])), counts),
        (D.Geometric(logits=mk(loc)), td.Geometric(logits=tk(loc)), counts),
        (D.StudentT(mk([1.0, 2.5, 5.0]), mk(loc), mk(pos)),
         td.StudentT(tk([1.0, 2.5, 5.0]), tk(loc), tk(pos)), [0.3, -2.0, 1.0]),
        (D.Cauchy(mk(loc), mk(pos)), td.Cauchy(tk(loc), tk(pos)), [0.3, -2.0, 1.0]),
        (D.LogNormal(mk(loc), mk(pos)), td.LogNormal(tk(loc), tk(pos)), [0.3, 2.0, 1.0]),
        (D.HalfNormal(mk(pos)), td.HalfNormal(tk(pos)), [0.3, 2.0, 1.0]),
        (D.Gumbel(mk(loc), mk(pos)), td.Gumbel(tk(loc), tk(pos)), [0.3, -2.0, 1.0]),
        (D.HalfCauchy(mk(pos)), td.HalfCauchy(tk(pos)), [0.3, 2.0, 1.0]),
        (D.Pareto(mk(pos), mk([0.5, 1.5, 3.0])), td.Pareto(tk(pos), tk([0.5, 1.5, 3.0])),
         [0.7, 2.0, 3.5]),
        (D.Weibull(mk(pos), mk([0.5, 1.5, 3.0])), td.Weibull(tk(pos), tk([0.5, 1.5, 3.0])),
         [0.3, 2.0, 1.0]),
        (D.InverseGamma(mk([0.5, 1.5, 3.0]), mk(pos)),
         td.InverseGamma(tk([0.5, 1.5, 3.0]), tk(pos)), [0.3, 2.0, 1.0]),
        (D.Kumaraswamy(mk(pos), mk([0.5, 1.5, 3.0])),
         td.Kumaraswamy(tk(pos), tk([0.5, 1.5, 3.0])), [0.3, 0.6, 0.9]),
        (D.FisherSnedecor(mk([1.0, 3.0, 6.0]), mk([3.0, 5.0, 9.0])),
         td.FisherSnedecor(tk([1.0, 3.0, 6.0]), tk([3.0, 5.0, 9.0])), [0.3, 2.0, 1.0]),
        (D.ContinuousBernoulli(mk([0.2, 0.5, 0.9])), td.ContinuousBernoulli(tk([0.2, 0.5, 0.9])),
         [0.3, 0.6, 0.9]),
        (D.ContinuousBernoulli(logits=mk(loc)), td.ContinuousBernoulli(logits=tk(loc)),
         [0.3, 0.6, 0.9]),
    ]
    for ours, theirs, value in cases:
        name = type(ours).__name__
        np.testing.assert_allclose(to_numpy(ours.log_prob(mk(value))),
                                   theirs.log_prob(tk(value)).numpy(), rtol=1e-12, err_msg=name)
        for attr in ("mean", "mode", "variance", "stddev"):
            try:
                want = getattr(theirs, attr).numpy()
            except NotImplementedError:  # ContinuousBernoulli has no mode in torch either
                with pytest.raises(NotImplementedError):
                    getattr(ours, attr)
                continue
            np.testing.assert_allclose(to_numpy(getattr(ours, attr)), want, rtol=1e-12,
                                       err_msg=f"{name}.{attr}")
        try:
            want = theirs.entropy().numpy()
        except NotImplementedError:  # Poisson: an exponential family with no carrier measure
            with pytest.raises(NotImplementedError):
                ours.entropy()
        else:
            np.testing.assert_allclose(to_numpy(ours.entropy()), want, rtol=1e-12, err_msg=name)
        assert ours.has_rsample == theirs.has_rsample, name
        here = f", device='{device}'"
        assert repr(ours).replace(here, "") == repr(theirs).replace("torch.", "clgrad."), name
        assert repr(ours.support).replace(here, "") == \
            repr(theirs.support).replace("torch.", "clgrad."), name
        assert sorted(ours.arg_constraints) == sorted(theirs.arg_constraints), name
        assert isinstance(ours, D.TransformedDistribution) == \
            isinstance(theirs, td.TransformedDistribution), name
        if name in ("Cauchy", "HalfNormal", "LogNormal", "Gumbel", "HalfCauchy", "Pareto",
                    "Weibull", "Kumaraswamy", "ContinuousBernoulli"):
            np.testing.assert_allclose(to_numpy(ours.cdf(mk(value))), theirs.cdf(tk(value)).numpy(),
                                       rtol=1e-12, err_msg=name)
            q = [0.1, 0.5, 0.8]
            np.testing.assert_allclose(to_numpy(ours.icdf(mk(q))), theirs.icdf(tk(q)).numpy(),
                                       rtol=1e-10, err_msg=name)
    b = D.Binomial(mk([4.0, 4.0]), mk([0.3, 0.6]))
    np.testing.assert_allclose(to_numpy(b.enumerate_support()),
                               td.Binomial(tk([4.0, 4.0]), tk([0.3, 0.6]))
                               .enumerate_support().numpy())


@pytest.mark.parity
def test_more_kl_pairs_match_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    c, t = (lambda x: _t(x, device)), torch.tensor
    pairs = [
        ("Poisson", ([1.5, 4.0],), "Poisson", ([2.0, 3.0],)),
        ("Geometric", ([0.3, 0.6],), "Geometric", ([0.5, 0.2],)),
        ("Cauchy", ([0.0, 1.0], [1.0, 2.0]), "Cauchy", ([1.0, -1.0], [0.5, 1.0])),
        ("Gumbel", ([0.0, 1.0], [1.0, 2.0]), "Gumbel", ([1.0, -1.0], [0.5, 1.0])),
        ("HalfNormal", ([1.0, 2.0],), "HalfNormal", ([0.5, 3.0],)),
        ("LogNormal", ([0.0, 1.0], [1.0, 2.0]), "LogNormal", ([1.0, -1.0], [0.5, 1.0])),
        ("Normal", ([0.0, 1.0], [1.0, 2.0]), "Laplace", ([1.0, -1.0], [0.5, 1.0])),
        ("Laplace", ([0.0, 1.0], [1.0, 2.0]), "Normal", ([1.0, -1.0], [0.5, 1.0])),
        ("Normal", ([0.0, 1.0], [1.0, 2.0]), "Gumbel", ([1.0, -1.0], [0.5, 1.0])),
        ("Gumbel", ([0.0, 1.0], [1.0, 2.0]), "Normal", ([1.0, -1.0], [0.5, 1.0])),
        ("Exponential", ([1.5, 0.5],), "Gumbel", ([1.0, -1.0], [0.5, 1.0])),
        ("Exponential", ([1.5, 0.5],), "Normal", ([1.0, -1.0], [0.5, 1.0])),
        ("Uniform", ([0.0, 1.0], [1.0, 2.0]), "Gumbel", ([1.0, -1.0], [0.5, 1.0])),
        ("Uniform", ([0.0, 1.0], [1.0, 2.0]), "Normal", ([1.0, -1.0], [0.5, 1.0])),
        ("Uniform", ([0.5, -1.0], [1.0, 2.0]), "Exponential", ([1.0, 2.0],)),
        ("Bernoulli", ([0.3, 0.9],), "Poisson", ([2.0, 3.0],)),
        ("Poisson", ([1.5, 4.0],), "Binomial", ([5.0, 5.0], [0.2, 0.3])),
        ("Normal", ([0.0, 1.0], [1.0, 2.0]), "Uniform", ([0.0, 0.0], [1.0, 1.0])),
        ("Binomial", ([5.0, 6.0], [0.2, 0.7]), "Binomial", ([5.0, 5.0], [0.4, 0.5])),
        ("Pareto", ([1.0, 2.0], [3.0, 2.5]), "Pareto", ([0.5, 2.5], [2.0, 1.0])),
        ("Pareto", ([1.0, 2.0], [3.0, 2.5]), "Exponential", ([1.0, 2.0],)),
        ("Pareto", ([1.0, 2.0], [3.0, 2.5]), "Gamma", ([1.0, 2.0], [0.5, 1.5])),
        ("Pareto", ([1.0, 2.0], [3.0, 2.5]), "Normal", ([1.0, 2.0], [0.5, 1.5])),
        ("Uniform", ([1.5, 3.0], [2.0, 4.0]), "Pareto", ([1.0, 2.0], [3.0, 2.5])),
        ("Normal", ([1.0, 2.0], [0.5, 1.5]), "Pareto", ([1.0, 2.0], [3.0, 2.5])),
        ("ContinuousBernoulli", ([0.2, 0.7],), "ContinuousBernoulli", ([0.4, 0.5],)),
        ("Beta", ([2.0, 0.5], [1.5, 3.0]), "ContinuousBernoulli", ([0.4, 0.8],)),
        ("ContinuousBernoulli", ([0.2, 0.7],), "Exponential", ([1.0, 2.0],)),
        ("ContinuousBernoulli", ([0.2, 0.7],), "Normal", ([1.0, 2.0], [0.5, 1.5])),
        ("ContinuousBernoulli", ([0.2, 0.7],), "Uniform", ([-1.0, 0.5], [2.0, 3.0])),
        ("Uniform", ([0.1, 0.5], [0.7, 0.9]), "ContinuousBernoulli", ([0.2, 0.7],)),
        ("Gamma", ([1.0, 2.0], [0.5, 1.5]), "ContinuousBernoulli", ([0.2, 0.7],)),
    ]
    for p_name, p_args, q_name, q_args in pairs:
        ours = D.kl_divergence(getattr(D, p_name)(*map(c, p_args)),
                               getattr(D, q_name)(*map(c, q_args)))
        theirs = td.kl_divergence(getattr(td, p_name)(*map(t, p_args)),
                                  getattr(td, q_name)(*map(t, q_args)))
        np.testing.assert_allclose(to_numpy(ours), theirs.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{p_name} {q_name}")
    # transformed distributions whose transforms differ: no KL, as torch
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Weibull(c([1.0]), c([0.5])), D.Weibull(c([1.5]), c([1.0])))


def test_expand_and_module_paths(device):
    p = D.Poisson(_t([1.0, 2.0], device)).expand((3, 2))
    assert tuple(p.sample().shape) == (3, 2)
    g = D.Gumbel(_t([0.0, 1.0], device), _t([1.0, 1.0], device)).expand((4, 2))
    assert type(g) is D.Gumbel and tuple(g.rsample().shape) == (4, 2)
    h = D.HalfNormal(_t([1.0], device)).expand((5,))
    assert type(h) is D.HalfNormal and tuple(h.batch_shape) == (5,)
    s = D.StudentT(_t([3.0], device)).expand((2,))
    assert tuple(s.rsample((3,)).shape) == (3, 2)
    from clgrad.distributions.binomial import Binomial
    from clgrad.distributions.gumbel import Gumbel
    from clgrad.distributions.log_normal import LogNormal
    from clgrad.distributions.poisson import Poisson
    from clgrad.distributions.studentT import StudentT
    from clgrad.distributions.transforms import ExpTransform
    assert (Binomial, Gumbel, LogNormal, Poisson, StudentT) == \
        (D.Binomial, D.Gumbel, D.LogNormal, D.Poisson, D.StudentT)
    assert ExpTransform is D.ExpTransform
    assert clgrad.distributions.transformed_distribution.TransformedDistribution is \
        D.TransformedDistribution


@pytest.mark.parity
def test_class_hierarchy_matches_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    names = [n for n in dir(D) if isinstance(getattr(D, n), type)
             and issubclass(getattr(D, n), D.Distribution)]
    assert len(names) >= 24
    for name in names:
        ours, theirs = getattr(D, name), getattr(td, name)
        for base in ("ExponentialFamily", "TransformedDistribution"):
            assert issubclass(ours, getattr(D, base)) == issubclass(theirs, getattr(td, base)), \
                (name, base)


def test_bregman_kl_of_the_new_exponential_families(device):
    skip_without_fp64(device)
    f64 = clgrad.float64
    bregman = clgrad.distributions.kl_same_family._kl_expfamily_expfamily
    for p, q in ((D.Normal(_t([0.0, 1.0], device, f64), _t([1.0, 2.0], device, f64)),
                  D.Normal(_t([1.0, -1.0], device, f64), _t([0.5, 1.0], device, f64))),
                 (D.Exponential(_t([1.5, 0.5], device, f64)),
                  D.Exponential(_t([1.0, 2.0], device, f64))),
                 (D.Bernoulli(_t([0.3, 0.8], device, f64)),
                  D.Bernoulli(_t([0.5, 0.1], device, f64)))):
        np.testing.assert_allclose(to_numpy(bregman(p, q)), to_numpy(D.kl_divergence(p, q)),
                                   rtol=1e-9)
        np.testing.assert_allclose(to_numpy(D.ExponentialFamily.entropy(p)),
                                   to_numpy(p.entropy()),
                                   rtol=1e-9)


@pytest.mark.parity
def test_relaxed_distributions_match_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    td = torch.distributions

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    rb = D.RelaxedBernoulli(mk(0.5), mk([0.2, 0.7]))
    trb = td.RelaxedBernoulli(tk(0.5), tk([0.2, 0.7]))
    v = [0.3, 0.9]
    np.testing.assert_allclose(to_numpy(rb.log_prob(mk(v))), trb.log_prob(tk(v)).numpy(),
                               rtol=1e-10)
    probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    rc = D.RelaxedOneHotCategorical(mk(0.7), mk(probs))
    trc = td.RelaxedOneHotCategorical(tk(0.7), tk(probs))
    v = [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]
    np.testing.assert_allclose(to_numpy(rc.log_prob(mk(v))), trc.log_prob(tk(v)).numpy(),
                               rtol=1e-10)
    assert rb.has_rsample and rc.has_rsample
    assert repr(rc.support) == repr(trc.support)
    logits = mk([0.5, -1.0, 2.0]).requires_grad_()
    clgrad.manual_seed(0)
    y = D.RelaxedOneHotCategorical(mk(0.5), logits=logits).rsample((20000,))
    np.testing.assert_allclose(to_numpy(y.sum(-1)), 1.0, rtol=1e-9)
    # low temperature: samples near one-hot, each vertex as often as its probability
    wins = np.bincount(to_numpy(y).argmax(-1), minlength=3) / 20000
    np.testing.assert_allclose(wins, to_numpy(clgrad.softmax(logits, -1)), atol=0.015)
    y[:, 2].mean().backward()
    assert logits.grad is not None and to_numpy(logits.grad)[2] > 0
    x = D.RelaxedBernoulli(mk(0.1), mk([0.3])).rsample((20000,))
    np.testing.assert_allclose(to_numpy((x > 0.5).to(f64).mean()), 0.3, atol=0.015)
    st = D.OneHotCategoricalStraightThrough(logits=logits)
    s = st.rsample((3,))
    assert type(st).__mro__[1] is D.OneHotCategorical and s.grad_fn is not None
    from clgrad.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    from clgrad.distributions.relaxed_categorical import ExpRelaxedCategorical
    assert LogitRelaxedBernoulli.__name__ == td.relaxed_bernoulli.LogitRelaxedBernoulli.__name__
    assert ExpRelaxedCategorical.has_rsample


@pytest.mark.parity
def test_von_mises_matches_torch_and_its_law(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    loc, kappa = [0.5, -2.0, 3.0], [0.1, 2.0, 20.0]
    ours = D.VonMises(_t(loc, device, f64), _t(kappa, device, f64))
    theirs = torch.distributions.VonMises(torch.tensor(loc, dtype=torch.float64),
                                          torch.tensor(kappa, dtype=torch.float64))
    v = [0.1, -1.0, 3.1]
    np.testing.assert_allclose(to_numpy(ours.log_prob(_t(v, device, f64))),
                               theirs.log_prob(torch.tensor(v, dtype=torch.float64)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(to_numpy(ours.variance), theirs.variance.numpy(), rtol=1e-12)
    clgrad.manual_seed(0)
    x = to_numpy(D.VonMises(_t(loc, device), _t(kappa, device)).sample((30000,)))
    assert x.shape == (30000, 3) and (x >= -math.pi).all() and (x < math.pi).all()
    # the circular mean and the mean resultant length 1 - variance
    z = np.exp(1j * x).mean(0)
    np.testing.assert_allclose(np.angle(z[1:]), loc[1:], atol=0.03)
    np.testing.assert_allclose(np.abs(z), 1 - theirs.variance.numpy(), atol=0.015)
    assert tuple(D.VonMises(_t(0.0, device), _t(1.0, device)).expand((4,)).sample().shape) == (4,)


@pytest.mark.parity
def test_generalized_pareto_matches_torch(device):
    # float32: torch 2.13's GeneralizedPareto.log_prob compares float64 parameters with a
    # float32 zero and raises
    torch = pytest.importorskip("torch")
    loc, scale, conc = [0.2, -1.0, 2.0], [0.5, 1.0, 3.0], [0.0, 0.3, -0.2]
    ours = D.GeneralizedPareto(_t(loc, device), _t(scale, device), _t(conc, device))
    theirs = torch.distributions.GeneralizedPareto(torch.tensor(loc), torch.tensor(scale),
                                                   torch.tensor(conc))
    v, q = [0.5, 0.0, 2.5], [0.1, 0.5, 0.9]
    for method, arg in (("log_prob", v), ("cdf", v), ("icdf", q), ("log_survival_function", v)):
        np.testing.assert_allclose(to_numpy(getattr(ours, method)(_t(arg, device))),
                                   getattr(theirs, method)(torch.tensor(arg)).numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=method)
    for attr in ("mean", "variance", "mode"):
        np.testing.assert_allclose(to_numpy(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                   rtol=1e-6, err_msg=attr)
    np.testing.assert_allclose(to_numpy(ours.entropy()), theirs.entropy().numpy(), rtol=1e-6)
    clgrad.manual_seed(0)
    x = to_numpy(D.GeneralizedPareto(_t([0.0], device), _t([1.0], device),
                                     _t([0.2], device)).rsample((40000,)))
    np.testing.assert_allclose(x.mean(), 1 / 0.8, rtol=0.03)


@pytest.mark.parity
def test_every_torch_distributions_name_and_module_exists():
    torch = pytest.importorskip("torch")
    import pkgutil
    td = torch.distributions
    assert [n for n in td.__all__ if not hasattr(D, n)] == []
    assert [n for n in td.constraints.__all__ if not hasattr(D.constraints, n)] == []
    assert [n for n in td.transforms.__all__ if not hasattr(D.transforms, n)] == []
    modules = [m.name for m in pkgutil.iter_modules(td.__path__)]
    assert [m for m in modules if not hasattr(D, m)] == []
    assert [n for n in td.utils.__all__ if not hasattr(D.utils, n)] == []
    assert D.utils.euler_constant == td.utils.euler_constant
    mat = clgrad.arange(9.0).reshape(3, 3)
    vec = D.utils.tril_matrix_to_vec(mat, diag=-1)
    want = td.utils.tril_matrix_to_vec(torch.arange(9.0).reshape(3, 3), diag=-1)
    assert to_numpy(vec).tolist() == want.tolist()
    assert to_numpy(D.utils.vec_to_tril_matrix(vec, diag=-1)).tolist() == \
        td.utils.vec_to_tril_matrix(torch.tensor(to_numpy(vec)), diag=-1).tolist()
