"""Poisson, Binomial, Geometric, StudentT, Cauchy, LogNormal, HalfNormal, Gumbel, the
transforms and clgrad.poisson / clgrad.binomial, against torch and the samplers' laws."""
import math

import numpy as np
import pytest

import clgrad
from helpers import DEVICES, device_supports_fp64

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


def _np(t):
    return t.detach().cpu().numpy()


def _f64(device):
    if not device_supports_fp64(device):
        pytest.skip(f"{device} has no float64")
    return clgrad.float64


def test_poisson_samples_follow_the_law(device):
    clgrad.manual_seed(0)
    rates = [0.0, 0.3, 4.0, 9.5, 10.0, 60.0, 2000.0]
    x = _np(clgrad.poisson(_t(rates, device).expand(20000, 7)))
    assert x.dtype == np.float32 and (x == np.floor(x)).all() and (x >= 0).all()
    np.testing.assert_allclose(x.mean(0), rates, rtol=0.03, atol=0.02)
    np.testing.assert_allclose(x.var(0), rates, rtol=0.06, atol=0.02)
    # small rates: the probabilities of 0, 1, 2 themselves
    counts = np.bincount(x[:, 2].astype(int), minlength=3)[:3] / 20000
    want = [math.exp(-4) * 4 ** k / math.factorial(k) for k in range(3)]
    np.testing.assert_allclose(counts, want, atol=0.01)
    s = D.Poisson(_t([3.0], device)).sample((5, 2))
    assert tuple(s.shape) == (5, 2, 1)


def test_binomial_samples_follow_the_law(device):
    clgrad.manual_seed(1)
    n = np.array([0.0, 1.0, 7.0, 40.0, 40.0, 500.0, 12.0, 9.0])
    p = np.array([0.4, 0.5, 0.3, 0.1, 0.8, 0.35, 1.0, 0.0])
    x = _np(clgrad.binomial(_t(n, device).expand(20000, 8), _t(p, device).expand(20000, 8)))
    assert ((x >= 0) & (x <= n)).all() and (x == np.floor(x)).all()
    np.testing.assert_allclose(x.mean(0), n * p, rtol=0.03, atol=0.02)
    np.testing.assert_allclose(x.var(0), n * p * (1 - p), rtol=0.06, atol=0.02)
    b = D.Binomial(_t([10.0, 3.0], device), _t([0.2, 0.9], device))
    assert tuple(b.sample((6,)).shape) == (6, 2)


def test_geometric_studentt_and_transformed_samples(device):
    clgrad.manual_seed(2)
    g = _np(D.Geometric(_t([0.2, 0.7], device)).sample((30000,)))
    np.testing.assert_allclose(g.mean(0), [4.0, 0.3 / 0.7], rtol=0.05)
    s = _np(D.StudentT(_t([5.0], device), _t([1.0], device), _t([2.0], device)).sample((40000,)))
    np.testing.assert_allclose(s.mean(), 1.0, atol=0.06)
    np.testing.assert_allclose(s.var(), 4.0 * 5 / 3, rtol=0.1)
    ln = _np(D.LogNormal(_t([0.2], device), _t([0.5], device)).sample((40000,)))
    np.testing.assert_allclose(ln.mean(), math.exp(0.2 + 0.125), rtol=0.02)
    hn = _np(D.HalfNormal(_t([2.0], device)).sample((40000,)))
    assert (hn >= 0).all()
    np.testing.assert_allclose(hn.mean(), 2.0 * math.sqrt(2 / math.pi), rtol=0.02)
    gu = _np(D.Gumbel(_t([1.0], device), _t([2.0], device)).sample((40000,)))
    np.testing.assert_allclose(gu.mean(), 1.0 + 2.0 * 0.5772156649, atol=0.05)
    c = _np(D.Cauchy(_t([1.0], device), _t([0.5], device)).sample((40000,)))
    np.testing.assert_allclose(np.median(c), 1.0, atol=0.03)
    hc = _np(D.HalfCauchy(_t([2.0], device)).sample((40000,)))
    np.testing.assert_allclose(np.median(hc), 2.0, rtol=0.05)  # tan(pi / 4) * scale
    pa = _np(D.Pareto(_t([1.5], device), _t([4.0], device)).sample((40000,)))
    assert (pa >= 1.5).all()
    np.testing.assert_allclose(pa.mean(), 4.0 * 1.5 / 3.0, rtol=0.03)
    wb = _np(D.Weibull(_t([2.0], device), _t([1.5], device)).sample((40000,)))
    np.testing.assert_allclose(wb.mean(), 2.0 * math.gamma(1 + 1 / 1.5), rtol=0.03)
    ig = _np(D.InverseGamma(_t([5.0], device), _t([2.0], device)).rsample((40000,)))
    np.testing.assert_allclose(ig.mean(), 2.0 / 4.0, rtol=0.03)
    ku = _np(D.Kumaraswamy(_t([2.0], device), _t([3.0], device)).rsample((40000,)))
    np.testing.assert_allclose(ku.mean(), 3 * math.gamma(1.5) * math.gamma(3) / math.gamma(4.5),
                               rtol=0.02)
    fs = _np(D.FisherSnedecor(_t([4.0], device), _t([8.0], device)).rsample((40000,)))
    np.testing.assert_allclose(fs.mean(), 8.0 / 6.0, rtol=0.04)
    cb = _np(D.ContinuousBernoulli(_t([0.8], device)).rsample((40000,)))
    np.testing.assert_allclose(cb.mean(), _np(D.ContinuousBernoulli(_t([0.8], device)).mean),
                               rtol=0.02)
    ln = _np(D.LogisticNormal(_t([0.0, 1.0], device), _t([1.0, 0.5], device)).sample((10,)))
    assert ln.shape == (10, 3) and np.allclose(ln.sum(-1), 1, rtol=1e-5)


