"""LowRankMultivariateNormal, LKJCholesky and Wishart against torch and their laws."""
import numpy as np
import pytest

import clgrad
from helpers import skip_without_fp64, to_numpy

D = clgrad.distributions


def _t(x, device, dtype=clgrad.float32):
    return clgrad.tensor(x, dtype=dtype, device=device)


@pytest.mark.parity
def test_lowrank_multivariate_normal_matches_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
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
    np.testing.assert_allclose(to_numpy(ours.log_prob(mk(value))),
                               theirs.log_prob(tk(value)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(ours.entropy()), theirs.entropy().numpy(), rtol=1e-10)
    for attr in ("variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        np.testing.assert_allclose(to_numpy(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=attr)
    cov = [[2.0, 0.3, 0.0], [0.3, 1.0, 0.1], [0.0, 0.1, 1.5]]
    mvn = D.MultivariateNormal(mk([0.0, 1.0, 0.0]), mk(cov))
    tmvn = td.MultivariateNormal(tk([0.0, 1.0, 0.0]), tk(cov))
    other = D.LowRankMultivariateNormal(mk([0.0, 0.0, 1.0]), mk(W), mk([1.0, 1.0, 1.0]))
    tother = td.LowRankMultivariateNormal(tk([0.0, 0.0, 1.0]), tk(W), tk([1.0, 1.0, 1.0]))
    for p, q, tp, tq in ((ours, other, theirs, tother), (mvn, ours, tmvn, theirs),
                         (ours, mvn, theirs, tmvn)):
        np.testing.assert_allclose(to_numpy(D.kl_divergence(p, q)),
                                   td.kl_divergence(tp, tq).numpy(), rtol=1e-9)
    clgrad.manual_seed(0)
    x = to_numpy(D.LowRankMultivariateNormal(mk([0.0, 1.0, 0.0]), mk(W[0]), mk(d)).sample((20000,)))
    np.testing.assert_allclose(np.cov(x.T), np.array(W[0]) @ np.array(W[0]).T + np.diag(d),
                               atol=0.08)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices"):
        D.LowRankMultivariateNormal(mk([0.0, 1.0]), mk(W), mk(d))


@pytest.mark.parity
def test_lkj_cholesky_matches_torch_and_is_a_correlation_factor(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
    ours = D.LKJCholesky(3, _t([0.5, 2.0], device, f64))
    theirs = torch.distributions.LKJCholesky(3, torch.tensor([0.5, 2.0], dtype=torch.float64))
    clgrad.manual_seed(0)
    L = ours.sample((4000,))
    assert tuple(L.shape) == (4000, 2, 3, 3)
    assert bool(D.constraints.corr_cholesky.check(L).all())
    value = to_numpy(L[:5])
    np.testing.assert_allclose(to_numpy(ours.log_prob(L[:5])),
                               theirs.log_prob(torch.tensor(value)).numpy(), rtol=1e-10)
    # LKJ(eta) in dimension 3: each correlation has variance 1 / (2 eta + 2)
    corr = to_numpy(L @ L.mT)[:, :, 1, 0]
    np.testing.assert_allclose(corr.var(0), [1 / 3.0, 1 / 6.0], rtol=0.1)
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        D.LKJCholesky(1)


@pytest.mark.parity
def test_wishart_matches_torch(device):
    torch = pytest.importorskip("torch")
    skip_without_fp64(device)
    f64 = clgrad.float64
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
        np.testing.assert_allclose(to_numpy(ours.log_prob(s)),
                                   theirs.log_prob(torch.tensor(to_numpy(s))).numpy(), rtol=1e-10)
        for attr in ("mean", "mode", "variance", "precision_matrix", "covariance_matrix"):
            np.testing.assert_allclose(to_numpy(getattr(ours, attr)), getattr(theirs, attr).numpy(),
                                       rtol=1e-10, atol=1e-12, err_msg=f"{kw} {attr}")
        np.testing.assert_allclose(to_numpy(ours.entropy()), theirs.entropy().numpy(), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(D.ExponentialFamily.entropy(ours)),
                               to_numpy(ours.entropy()), rtol=1e-8)
    clgrad.manual_seed(1)
    x = to_numpy(D.Wishart(_t(6.0, device), covariance_matrix=_t(cov, device)).sample((20000,)))
    np.testing.assert_allclose(x.mean(0) / 6, cov, atol=0.05)
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1"):
        D.Wishart(_t(1.0, device), covariance_matrix=_t(cov, device))
