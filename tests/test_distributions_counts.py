"""Poisson, Binomial, Multinomial, NegativeBinomial and MixtureSameFamily, and the samplers
clgrad.poisson / clgrad.binomial: their laws, torch's values and errors, reproducibility."""
import math

import numpy as np
import pytest

import clgrad
from helpers import DEVICES, skip_without_fp64, to_numpy

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


def test_poisson_samples_follow_the_law(device):
    clgrad.manual_seed(0)
    rates = [0.0, 0.3, 4.0, 9.5, 10.0, 60.0, 2000.0]
    x = to_numpy(clgrad.poisson(_t(rates, device).expand(20000, 7)))
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
    x = to_numpy(clgrad.binomial(_t(n, device).expand(20000, 8), _t(p, device).expand(20000, 8)))
    assert ((x >= 0) & (x <= n)).all() and (x == np.floor(x)).all()
    np.testing.assert_allclose(x.mean(0), n * p, rtol=0.03, atol=0.02)
    np.testing.assert_allclose(x.var(0), n * p * (1 - p), rtol=0.06, atol=0.02)
    b = D.Binomial(_t([10.0, 3.0], device), _t([0.2, 0.9], device))
    assert tuple(b.sample((6,)).shape) == (6, 2)


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
    assert to_numpy(rate.grad).tolist() == [0.0, 0.0]
    assert clgrad.binomial(_t([3.0], device), _t([0.5], device)).grad_fn is None


def test_counts_reproducible_and_alike_on_every_device():
    def draw(device):
        clgrad.manual_seed(5)
        return (to_numpy(clgrad.poisson(_t([0.5, 7.0, 30.0], device).expand(200, 3))),
                to_numpy(clgrad.binomial(_t([6.0, 100.0], device).expand(200, 2),
                                         _t([0.3, 0.45], device).expand(200, 2))))

    first = draw(DEVICES[0])
    for a, b in zip(first, draw(DEVICES[0])):
        np.testing.assert_array_equal(a, b)
    for device in DEVICES[1:]:
        other = draw(device)
        for a, b in zip(first, other):
            # counts are exact; an ulp apart in a uniform may flip a rare boundary draw
            assert (a != b).mean() < 0.01


@pytest.mark.parity
def test_multinomial_negative_binomial_and_mixture_match_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    td = torch.distributions

    def mk(x):
        return _t(x, device, f64)

    def tk(x):
        return torch.tensor(x, dtype=torch.float64)

    probs = [[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]
    m, tm = D.Multinomial(5, mk(probs)), td.Multinomial(5, tk(probs))
    value = [[1.0, 2.0, 2.0], [5.0, 0.0, 0.0]]
    np.testing.assert_allclose(to_numpy(m.log_prob(mk(value))), tm.log_prob(tk(value)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(to_numpy(m.entropy()), tm.entropy().numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(m.variance), tm.variance.numpy(), rtol=1e-12)
    assert repr(m.support).split("(")[0] == repr(tm.support).split("(")[0]
    clgrad.manual_seed(0)
    draws = to_numpy(m.sample((20000,)))
    assert draws.shape == (20000, 2, 3) and (draws.sum(-1) == 5).all()
    np.testing.assert_allclose(draws.mean(0), 5 * np.array(probs), atol=0.05)
    with pytest.raises(NotImplementedError, match="inhomogeneous"):
        D.Multinomial(mk([2.0]), mk(probs))
    nb = D.NegativeBinomial(mk([3.0, 0.5]), mk([0.4, 0.7]))
    tnb = td.NegativeBinomial(tk([3.0, 0.5]), tk([0.4, 0.7]))
    counts = [0.0, 4.0]
    np.testing.assert_allclose(to_numpy(nb.log_prob(mk(counts))), tnb.log_prob(tk(counts)).numpy(),
                               rtol=1e-12)
    for attr in ("mean", "mode", "variance"):
        np.testing.assert_allclose(to_numpy(getattr(nb, attr)), getattr(tnb, attr).numpy(),
                                   rtol=1e-12, err_msg=attr)
    x = to_numpy(nb.sample((40000,)))
    np.testing.assert_allclose(x.mean(0), tnb.mean.numpy(), rtol=0.03)
    np.testing.assert_allclose(x.var(0), tnb.variance.numpy(), rtol=0.08)
    mix = D.MixtureSameFamily(D.Categorical(mk([0.3, 0.7])),
                              D.Normal(mk([-1.0, 2.0]), mk([0.5, 1.0])))
    tmix = td.MixtureSameFamily(td.Categorical(tk([0.3, 0.7])),
                                td.Normal(tk([-1.0, 2.0]), tk([0.5, 1.0])))
    v = [0.3, -1.0, 2.5]
    for method in ("log_prob", "cdf"):
        np.testing.assert_allclose(to_numpy(getattr(mix, method)(mk(v))),
                                   getattr(tmix, method)(tk(v)).numpy(), rtol=1e-12)
    for attr in ("mean", "variance"):
        np.testing.assert_allclose(to_numpy(getattr(mix, attr)), getattr(tmix, attr).numpy(),
                                   rtol=1e-12)
    assert repr(mix).replace(f", device='{device}'", "") == \
        repr(tmix).replace("torch.", "clgrad.")
    assert repr(mix.support) == repr(tmix.support)
    s = to_numpy(mix.sample((40000,)))
    np.testing.assert_allclose([s.mean(), s.var()], [1.1, 2.665], rtol=0.04)
    vec = D.MixtureSameFamily(D.Categorical(mk([0.3, 0.7])),
                              D.Independent(D.Normal(mk([[0.0] * 3] * 2), mk([[1.0] * 3] * 2)), 1))
    tvec = td.MixtureSameFamily(td.Categorical(tk([0.3, 0.7])),
                                td.Independent(td.Normal(tk([[0.0] * 3] * 2),
                                                         tk([[1.0] * 3] * 2)), 1))
    assert tuple(vec.sample((4,)).shape) == (4, 3)
    np.testing.assert_allclose(to_numpy(vec.log_prob(mk([0.1, 0.2, 0.3]))),
                               tvec.log_prob(tk([0.1, 0.2, 0.3])).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(D.Categorical(mk([0.3, 0.2, 0.5])),
                            D.Normal(mk([-1.0, 2.0]), mk([0.5, 1.0])))