def test_rsample_gradients_of_transformed_and_studentt(device):
    clgrad.manual_seed(3)
    loc = _t([0.1], device).requires_grad_()
    scale = _t([0.4], device).requires_grad_()
    D.LogNormal(loc, scale).rsample((20000,)).mean().backward()
    m = math.exp(0.1 + 0.08)  # d/dloc E = E, d/dscale E = scale * E
    np.testing.assert_allclose(_np(loc.grad), [m], rtol=0.05)
    np.testing.assert_allclose(_np(scale.grad), [0.4 * m], rtol=0.1)
    df = _t([4.0], device).requires_grad_()
    y = D.StudentT(df).rsample((10,))
    y.sum().backward()
    assert df.grad is not None and np.isfinite(_np(df.grad)).all()
    assert not D.Poisson(_t([1.0], device)).has_rsample
    assert D.Gumbel(_t([0.0], device), _t([1.0], device)).has_rsample


@pytest.mark.parity
def test_families_match_torch_exactly_in_float64(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
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
        np.testing.assert_allclose(_np(ours.log_prob(mk(value))),
                                   theirs.log_prob(tk(value)).numpy(), rtol=1e-12, err_msg=name)
        for attr in ("mean", "mode", "variance", "stddev"):
            try:
                want = getattr(theirs, attr).numpy()
            except NotImplementedError:  # ContinuousBernoulli has no mode in torch either
                with pytest.raises(NotImplementedError):
                    getattr(ours, attr)
                continue
            np.testing.assert_allclose(_np(getattr(ours, attr)), want, rtol=1e-12,
                                       err_msg=f"{name}.{attr}")
        try:
            want = theirs.entropy().numpy()
        except NotImplementedError:  # Poisson: an exponential family with no carrier measure
            with pytest.raises(NotImplementedError):
                ours.entropy()
        else:
            np.testing.assert_allclose(_np(ours.entropy()), want, rtol=1e-12, err_msg=name)
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
            np.testing.assert_allclose(_np(ours.cdf(mk(value))), theirs.cdf(tk(value)).numpy(),
                                       rtol=1e-12, err_msg=name)
            q = [0.1, 0.5, 0.8]
            np.testing.assert_allclose(_np(ours.icdf(mk(q))), theirs.icdf(tk(q)).numpy(),
                                       rtol=1e-10, err_msg=name)
    b = D.Binomial(mk([4.0, 4.0]), mk([0.3, 0.6]))
    np.testing.assert_allclose(_np(b.enumerate_support()),
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
        np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=f"{p_name} {q_name}")
    # transformed distributions whose transforms differ: no KL, as torch
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Weibull(c([1.0]), c([0.5])), D.Weibull(c([1.5]), c([1.0])))


@pytest.mark.parity
def test_sampler_and_validation_errors_match_torch(device):
    torch = pytest.importorskip("torch")
    td = torch.distributions
    raising = [
        (lambda: clgrad.poisson(clgrad.tensor([1, 2], device=device)),
         lambda: torch.poisson(torch.tensor([1, 2]))),
        (lambda: clgrad.binomial(clgrad.tensor([1, 2], device=device), _t([0.5, 0.5], device)),
         lambda: torch.binomial(torch.tensor([1, 2]), torch.tensor([0.5, 0.5]))),
        (lambda: clgrad.binomial(_t([1.0], device), _t([0.5], device, clgrad.float16)),
         lambda: torch.binomial(torch.tensor([1.0]), torch.tensor([0.5], dtype=torch.half))),
        (lambda: clgrad.poisson(_t([1.0], device), generator=3),
         lambda: torch.poisson(torch.tensor([1.0]), generator=3)),
        (lambda: clgrad.binomial(_t([1.0], device, clgrad.float16),
                                 _t([0.5], device, clgrad.float16)),
         lambda: torch.binomial(torch.tensor([1.0], dtype=torch.half),
                                torch.tensor([0.5], dtype=torch.half))),
        (lambda: clgrad._standard_gamma(_t([1.0], device, clgrad.bfloat16)),
         lambda: torch._standard_gamma(torch.tensor([1.0], dtype=torch.bfloat16))),
        (lambda: clgrad._sample_dirichlet(_t([[1.0, 2.0]], device, clgrad.float16)),
         lambda: torch._sample_dirichlet(torch.tensor([[1.0, 2.0]], dtype=torch.half))),
    ]
    if device == "cpu":
        raising.append((lambda: clgrad.poisson(_t([-1.0], device)),
                        lambda: torch.poisson(torch.tensor([-1.0]))))
    for ours, theirs in raising:
        with pytest.raises(Exception) as expected:
            theirs()
        with pytest.raises(type(expected.value)) as got:
            ours()
        assert str(got.value) == str(expected.value).replace("torch.", "clgrad.")
    invalid = [
        (lambda: D.Poisson(_t([-1.0], device)), lambda: td.Poisson(torch.tensor([-1.0]))),
        (lambda: D.Geometric(_t([0.0], device)), lambda: td.Geometric(torch.tensor([0.0]))),
        (lambda: D.Binomial(_t([2.5], device), _t([0.5], device)),
         lambda: td.Binomial(torch.tensor([2.5]), torch.tensor([0.5]))),
        (lambda: D.StudentT(_t([-1.0], device)), lambda: td.StudentT(torch.tensor([-1.0]))),
        (lambda: D.HalfNormal(_t([-1.0], device)), lambda: td.HalfNormal(torch.tensor([-1.0]))),
        (lambda: D.Poisson(_t([1.0], device)).log_prob(_t([0.5], device)),
         lambda: td.Poisson(torch.tensor([1.0])).log_prob(torch.tensor([0.5]))),
        (lambda: D.Binomial(_t([3.0], device), _t([0.5], device)).log_prob(_t([4.0], device)),
         lambda: td.Binomial(torch.tensor([3.0]), torch.tensor([0.5])).log_prob(
             torch.tensor([4.0]))),
        (lambda: D.Binomial(_t([3.0], device)), lambda: td.Binomial(torch.tensor([3.0]))),
    ]
    for ours, theirs in invalid:
        with pytest.raises(ValueError) as expected:
            theirs()
        with pytest.raises(ValueError) as got:
            ours()
        mine = str(got.value).replace(f", device='{device}'", "").split("\n")[0]
        assert mine == str(expected.value).replace("torch.", "clgrad.").split("\n")[0]


def test_poisson_gradient_is_zero_and_binomial_records_nothing(device):
    rate = _t([1.0, 20.0], device).requires_grad_()
    out = clgrad.poisson(rate)
    assert type(out.grad_fn).__name__ == "PoissonBackward0"
    out.sum().backward()
    assert _np(rate.grad).tolist() == [0.0, 0.0]
    assert clgrad.binomial(_t([3.0], device), _t([0.5], device)).grad_fn is None


def test_counts_reproducible_and_alike_on_every_device():
    def draw(device):
        clgrad.manual_seed(5)
        return (_np(clgrad.poisson(_t([0.5, 7.0, 30.0], device).expand(200, 3))),
                _np(clgrad.binomial(_t([6.0, 100.0], device).expand(200, 2),
                                    _t([0.3, 0.45], device).expand(200, 2))))

    first = draw(DEVICES[0])
    for a, b in zip(first, draw(DEVICES[0])):
        np.testing.assert_array_equal(a, b)
    for device in DEVICES[1:]:
        other = draw(device)
        for a, b in zip(first, other):
            # counts are exact; an ulp apart in a uniform may flip a rare boundary draw
            assert (a != b).mean() < 0.01


def test_transforms_invert_and_compose(device):
    x = _t([-1.0, 0.0, 2.0], device)
    for tr in (D.ExpTransform(), D.AffineTransform(1.0, -2.0), D.SigmoidTransform(),
               D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0.5, 3.0)])):
        y = tr(x)
        np.testing.assert_allclose(_np(tr.inv(y)), _np(x), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(tr.inv.log_abs_det_jacobian(y, x)),
                                   -_np(tr.log_abs_det_jacobian(x, y)), rtol=1e-6)
    assert D.ExpTransform() == D.ExpTransform() and D.ExpTransform().inv.inv == D.ExpTransform()
    assert D.AffineTransform(0.0, -1.0).sign == -1
    assert repr(D.ExpTransform().inv) == "_InverseTransform(ExpTransform())"
    ln = D.TransformedDistribution(D.Normal(_t([0.0], device), _t([1.0], device)),
                                   D.ExpTransform())
    v = _t([0.5, 2.0], device)
    np.testing.assert_allclose(_np(ln.log_prob(v)),
                               _np(D.LogNormal(_t([0.0], device), _t([1.0], device)).log_prob(v)),
                               rtol=1e-6)
    assert tuple(ln.expand((3, 1)).sample((2,)).shape) == (2, 3, 1)


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
    f64 = _f64(device)
    bregman = clgrad.distributions.kl_same_family._kl_expfamily_expfamily
    for p, q in ((D.Normal(_t([0.0, 1.0], device, f64), _t([1.0, 2.0], device, f64)),
                  D.Normal(_t([1.0, -1.0], device, f64), _t([0.5, 1.0], device, f64))),
                 (D.Exponential(_t([1.5, 0.5], device, f64)),
                  D.Exponential(_t([1.0, 2.0], device, f64))),
                 (D.Bernoulli(_t([0.3, 0.8], device, f64)),
                  D.Bernoulli(_t([0.5, 0.1], device, f64)))):
        np.testing.assert_allclose(_np(bregman(p, q)), _np(D.kl_divergence(p, q)), rtol=1e-9)
        np.testing.assert_allclose(_np(D.ExponentialFamily.entropy(p)), _np(p.entropy()),
                                   rtol=1e-9)


@pytest.mark.parity
def test_lowrank_multivariate_normal_matches_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    td = torch.distributions
    loc = [[0.5, -1.0, 0.0], [1.0, 2.0, -0.5]]
    W = [[[1.0, 0.2], [0.3, -0.5], [0.0, 0.7]]]
    d = [0.5, 1.0, 2.0]
    value = [[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]]

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    ours = D.LowRankMultivariateNormal(mk(loc), mk(W), mk(d))
    theirs = td.LowRankMultivariateNormal(tk(loc), tk(W), tk(d))
    assert tuple(ours.batch_shape) == (2,) and tuple(ours.event_shape) == (3,)
    np.testing.assert_allclose(_np(ours.log_prob(mk(value))), theirs.log_prob(tk(value)).numpy(),
                               rtol=1e-10)
    np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-10)
    for attr in ("variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=attr)
    cov = [[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 1.5]]
    mvn = D.MultivariateNormal(mk([0.0, 1.0, 0.0]), mk(cov))
    tmvn = td.MultivariateNormal(tk([0.0, 1.0, 0.0]), tk(cov))
    other = D.LowRankMultivariateNormal(mk([0.0, 0.0, 1.0]), mk(W), mk([1.0, 1.0, 1.0]))
    tother = td.LowRankMultivariateNormal(tk([0.0, 0.0, 1.0]), tk(W), tk([1.0, 1.0, 1.0]))
    for p, q, tp, tq in ((ours, other, theirs, tother), (mvn, ours, tmvn, theirs),
                         (ours, mvn, theirs, tmvn)):
        np.testing.assert_allclose(_np(D.kl_divergence(p, q)),
                                   td.kl_divergence(tp, tq).numpy(), rtol=1e-9)
    clgrad.manual_seed(0)
    x = _np(D.LowRankMultivariateNormal(mk([0.0, 1.0, 0.0]), mk(W[0]), mk(d)).sample((20000,)))
    np.testing.assert_allclose(np.cov(x.T), np.array(W[0]) @ np.array(W[0]).T + np.diag(d),
                               atol=0.08)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
        D.LowRankMultivariateNormal(mk([0.0, 1.0]), mk(W), mk(d))


@pytest.mark.parity
def test_multinomial_negative_binomial_and_mixture_match_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    td = torch.distributions

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    m, tm = D.Multinomial(5, mk(probs)), td.Multinomial(5, tk(probs))
    value = [[1.0, 2.0, 2.0], [5.0, 0.0, 0.0]]
    np.testing.assert_allclose(_np(m.log_prob(mk(value))), tm.log_prob(tk(value)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(m.entropy()), tm.entropy().numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(m.variance), tm.variance.numpy(), rtol=1e-12)
    assert repr(m.support).split("(")[0] == repr(tm.support).split("(")[0]
    clgrad.manual_seed(0)
    draws = _np(m.sample((20000,)))
    assert draws.shape == (20000, 2, 3) and (draws.sum(-1) == 5).all()
    np.testing.assert_allclose(draws.mean(0), 5 * np.array(probs), atol=0.05)
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Multinomial(mk([2.0]), mk(probs))
    nb = D.NegativeBinomial(mk([3.0, 0.5]), mk([0.4, 0.7]))
    tnb = td.NegativeBinomial(tk([3.0, 0.5]), tk([0.4, 0.7]))
    counts = [0.0, 4.0]
    np.testing.assert_allclose(_np(nb.log_prob(mk(counts))), tnb.log_prob(tk(counts)).numpy(),
                               rtol=1e-12)
    for attr in ("mean", "mode", "variance"):
        np.testing.assert_allclose(_np(getattr(nb, attr)), getattr(tnb, attr).numpy(),
                                   rtol=1e-12, err_msg=attr)
    x = _np(nb.sample((40000,)))
    np.testing.assert_allclose(x.mean(0), tnb.mean.numpy(), rtol=0.03)
    np.testing.assert_allclose(x.var(0), tnb.variance.numpy(), rtol=0.08)
    mix = D.MixtureSameFamily(D.Categorical(mk([0.3, 0.7])),
                              D.Normal(mk([-1.0, 2.0]), mk([0.5, 1.0])))
    tmix = td.MixtureSameFamily(td.Categorical(tk([0.3, 0.7])),
                                td.Normal(tk([-1.0, 2.0]), tk([0.5, 1.0])))
    v = [0.3, -1.0, 2.5]
    for method in ("log_prob", "cdf"):
        np.testing.assert_allclose(_np(getattr(mix, method)(mk(v))),
                                   getattr(tmix, method)(tk(v)).numpy(), rtol=1e-12)
    for attr in ("mean", "variance"):
        np.testing.assert_allclose(_np(getattr(mix, attr)), getattr(tmix, attr).numpy(),
                                   rtol=1e-12)
    assert repr(mix).replace(f", device='{device}'", "") == \
        repr(tmix).replace("torch.", "clgrad.")
    assert repr(mix.support) == repr(tmix.support)
    s = _np(mix.sample((40000,)))
    np.testing.assert_allclose([s.mean(), s.var()], [1.1, 2.665], rtol=0.04)
    vec = D.MixtureSameFamily(D.Categorical(mk([0.3, 0.7])),
                              D.Independent(D.Normal(mk([[0.0] * 3] * 2), mk([[1.0] * 3] * 2)), 1))
    tvec = td.MixtureSameFamily(td.Categorical(tk([0.3, 0.7])),
                                td.Independent(td.Normal(tk([[0.0] * 3] * 2),
                                                         tk([[1.0] * 3] * 2)), 1))
    assert tuple(vec.sample((4,)).shape) == (4, 3)
    np.testing.assert_allclose(_np(vec.log_prob(mk([0.1, 0.2, 0.3]))),
                               tvec.log_prob(tk([0.1, 0.2, 0.3])).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(mk([0.3, 0.2, 0.5])),
                            D.Normal(mk([-1.0, 2.0]), mk([0.5, 1.0])))


@pytest.mark.parity
def test_transforms_match_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    tt = torch.distributions.transforms
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1]]
    pos = [[0.5, 1.2, 3.0], [2.0, 0.3, 0.1]]
    cases = [("ExpTransform", (), x), ("SigmoidTransform", (), x), ("TanhTransform", (), x),
             ("SoftplusTransform", (), x), ("AbsTransform", (), x),
             ("PowerTransform", (2.5,), pos), ("AffineTransform", (0.5, -2.0), x),
             ("StickBreakingTransform", (), x), ("SoftmaxTransform", (), x)]
    for name, args, value in cases:
        ours = getattr(D, name)(*[_t(a, device, f64) if name == "PowerTransform" else a
                                  for a in args])
        theirs = getattr(tt, name)(*[torch.tensor(a, dtype=torch.float64)
                                     if name == "PowerTransform" else a for a in args])
        cx, tx = _t(value, device, f64), torch.tensor(value, dtype=torch.float64)
        y, ty = ours(cx), theirs(tx)
        np.testing.assert_allclose(_np(y), ty.numpy(), rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(_np(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
        if name not in ("AbsTransform", "SoftmaxTransform"):
            np.testing.assert_allclose(_np(ours.log_abs_det_jacobian(cx, y)),
                                       theirs.log_abs_det_jacobian(tx, ty).numpy(),
                                       rtol=1e-10, err_msg=name)
        assert repr(ours.domain) == repr(theirs.domain), name
        assert repr(ours.codomain) == repr(theirs.codomain), name
        assert ours.bijective == theirs.bijective, name
    sb, tsb = D.StickBreakingTransform(), tt.StickBreakingTransform()
    assert tuple(sb.forward_shape((4, 3))) == tuple(tsb.forward_shape((4, 3))) == (4, 4)
    ind = D.IndependentTransform(D.ExpTransform(), 1)
    tind = tt.IndependentTransform(tt.ExpTransform(), 1)
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    np.testing.assert_allclose(_np(ind.log_abs_det_jacobian(cx, ind(cx))),
                               tind.log_abs_det_jacobian(tx, tind(tx)).numpy(), rtol=1e-12)
    assert repr(ind) == repr(tind)
    rs = D.ReshapeTransform((2, 3), (6,))
    assert tuple(rs(cx).shape) == (6,) and tuple(rs.inverse_shape((5, 6))) == (5, 2, 3)
    # the squashed Gaussian of soft actor-critic: rsample and log_prob through tanh
    loc = _t([0.1, -0.4], device, f64).requires_grad_()
    scale = _t([0.5, 1.2], device, f64)
    pi = D.TransformedDistribution(D.Normal(loc, scale), [D.TanhTransform(cache_size=1)])
    tpi = torch.distributions.TransformedDistribution(
        torch.distributions.Normal(torch.tensor([0.1, -0.4], dtype=torch.float64),
                                   torch.tensor([0.5, 1.2], dtype=torch.float64)),
        [tt.TanhTransform(cache_size=1)])
    a = pi.rsample((5,))
    assert ((a > -1) & (a < 1)).all()
    np.testing.assert_allclose(_np(pi.log_prob(a)),
                               tpi.log_prob(torch.tensor(_np(a), dtype=torch.float64)).numpy(),
                               rtol=1e-8)
    pi.log_prob(a).sum().backward()
    assert loc.grad is not None


@pytest.mark.parity
def test_relaxed_distributions_match_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    td = torch.distributions

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    rb = D.RelaxedBernoulli(mk(0.5), mk([0.2, 0.7]))
    trb = td.RelaxedBernoulli(tk(0.5), tk([0.2, 0.7]))
    v = [0.3, 0.9]
    np.testing.assert_allclose(_np(rb.log_prob(mk(v))), trb.log_prob(tk(v)).numpy(), rtol=1e-10)
    probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    rc = D.RelaxedOneHotCategorical(mk(0.7), mk(probs))
    trc = td.RelaxedOneHotCategorical(tk(0.7), tk(probs))
    v = [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]
    np.testing.assert_allclose(_np(rc.log_prob(mk(v))), trc.log_prob(tk(v)).numpy(), rtol=1e-10)
    assert rb.has_rsample and rc.has_rsample
    assert repr(rc.support) == repr(trc.support)
    logits = mk([0.5, -1.0, 2.0]).requires_grad_()
    clgrad.manual_seed(0)
    y = D.RelaxedOneHotCategorical(mk(0.5), logits=logits).rsample((20000,))
    np.testing.assert_allclose(_np(y.sum(-1)), 1.0, rtol=1e-9)
    # low temperature: samples near one-hot, each vertex as often as its probability
    wins = np.bincount(_np(y).argmax(-1), minlength=3) / 20000
    np.testing.assert_allclose(wins, _np(clgrad.softmax(logits, -1)), atol=0.015)
    y[:, 2].mean().backward()
    assert logits.grad is not None and _np(logits.grad)[2] > 0
    x = D.RelaxedBernoulli(mk(0.1), mk([0.3])).rsample((20000,))
    np.testing.assert_allclose(_np((x > 0.5).to(f64).mean()), 0.3, atol=0.015)
    st = D.OneHotCategoricalStraightThrough(logits=logits)
    s = st.rsample((3,))
    assert type(st).__mro__[1] is D.OneHotCategorical and s.grad_fn is not None
    from clgrad.distributions.relaxed_bernoulli import LogitRelaxedBernoulli
    from clgrad.distributions.relaxed_categorical import ExpRelaxedCategorical
    assert LogitRelaxedBernoulli.__name__ == td.relaxed_bernoulli.LogitRelaxedBernoulli.__name__
    assert ExpRelaxedCategorical.has_rsample


@pytest.mark.parity
def test_logistic_normal_matches_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    ours = D.LogisticNormal(_t([0.0, 1.0], device, f64), _t([1.0, 0.5], device, f64))
    theirs = torch.distributions.LogisticNormal(torch.tensor([0.0, 1.0], dtype=torch.float64),
                                                torch.tensor([1.0, 0.5], dtype=torch.float64))
    v = [0.2, 0.5, 0.3]
    np.testing.assert_allclose(_np(ours.log_prob(_t(v, device, f64))),
                               theirs.log_prob(torch.tensor(v, dtype=torch.float64)).numpy(),
                               rtol=1e-10)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape) == (3,)
    assert repr(ours.support) == repr(theirs.support)


@pytest.mark.parity
def test_biject_to_and_transform_to_match_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    tc = torch.distributions.constraints
    C = D.constraints
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1], [0.4, 0.0, -2.0]]
    pairs = [(C.real, tc.real), (C.positive, tc.positive), (C.nonnegative, tc.nonnegative),
             (C.greater_than(2.0), tc.greater_than(2.0)), (C.less_than(-1.0), tc.less_than(-1.0)),
             (C.interval(-2.0, 3.0), tc.interval(-2.0, 3.0)), (C.unit_interval, tc.unit_interval),
             (C.simplex, tc.simplex), (C.real_vector, tc.real_vector),
             (C.independent(C.positive, 1), tc.independent(tc.positive, 1)),
             (C.lower_cholesky, tc.lower_cholesky), (C.positive_definite, tc.positive_definite)]
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    for ours_c, theirs_c in pairs:
        for ours_reg, theirs_reg in ((D.transform_to, torch.distributions.transform_to),
                                     (D.biject_to, torch.distributions.biject_to)):
            try:
                theirs = theirs_reg(theirs_c)
            except NotImplementedError:
                with pytest.raises(NotImplementedError):
                    ours_reg(ours_c)
                continue
            ours = ours_reg(ours_c)
            assert type(ours).__name__ == type(theirs).__name__, repr(theirs_c)
            y = ours(cx)
            np.testing.assert_allclose(_np(y), theirs(tx).numpy(), rtol=1e-10,
                                       err_msg=repr(theirs_c))
            assert bool(ours_c.check(y).all()), repr(theirs_c)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.biject_to(C.boolean)


@pytest.mark.parity
def test_von_mises_matches_torch_and_its_law(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    loc, kappa = [0.5, -2.0, 3.0], [0.1, 2.0, 20.0]
    ours = D.VonMises(_t(loc, device, f64), _t(kappa, device, f64))
    theirs = torch.distributions.VonMises(torch.tensor(loc, dtype=torch.float64),
                                          torch.tensor(kappa, dtype=torch.float64))
    v = [0.1, -1.0, 3.1]
    np.testing.assert_allclose(_np(ours.log_prob(_t(v, device, f64))),
                               theirs.log_prob(torch.tensor(v, dtype=torch.float64)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(ours.variance), theirs.variance.numpy(), rtol=1e-12)
    clgrad.manual_seed(0)
    x = _np(D.VonMises(_t(loc, device), _t(kappa, device)).sample((30000,)))
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
        np.testing.assert_allclose(_np(getattr(ours, method)(_t(arg, device))),
                                   getattr(theirs, method)(torch.tensor(arg)).numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=method)
    for attr in ("mean", "variance", "mode"):
        np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                   rtol=1e-6, err_msg=attr)
    np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-6)
    clgrad.manual_seed(0)
    x = _np(D.GeneralizedPareto(_t([0.0], device), _t([1.0], device),
                                _t([0.2], device)).rsample((40000,)))
    np.testing.assert_allclose(x.mean(), 1 / 0.8, rtol=0.03)


@pytest.mark.parity
def test_structural_transforms_match_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    tt = torch.distributions.transforms
    x = [[-1.5, 0.2, 0.7], [2.0, -0.3, 0.1]]
    cx, tx = _t(x, device, f64), torch.tensor(x, dtype=torch.float64)
    cases = [
        (D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0)], dim=-1, lengths=[1, 2]),
         tt.CatTransform([tt.ExpTransform(), tt.AffineTransform(1.0, 2.0)], dim=-1,
                         lengths=[1, 2])),
        (D.StackTransform([D.ExpTransform(), D.TanhTransform()], dim=0),
         tt.StackTransform([tt.ExpTransform(), tt.TanhTransform()], dim=0)),
        (D.CorrCholeskyTransform(), tt.CorrCholeskyTransform()),
        (D.CumulativeDistributionTransform(D.Normal(_t(0.0, device, f64), _t(1.0, device, f64))),
         tt.CumulativeDistributionTransform(torch.distributions.Normal(
             torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)))),
    ]
    for ours, theirs in cases:
        name = type(ours).__name__
        y, ty = ours(cx), theirs(tx)
        np.testing.assert_allclose(_np(y), ty.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(_np(ours.inv(y)), theirs.inv(ty).numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)
        np.testing.assert_allclose(_np(ours.log_abs_det_jacobian(cx, y)),
                                   theirs.log_abs_det_jacobian(tx, ty).numpy(), rtol=1e-10,
                                   err_msg=name)
        assert repr(ours.codomain).split("(")[0] == repr(theirs.codomain).split("(")[0], name
    L = D.CorrCholeskyTransform()(cx)
    assert tuple(L.shape) == (2, 3, 3) and bool(D.constraints.corr_cholesky.check(L).all())
    assert type(D.biject_to(D.constraints.corr_cholesky)) is D.CorrCholeskyTransform
    cat = D.biject_to(D.constraints.cat([D.constraints.positive, D.constraints.real], -1, [1, 2]))
    assert type(cat) is D.CatTransform and bool((cat(cx)[..., 0] > 0).all())


@pytest.mark.parity
def test_lkj_cholesky_matches_torch_and_is_a_correlation_factor(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    ours = D.LKJCholesky(3, _t([0.5, 2.0], device, f64))
    theirs = torch.distributions.LKJCholesky(3, torch.tensor([0.5, 2.0], dtype=torch.float64))
    clgrad.manual_seed(0)
    L = ours.sample((4000,))
    assert tuple(L.shape) == (4000, 2, 3, 3)
    assert bool(D.constraints.corr_cholesky.check(L).all())
    value = _np(L[:5])
    np.testing.assert_allclose(_np(ours.log_prob(L[:5])),
                               theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)
    # LKJ(eta) in dimension 3: each correlation has variance 1 / (2 eta + 2)
    corr = _np(L @ L.mT)[:, :, 1, 0]
    np.testing.assert_allclose(corr.var(0), [1 / 3.0, 1 / 6.0], rtol=0.1)
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        D.LKJCholesky(1)


@pytest.mark.parity
def test_wishart_matches_torch(device):
    torch = pytest.importorskip("torch")
    f64 = _f64(device)
    td = torch.distributions
    cov = [[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 1.5]]
    ref = td.Wishart(torch.tensor([5.0, 7.0], dtype=torch.float64),
                     covariance_matrix=torch.tensor(cov, dtype=torch.float64))
    for kw in ("covariance_matrix", "precision_matrix", "scale_tril"):
        m = getattr(ref, kw)[0].numpy().tolist()
        ours = D.Wishart(_t([5.0, 7.0], device, f64), **{kw: _t(m, device, f64)})
        theirs = td.Wishart(torch.tensor([5.0, 7.0], dtype=torch.float64),
                            **{kw: torch.tensor(m, dtype=torch.float64)})
        clgrad.manual_seed(0)
        s = ours.rsample((3,))
        assert tuple(s.shape) == (3, 2, 3, 3)
        np.testing.assert_allclose(_np(ours.log_prob(s)),
                                   theirs.log_prob(torch.tensor(_np(s))).numpy(), rtol=1e-10)
        for attr in ("mean", "mode", "variance", "precision_matrix", "covariance_matrix"):
            np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                       rtol=1e-10, atol=1e-12, err_msg=f"{kw} {attr}")
        np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-10)
    np.testing.assert_allclose(_np(D.ExponentialFamily.entropy(ours)), _np(ours.entropy()),
                               rtol=1e-8)
    clgrad.manual_seed(1)
    x = _np(D.Wishart(_t(6.0, device), covariance_matrix=_t(cov, device)).sample((20000,)))
    np.testing.assert_allclose(x.mean(0) / 6, cov, atol=0.05)
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1"):
        D.Wishart(_t(1.0, device), covariance_matrix=_t(cov, device))


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
    assert _np(vec).tolist() == td.utils.tril_matrix_to_vec(torch.arange(9.0).reshape(3, 3),
                                                            diag=-1).tolist()
    assert _np(D.utils.vec_to_tril_matrix(vec, diag=-1)).tolist() == \
        td.utils.vec_to_tril_matrix(torch.tensor(_np(vec)), diag=-1).tolist()
